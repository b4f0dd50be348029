"""Discovery on a generated 200-page site: every article found, no navigation page stored."""

import pytest

from tests.crawling import read_rows, run_crawl
from pathlib import Path

from tests.generated_site import SECTIONS, articles, build_routes, js_article_paths


@pytest.fixture
def news_site(serve):
    server = serve()
    server.routes.update(build_routes(server.base_url))
    return server


def stored_paths(database, base):
    return {row["url"].removeprefix(base) for row in read_rows(database)}


def test_every_article_is_found_from_robots_txt_feed_and_home(news_site, tmp_path):
    base = news_site.base_url
    assert len(news_site.routes) >= 200
    database = tmp_path / "site.db"
    result = run_crawl("news", urls=f"{base}/robots.txt,{base}/feed.xml,{base}/", database=database,
                       args={"render": "never"})
    assert result.returncode == 0, result.log[-3000:]

    expected = {a.path for a in articles()}
    # All found, nothing else stored (pages that need a browser are not, with render=never).
    assert stored_paths(database, base) == expected
    # Each article downloaded once, despite tracking parameters, fragments and repeated links.
    article_requests = [p for p in news_site.requests if p.split("?")[0] in expected]
    assert len(article_requests) == len(expected)
    stats = result.stats
    assert stats["newscrawl/discovery/sitemapindex"] == 2
    assert stats["newscrawl/discovery/urlset"] == 3
    assert stats["newscrawl/discovery/feed"] >= 1
    assert stats["newscrawl/discovery/pagination_links"] >= 3 * len(SECTIONS)
    assert stats["newscrawl/pages/article"] == len(expected)
    assert stats["newscrawl/pages/navigation"] >= 10


def test_since_skips_old_articles_before_download(news_site, tmp_path):
    base = news_site.base_url
    since = articles()[100].published
    database = tmp_path / "since.db"
    result = run_crawl("news", urls=f"{base}/robots.txt", database=database,
                       args={"since": since.isoformat()})
    assert result.returncode == 0, result.log[-3000:]
    in_sitemaps = [a for a in articles() if "sitemap" in a.via or "news" in a.via]
    old = {a.path for a in in_sitemaps if a.published < since}
    new = {a.path for a in in_sitemaps if a.published >= since}
    assert old and new
    fetched = {p.split("?")[0] for p in news_site.requests}
    assert not (old & fetched), "old sitemap articles must not be downloaded"
    assert stored_paths(database, base) == new
    # The three script-rendered pages are old too (news sitemap date): skipped without download.
    assert result.stats["newscrawl/skipped/outside_date_window"] == len(old) + len(js_article_paths())


def test_max_articles_and_max_pages_bound_the_crawl(news_site, tmp_path):
    base = news_site.base_url
    database = tmp_path / "bounded.db"
    result = run_crawl("news", urls=f"{base}/world/", database=database, args={"max_articles": 7, "max_pages": 2})
    assert result.returncode == 0, result.log[-3000:]
    assert len(read_rows(database)) == 7
    section_pages = [p for p in news_site.requests if p.startswith("/world/?page=")]
    assert len(section_pages) <= 2


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Chromium is not installed at /usr/bin/chromium")
def test_render_auto_renders_only_the_pages_that_need_it(news_site, tmp_path):
    base = news_site.base_url
    database = tmp_path / "render.db"
    result = run_crawl("news", urls=f"{base}/robots.txt,{base}/", database=database, args={"render": "auto"},
                       settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    expected = {a.path for a in articles()} | set(js_article_paths())
    assert stored_paths(database, base) == expected
    assert result.stats["newscrawl/rendering/retried_in_browser"] == len(js_article_paths())
    rendered = {line.split("<GET ")[1].split(">")[0].removeprefix(base)
                for line in result.log.splitlines() if "Crawled (200)" in line and "['playwright']" in line}
    assert rendered == set(js_article_paths())


def test_articles_are_fetched_before_further_navigation(news_site, tmp_path):
    base = news_site.base_url
    result = run_crawl("news", urls=f"{base}/world/", database=tmp_path / "order.db",
                       settings={"CONCURRENT_REQUESTS": "1", "ROBOTSTXT_OBEY": "False"})
    assert result.returncode == 0, result.log[-3000:]
    order = [p for p in news_site.requests if p.startswith("/world/")]
    first_listing = [p for p in order if p.startswith("/world/story-")][:10]
    next_page = order.index("/world/?page=2")
    assert all(order.index(p) < next_page for p in first_listing)
