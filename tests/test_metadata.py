"""extract_metadata on small hand-made pages, one behaviour per test."""

import json
from pathlib import Path
from unittest.mock import patch

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import newscrawl
import newscrawl.extraction.metadata as metadata_module
from newscrawl.extraction.dates import parse_date, to_utc_iso
from newscrawl.extraction.document import Document, parse_document
from newscrawl.extraction.metadata import FIELDS, extract_metadata, guess_language
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.textnorm import declared_language_code

URL = "https://news.example.com/world/2021/12/07/biden-putin-call/"


def page(head: str = "", body: str = "", lang: str = "en") -> Document:
    html = f"<!DOCTYPE html><html lang='{lang}'><head>{head}</head><body>{body}</body></html>"
    return parse_document(html, URL)


def jsonld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def published_utc(meta: dict) -> str | None:
    parsed = parse_date(meta["date_published_raw"], URL)
    return to_utc_iso(parsed) if parsed else None


def test_result_has_exactly_the_interface_keys():
    meta = extract_metadata(page(body="<h1>Hello world headline</h1>"))
    assert set(meta) == set(FIELDS) == {
        "headline", "description", "authors", "date_published_raw", "date_modified_raw",
        "in_language", "section", "tags", "main_image", "canonical_url",
    }


@pytest.mark.parametrize("doc", [Document(URL, None, "empty"), None])
def test_no_tree_gives_empty_result(doc):
    meta = extract_metadata(doc)
    assert meta["authors"] == [] and meta["tags"] == []
    assert all(meta[k] is None for k in FIELDS if k not in ("authors", "tags"))


def test_broken_jsonld_does_not_raise():
    doc = page(head='<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
                    '<script type="application/ld+json">[1, "x", null]</script>',
               body="<h1>A headline that stands</h1>")
    assert extract_metadata(doc)["headline"] == "A headline that stands"


def test_tree_is_not_modified():
    doc = page(head=jsonld({"@type": "NewsArticle", "headline": "H"}) + '<meta property="og:title" content="H">',
               body="<h1>H</h1><p class='byline'>By Jane Doe</p><time datetime='2021-12-07'>7 Dec</time>")
    before = lxml.html.tostring(doc.tree)
    extract_metadata(doc)
    assert lxml.html.tostring(doc.tree) == before


def test_jsonld_graph_with_author_reference():
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Example News"},
        {"@type": "NewsArticle", "headline": "Graph headline", "datePublished": "2021-12-07T18:24:00Z",
         "dateModified": "2021-12-08T09:00:00Z", "author": [{"@id": "#jane"}, {"@type": "Person", "name": "John Roe"}],
         "publisher": {"@type": "Organization", "name": "Example News"}, "inLanguage": "en-GB",
         "articleSection": ["World", "US"], "keywords": ["Russia", "US"],
         "image": [{"@type": "ImageObject", "url": "/img/lead.jpg"}]},
        {"@type": "Person", "@id": "#jane", "name": "Jane Doe"},
    ]}
    meta = extract_metadata(page(head=jsonld(graph), body="<h1>Graph headline</h1>"))
    assert meta["headline"] == "Graph headline"
    assert meta["authors"] == ["Jane Doe", "John Roe"]
    assert meta["date_published_raw"] == "2021-12-07T18:24:00Z"  # raw, exactly as found
    assert meta["date_modified_raw"] == "2021-12-08T09:00:00Z"
    assert meta["in_language"] == "en"
    assert meta["section"] == "World"
    assert meta["tags"] == ["Russia", "US"]
    assert meta["main_image"] == "https://news.example.com/img/lead.jpg"  # made absolute


def test_organisation_author_that_is_the_site_is_dropped_for_the_visible_byline():
    head = jsonld({"@type": "NewsArticle", "headline": "H one two three",
                   "author": {"@type": "Organization", "name": "LBC"},
                   "publisher": {"@type": "Organization", "name": "LBC"}})
    body = "<h1>H one two three</h1><div class='article__body'><p>Text.</p><p>By Press Association</p></div>"
    assert extract_metadata(page(head=head, body=body))["authors"] == ["Press Association"]


# ---- published vs modified --------------------------------------------------------------------

def test_modified_only_sources_never_become_published():
    head = ('<meta property="og:updated_time" content="2021-12-08T10:00:00Z">'
            '<meta property="article:modified_time" content="2021-12-08T10:00:00Z">'
            + jsonld({"@type": "NewsArticle", "headline": "H", "dateModified": "2021-12-08T10:00:00Z"}))
    meta = extract_metadata(parse_document(f"<html><head>{head}</head><body><h1>H</h1></body></html>",
                                           "https://example.com/story"))
    assert meta["date_published_raw"] is None
    assert meta["date_modified_raw"] == "2021-12-08T10:00:00Z"


def test_first_time_labelled_updated_is_the_modified_date():
    body = ("<h1>H</h1><p class='meta'>Updated <time datetime='2021-12-08T10:00:00Z'>8 Dec</time></p>"
            "<p class='meta'>Published <time datetime='2021-12-07T18:24:00Z'>7 Dec</time></p>")
    meta = extract_metadata(page(body=body))
    assert meta["date_published_raw"] == "2021-12-07T18:24:00Z"
    assert meta["date_modified_raw"] == "2021-12-08T10:00:00Z"


def test_jsonld_published_beats_meta_and_time():
    head = (jsonld({"@type": "NewsArticle", "headline": "H", "datePublished": "2021-12-07T18:24:00+00:00"})
            + '<meta property="article:published_time" content="2021-12-07T19:00:00+00:00">')
    meta = extract_metadata(page(head=head, body="<h1>H</h1><time datetime='2021-12-01'>x</time>"))
    assert meta["date_published_raw"] == "2021-12-07T18:24:00+00:00"


def test_unparseable_structured_date_falls_through():
    head = jsonld({"@type": "NewsArticle", "headline": "H", "datePublished": "0001-01-01T00:00:00Z"})
    body = "<h1>H</h1><div class='publish-date'>Published 7:07 PM EST Nov 19, 2019</div>"
    meta = extract_metadata(page(head=head, body=body))
    assert meta["date_published_raw"] == "Published 7:07 PM EST Nov 19, 2019"
    assert published_utc(meta) == "2019-11-20T00:07:00+00:00"


def test_visible_seed_date_and_url_date_fallback():
    meta = extract_metadata(page(body="<h1>H</h1><span class='date'>7 December 2021, 18:24</span>"))
    assert published_utc(meta) == "2021-12-07T18:24:00+00:00"
    meta = extract_metadata(page(body="<h1>Nothing dated here</h1>"))
    assert published_utc(meta) == "2021-12-07T00:00:00+00:00"  # from /2021/12/07/ in the URL


def test_cms_that_overwrites_published_with_modified():
    # Reuters 2019: article:published_time == modified_time == the update; the dateline shows both.
    head = ('<meta property="og:article:published_time" content="2019-11-19T21:57:01+0000">'
            '<meta property="og:article:modified_time" content="2019-11-19T21:57:01+0000">')
    body = "<h1>H</h1><div class='ArticleHeader_date'>November 19, 2019 / 12:21 AM / Updated 14 hours ago</div>"
    meta = extract_metadata(page(head=head, body=body))
    assert published_utc(meta) == "2019-11-19T00:21:00+00:00"
    assert meta["date_modified_raw"] == "2019-11-19T21:57:01+0000"


def test_same_instant_in_local_time_is_not_mistaken_for_first_publication():
    head = (jsonld({"@type": "NewsArticle", "headline": "H", "datePublished": "2019-11-20T01:53:14Z",
                    "dateModified": "2019-11-20T01:53:14Z"}))
    body = "<h1>H</h1><div class='date'>Nov. 19, 2019 5:53 PM / Updated</div>"  # Pacific time, naive
    assert extract_metadata(page(head=head, body=body))["date_published_raw"] == "2019-11-20T01:53:14Z"


def test_site_rule_date_selector_goes_first():
    head = '<meta property="article:published_time" content="2021-12-01T00:00:00Z">'
    body = "<h1>H</h1><span class='when'>7 December 2021, 18:24</span>"
    meta = extract_metadata(page(head=head, body=body), ExtractionRules(date_selector="span.when"))
    assert meta["date_published_raw"] == "7 December 2021, 18:24"


# ---- headline, description, authors ----------------------------------------------------------

def test_visible_h1_beats_a_social_rewrite_confirmed_by_title():
    head = ('<title>Taylor Swift is allowed to play her music at the AMAs after all - BBC News</title>'
            '<meta property="og:title" content="Taylor Swift\'s AMA row seems to be over">'
            '<meta property="og:site_name" content="BBC News">')
    body = "<h1>Taylor Swift is allowed to play her music at the AMAs after all</h1>"
    assert extract_metadata(page(head=head, body=body))["headline"] == (
        "Taylor Swift is allowed to play her music at the AMAs after all")


def test_h1_that_is_the_logo_is_not_the_headline():
    head = "<title>Story title here for real - Example</title><meta property='og:site_name' content='Example'>"
    meta = extract_metadata(page(head=head, body="<h1>Example</h1>"))
    assert meta["headline"] == "Story title here for real"


def test_site_suffix_is_cut_but_separators_in_the_headline_stay():
    head = "<title>Brexit - what happens next - BBC News</title><meta property='og:site_name' content='BBC News'>"
    assert extract_metadata(page(head=head))["headline"] == "Brexit - what happens next"


def test_truncated_meta_headline_is_completed_by_h1():
    head = jsonld({"@type": "NewsArticle", "headline": "Hunter diagnosed with bubonic plague after eating a rabbit"})
    body = "<h1>Hunter diagnosed with bubonic plague after eating a rabbit making him third local</h1>"
    assert extract_metadata(page(head=head, body=body))["headline"].endswith("making him third local")


def test_description_prefers_the_uncut_one_and_decodes_entities():
    head = ('<meta property="og:description" content="Oil prices fell sharply on Tuesday on oversupply...">'
            '<meta name="description" content="Oil prices fell sharply on Tuesday on oversupply concerns &amp;amp; more.">')
    assert extract_metadata(page(head=head))["description"] == (
        "Oil prices fell sharply on Tuesday on oversupply concerns & more.")


def test_byline_classes_and_site_name_filter():
    head = '<meta property="og:site_name" content="USA TODAY">'
    body = ("<h1>H</h1><div class='byline-section'><span class='author'>Kevin Johnson and Kevin McCoy</span>"
            " USA TODAY Published 7:07 PM EST Nov 19, 2019</div>")
    assert extract_metadata(page(head=head, body=body))["authors"] == ["Kevin Johnson", "Kevin McCoy"]


def test_later_structured_source_wins_when_it_names_more_people():
    head = (jsonld({"@type": "NewsArticle", "headline": "H", "author": {"@type": "Person", "name": "April Roach"}})
            + "<meta name='author' content=\"April Roach, Daniel O'Mahony\">")
    assert extract_metadata(page(head=head))["authors"] == ["April Roach", "Daniel O'Mahony"]


def test_free_text_by_line_must_look_like_a_name():
    body = "<h1>H</h1><p>By subscribing I accept the terms</p>"
    assert extract_metadata(page(body=body))["authors"] == []


def test_site_rule_author_selector():
    body = "<h1>H</h1><div class='who'>Words: Jane Doe</div><p class='byline'>By Someone Else</p>"
    meta = extract_metadata(page(body=body), ExtractionRules(author_selector=".who"))
    assert meta["authors"] == ["Jane Doe"]


# ---- language, section, tags, image, canonical ----------------------------------------------

def test_language_normalised_and_checked_against_the_text():
    assert declared_language_code("en-GB") == "en" and declared_language_code("pt_BR") == "pt"
    assert declared_language_code("eng") == "en" and declared_language_code("x") is None
    head = '<meta http-equiv="content-language" content="de">'
    body = "<h1>Die elektronische Patientenakte ist seit Jahren ein viel diskutiertes Thema für die Kliniken und die Ärzte</h1>"
    assert extract_metadata(page(head=head, body=body, lang="en"))["in_language"] == "de"
    assert guess_language("엘제이-류화영 진흙탕 싸움, 공적인 사안으로") == "ko"


def test_multiple_article_tags_are_one_tag_each_and_internal_flags_go():
    head = ('<meta property="article:tag" content="Trump, Donald J">'
            '<meta property="article:tag" content="China">'
            '<meta property="article:tag" content="ctp_video">')
    assert extract_metadata(page(head=head, body="<h1>H</h1>"))["tags"] == ["Trump, Donald J", "China"]


def test_single_keywords_value_is_a_comma_list():
    head = '<meta name="news_keywords" content="Hong Kong, China ,Asia,">'
    assert extract_metadata(page(head=head, body="<h1>H</h1>"))["tags"] == ["Hong Kong", "China", "Asia"]


def test_visible_tag_list_when_no_metadata():
    body = ("<h1>H</h1><ul class='tags-list'><li><a href='/t/russia'>Russia</a></li>"
            "<li><a href='/t/us'>US</a></li></ul>")
    assert extract_metadata(page(body=body))["tags"] == ["Russia", "US"]


def test_section_from_title_and_placements_ignored():
    head = ("<title>Mourinho agrees deal | UK News | Sky News</title><meta property='og:site_name' content='Sky News'>"
            "<meta property='article:section' content='Homepage'>")
    assert extract_metadata(page(head=head, body="<h1>Mourinho agrees deal</h1>"))["section"] == "UK News"


def test_canonical_and_image_are_absolute_with_fallbacks():
    head = '<link rel="canonical" href="/world/story/"><meta property="og:image" content="//cdn.example.com/a.jpg">'
    meta = extract_metadata(page(head=head))
    assert meta["canonical_url"] == "https://news.example.com/world/story/"
    assert meta["main_image"] == "https://cdn.example.com/a.jpg"
    meta = extract_metadata(page(head='<meta property="og:url" content="https://news.example.com/s">'))
    assert meta["canonical_url"] == "https://news.example.com/s"
    meta = extract_metadata(page(head='<meta property="og:image" content="https://x.com/img/opengraph_default.png">'))
    assert meta["main_image"] is None  # the site's placeholder is not the article's image


def test_meta_value_attribute_is_read():
    head = '<meta name="article:section" value="Research and Markets">'
    assert extract_metadata(page(head=head))["section"] == "Research and Markets"


# ---- the seed article ---------------------------------------------------------------------------

LBC_DIR = Path(__file__).parent / "fixtures" / "lbc"
LBC_URL = "https://www.lbc.co.uk/world-news/biden-and-putin-square-off-for-two-hour-call-as-ukraine-tensions-mount/"


@pytest.mark.parametrize("name", ["biden-putin-a.html", "biden-putin-b.html"])
def test_lbc_reconstructions(name):
    path = LBC_DIR / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    meta = extract_metadata(parse_document(path.read_bytes(), LBC_URL))
    assert meta["headline"] == "Biden and Putin square off for two-hour call as Ukraine tensions mount"
    assert to_utc_iso(parse_date(meta["date_published_raw"], LBC_URL)) == "2021-12-07T18:24:00+00:00"
    assert meta["authors"] == ["Press Association"]
    assert meta["tags"] == ["Russia", "US"]
    assert meta["canonical_url"] == LBC_URL


# ---- robustness ---------------------------------------------------------------------------------

_SNIPPETS = st.sampled_from([
    "<h1>", "</h1>", "<title>", "<meta property='og:title' content='", "'>", "<time datetime='",
    '<script type="application/ld+json">{"@type":"NewsArticle","author":', "</script>", "[", "{", '"',
    "<p class='byline'>By ", "<a rel='tag'>", "<ul class='tags'><li><a>", "2021-12-07T18:24:00Z",
    "7 December 2021", "Jane Doe", " and ", ", ", "&amp;", "<link rel='canonical' href='", "null",
])


@given(st.lists(st.one_of(_SNIPPETS, st.text(max_size=12)), max_size=40))
@settings(max_examples=150, deadline=None)
def test_random_markup_never_hits_the_error_path(parts):
    doc = parse_document("<html><head>" + "".join(parts) + "</head><body>" + "".join(parts), URL)
    with patch.object(metadata_module, "logger") as logger:
        meta = extract_metadata(doc)
    assert not logger.exception.called
    assert set(meta) == set(FIELDS)
    assert all(isinstance(name, str) and name for name in meta["authors"])


# ---- the stored date is the extracted date ----------------------------------------------------

def test_numeric_date_is_read_with_the_url_day_month_order_in_the_article():
    # The page prints month/day/year; the URL says 1 June. The Article (what a crawl stores)
    # must agree with the date metadata extraction chose, not flip it to 6 January.
    head = '<meta property="article:published_time" content="06/01/2026 10:00">'
    html = f"<html><head>{head}</head><body><h1>Council reopens the harbour</h1><p>{'Words. ' * 60}</p></body></html>"
    article = newscrawl.extract(html, "https://news.example.com/2026/06/01/harbour")
    assert article.date_published == "2026-06-01T10:00:00+00:00"
    assert article.date_published_raw == "06/01/2026 10:00"


def test_publication_date_only_in_free_text_comes_from_htmldate():
    body = f"<h1>Council reopens the harbour</h1><div class='meta'>Stand: 03.03.2021</div><p>{'Words. ' * 60}</p>"
    article = newscrawl.extract(f"<html><body>{body}</body></html>", "https://news.example.com/harbour")
    assert article.date_published == "2021-03-03T00:00:00+00:00"
    assert article.date_modified is None


def test_htmldate_fallback_never_turns_a_modified_date_into_the_published_one():
    head = '<meta property="article:modified_time" content="2021-12-08T10:00:00Z">'
    body = f"<h1>Council reopens the harbour</h1><p>{'Words. ' * 60}</p><footer>Updated 2021-12-08</footer>"
    article = newscrawl.extract(f"<html><head>{head}</head><body>{body}</body></html>",
                                "https://news.example.com/harbour")
    assert article.date_modified == "2021-12-08T10:00:00+00:00"
    assert article.date_published is None
