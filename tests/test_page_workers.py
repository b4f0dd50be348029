"""Extraction in a worker process (EXTRACTION_PROCESSES) stores the same stories as extraction in
the crawl process, on real crawls of a local site; a bad setting is refused; a dead worker loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscrawl.demo.server import Route
from tests.crawling import FAST, PROJECT_DIR, read_rows, run_crawl
from tests.generated_site import articles, build_routes

DEMO_SITE = Path(__file__).resolve().parents[1] / "newscrawl" / "demo" / "site"
# What identifies each stored story. Which of two URLs of one story becomes its row, and so that
# row's page-specific fields, depends on which response is processed first: with a worker the
# crawl goes on downloading while pages are extracted, so that order follows the network, as it
# does on any real site.
COMPARED = ("canonical_url", "site", "headline", "content_hash")


def _stored(database: Path) -> tuple[list[tuple], int]:
    rows = read_rows(database)
    linked = sum(1 for row in rows if row["duplicate_of"] is not None)
    return sorted(tuple(row[name] for name in COMPARED) for row in rows), linked


@pytest.mark.parametrize("site", ["demo", "generated"])
def test_a_worker_process_stores_what_the_crawl_process_stores(serve, tmp_path, site):
    if site == "demo":
        server = serve(root=DEMO_SITE)
        seeds = f"{server.base_url}/robots.txt,{server.base_url}/"
    else:
        server = serve()
        server.routes.update(build_routes(server.base_url))
        seeds = f"{server.base_url}/robots.txt,{server.base_url}/"
    stored = {}
    for processes in ("0", "1"):
        database = tmp_path / f"workers-{processes}.db"
        result = run_crawl("news", urls=seeds, database=database, settings={"EXTRACTION_PROCESSES": processes})
        assert result.returncode == 0, result.log[-3000:]
        assert "extraction worker process failed" not in result.log
        stored[processes] = _stored(database)
    assert len(stored["1"][0]) >= (7 if site == "demo" else 150)
    assert stored["1"] == stored["0"]
    if site == "demo":
        assert stored["1"][1] == 1  # the syndicated copy, linked


def test_a_bad_extraction_processes_setting_is_refused_naming_it(serve, tmp_path):
    server = serve(root=DEMO_SITE)
    result = run_crawl("news", urls=f"{server.base_url}/", database=tmp_path / "bad.db",
                       settings={"EXTRACTION_PROCESSES": "many"})
    assert result.returncode != 0
    assert "EXTRACTION_PROCESSES must be a non-negative integer, got 'many'" in result.log
    assert not server.requests


def test_a_crawl_whose_worker_dies_goes_on_in_the_crawl_process(serve, tmp_path):
    """kill -9 of the extraction worker mid-crawl: one warning, and every article is still stored."""
    server = serve()
    routes = build_routes(server.base_url)
    for article in articles():  # slow pages, so that the worker is killed mid-crawl
        routes[article.path] = Route(body=routes[article.path].body, delay=0.05)
    server.routes.update(routes)
    database = tmp_path / "worker-killed.db"
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={server.base_url}/robots.txt",
               "-s", f"DATABASE_URL=sqlite:///{database}", "-s", "EXTRACTION_PROCESSES=1"]
    for name, value in FAST.items():
        command += ["-s", f"{name}={value}"]
    crawl = subprocess.Popen(command, cwd=PROJECT_DIR, env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    paths = {a.path for a in articles()}
    deadline = time.monotonic() + 60
    while sum(1 for p in list(server.requests) if p in paths) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = Path(f"/proc/{crawl.pid}/task/{crawl.pid}/children").read_text().split()
    # The extraction worker is the Python child (render=auto also starts Playwright's driver).
    workers = [pid for pid in children if os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(sys.executable)]
    assert len(workers) == 1, children
    os.kill(int(workers[0]), signal.SIGKILL)
    _, log = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, log[-3000:]
    assert log.count("The extraction worker process failed") == 1
    sitemap_listed = {a.path for a in articles() if "sitemap" in a.via or "news" in a.via}
    stored = {row["url"].removeprefix(server.base_url) for row in read_rows(database)}
    assert sitemap_listed <= stored
