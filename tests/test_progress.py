"""The periodic progress line of long crawls (newscrawl.extensions.CrawlProgress)."""

import re

from newscrawl.demo.server import Route
from tests.crawling import run_crawl
from tests.two_sites import NewsSite, original_stories

PROGRESS = re.compile(r"Crawled (\d+) pages \(at \d+ pages/min\), stored (\d+) articles, skipped (\d+), "
                      r"dropped (\d+); elapsed (\d+:\d\d:\d\d), (\d+) requests queued")


def test_progress_line_counts_articles_and_shows_elapsed_time_and_queue(serve, tmp_path):
    site = NewsSite(serve())
    for story in original_stories(6):
        site.publish(story)
    for path, route in list(site.server.routes.items()):
        if path != "/sitemap.xml":
            site.server.routes[path] = Route(body=route.body, delay=0.6)  # ~4 s, one page at a time
    result = run_crawl("news", urls=f"{site.server.base_url}/sitemap.xml", database=tmp_path / "news.db",
                       settings={"LOGSTATS_INTERVAL": "1", "CONCURRENT_REQUESTS": "1", "DATABASE_BATCH_SIZE": "1"})
    assert result.returncode == 0, result.log[-3000:]
    lines = [tuple(m.groups()) for m in PROGRESS.finditer(result.log)]
    assert len(lines) >= 3, result.log[-3000:]
    stored = [int(line[1]) for line in lines]
    assert stored == sorted(stored) and 0 < stored[-1] <= 6
    assert any(int(line[5]) > 0 for line in lines)  # requests were waiting in the queue
    assert lines[-1][4] > lines[0][4]  # elapsed time moves on
