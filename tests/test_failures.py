"""Failures cron must see: runs whose every article is dropped, invalid site selectors, retries of
failed downloads spaced like 5xx retries, pinned direct imports. Real `scrapy crawl` runs against
a local server, read back from SQLite."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.demo.server import Route
from newscrawl import stats as keys
from newscrawl.extensions import CrawlSummary
from tests.crawling import PROJECT_DIR, copy_project, read_rows, run_crawl
from tests.test_runs import story

LONG_BODY = {"<p>": "<p>" + "The harbour master spoke again about the repairs. " * 120}  # ~6,000 more characters
THRESHOLD = {"VALIDATION_MIN_BODY_CHARS": "5000"}  # the generated stories have ~2,500


def serve_stories(serve, stories: dict[int, dict]):
    """A site of generated stories (number -> text changes); returns (server, comma-separated URLs)."""
    server = serve(routes=dict(story(number, **changes) for number, changes in stories.items()))
    return server, ",".join(f"{server.base_url}{story(number)[0]}" for number in stories)


# -- a run that stores nothing of what it fetched ------------------------------------------------


def test_run_whose_every_article_is_dropped_fails_naming_reasons_and_counts(serve, tmp_path):
    _, urls = serve_stories(serve, {1: {}, 2: {}, 3: {}})
    database = tmp_path / "news.db"
    result = run_crawl("news", urls=urls, database=database, settings=THRESHOLD)
    assert result.returncode == 1, result.log[-3000:]
    message = "no article stored: validation dropped 3 of 3 article pages (body_too_short: 3)"
    assert re.search(r"\] ERROR: Crawl summary \[news\]: .* status=FAILED \(" + re.escape(message) + r"\)", result.log)
    assert read_rows(database) == []
    [run] = read_rows(database, "crawl_runs")
    assert (run["status"], run["fatal"], run["dropped"], run["articles"]) == ("failed", message, 3, 3)


def test_run_that_drops_most_articles_is_degraded(serve, tmp_path):
    _, urls = serve_stories(serve, {1: LONG_BODY, 2: {}, 3: {}, 4: {}})
    database = tmp_path / "news.db"
    result = run_crawl("news", urls=urls, database=database, settings=THRESHOLD)
    assert result.returncode == 0, result.log[-3000:]
    message = "validation dropped 3 of 4 article pages (body_too_short: 3)"
    assert re.search(r"\] WARNING: Crawl summary \[news\]: .*new=1 .* status=DEGRADED \(" + re.escape(message) + r"\)",
                     result.log), result.log[-3000:]
    assert [row["headline"] for row in read_rows(database)] == ["Story number 1 from the world desk"]
    [run] = read_rows(database, "crawl_runs")
    assert (run["status"], run["fatal"], run["new"], run["dropped"]) == ("degraded", None, 1, 3)
    assert message in run["stats"]


@pytest.mark.parametrize("stats,fatal,degraded", [
    ({"newscrawl/pages/article": 4, "newscrawl/articles/new": 2, "newscrawl/dropped": 2,
      "newscrawl/dropped/body_too_short": 2}, None, None),  # half dropped: not most
    ({"newscrawl/pages/article": 5, "newscrawl/articles/unchanged": 2, "newscrawl/dropped": 3,
      "newscrawl/dropped/no_body": 2, "newscrawl/dropped/no_headline": 1},
     None, "validation dropped 3 of 5 article pages (no_body: 2, no_headline: 1)"),
    ({"newscrawl/pages/article": 3, "newscrawl/articles/near_duplicate": 1, "newscrawl/dropped": 2,
      "newscrawl/dropped/no_body": 2}, None, "validation dropped 2 of 3 article pages (no_body: 2)"),
    ({"newscrawl/pages/article": 2, "newscrawl/dropped": 2, "newscrawl/dropped/no_body": 1,
      "newscrawl/dropped/no_headline": 1},
     "no article stored: validation dropped 2 of 2 article pages (no_body: 1, no_headline: 1)", None),
    ({"newscrawl/skipped/already_stored": 9}, None, None),  # a quiet cron run: nothing new to fetch
])
def test_verdict_from_the_counts(stats, fatal, degraded):
    crawler = get_crawler()
    crawler.stats.open_spider()
    for name, value in stats.items():
        crawler.stats.set_value(name, value)
    CrawlSummary(crawler).spider_closed(type("Spider", (), {"name": "news"})(), "finished")
    assert crawler.stats.get_value(keys.FATAL) == fatal
    assert crawler.stats.get_value(keys.DEGRADED) == degraded


# -- an invalid CSS selector in a site entry ------------------------------------------------------

BAD_ENTRY = """\
name = "brokensite"
title = "Broken Site"
allowed_domains = ["127.0.0.1"]
seeds = ["http://127.0.0.1/robots.txt"]

[extraction]
author_selector = "span.byline::text"
"""


def project_with_site_entry(tmp_path: Path, name: str, text: str) -> Path:
    """A copy of the project whose registry holds one more entry (the real folder stays untouched)."""
    project = copy_project(tmp_path)
    (project / "newscrawl" / "sites" / f"{name}.toml").write_text(text, encoding="utf-8")
    return project


def test_crawl_of_a_site_entry_with_an_invalid_selector_is_refused(serve, tmp_path):
    project = project_with_site_entry(tmp_path, "brokensite", BAD_ENTRY)
    result = run_crawl("brokensite", database=tmp_path / "news.db", project=project)
    assert result.returncode == 2, result.log[-3000:]
    assert re.search(r"error: invalid site entry: site 'brokensite' \(brokensite.toml\): field "
                     r"extraction.author_selector: .*invalid CSS selector 'span.byline::text'", result.log), result.log
    assert "Traceback" not in result.log
    assert not (tmp_path / "news.db").exists()  # refused before anything started

    # The other spiders still run, and say which entry they ignored.
    _, urls = serve_stories(serve, {1: {}})
    other = run_crawl("news", urls=urls, database=tmp_path / "other.db", project=project)
    assert other.returncode == 0, other.log[-3000:]
    assert re.search(r"WARNING: Site entry ignored: site 'brokensite' .*extraction.author_selector", other.log)
    assert len(read_rows(tmp_path / "other.db")) == 1


# -- failed downloads are retried with backoff ----------------------------------------------------


def test_timeouts_are_retried_with_exponential_backoff(serve, tmp_path):
    server, url = serve_stories(serve, {})
    path = "/world/a-server-that-never-answers-in-time/"
    server.routes[path] = Route(body=b"<html></html>", delay=3)
    result = run_crawl("news", urls=server.base_url + path, database=tmp_path / "news.db",
                       settings={"DOWNLOAD_TIMEOUT": "0.5", "RETRY_TIMES": "2", "RETRY_BACKOFF_BASE": "1"})
    times = [t for p, t in server.request_times if p == path]
    assert len(times) == 3, server.request_times
    # Each attempt waits the 0.5 s timeout, then 1 s and 2 s of backoff before the next (an
    # immediate retry would come 0.5 s later).
    first_gap, second_gap = times[1] - times[0], times[2] - times[1]
    assert first_gap >= 1.0 + 0.4 and second_gap >= 2.0 + 0.4, (first_gap, second_gap)
    assert result.stats["newscrawl/retry/after_download_error"] == 2
    assert result.stats["newscrawl/errors/timeout"] == 1  # counted by kind once retries gave up
    assert result.returncode == 1  # its only article request failed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", ["connection_refused", "dns"])
def test_refused_connections_and_dns_failures_are_retried_with_exponential_backoff(tmp_path, kind):
    # Nothing listens on a free port; .invalid never resolves (RFC 6761).
    host = f"127.0.0.1:{free_port()}" if kind == "connection_refused" else "no-such-host.invalid"
    url = f"http://{host}/world/a-server-that-is-down/"
    result = run_crawl("news", urls=url, database=tmp_path / "news.db",
                       settings={"RETRY_TIMES": "2", "RETRY_BACKOFF_BASE": "0.5", "ROBOTSTXT_OBEY": "0",
                                 "LOG_LEVEL": "DEBUG"})
    schedule = re.findall(r"Retrying " + re.escape(url) + r" in ([\d.]+) s", result.log)
    assert schedule == ["0.5", "1.0"], result.log[-3000:]
    assert result.stats["newscrawl/retry/waited_seconds"] == 1.5
    assert result.stats["newscrawl/errors/article_requests"] == result.stats[f"newscrawl/errors/{kind}"] == 1
    assert result.returncode == 1


# -- dependencies ---------------------------------------------------------------------------------


def test_direct_imports_are_pinned():
    pinned = {line.split("==")[0].split("[")[0].strip().lower()
              for line in (PROJECT_DIR / "requirements.txt").read_text().splitlines() if "==" in line}
    for name in ("dateparser", "cssselect"):  # imported by newscrawl.extraction.dates, newscrawl.sites
        assert name in pinned
