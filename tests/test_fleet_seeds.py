"""`scrapy seed`: seeds added to a fleet run under way are fetched by its running worker, once.

A real worker (`scrapy crawl news` with REDIS_URL) crawls seed A, a sitemap whose articles the
site holds back; `scrapy seed` adds seed B (a second sitemap) meanwhile. Also its refusals: no
REDIS_URL, no fleet run under way, Redis unreachable, a bad or off-site URL.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis

from newscrawl.demo.server import Route, SiteServer
from newscrawl.fleet.run import FleetRun
from pipelines.runlock import run_lock_key
from tests.crawling import read_rows, run_crawl, run_scrapy
from tests.servers import _free_port
from tests.two_sites import START, Story, page, prose

FLEET = {"MAX_IDLE_TIME_BEFORE_CLOSE": "5", "DOWNLOAD_TIMEOUT": "240"}
WAIT = 180  # seconds to wait for the worker to be in its fleet run, on a loaded machine


class HeldSite(SiteServer):
    """Holds the pages under /news/held- back until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__(routes={})
        self.release = threading.Event()

    def resolve(self, raw_path: str):
        if raw_path.startswith("/news/held-"):
            self.release.wait(timeout=WAIT)
        return super().resolve(raw_path)


def stories(prefix: str, first: int) -> list[Story]:
    return [Story(slug=f"{prefix}-story-{n}", headline=f"Story number {n} about the {prefix} harbour",
                  paragraphs=prose(n), published=START + timedelta(hours=n), modified=START + timedelta(hours=n))
            for n in range(first, first + 3)]


def sitemap(site, listed: list[Story]) -> Route:
    urls = "".join(f"<url><loc>{site.base_url}{s.path}</loc></url>" for s in listed)
    return Route(content_type="application/xml", body=(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode())


@pytest.fixture
def held_site():
    site = HeldSite()
    site.start()
    held, added = stories("held", 0), stories("added", 10)
    site.routes.update({s.path: Route(body=page(s)) for s in held + added})
    site.routes["/a.xml"], site.routes["/b.xml"] = sitemap(site, held), sitemap(site, added)
    site.held, site.added = held, added
    try:
        yield site
    finally:
        site.release.set()
        site.stop()


def wait_for_fleet_run(server, fleet_name: str) -> str:
    probe = FleetRun(server, fleet_name, "test")
    deadline = time.monotonic() + WAIT
    while probe.attach() is None:
        assert time.monotonic() < deadline, "the worker never joined a fleet run"
        time.sleep(0.2)
    return probe.run_id


def test_seeds_added_to_a_running_fleet_are_fetched_by_its_worker_once(held_site, redis_url, tmp_path):
    site, database = held_site, tmp_path / "news.db"
    seed_a, seed_b = f"{site.base_url}/a.xml", f"{site.base_url}/b.xml"
    server = redis.Redis.from_url(redis_url)
    with ThreadPoolExecutor(1) as pool:
        worker = pool.submit(run_crawl, "news", urls=seed_a, database=database,
                             settings={**FLEET, "REDIS_URL": redis_url}, timeout=600)
        run_id = wait_for_fleet_run(server, run_lock_key(SimpleNamespace(name="news", seeds=[seed_a])))
        while not site.count("/a.xml"):  # seed A popped: it is in the run's seen-set
            assert not worker.done(), worker.result().log[-4000:]
            time.sleep(0.2)
        added = run_scrapy("seed", "news", seed_b, seed_a, "-a", f"urls={seed_a}", "-s", f"REDIS_URL={redis_url}")
        again = run_scrapy("seed", "news", seed_b, "-a", f"urls={seed_a}", "-s", f"REDIS_URL={redis_url}")
        site.release.set()
        result = worker.result()
    assert added.returncode == 0, added.stdout + added.stderr
    assert f"Fleet run {run_id} (queue newscrawl:news {site.base_url.removeprefix('http://')}:{run_id}:requests): " \
           "1 seed(s) pushed, 1 already seen" in added.stdout
    assert f"pushed        {seed_b}" in added.stdout and f"already seen  {seed_a}" in added.stdout
    assert again.returncode == 0 and "0 seed(s) pushed, 1 already seen" in again.stdout, again.stdout

    assert result.returncode == 0, result.log[-4000:]
    assert site.count("/b.xml") == 1
    stored = sorted(row["url"] for row in read_rows(database))
    assert stored == sorted(f"{site.base_url}{s.path}" for s in site.held + site.added)  # each once
    assert all(site.count(s.path) == 1 for s in site.added)
    runs = read_rows(database, "crawl_runs")
    assert [(run["fleet_run"], run["new"], run["status"]) for run in runs] == [(run_id, 6, "ok")]


def test_seed_without_a_fleet_run_under_way_pushes_nothing(redis_url):
    done = run_scrapy("seed", "news", "http://127.0.0.1:9/b.xml", "-a", "urls=http://127.0.0.1:9/a.xml",
                      "-s", f"REDIS_URL={redis_url}")
    assert done.returncode == 1
    assert "Nothing pushed: no fleet run of 'news 127.0.0.1:9' is under way" in done.stdout
    assert redis.Redis.from_url(redis_url).keys("newscrawl:*") == []


@pytest.mark.parametrize("arguments, message", [
    (["http://127.0.0.1:9/b.xml", "-a", "urls=http://127.0.0.1:9/a.xml"], "no REDIS_URL"),
    (["ftp://127.0.0.1:9/b.xml", "-a", "urls=http://127.0.0.1:9/a.xml", "-s", "REDIS_URL=redis://127.0.0.1:9/0"],
     "URL 'ftp://127.0.0.1:9/b.xml': not an absolute http(s) URL"),
    (["http://elsewhere.example/b.xml", "-a", "urls=http://127.0.0.1:9/a.xml", "-s", "REDIS_URL=redis://127.0.0.1:9/0"],
     "URL 'http://elsewhere.example/b.xml': its host is not one of this fleet's"),
    (["http://127.0.0.1:9/b.xml", "-s", "REDIS_URL=redis://127.0.0.1:9/0"], "spider 'news' needs seeds"),
    (["-s", "REDIS_URL=redis://127.0.0.1:9/0"], "at least one URL"),
])
def test_seed_refuses_bad_arguments_naming_them(arguments, message):
    done = run_scrapy("seed", "news", *arguments)
    assert done.returncode == 2
    assert message in done.stderr, done.stderr


def test_seed_with_redis_unreachable_says_so_without_the_password():
    done = run_scrapy("seed", "news", "http://127.0.0.1:9/b.xml", "-a", "urls=http://127.0.0.1:9/a.xml",
                      "-s", f"REDIS_URL=redis://:secret@127.0.0.1:{_free_port()}/0")
    assert done.returncode == 1
    assert "Cannot reach Redis at redis://:***@127.0.0.1:" in done.stdout
    assert "secret" not in done.stdout + done.stderr
