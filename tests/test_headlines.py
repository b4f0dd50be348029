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
