"""Fleet-wide per-site politeness (newscrawl.fleet.politeness): limits shared through Redis.

Two `scrapy crawl news` workers on one slow site with CONCURRENT_REQUESTS_PER_DOMAIN=2 never have
more than 2 requests in flight at the site together (each would have 2 on its own), and pages
that end in a download error, a 404 or robots.txt's refusal leave no lease behind. The Lua
scripts against a real Redis: the limit holds for concurrent acquirers, a dead worker's leases
expire, a heartbeat keeps live ones, and start times are reserved DOWNLOAD_DELAY apart.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from scrapy.settings import Settings

from newscrawl import stats as keys
from newscrawl.demo.server import Route, SiteServer
from newscrawl.fleet.addon import FleetAddon
from newscrawl.fleet.politeness import SiteLimits
from newscrawl.setting_values import check_settings
from tests.crawling import read_rows, run_crawl
from tests.generated_site import _sitemap as sitemap
from tests.fleet_site import stories as fleet_stories
from tests.two_sites import Story, page

ARTICLES = 60
ARTICLE_DELAY = 0.3  # seconds per article page, so that requests overlap
LIMIT = 2  # CONCURRENT_REQUESTS_PER_DOMAIN: each worker's own, and the fleet's
WORKERS = 2
BROKEN = [f"/news/broken-{n}/" for n in range(3)]  # truncated answers: download errors
MISSING = [f"/news/missing-{n}/" for n in range(3)]  # 404
FORBIDDEN = [f"/private/story-{n}/" for n in range(3)]  # refused by robots.txt, before any lease
TIMEOUT = 300  # seconds per worker, for a loaded machine


class InFlightSite(SiteServer):
    """Records the most requests it was answering at once."""

    def __init__(self, routes: dict) -> None:
        super().__init__(routes=routes)
        self.in_flight = 0
        self.max_in_flight = 0
        self._flight_lock = threading.Lock()

    def _moved(self, step: int) -> None:
        with self._flight_lock:
            self.in_flight += step
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _handler_class(self):
        site = self

        class CountingHandler(super()._handler_class()):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                site._moved(1)
                try:
                    super().do_GET()
                finally:
                    site._moved(-1)

        return CountingHandler


def stories() -> list[Story]:
    return fleet_stories(ARTICLES)


@pytest.fixture
def slow_site():
    site = InFlightSite({})
    listed = [s.path for s in stories()] + BROKEN + MISSING + FORBIDDEN
    site.routes.update({s.path: Route(body=page(s), delay=ARTICLE_DELAY) for s in stories()})
    site.routes.update({path: Route(body=b"<html>", content_length=5000) for path in BROKEN})
    site.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.routes["/sitemap.xml"] = Route(content_type="application/xml", body=sitemap(listed, site.base_url))
    with site:
        yield site


def test_two_workers_together_keep_the_per_site_limit(slow_site, redis_url, postgres_url):
    # A small delay: with none, Scrapy 2.19 starts every queued request of a slot at once.
    settings = {"REDIS_URL": redis_url, "CONCURRENT_REQUESTS_PER_DOMAIN": str(LIMIT), "DOWNLOAD_DELAY": "0.02",
                "MAX_IDLE_TIME_BEFORE_CLOSE": "5", "DOWNLOAD_TIMEOUT": "120"}
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(run_crawl, "news", urls=f"{slow_site.base_url}/sitemap.xml",
                               database=postgres_url, settings=settings, timeout=TIMEOUT) for _ in range(WORKERS)]
        results = [future.result() for future in futures]
    for result in results:
        assert result.returncode == 0, result.log[-4000:]

    assert slow_site.max_in_flight == LIMIT  # reached, never exceeded: the fleet's, not each worker's
    assert sorted(row["url"] for row in read_rows(postgres_url)) == sorted(
        f"{slow_site.base_url}{s.path}" for s in stories())  # every article stored once
    runs = read_rows(postgres_url, "crawl_runs")
    assert len(runs) == WORKERS and all(run["new"] > 0 for run in runs)  # both workers did work
    assert sum(result.stats.get(keys.FLEET_POLITENESS_WAITS, 0) for result in results) > 0
    assert all(slow_site.count(path) >= 1 for path in BROKEN + MISSING)  # tried, their leases released
    server = redis.Redis.from_url(redis_url)
    assert server.zcard(SiteLimits(server).leases_key("127.0.0.1")) == 0  # the last worker left none


@pytest.fixture
def limits(redis_url):
    return SiteLimits(redis.Redis.from_url(redis_url), lease_ttl=0.5)


def test_concurrent_acquirers_get_no_more_leases_than_the_limit(limits, redis_url):
    start = threading.Barrier(12)

    def take(n: int) -> int:
        own = SiteLimits(redis.Redis.from_url(redis_url), lease_ttl=30)
        start.wait()
        return own.acquire("site.example", f"token-{n}", 3)

    with ThreadPoolExecutor(12) as pool:
        taken = list(pool.map(take, range(12)))
    assert sorted(taken) == [0] * 9 + [1] * 3
    holder = taken.index(1)
    assert limits.acquire("site.example", "late", 3) == 0
    limits.release("site.example", f"token-{holder}")
    assert limits.acquire("site.example", "late", 3) == 1  # a released lease is free again
    assert limits.acquire("other.example", "elsewhere", 3) == 1  # each site has its own leases


def test_a_dead_workers_leases_expire_and_refreshed_ones_do_not(limits):
    assert limits.acquire("site.example", "dead-1", 2) == 1
    assert limits.acquire("site.example", "alive", 2) == 1
    assert limits.acquire("site.example", "new", 2) == 0
    for _ in range(4):  # 1 s in all, twice the leases' time to live: only "alive" is kept
        time.sleep(0.25)
        limits.refresh("site.example", ["alive"])
    assert limits.acquire("site.example", "new", 2) == 1  # the dead worker's slot is free
    assert limits.acquire("site.example", "another", 2) == 0  # "alive" still holds the other
    assert limits.refresh("site.example", ["dead-1"]) == 0  # an expired lease is not revived


def test_start_times_are_reserved_the_delay_apart_across_workers(limits, redis_url):
    other = SiteLimits(redis.Redis.from_url(redis_url))
    waits = [(limits if n % 2 else other).reserve("site.example", 0.5) for n in range(6)]
    assert waits[0] == 0
    for before, after in zip(waits, waits[1:]):
        assert 480 <= after - before <= 500  # milliseconds: 500, less the time the calls took
    assert other.reserve("elsewhere.example", 0.5) == 0


def test_the_addon_enables_fleet_politeness_only_with_redis_url():
    with_redis = Settings({"REDIS_URL": "redis://127.0.0.1:1/0"})
    FleetAddon().update_settings(with_redis)
    assert with_redis.getdict("DOWNLOADER_MIDDLEWARES")["newscrawl.fleet.politeness.FleetPoliteness"] == 950
    without = Settings()
    FleetAddon().update_settings(without)
    assert "newscrawl.fleet.politeness.FleetPoliteness" not in without.getdict("DOWNLOADER_MIDDLEWARES")
    assert check_settings(Settings({"FLEET_CONCURRENT_REQUESTS_PER_DOMAIN": "0"}))[0].startswith(
        "FLEET_CONCURRENT_REQUESTS_PER_DOMAIN")
    assert check_settings(Settings({"FLEET_DOWNLOAD_DELAY": "soon"}))[0].startswith("FLEET_DOWNLOAD_DELAY")
