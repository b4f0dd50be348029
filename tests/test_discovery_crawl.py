"""Discovery on a generated 200-page site: every article found, no navigation page stored."""

import pytest

from tests.crawling import read_rows, run_crawl
from tests.generated_site import SECTIONS, articles, build_routes


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
    result = run_crawl("news", urls=f"{base}/robots.txt,{base}/feed.xml,{base}/", database=database)
    assert result.returncode == 0, result.log[-3000:]

    expected = {a.path for a in articles()}
    assert stored_paths(database, base) == expected  # all found, nothing else stored
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
    assert result.stats["newscrawl/skipped/outside_date_window"] == len(old)


def test_max_articles_and_max_pages_bound_the_crawl(news_site, tmp_path):
    base = news_site.base_url
    database = tmp_path / "bounded.db"
    result = run_crawl("news", urls=f"{base}/world/", database=database, args={"max_articles": 7, "max_pages": 2})
    assert result.returncode == 0, result.log[-3000:]
    assert len(read_rows(database)) == 7
    section_pages = [p for p in news_site.requests if p.startswith("/world/?page=")]
    assert len(section_pages) <= 2
