"""A crawl killed halfway and started again finishes the rest: nothing lost, nothing stored twice."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from newscrawl.demo.server import Route
from tests.crawling import FAST, PROJECT_DIR, read_rows, run_crawl
from tests.generated_site import articles, build_routes

# The site's few script-rendered pages stay out of the browser: this is about the database checkpoint.
RENDER = "never"


@pytest.fixture
def slow_site(serve):
    server = serve()
    routes = build_routes(server.base_url)
    for article in articles():  # slow article pages, so that the kill lands mid-crawl
        routes[article.path] = Route(body=routes[article.path].body, delay=0.15)
    server.routes.update(routes)
    return server


def start_crawl(base_url, database):
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={base_url}/robots.txt,{base_url}/",
               "-a", f"render={RENDER}", "-s", f"DATABASE_URL=sqlite:///{database}", "-s", "DATABASE_BATCH_SIZE=10"]
    for name, value in FAST.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    return subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_for_article_requests(server, count, timeout=60):
    paths = {a.path for a in articles()}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for p in list(server.requests) if p in paths) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the crawl did not reach {count} article requests")


def article_requests(server):
    paths = {a.path for a in articles()}
    return Counter(p for p in server.requests if p in paths)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_killed_crawl_resumes_with_nothing_lost_or_doubled(slow_site, tmp_path, sig):
    database = tmp_path / "resume.db"
    crawl = start_crawl(slow_site.base_url, database)
    wait_for_article_requests(slow_site, 60)
    crawl.send_signal(sig)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode != 0, stderr[-2000:]  # cut short, by a kill or a signal: cron sees it
    stored_first = {row["url"] for row in read_rows(database)}
    first_requests = article_requests(slow_site)
    assert 0 < len(stored_first) < len(articles()), "the kill must land mid-crawl"

    slow_site.requests.clear()
    result = run_crawl("news", urls=f"{slow_site.base_url}/robots.txt,{slow_site.base_url}/", database=database,
                       args={"render": RENDER})
    assert result.returncode == 0, result.log[-3000:]

    rows = read_rows(database)
    urls = [row["url"] for row in rows]
    assert len(urls) == len(set(urls)) == len(articles())  # every article, once
    second_requests = article_requests(slow_site)
    refetched = {url.removeprefix(slow_site.base_url) for url in stored_first} & set(second_requests)
    assert not refetched, "articles stored by the killed run are not downloaded again"
    assert result.stats["newscrawl/skipped/already_stored"] == len(stored_first)
    if sig == signal.SIGTERM:
        # A graceful stop stores everything it fetched: no article is downloaded twice in all.
        assert set(first_requests) & set(second_requests) == set()
    runs = read_rows(database, "crawl_runs")
    assert runs[-1]["status"] == "ok" and runs[0]["status"] != "running"
    if sig == signal.SIGTERM:
        assert crawl.returncode == 1 and "status=INTERRUPTED" in stderr
        assert (runs[0]["status"], runs[0]["finish_reason"]) == ("interrupted", "shutdown")
