"""What a crawl of an unseen site got wrong (issue 8), each against a local site of that shape.

- Wire copies on a second host, crawled before the originals: every copy must point at the
  earliest *published* version, in one run and across runs.
- An article listed in the sitemap and the news sitemap whose markup looks like a section page
  (og:type website, mostly links): stored all the same; a listed page that holds no article is
  remembered and not fetched again until its <lastmod> moves on.
- A numeric date (month/day/year) that only the URL disambiguates: the stored date equals what
  ``newscrawl.extract`` reports for the page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

import newscrawl
from newscrawl.demo.server import Route
from tests.crawling import read_rows, run_crawl
from tests.two_sites import NewsSite, original_stories, prose, syndicate

SYNDICATED = (1, 4, 7)
WIRE_DELAY = timedelta(hours=5)  # the copies appear five hours after the originals


@pytest.fixture
def wire_sites(serve):
    original = NewsSite(serve())
    for story in original_stories(8):
        original.publish(story)
    syndicator = NewsSite(serve(host="127.0.0.2"))
    for n in SYNDICATED:
        story = original.stories[f"wire-story-number-{n}-from-the-agency"]
        copy = syndicate(story, prose(5000 + n, 1)[0], seed=n)
        syndicator.publish(replace(copy, published=story.published + WIRE_DELAY,
                                   modified=story.published + WIRE_DELAY))
    return original, syndicator


def crawl(database, *sitemaps, **settings):
    result = run_crawl("news", urls=",".join(sitemaps), database=database, settings=settings)
    assert result.returncode == 0, result.log[-3000:]
    return result


def assert_copies_point_at_originals(original, syndicator, database):
    rows = {row["url"]: row for row in read_rows(database)}
    assert len(rows) == len(original.stories) + len(syndicator.stories)
    for story in original.stories.values():
        assert rows[original.server.base_url + story.path]["duplicate_of"] is None
    for n in SYNDICATED:
        slug = f"wire-story-number-{n}-from-the-agency"
        copy = rows[f"{syndicator.server.base_url}/news/syndicated-{slug}/"]
        assert copy["duplicate_of"] == rows[f"{original.server.base_url}/news/{slug}/"]["id"]
    return rows


def test_copies_crawled_in_an_earlier_run_are_re_pointed_at_the_original(wire_sites, tmp_path):
    original, syndicator = wire_sites
    database = tmp_path / "news.db"
    first = crawl(database, f"{syndicator.server.base_url}/sitemap.xml")
    assert first.stats["newscrawl/articles/new"] == len(SYNDICATED)  # the copies, alone, are originals
    second = crawl(database, f"{original.server.base_url}/sitemap.xml")
    assert second.stats["newscrawl/articles/near_duplicate_groups_rerooted"] == len(SYNDICATED)
    assert_copies_point_at_originals(original, syndicator, database)


def test_copies_fetched_first_in_the_same_run_point_at_the_original(wire_sites, tmp_path):
    original, syndicator = wire_sites
    for route in original.server.routes.values():  # the original site answers slowly
        route.delay = 1.0
    database = tmp_path / "news.db"
    crawl(database, f"{syndicator.server.base_url}/sitemap.xml", f"{original.server.base_url}/sitemap.xml")
    rows = assert_copies_point_at_originals(original, syndicator, database)
    # The copies really were stored first.
    copies = [r for url, r in rows.items() if "/syndicated-" in url]
    originals = [r for r in rows.values() if r["duplicate_of"] is None]
    assert max(r["first_seen"] for r in copies) < min(r["first_seen"] for r in originals)


# -- sitemap-listed articles ----------------------------------------------------------------------

def section_like_article(base_url: str) -> bytes:
    """A real article (headline, date, long body) in markup that says "website" and is mostly links."""
    paragraphs = "".join(f"<p>{p}</p>" for p in prose(4242, 6))
    links = "".join(f'<li><a href="/news/topic-{i}/">More stories about topic number {i}</a></li>'
                    for i in range(120))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour reopens after the storm | Example News</title>
<meta property="og:type" content="website">
<meta property="article:published_time" content="06/01/2026 10:00"></head>
<body><nav><ul>{links}</ul></nav>
<main><h1>Harbour reopens after the storm</h1><p class="byline">By Demo Reporter</p>{paragraphs}</main>
</body></html>""".encode()


def listing_site(serve):
    """A sitemap and a news sitemap listing a section-like article and a page without an article."""
    server = serve()
    base = server.base_url
    article_path = "/news/2026/06/01/harbour-reopens-after-the-storm/"
    empty_path = "/news/2026/06/01/video-harbour-storm-footage/"
    server.routes[article_path] = Route(body=section_like_article(base))
    server.routes[empty_path] = Route(body=b"<html><head><title>Video</title></head><body><h1>Video: the storm</h1>"
                                           b"<p>Watch the footage.</p></body></html>")

    def sitemaps(lastmod: str) -> None:
        urls = "".join(f"<url><loc>{base}{p}</loc><lastmod>{lastmod}</lastmod></url>"
                       for p in (article_path, empty_path))
        server.routes["/sitemap.xml"] = Route(content_type="application/xml", body=(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode())
        news = "".join(
            f"<url><loc>{base}{p}</loc><news:news><news:publication><news:name>Example</news:name>"
            f"<news:language>en</news:language></news:publication>"
            f"<news:publication_date>2026-06-01T10:00:00Z</news:publication_date>"
            f"<news:title>Harbour</news:title></news:news></url>" for p in (article_path, empty_path))
        server.routes["/news-sitemap.xml"] = Route(content_type="application/xml", body=(
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{news}</urlset>').encode())

    sitemaps("2026-06-01T10:00:00Z")
    return server, article_path, empty_path, sitemaps


def test_sitemap_listed_article_that_looks_like_a_section_is_stored(serve, tmp_path):
    server, article_path, _empty, _ = listing_site(serve)
    database = tmp_path / "news.db"
    crawl(database, f"{server.base_url}/sitemap.xml", f"{server.base_url}/news-sitemap.xml")
    [row] = read_rows(database)
    assert row["url"] == server.base_url + article_path
    assert row["headline"] == "Harbour reopens after the storm"
    assert len(row["article_body"].split()) > 150


def test_stored_date_equals_the_extracted_date(serve, tmp_path):
    server, article_path, _empty, _ = listing_site(serve)
    database = tmp_path / "news.db"
    crawl(database, f"{server.base_url}/news-sitemap.xml")
    [row] = read_rows(database)
    url = server.base_url + article_path
    extracted = newscrawl.extract(section_like_article(server.base_url), url)
    assert extracted.date_published == "2026-06-01T10:00:00+00:00"  # 06/01/2026, and the URL says 1 June
    assert row["date_published"].startswith("2026-06-01 10:00:00")
    assert row["date_published_raw"] == extracted.date_published_raw


def test_listed_page_without_an_article_is_not_fetched_again_until_it_changes(serve, tmp_path):
    server, article_path, empty_path, sitemaps = listing_site(serve)
    database = tmp_path / "news.db"
    seeds = (f"{server.base_url}/sitemap.xml", f"{server.base_url}/news-sitemap.xml")
    crawl(database, *seeds)
    [remembered] = read_rows(database, "non_article_pages")
    assert remembered["url"] == server.base_url + empty_path
    assert server.count(empty_path) == 1

    again = crawl(database, *seeds)  # cron: nothing changed
    assert server.count(empty_path) == 1 and server.count(article_path) == 1
    assert again.stats["newscrawl/skipped/known_non_article"] == 1
    assert again.stats["newscrawl/skipped/already_stored"] == 1

    sitemaps(datetime.now(timezone.utc).isoformat())  # both pages changed, by their sitemap dates
    crawl(database, *seeds)
    assert server.count(empty_path) == 2 and server.count(article_path) == 2
    [still] = read_rows(database, "non_article_pages")
    assert still["last_checked"] > remembered["last_checked"]


JAPANESE_SENTENCES = ("東京の港は嵐のあと三日ぶりに再開した。", "市は船の運航を金曜日から始めると発表した。",
                      "漁業関係者は被害の調査を続けている。", "気象庁は週末に再び強い風が吹くと予想している。")


def test_listed_short_brief_and_article_in_an_unspaced_script_are_stored(serve, tmp_path):
    """A breaking-news brief that declares itself an article, and a Japanese article (no spaces
    between words) that declares nothing: a sitemap lists both, so both are stored."""
    server = serve()
    base = server.base_url
    brief = " ".join(prose(77, 2))[:380]  # about 55 words
    japanese = "".join(JAPANESE_SENTENCES[i % 4] for i in range(12))  # about 230 characters
    pages = {
        "/news/2026/06/02/ferry-services-resume/": f"""<html><head><title>Ferry services resume</title>
<meta property="og:type" content="article"></head><body><h1>Ferry services resume</h1><p>{brief}</p></body></html>""",
        "/news/2026/06/02/harbour-reopens-jp/": f"""<html lang="ja"><head><title>港が三日ぶりに再開</title></head>
<body><h1>港が三日ぶりに再開</h1><p>{japanese}</p><p>{japanese[::-1]}</p></body></html>""",
    }
    for path, body in pages.items():
        server.routes[path] = Route(body=body.encode())
    urls = "".join(f"<url><loc>{base}{path}</loc></url>" for path in pages)
    server.routes["/sitemap.xml"] = Route(content_type="application/xml", body=(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode())
    database = tmp_path / "news.db"
    result = crawl(database, f"{base}/sitemap.xml")
    rows = {row["url"].removeprefix(base): row for row in read_rows(database)}
    assert set(rows) == set(pages), result.log[-3000:]
    assert rows["/news/2026/06/02/harbour-reopens-jp/"]["headline"] == "港が三日ぶりに再開"
    assert japanese in rows["/news/2026/06/02/harbour-reopens-jp/"]["article_body"]
