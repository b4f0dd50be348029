"""`scrapy crawl lbc` against a local copy of LBC pages, read back from SQLite."""

import json

import pytest

from newscrawl.demo.server import Route
from tests.crawling import FIXTURES, read_rows, run_crawl

LBC = FIXTURES / "lbc"
EXPECTED = json.loads((LBC / "expected.json").read_text(encoding="utf-8"))
ARTICLE_A = "/world-news/biden-and-putin-square-off-for-two-hour-call-as-ukraine-tensions-mount/"
ARTICLE_B = "/news/biden-and-putin-square-off-for-two-hour-call-as-tensions-mount-over-ukraine/"


@pytest.fixture
def lbc_site(serve):
    server = serve(routes={
        ARTICLE_A: Route(body=(LBC / "biden-putin-a.html").read_bytes()),
        ARTICLE_B: Route(body=(LBC / "biden-putin-b.html").read_bytes()),
        "/world-news/": Route(body=(LBC / "world-news-section.html").read_bytes()),
    })
    base = server.base_url
    server.routes["/robots.txt"] = Route(
        body=f"User-agent: *\nDisallow: /search/\nSitemap: {base}/sitemaps/news.xml\n".encode(),
        content_type="text/plain")
    server.routes["/sitemaps/news.xml"] = Route(content_type="application/xml", body=f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>{base}{ARTICLE_A}</loc>
    <news:news><news:publication><news:name>LBC</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2021-12-07T18:24:00+00:00</news:publication_date>
      <news:title>{EXPECTED["headline"]}</news:title></news:news></url>
</urlset>""".encode())
    return server


def test_lbc_crawl_stores_the_seed_article_once(lbc_site, tmp_path):
    database = tmp_path / "lbc.db"
    result = run_crawl("lbc", urls=f"{lbc_site.base_url}/robots.txt,{lbc_site.base_url}/world-news/",
                       database=database)
    assert result.returncode == 0, result.log[-3000:]
    # Both the news sitemap and the section page led to articles.
    assert lbc_site.count(ARTICLE_A) == 1
    assert lbc_site.count("/world-news/") == 1

    rows = read_rows(database)
    assert len(rows) == 1, [r["url"] for r in rows]
    row = rows[0]
    assert row["headline"] == EXPECTED["headline"]
    assert row["site"] == "lbc"
    assert str(row["date_published"]).startswith("2021-12-07 18:24")
    assert json.loads(row["authors"]) == ["Press Association"]
    lines = row["article_body"].splitlines()
    assert lines[0] == EXPECTED["body_first_line"] and lines[-1] == EXPECTED["body_last_line"]
    assert not [text for text in EXPECTED["forbidden_in_body"] if text in row["article_body"]]
    # The section page's other links are on the local server only as 404s: counted, not fatal.
    assert result.stats["newscrawl/errors/http_404"] >= 5
    assert "Crawl summary [lbc]" in result.log


def test_lbc_second_markup_at_another_url_is_a_duplicate(lbc_site, tmp_path):
    database = tmp_path / "lbc.db"
    urls = f"{lbc_site.base_url}{ARTICLE_A},{lbc_site.base_url}{ARTICLE_B}"
    result = run_crawl("lbc", urls=urls, database=database)
    assert result.returncode == 0, result.log[-3000:]
    rows = read_rows(database)
    assert len(rows) == 1
    assert result.stats["newscrawl/articles/new"] == 1
    assert result.stats["newscrawl/articles/duplicate"] == 1


def test_lbc_rerun_adds_no_rows(lbc_site, tmp_path):
    database = tmp_path / "lbc.db"
    urls = f"{lbc_site.base_url}/robots.txt"
    first = run_crawl("lbc", urls=urls, database=database)
    assert first.returncode == 0, first.log[-3000:]
    before = read_rows(database)
    second = run_crawl("lbc", urls=urls, database=database)
    assert second.returncode == 0, second.log[-3000:]
    after = read_rows(database)
    assert len(before) == len(after) == 1
    assert second.stats.get("newscrawl/articles/new", 0) == 0
    assert after[0]["last_seen"] >= before[0]["last_seen"]
    assert after[0]["first_seen"] == before[0]["first_seen"]
