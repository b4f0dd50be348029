"""Field functions of newscrawl.extraction.metadata.fields, one field at a time: each
source in a field's trust order wins over every source after it."""

from __future__ import annotations

import json
import re

import pytest

from newscrawl.extraction.document import parse_document
from newscrawl.extraction.metadata import fields
from newscrawl.extraction.metadata.sources import PageSources, body_elements_named, body_text_nodes, original_url
from newscrawl.extraction.rules import ExtractionRules

URL = "https://news.example.com/world/2021/12/07/council-budget/"
NO_RULES = ExtractionRules()


def sources_of(head: str = "", body: str = "") -> PageSources:
    return PageSources(parse_document(f"<html lang='en'><head>{head}</head><body>{body}</body></html>", URL))


def ladder_results(sources: list[tuple[str, str]], read) -> list:
    """``read`` on the page with every source, then with the first, the first two... removed."""
    results = []
    for start in range(len(sources)):
        kept = sources[start:]
        head = "".join(markup for place, markup in kept if place == "head")
        body = "".join(markup for place, markup in kept if place == "body")
        results.append(read(sources_of(head, body)))
    return results


def jsonld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


HEADLINE_SOURCES = [
    ("head", jsonld({"@type": "NewsArticle", "headline": "Council approves the schools budget"})),
    ("head", '<meta property="og:title" content="Schools get more money, council says">'),
    ("head", '<meta name="twitter:title" content="Budget vote: what it means">'),
    ("body", '<span itemprop="headline">Microdata headline of the budget story</span>'),
    ("head", '<meta name="parsely-title" content="Parsely headline of the budget story">'),
    ("head", "<title>Budget passes after long debate - Example News</title>"
             '<meta property="og:site_name" content="Example News">'),
]


def test_headline_trust_order_jsonld_og_twitter_microdata_named_meta_title():
    assert ladder_results(HEADLINE_SOURCES, fields.headline) == [
        "Council approves the schools budget",
        "Schools get more money, council says",
        "Budget vote: what it means",
        "Microdata headline of the budget story",
        "Parsely headline of the budget story",
        "Budget passes after long debate",  # the <title> without the site name
    ]


def test_visible_h1_wins_only_when_the_metadata_confirms_it():
    confirmed = "<h1>Council approves the schools budget after a long night</h1>"
    assert fields.headline(sources_of("".join(m for _, m in HEADLINE_SOURCES[:2]), confirmed)) == (
        "Council approves the schools budget after a long night")
    unconfirmed = "<h1>Weather</h1>"
    assert fields.headline(sources_of("".join(m for _, m in HEADLINE_SOURCES[:2]), unconfirmed)) == (
        "Council approves the schools budget")
    assert fields.headline(sources_of("", unconfirmed)) == "Weather"  # nothing to confirm or beat it


def test_a_kicker_line_in_the_h1_is_not_part_of_the_headline():
    og = '<meta property="og:title" content="{}">'
    two_spans = "<h1><span class='overline'>Council vote</span> <span>Schools get a bigger budget</span></h1>"
    assert fields.headline(sources_of(og.format("Schools get a bigger budget - Council vote"), two_spans)) == (
        "Schools get a bigger budget")
    line_break = "<h1><span><small>Week in review</small><br>Schools get a bigger budget</span></h1>"
    assert fields.headline(sources_of(og.format("Week in review | Schools get a bigger budget - Example News"),
                                      line_break)) == "Schools get a bigger budget"
    # A headline set on two lines, which the metadata gives as one title, keeps both lines.
    two_lines = "<h1>Schools get a bigger budget<br>after a long night</h1>"
    assert fields.headline(sources_of(og.format("Schools get a bigger budget after a long night"), two_lines)) == (
        "Schools get a bigger budget after a long night")


DATE_SOURCES = [
    ("head", jsonld({"@type": "NewsArticle", "headline": "H", "datePublished": "2021-12-01T10:00:00Z"})),
    ("body", '<span itemprop="datePublished" content="2021-12-02T10:00:00Z"></span>'),
    ("head", '<meta property="article:published_time" content="2021-12-03T10:00:00Z">'),
    ("body", '<p><time datetime="2021-12-04T10:00:00Z">4 Dec</time></p>'),
    ("body", '<div class="story-date">5 December 2021</div>'),
]


def published(sources: PageSources) -> str | None:
    return fields.date_published(sources, NO_RULES, fields.date_modified(sources))


def test_date_published_trust_order_jsonld_microdata_meta_time_date_element():
    assert ladder_results(DATE_SOURCES, published) == [
        "2021-12-01T10:00:00Z", "2021-12-02T10:00:00Z", "2021-12-03T10:00:00Z",
        "2021-12-04T10:00:00Z", "5 December 2021",
    ]


def test_date_published_falls_back_to_htmldate_then_the_url():
    free_text = f"<div class='meta'>Stand: 03.03.2021</div><p>{'Words. ' * 60}</p>"
    undated_url = PageSources(parse_document(f"<html><body>{free_text}</body></html>", "https://news.example.com/a"))
    assert published(undated_url) == "2021-03-03"  # htmldate's day
    # htmldate's day is refused when it is the modified day: the URL's date text is the last resort.
    updated_today = sources_of('<meta property="og:updated_time" content="2021-12-07T08:00:00Z">', "<p>Text.</p>")
    assert published(updated_today) == "2021/12/07"


def test_modified_sources_never_feed_published_and_the_latest_modified_wins():
    head = ('<meta property="og:updated_time" content="2021-12-09T08:00:00Z">'
            + jsonld({"@type": "NewsArticle", "headline": "H", "dateModified": "2021-12-08T08:00:00Z"}))
    sources = sources_of(head, "<p>Nothing else.</p>")
    assert fields.date_modified(sources) == "2021-12-09T08:00:00Z"
    assert published(sources) not in ("2021-12-09T08:00:00Z", "2021-12-08T08:00:00Z", "2021-12-09", "2021-12-08")


def test_site_rule_date_beats_jsonld():
    rules = ExtractionRules(date_selector=".when")
    sources = sources_of(DATE_SOURCES[0][1], '<span class="when">7 December 2021 09:00</span>')
    assert fields.date_published(sources, rules, None) == "7 December 2021 09:00"


def test_page_sources_are_collected_in_document_order():
    sources = sources_of(
        '<meta name="Description" content="first"><meta property="og:description" content="second">'
        '<meta name="description" content="third"><link rel="canonical" href="/a">' + DATE_SOURCES[0][1],
        "<h1>One</h1><h1>Two</h1><span itemprop='author'>Jane Doe</span>",
    )
    assert sources.meta["description"] == ["first", "third"]
    assert sources.links["canonical"] == ["/a"] and sources.h1s == ["One", "Two"]
    assert sources.article["datePublished"] == "2021-12-01T10:00:00Z"
    assert sources.itemprop_values("author") == ["Jane Doe"]
    assert sources.absolute("/a") == "https://news.example.com/a"
    assert {"news.example.com", "example"} <= sources.site_names


def test_body_elements_named_gives_the_first_matches_in_document_order_under_body():
    sources = sources_of(
        '<meta class="author" name="author" content="Head Author">',
        '<div class="post-author">A</div><p><span id="byline-2">B</span></p>'
        '<div class="Author-box">C</div><div class="authority">D</div>',
    )
    names = {"class": re.compile("author|Author"), "id": re.compile("byline")}
    found = body_elements_named(sources.tree, names, 3)
    assert [element.text for element in found] == ["A", "B", "C"]  # not the <meta>, stops at 3
    assert [e.text for e in body_elements_named(sources.tree, names, 10)] == ["A", "B", "C", "D"]


def test_body_text_nodes_are_text_and_tails_in_document_order_with_their_element():
    sources = sources_of(body="By Ann<i>By Bob</i><p>By Cy<b>x</b>By Di</p>By Ed")
    found = [(text, getattr(element, "tag", None)) for text, element in body_text_nodes(sources.tree, re.compile("By "))]
    tails_of = [element for text, element in body_text_nodes(sources.tree, re.compile("By (Di|Ed)"))]
    assert [text for text, _ in found] == ["By Ann", "By Bob", "By Cy", "By Di", "By Ed"]
    assert [tag for _, tag in found[:3]] == ["body", "i", "p"]
    assert [element.tag for element in tails_of] == ["b", "p"]  # a tail comes with the element it follows


@pytest.mark.parametrize(("head", "expected"), [
    ('<meta property="og:image" content="/og.jpg">' + jsonld({"@type": "NewsArticle", "image": "/ld.jpg"}),
     "https://news.example.com/og.jpg"),
    ('<meta property="og:image" content="/opengraph_default.png">' + jsonld({"@type": "NewsArticle", "image": "/ld.jpg"}),
     "https://news.example.com/ld.jpg"),  # a placeholder share image is skipped
])
def test_main_image_og_then_jsonld(head, expected):
    assert fields.main_image(sources_of(head)) == expected


# ---- authors and dates: general rules read off misses of the trafilatura-eval "tune" half ----------

def authors_of(head: str = "", body: str = "") -> list[str]:
    return fields.authors(sources_of(head, body), NO_RULES)


def test_byline_inside_a_story_container_with_a_sidebar_layout_class():
    body = ("<article class='story sticky-sidebar-parent'><h1>Council budget</h1>"
            "<span class='byline'>By <a href='/writers/jane'>Jane Doe</a></span><p>Text.</p></article>"
            "<div class='sidebar'><div class='byline'>By Someone Else</div></div>")
    assert authors_of(body=body) == ["Jane Doe"]


def test_a_person_publishing_their_own_blog_stays_the_author():
    person = {"@type": ["Person", "Organization"], "@id": "https://news.example.com/#me", "name": "Jane Doe"}
    head = jsonld({"@graph": [person, {"@type": "BlogPosting", "headline": "H",
                                       "author": {"@id": "https://news.example.com/#me"},
                                       "publisher": {"@id": "https://news.example.com/#me"}}]})
    assert "Jane Doe" not in sources_of(head).site_names
    assert authors_of(head) == ["Jane Doe"]


def test_microdata_author_in_the_footer_of_the_article_item():
    body = ("<article itemscope itemtype='http://schema.org/BlogPosting'><h1>H</h1><p>Text.</p>"
            "<footer><address itemprop='author' itemscope itemtype='http://schema.org/Person'>"
            "<span itemprop='name'>Jane Doe</span></address></footer></article>"
            "<footer><span itemprop='author'>Site Footer Person</span></footer>")
    assert authors_of(body=body) == ["Jane Doe"]


def test_a_topic_list_in_the_byline_box_is_not_authors():
    body = "<div class='author'>Solar / Wind / Storage / Markets</div><p>Text.</p>"
    assert authors_of(body=body) == []


def test_french_author_label_in_the_text():
    body = "<h1>H</h1><div class='text'><p>Auteur : Marie Curie </p><p>Edition : M. Roux</p></div>"
    assert authors_of(body=body) == ["Marie Curie"]


@pytest.mark.parametrize("body, expected", [
    # The label alone in its element, the name in the next one (or in the parent's next one).
    ("<p>Text of the story.</p><p><em>Von <span>Anna Beispiel</span></em></p>", ["Anna Beispiel"]),
    ("<div><span>By</span><span><a href='/staff/jo'>Jo Example</a></span></div><p>Text.</p>", ["Jo Example"]),
    # Byline boxes named in other languages, or by a test id instead of a class.
    ("<div class='dates_auteurs'>par <span class='auteurs'>Marie Exemple</span>, 21 juin</div>", ["Marie Exemple"]),
    ("<div class='autor'><h6>Ana Ejemplo | Publicado hace 3 horas</h6></div>", ["Ana Ejemplo"]),
    ("<div data-testid='article-byline'>By <a>Sam Sample</a></div>", ["Sam Sample"]),
])
def test_bylines_in_plain_markup(body, expected):
    assert authors_of(body=body) == expected


def test_a_sentence_starting_with_a_byline_word_is_not_a_byline():
    body = "<p>Von den zwanzig Teilnehmern kamen nur drei.</p><p>Par ailleurs, le conseil a voté.</p>"
    assert authors_of(body=body) == []


def test_a_bare_byline_label_in_a_list_of_other_stories_is_not_the_author():
    ticker = "<ul class='ticker'><li>By <span>Wire Agency</span></li></ul><p>Text of the story.</p>"
    assert authors_of(body=ticker) == []


def test_the_visible_byline_adds_a_coauthor_the_structured_data_dropped():
    head = jsonld({"@type": "NewsArticle", "headline": "H", "author": {"@type": "Person", "name": "Ann Example"}})
    both = "<span class='author'>von Ann Example, Ben Second</span><p>Text.</p>"
    assert authors_of(head, both) == ["Ann Example", "Ben Second"]
    # A lone extra word is a place or a desk, not a co-author.
    place = "<span class='author'>Ann Example, Montréal</span><p>Text.</p>"
    assert authors_of(head, place) == ["Ann Example"]


def test_a_date_long_after_the_url_day_is_a_republication():
    url = "https://blog.example.com/home/2017/7/12/a-trip-east"
    head = jsonld({"@type": "BlogPosting", "headline": "A trip east", "datePublished": "2019-06-17T18:28:00+0200"})
    sources = PageSources(parse_document(f"<html><head>{head}</head><body><p>Text.</p></body></html>", url))
    assert published(sources) == "2017-07-12"  # the day of the URL
    # Within a week of the URL's day, the structured date and its time stand.
    head = jsonld({"@type": "BlogPosting", "headline": "A trip east", "datePublished": "2017-07-14T09:00:00+0200"})
    sources = PageSources(parse_document(f"<html><head>{head}</head><body><p>Text.</p></body></html>", url))
    assert published(sources) == "2017-07-14T09:00:00+0200"


def test_url_day_shown_on_the_page_beats_an_older_time_of_something_else():
    body = ("<time class='published' datetime='2009-04-11 18:06:36'>old</time>"
            "<span class='post-date'>7 December 2021</span>")
    assert published(sources_of(body=body)) == "7 December 2021"
    # Without the URL's day on the page, the date found stands.
    assert published(sources_of(body="<time class='published' datetime='2009-04-11 18:06:36'>old</time>")) == (
        "2009-04-11 18:06:36")


@pytest.mark.parametrize("url, expected", [
    ("https://web.archive.org/web/20140226054445/http://www.example.com/2013/a/", "http://www.example.com/2013/a/"),
    ("https://web.archive.org/web/20140226054445id_/https://example.com/a", "https://example.com/a"),
    ("http://web.archive.org/web/2014/example.com/a", "http://example.com/a"),
    ("https://example.com/web/20140226054445/http://other.example/", "https://example.com/web/20140226054445/http://other.example/"),
    ("", ""),
])
def test_original_url_of_a_wayback_snapshot(url, expected):
    assert original_url(url) == expected
