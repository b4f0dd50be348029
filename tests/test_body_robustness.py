"""Body extraction never raises, says why a body is empty, and strips news boilerplate."""

from __future__ import annotations

import copy

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscrawl.extraction.body import BodyResult, extract_body
from newscrawl.extraction.document import Document, parse_document
from newscrawl.extraction.rules import ExtractionRules

URL = "https://news.example.com/world/some-story/"
HEADLINE = "Harbour town votes to rebuild its flooded sea wall"

PARAGRAPHS = [
    "Residents of the small harbour town voted on Tuesday to rebuild the sea wall that failed during the winter "
    "storms, ending months of argument over who should pay for the work.",
    "The council said the new wall would be two metres higher than the old one and would take three years to "
    "finish, with the first stage starting in the spring.",
    "Fishermen, whose boats were damaged when the wall gave way, welcomed the decision but said the town had "
    "waited far too long to act on the warnings of engineers.",
    "Engineers had warned as early as 2015 that the wall was weakening, a report published by the council last "
    "month showed, but repairs were postponed twice for lack of money.",
    "The government has promised to cover half of the cost, with the rest to come from a local levy that will "
    "be added to council tax bills over the next ten years.",
    "Opponents of the plan said a natural barrier of dunes and salt marsh would have been cheaper and better "
    "for wildlife, and vowed to keep campaigning.",
]


def article_page(before: str = "", inside: str = "", after: str = "", title: str = HEADLINE) -> str:
    """A small news page: headline, body paragraphs, then optional extra markup."""
    body = "\n".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    return f"""<!DOCTYPE html><html><head><title>{title} | Example News</title>
<meta property="og:title" content="{title}"></head>
<body><header><nav><a href="/">Home</a> <a href="/world/">World</a></nav></header>
<main><article><h1>{title}</h1>{before}
<div class="article-body">{body}{inside}</div>{after}</article></main>
<footer><p>© Example News</p></footer></body></html>"""


def body_of(html, **kwargs) -> BodyResult:
    return extract_body(parse_document(html, URL), **kwargs)


def assert_well_formed(result: BodyResult) -> None:
    assert isinstance(result, BodyResult)
    assert isinstance(result.text, str) and isinstance(result.method, str)
    if result.text:
        assert result.problem is None
        assert all(line.strip() == line and line for line in result.text.split("\n"))
    else:
        assert result.problem


# --- never raises -----------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_never_raises(text):
    assert_well_formed(body_of(text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary())
def test_any_bytes_never_raise(data):
    assert_well_formed(body_of(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<h2>", "<ul><li>", "<a href=x>", "\x00",
                                 "<script>", "<figure>", "text ", "By Press Association", "Most read", "<br>",
                                 "&amp;", "<!--", "-->", "<table><tr><td>", "é", "<![CDATA[", "]]>"]),
                max_size=60))
def test_markup_soup_never_raises(pieces):
    assert_well_formed(body_of("".join(pieces)))


def test_empty_input():
    for empty in (b"", "", b"   \n", None):
        result = body_of(empty)
        assert result.text == "" and result.problem == "empty"


def test_every_parsed_element_has_the_lxml_html_api():
    """The parser maps every element to HtmlElement in C (no per-element Python lookup): forms
    and inputs too, and elements of a copy, keep text_content() and the other lxml.html methods."""
    doc = parse_document(b"<html><body><form><label>Name <input name='q'></label></form><p>Text</p>"
                         b"<!-- dropped --></body></html>", URL)
    elements = list(doc.tree.iter()) + list(copy.deepcopy(doc.tree).iter())
    assert len(elements) == 12  # html, body, form, label, input, p (comments are dropped), twice
    assert all(isinstance(element, lxml.html.HtmlElement) for element in elements)
    assert doc.tree.find(".//form").text_content() == "Name "


def test_document_without_tree_passes_its_problem_on():
    result = extract_body(Document(URL, None, "not-html"))
    assert result == BodyResult("", "not-html", "none")
    assert extract_body(Document(URL, None)).problem == "empty"


def test_pdf_bytes():
    result = body_of(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 50)
    assert result.text == "" and result.problem == "not-html"


def test_nul_bytes_inside_the_page():
    html = article_page().replace("harbour town", "harbour\x00 town").encode()
    result = body_of(html)
    assert "\x00" not in result.text
    assert "Fishermen, whose boats were damaged" in result.text


def test_wrong_declared_charset():
    page = article_page().replace("Residents", "Résidents")
    latin1 = page.replace("<head>", '<head><meta charset="utf-8">').encode("latin-1")
    assert_well_formed(body_of(latin1))
    assert "Fishermen" in body_of(latin1).text
    # an unknown charset name from the HTTP header
    result = extract_body(parse_document(page.encode("utf-8"), URL, encoding="no-such-charset"))
    assert "Résidents" in result.text


def test_xhtml_page_with_an_xml_declaration():
    # XHTML mobile pages open with an encoding declaration, which lxml refuses on decoded text.
    xhtml = '<?xml version="1.0" encoding="UTF-8" ?>\r\n' + article_page()
    for html in (xhtml, xhtml.encode("utf-8")):
        result = body_of(html)
        assert result.problem != "unparseable"
        assert "Fishermen, whose boats were damaged" in result.text


def test_deeply_nested_markup():
    depth = 5000
    html = "<html><body>" + "<div>" * depth + " ".join(PARAGRAPHS) + "</div>" * depth + "</body></html>"
    assert_well_formed(body_of(html))


def test_ten_megabyte_page():
    # Like real heavy pages: mostly inline script/JSON, plus a long list of teasers.
    teasers = "<div class='teaser'><a href='/x'>Another story about something else entirely</a></div>\n" * 10_000
    script = "<script>window.__STATE__ = {" + '"k": "v", ' * 1_000_000 + "};</script>"
    page = article_page(after=teasers).replace("</body>", script + "</body>")
    assert len(page) >= 10_000_000
    result = body_of(page.encode())
    assert_well_formed(result)
    assert "Fishermen, whose boats were damaged" in result.text


def test_plain_text_document():
    assert_well_formed(body_of(b"just some words, not a web page at all"))


def test_navigation_page_has_no_body():
    html = "<html><body><ul>" + "".join(f"<li><a href='/{i}'>Section {i}</a></li>" for i in range(30)) + \
        "</ul></body></html>"
    result = body_of(html)
    assert result.text == "" and result.problem


def test_shared_tree_is_not_modified():
    doc = parse_document(article_page(after="<h2>Most read</h2><ul><li><a href='/a'>Other story</a></li></ul>"), URL)
    before = lxml.html.tostring(doc.tree)
    extract_body(doc, ExtractionRules(body_selector=".article-body", strip_selectors=("p",)), headline=HEADLINE)
    extract_body(doc, headline=HEADLINE)
    assert lxml.html.tostring(doc.tree) == before


def test_body_is_one_paragraph_per_line():
    result = body_of(article_page(), headline=HEADLINE)
    assert result.text.split("\n") == PARAGRAPHS
    assert result.method == "general"


# --- news cleanup -----------------------------------------------------------------------

LATEST = """<aside class="latest"><h2>Latest World News</h2><a href="/world/">See more Latest World News</a><ul>
<li><img alt="Crowds in the square"><a href="/w/1">France and Israel fans clash with police in Paris</a></li>
<li><img alt="Basem Naim"><a href="/w/2">Hamas says it is prepared for an immediate ceasefire in Gaza</a></li>
<li><a href="/w/3">Spain takes drastic measures as more flooding looms over the coast</a></li>
</ul></aside>"""


def test_latest_news_sidebar_after_the_article_is_removed():
    result = body_of(article_page(after=LATEST), headline=HEADLINE)
    assert "Latest World News" not in result.text
    assert "France and Israel fans" not in result.text
    assert result.text.split("\n")[-1] == PARAGRAPHS[-1]


def test_heading_and_link_list_inside_the_body_are_removed():
    teaser = ("<h3>Most read</h3><ol><li><a href='/1'>Man rescued from cliff after six hours</a></li>"
              "<li><a href='/2'>Storm warning issued for the whole coast</a></li></ol>")
    related = ("<p><strong>DON'T MISS</strong><br>"
               "<strong><a href='/3'>Seal pup found in town centre [PICTURES]</a></strong></p>")
    result = body_of(article_page(inside=teaser + related), headline=HEADLINE)
    for leaked in ("Most read", "Man rescued", "DON'T MISS", "Seal pup"):
        assert leaked not in result.text
    assert PARAGRAPHS[-1] in result.text


def test_text_inside_named_anchors_and_headings_with_permalink_icons_are_kept():
    question = "Why did the council wait so long before agreeing to pay for the repairs?"
    named = f'<p><a name="question">{question}</a></p>'
    heading = '<h2 id="cost">Who pays for the wall<a href="#cost" class="heading-link" aria-label="link"></a></h2>'
    more = "".join(f"<p>{text} Later that week, more was said.</p>" for text in PARAGRAPHS)  # no second opinion
    result = body_of(article_page(inside=named + heading + more), headline=HEADLINE)
    assert question in result.text.split("\n")
    assert "Who pays for the wall" in result.text.split("\n")


def test_scripted_buttons_written_as_anchors_stay_links():
    buttons = '<p><a class="follow">Follow</a> <a class="share" onclick="share()">Share this article</a></p>'
    more = "".join(f"<p>{text} Later that week, more was said.</p>" for text in PARAGRAPHS)
    result = body_of(article_page(inside=more + buttons), headline=HEADLINE)
    assert "Share this article" not in result.text
    assert PARAGRAPHS[-1] in result.text


def test_figure_captions_and_credits_are_removed():
    figure = ('<figure><img src="wall.jpg" alt="The old sea wall"><figcaption>The old sea wall gave way in '
              'January. Picture: PA</figcaption></figure><p class="image-credit">Photo: Jane Doe/Example Agency</p>')
    result = body_of(article_page(before=figure, inside=figure), headline=HEADLINE)
    assert "gave way in January" not in result.text
    assert "Picture: PA" not in result.text and "Jane Doe" not in result.text
    assert result.text.split("\n") == PARAGRAPHS


def test_byline_lines_are_removed():
    result = body_of(article_page(before="<p>By Jane Doe</p>", inside="<p><strong>By Press Association</strong></p>"),
                     headline=HEADLINE)
    assert "By Press Association" not in result.text
    assert "By Jane Doe" not in result.text
    assert result.text.split("\n") == PARAGRAPHS


def test_cookie_dialog_is_not_a_body():
    dialog = ("<div id='consent' role='dialog'><p>We and our partners use cookies and similar technologies "
              "to personalise content and ads.</p><button>Accept all</button></div>")
    assert "cookies" not in body_of(article_page(before=dialog), headline=HEADLINE).text
    listing = f"<html><body>{dialog}<ul>" + "".join(
        f"<li><a href='/world/story-{i}/'>World story number {i} of the day</a></li>" for i in range(12)
    ) + "</ul></body></html>"
    result = body_of(listing)
    assert result.text == "" and result.problem


def test_sentences_that_start_like_a_byline_are_kept():
    first = "By the end of Tuesday the vote was over."
    last = "By then nobody was listening."
    page = article_page(before=f"<p>{first}</p>", inside=f"<p>{last}</p>")
    assert body_of(page, headline=HEADLINE).text.split("\n") == [first, *PARAGRAPHS, last]


def test_headline_is_not_repeated_at_the_top():
    page = article_page(before=f"<p><b>{HEADLINE}</b></p>")
    result = body_of(page)  # found without the headline argument, from <h1>/og:title/<title>
    assert not result.text.startswith(HEADLINE)
    assert result.text.split("\n")[0] == PARAGRAPHS[0]
    result = body_of(page, headline=HEADLINE)
    assert HEADLINE not in result.text


def test_promo_lines_are_removed():
    promos = ("<p>Related: <a href='/r'>Town council rejects dune plan</a></p>"
              "<p>READ MORE: <a href='/m'>How the winter storms hit the coast</a></p>")
    page = article_page().replace(f"<p>{PARAGRAPHS[2]}</p>", f"<p>{PARAGRAPHS[2]}</p>{promos}")
    result = body_of(page, headline=HEADLINE)
    assert "Related" not in result.text and "READ MORE" not in result.text
    assert result.text.split("\n") == PARAGRAPHS


def test_sign_off_lines_are_removed():
    sign_off = ("<p>Reporting by Jane Doe; editing by John Roe</p><p>Follow us on Twitter and Facebook.</p>"
                "<p>12 Comments</p>")
    result = body_of(article_page(inside=sign_off), headline=HEADLINE)
    assert result.text.split("\n") == PARAGRAPHS


def test_standfirst_repeated_by_the_body_is_removed():
    standfirst = ("<p class='standfirst'>"
                  "Residents of the small harbour town voted on Tuesday to rebuild the sea wall.</p>")
    page = article_page(before=standfirst)
    assert body_of(page, headline=HEADLINE).text.split("\n") == PARAGRAPHS


def test_drop_cap_is_joined_to_its_paragraph():
    first = f"<p>{PARAGRAPHS[0]}</p>"
    page = article_page().replace(first, f"<span class='dropcap'>R</span><p>{PARAGRAPHS[0][1:]}</p>")
    assert body_of(page, headline=HEADLINE).text.split("\n")[0] == PARAGRAPHS[0]


# --- site rules -------------------------------------------------------------------------

def test_site_rule_selects_the_body_and_strips_what_it_names():
    page = article_page(inside="<div class='promo'>Buy our newspaper today for only one pound a week</div>"
                               "<h4>Partner offers</h4><ul><li><a href='/o'>Cheap flights to anywhere</a></li></ul>")
    rules = ExtractionRules(body_selector="div.article-body", strip_selectors=(".promo",),
                            strip_headings=("^partner offers$",))
    result = body_of(page, rules=rules, headline=HEADLINE)
    assert result.method == "site-rule"
    assert result.text.split("\n") == PARAGRAPHS


def test_site_rule_that_matches_nothing_falls_back_to_the_general_extractor():
    result = body_of(article_page(), rules=ExtractionRules(body_selector="div.no-such-thing"), headline=HEADLINE)
    assert result.method == "general"
    assert result.text.split("\n") == PARAGRAPHS


def test_invalid_site_selector_does_not_raise():
    result = body_of(article_page(), rules=ExtractionRules(body_selector="div[[[", strip_selectors=("p:::x",),
                                                           strip_headings=("([unclosed",)), headline=HEADLINE)
    assert result.text.split("\n") == PARAGRAPHS


def test_input_document_is_reusable():
    doc = parse_document(article_page(), URL)
    first = extract_body(copy.copy(doc), headline=HEADLINE)
    assert extract_body(doc, headline=HEADLINE) == first


@pytest.mark.parametrize("head", ["", "<head><script>var config = '" + "x" * 30000 + "';</script></head>"],
                         ids=["no-head", "big-head-script"])
def test_unbalanced_markup_does_not_let_a_dialog_swallow_the_article(head):
    """An unclosed <div role="dialog"> (cookie banner) that now wraps the story is not dropped,
    however much script the <head> holds (the page's text is the body's)."""
    paragraphs = "".join(f"<p>Paragraph {n} of the story, with enough words to count as prose here.</p>"
                         for n in range(30))
    html = (f'<html>{head}<body><div role="dialog"><p>We use cookies.</p><button>Accept</button>'
            f"<article><h1>Story</h1>{paragraphs}</article></body></html>")
    from newscrawl.extraction.body import extract_body
    from newscrawl.extraction.document import parse_document

    text = extract_body(parse_document(html, "https://example.com/news/story")).text
    assert "Paragraph 0 of the story" in text and "Paragraph 29 of the story" in text
