import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscrawl.extraction.authors import dedupe_names, looks_like_name, parse_byline

SITES = ["BBC News", "USA TODAY", "The Jerusalem Post", "Telegraph", "Daily Mail", "CNN", "LBC"]


@pytest.mark.parametrize(
    "byline, expected",
    [
        ("By Press Association", ["Press Association"]),
        ("Press Association", ["Press Association"]),
        ("By Jane Doe and John Roe, Reuters", ["Jane Doe", "John Roe"]),  # agency = their employer
        ("By Reuters", ["Reuters"]),
        ("By AP and Reuters", ["AP", "Reuters"]),
        ("By Jane Doe, Political Editor", ["Jane Doe"]),
        ("By Jane Doe | Updated 7 December 2021, 18:24", ["Jane Doe"]),
        ("By JANE DOE", ["Jane Doe"]),
        ("PTI", ["PTI"]),
        ("Jane Doe for MailOnline", ["Jane Doe"]),
        ("By Glen Owen And Brendan Carlin For The Mail On Sunday", ["Glen Owen", "Brendan Carlin"]),
        ("By Jane Doe jane.doe@example.com @janedoe", ["Jane Doe"]),
        ("By Jane Doe, Bob Smith & Ann Lee", ["Jane Doe", "Bob Smith", "Ann Lee"]),
        ("By LISA MASCARO, MARY CLARE JALONICK and ERIC TUCKER", ["Lisa Mascaro", "Mary Clare Jalonick", "Eric Tucker"]),
        ("By ROBERT BURNS, AP National Security Writer", ["Robert Burns"]),
        ("Analysis by Chris Cillizza, CNN Editor-at-large", ["Chris Cillizza"]),
        ("Tom Gillespie News reporter @TomGillespie1", ["Tom Gillespie"]),
        ("By Nada Tawfik, BBC News, New York", ["Nada Tawfik"]),  # outlet, then a place
        ("Kevin Johnson and Kevin McCoy USA TODAY", ["Kevin Johnson", "Kevin McCoy"]),
        ("Rachael Link, MS, RD", ["Rachael Link"]),
        ("Bruce Y. Lee", ["Bruce Y. Lee"]),  # "Y." is an initial, not Spanish "and"
        ("Juan Pérez y María López", ["Juan Pérez", "María López"]),
        ("Von Max Mustermann", ["Max Mustermann"]),
        ("Текст: Венера Ерофеева", ["Венера Ерофеева"]),
        ("Fatima Hussein, The Associated Press", ["Fatima Hussein"]),
        ("Sandee LaMotte, CNN", ["Sandee LaMotte"]),  # another outlet after a person: employer
        ("Amy Kuperinsky, NJ Advance Media", ["Amy Kuperinsky"]),
        ("By April Roach | @aprilroach28 | Daniel O'Mahony | 01 October 2020", ["April Roach", "Daniel O'Mahony"]),
    ],
)
def test_parse_byline(byline, expected):
    assert parse_byline(byline, SITES) == expected


@pytest.mark.parametrize(
    "byline",
    ["BBC News", "By JERUSALEM POST STAFF", "Telegraph Sport", "LBC", "Editorial", "By Staff",
     "Staff Reports", "admin", "By", "", None, "Updated 19 November 2019", "Political Editor"],
)
def test_no_person_no_author(byline):
    assert parse_byline(byline, SITES) == []


def test_dedupe_names_is_case_and_punctuation_blind():
    assert dedupe_names(["Jane Doe", "JANE DOE", "Jane  Doe.", "John Roe"]) == ["Jane Doe", "John Roe"]


def test_looks_like_name():
    assert looks_like_name("Jane Doe")
    assert looks_like_name("Ludwig van Beethoven")
    assert looks_like_name("정덕현")  # uncased scripts pass
    assert not looks_like_name("subscribing I accept the")
    assert not looks_like_name("joining Slate Plus you support our work")
    assert not looks_like_name("The Russian")


@given(st.text(max_size=120))
@settings(max_examples=300, deadline=None)
def test_never_raises_and_never_returns_by_or_empty(text):
    for name in parse_byline(text, SITES):
        assert name.strip() == name and name
        assert not name.lower().startswith("by ")
        assert not any(ch.isdigit() for ch in name)


@pytest.mark.parametrize(
    "byline, expected",
    [
        ("Elena Oberholzer (obe)", ["Elena Oberholzer"]),
        ("Von Elena Oberholzer (obe), Hans Muster (hm)", ["Elena Oberholzer", "Hans Muster"]),
        ("Elena Oberholzer\nFolgen", ["Elena Oberholzer"]),
        ("Jane Doe Follow", ["Jane Doe"]),
        ("Zeige alle Beiträge von Cem Basman", ["Cem Basman"]),
        ("Perry Bacon Jr.", ["Perry Bacon Jr."]),
        ("By Joe S.", ["Joe S."]),
    ],
)
def test_brackets_buttons_and_link_labels_around_names(byline, expected):
    assert parse_byline(byline, SITES) == expected


@pytest.mark.parametrize("label", ["Folgen", "Follow", "Abonnieren", "Artikel von", "Bild © ARD", "No Author",
                                   "View my complete profile", "Afficher mon profil complet", "Zum Profil"])
def test_button_and_credit_labels_are_not_authors(label):
    assert parse_byline(label, SITES) == []


@pytest.mark.parametrize(
    "byline, expected",
    [
        ("Posted on September 21, 2020 by Adi Tzlil", ["Adi Tzlil"]),
        ("Posted by Jane Doe on 3 May 2020", ["Jane Doe"]),
        ("Autorin: Uta Staschewski", ["Uta Staschewski"]),
        ("Ein Beitrag von Hans Meier", ["Hans Meier"]),
        ("Blog Beitrag von Margarita Koreneva", ["Margarita Koreneva"]),
        ("Text von Christian Seiler \u00a0 Illustration von Markus Roost", ["Christian Seiler"]),  # another credit
        ("By Jane Doe Photos by John Roe", ["Jane Doe"]),
        ("Text und Fotos von Jane Doe", ["Jane Doe"]),
    ],
)
def test_dates_and_labels_around_a_byline(byline, expected):
    assert parse_byline(byline, SITES) == expected


def test_contribution_line_in_the_text_names_the_author():
    from newscrawl.extraction.document import parse_document
    from newscrawl.extraction.metadata import extract_metadata

    html = ("<html><head><title>Vegetarier</title></head><body><div class='content'><h1>Vegetarier</h1>"
            "<p>Blog Beitrag von Margarita Koreneva</p>"
            f"<p>{'Vegetarier zu sein wird beliebter. ' * 20}</p></div></body></html>")
    assert extract_metadata(parse_document(html, "https://example.org/x"))["authors"] == ["Margarita Koreneva"]


# "By&nbsp;": the old XPath's normalize-space() kept the no-break space, so no label matched.
@pytest.mark.parametrize("line", [
    "<em>Written by: <a href='https://example.org/a'>Julie Mollins</a></em>",
    "By&nbsp;<a href='https://example.org/a'>Julie Mollins</a>",
    "By&nbsp;&nbsp;<a href='https://example.org/a'>Julie Mollins</a>",
    "Von&nbsp;<a href='https://example.org/a'>Julie Mollins</a>",
])
def test_labelled_byline_line_with_the_name_in_a_link(line):
    from newscrawl.extraction.document import parse_document
    from newscrawl.extraction.metadata import extract_metadata

    html = ("<html><head><title>Forests</title></head><body><article><h1>Forests</h1>"
            f"<p>{line}</p>"
            f"<p>{'Indigenous peoples manage the forest. ' * 20}</p></article></body></html>")
    assert extract_metadata(parse_document(html, "https://example.org/x"))["authors"] == ["Julie Mollins"]


@pytest.mark.parametrize(
    "byline, sites, expected",
    [
        # A spaced dash parts the outlet from the name; hyphenated names stay whole.
        ("unocero - Alberto Ávila", {"unocero"}, ["Alberto Ávila"]),
        ("Jane Doe - Reuters", set(), ["Jane Doe"]),
        ("Anne-Marie Duval", set(), ["Anne-Marie Duval"]),
        # The publisher named with its own domain.
        ("Deutsche Welle (www.dw.com)", {"dw.com"}, []),
        # A team is not a person; the site plus "blog" is the outlet.
        ("Posted by Ann Lee and Bo Park - Safe Browsing team", {"examplecorpblog"}, ["Ann Lee", "Bo Park"]),
        ("ExampleCorp", {"examplecorpblog"}, []),
        # A connective and a weekday left over from a German dateline (parts as a byline element gives them).
        ("Von | Lisa Meier | am | Samstag, 19. Oktober 2019 um 11:14 Uhr", set(), ["Lisa Meier"]),
    ],
)
def test_outlets_groups_and_datelines_around_names(byline, sites, expected):
    assert parse_byline(byline, sites) == expected


def test_every_byline_line_label_is_stripped_by_parse_byline():
    """The labels that find byline lines (metadata.fields) and the prefixes parse_byline strips
    (authors._BY_PREFIX) are two lists: a label added to the first must be known to the second."""
    from newscrawl.extraction.metadata.fields import _BARE_BY_LABELS, _BY_LINE_LABELS

    for label in _BY_LINE_LABELS:
        assert parse_byline(f"{label.strip()} Jane Doe") == ["Jane Doe"], label
    for label in _BARE_BY_LABELS:
        assert parse_byline(f"{label} Jane Doe") == ["Jane Doe"], label
