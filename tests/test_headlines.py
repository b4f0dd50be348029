"""Headline choice between the visible <h1> and the page's SEO titles."""

from __future__ import annotations

import json

from newscrawl.extraction.document import parse_document
from newscrawl.extraction.metadata import extract_metadata


def page(h1: str, title: str, jsonld_headline: str, og_title: str | None = None) -> str:
    data = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": jsonld_headline})
    og = f'<meta property="og:title" content="{og_title}">' if og_title else ""
    return (f"<html><head><title>{title}</title>{og}<script type='application/ld+json'>{data}</script></head>"
            f"<body><article><h1>{h1}</h1><p>{'Text of the article. ' * 30}</p></article></body></html>")


def headline(html: str) -> str:
    return extract_metadata(parse_document(html, "https://example.org/a/1"))["headline"]


def test_visible_headline_wins_over_seo_title_that_wraps_it():
    html = page("Unser wahres Ich", "Rutger Bregman: Unser wahres Ich | Magazin",
                "Rutger Bregman: Unser wahres Ich", og_title="Rutger Bregman: Unser wahres Ich")
    assert headline(html) == "Unser wahres Ich"


def test_visible_headline_wins_when_the_title_adds_an_id_and_site():
    html = page("Ferienhaus Feinen", "Ferienhaus Feinen (40222) - Ferienhaus Lierfeld", "Ferienhaus Feinen (40222)")
    assert headline(html) == "Ferienhaus Feinen"


def test_kicker_glued_into_the_h1_is_left_out_when_the_metadata_has_the_headline_alone():
    html = page("<span>Tunesien</span> Große Aufgaben für die neue Regierung", "Tunesien: Große Aufgaben",
                "Große Aufgaben für die neue Regierung", og_title="Große Aufgaben für die neue Regierung")
    assert headline(html) == "Große Aufgaben für die neue Regierung"


def test_unrelated_h1_does_not_replace_the_headline():
    html = page("Newsletter", "Minister resigns over leaked memo - Example News", "Minister resigns over leaked memo")
    assert headline(html) == "Minister resigns over leaked memo"


def plain_page(header: str, title: str, article_heading: str = "") -> str:
    return (f"<html><head><title>{title}</title></head><body><div id='header'>{header}</div>"
            f"<div id='content'>{article_heading}<p>{'Text of the post. ' * 30}</p></div></body></html>")


def test_h1_that_links_to_the_home_page_is_the_site_logo_not_the_headline():
    html = plain_page("<h1><a href='/'>Liebe geht durch den Magen</a></h1>",
                      "Rinderleber mit Apfel und Zwiebel | Liebe geht durch den Magen")
    assert headline(html) == "Rinderleber mit Apfel und Zwiebel"


def test_h1_named_logo_is_the_site_name_and_the_article_h1_wins():
    html = plain_page("<h1 class='logo'><a href='https://example.org/blog/'>Steinzeit &amp; Co</a></h1>",
                      "Werkzeuge des Neandertalers | Steinzeit &amp; Co", "<h1>Werkzeuge des Neandertalers</h1>")
    assert headline(html) == "Werkzeuge des Neandertalers"


ARCHIVED = "https://web.archive.org/web/20140226054445/http://www.time-talks.example/2013/08/07/kinos/"


def test_an_archived_copy_is_read_as_its_original_site():
    # The Wayback Machine rewrites links to /web/<time>/<original>: the logo still links home,
    # and the original host is the site's name, not web.archive.org.
    html = plain_page("<h1><a href='/web/20140226054445/http://www.time-talks.example/'>Time 4 talks</a></h1>",
                      "Digitalisierung der Kinos | time-talks.example")
    doc = parse_document(html.replace("</head>", "<meta name='author' content='time-talks.example'></head>"), ARCHIVED)
    metadata = extract_metadata(doc)
    assert metadata["headline"] == "Digitalisierung der Kinos"
    assert metadata["authors"] == []  # the site's own domain is not an author


def test_h1_linking_to_its_own_article_stays_the_headline():
    html = plain_page("", "Python interning explained | Example Blog", "<header class='entry-header'><h1 class='entry-title'>"
                      "<a href='/a/1'>Interning of small integers in Python</a></h1></header>")
    assert headline(html) == "Interning of small integers in Python"


def test_classic_wordpress_title_loses_its_site_and_blog_archive_parts():
    html = plain_page("<h1><a href='https://example.org'>Four Years Remaining</a></h1>",
                      "Four Years Remaining » Blog Archive » Interning of Small Integers in Python")
    assert headline(html) == "Interning of Small Integers in Python"


def test_a_page_node_named_like_the_h1_does_not_make_the_h1_a_site_name():
    # A JSON-LD WebPage without a publisher names the page, not the site: the visible h1 it
    # agrees with still wins over the article node's SEO headline.
    graph = [{"@type": "NewsArticle", "headline": "Jane Doe: Dramatic video shows rescue of girl in a hotel",
              "publisher": {"@id": "https://example.org/"}},
             {"@type": "WebPage", "name": "Video shows dramatic rescue of girl: 'We got her!'"}]
    html = (f"<html><head><title>Jane Doe: Dramatic video shows rescue of girl in a hotel - Example News</title>"
            f"<script type='application/ld+json'>{json.dumps(graph)}</script></head><body><article>"
            f"<h1>Video shows dramatic rescue of girl: 'We got her!'</h1><p>{'Text of the article. ' * 30}</p>"
            f"</article></body></html>")
    assert headline(html) == "Video shows dramatic rescue of girl: 'We got her!'"


def test_a_title_that_is_only_the_site_name_gives_way_to_the_next_one():
    data = json.dumps({"@type": "WebPage", "name": "Example.org"})
    html = (f"<html><head><meta property='og:title' content='Lorient vs Olympique Lyonnais'>"
            f"<script type='application/ld+json'>{data}</script></head>"
            f"<body><p>{'Le match en direct. ' * 30}</p></body></html>")
    assert headline(html) == "Lorient vs Olympique Lyonnais"
