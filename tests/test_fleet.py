"""Fleet mode (newscrawl.fleet): workers sharing one frontier in Redis and one PostgreSQL database.

Two `scrapy crawl news` workers on a 500-article site: every article stored once and fetched
once, both workers did some of the work, both exit 0; a second fleet run reads the sitemap again
and fetches nothing already stored. Also: an unreachable REDIS_URL stops the crawl before it starts.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis
from scrapy import Request
from scrapy.settings import Settings
from scrapy_redis.dupefilter import RFPDupeFilter

from newscrawl.demo.server import Route
from newscrawl.fleet.addon import FleetAddon
from newscrawl.fleet.run import FleetRun
from newscrawl.setting_values import check_settings
from pipelines.runlock import run_lock_key
from tests.crawling import read_rows, run_crawl
from tests.fleet_site import FLEET, TIMEOUT, gated_site, run_fleet
from tests.fleet_site import stories as fleet_stories
from tests.servers import _free_port
from tests.two_sites import page

ARTICLES = 500
ARTICLE_DELAY = 0.1  # seconds per article page, so that both workers get work
WORKERS = 2


def stories():
    return fleet_stories(ARTICLES)


@pytest.fixture
def fleet_site():
    site = gated_site(ARTICLES, WORKERS, ARTICLE_DELAY)
    try:
        yield site
    finally:
        site.stop()


def article_fetches(site) -> dict[str, int]:
    return {path: site.count(path) for path in {s.path for s in stories()}}


def test_two_workers_share_the_frontier_and_a_second_run_reads_the_seeds_again(fleet_site, redis_url, postgres_url):
    results = run_fleet(fleet_site, redis_url, postgres_url, WORKERS)
    for result in results:
        assert result.returncode == 0, result.log[-4000:]

    rows = read_rows(postgres_url)
    assert len(rows) == ARTICLES
    assert sorted(row["url"] for row in rows) == sorted(f"{fleet_site.base_url}{s.path}" for s in stories())
    assert set(article_fetches(fleet_site).values()) == {1}  # none fetched twice, none missed
    assert fleet_site.count("/sitemap.xml") == 1  # the seed, pushed by both workers, fetched once

    runs = read_rows(postgres_url, "crawl_runs")
    assert len(runs) == WORKERS
    assert runs[0]["fleet_run"] and runs[0]["fleet_run"] == runs[1]["fleet_run"]
    assert all(run["status"] == "ok" for run in runs)
    assert all(run["new"] > 0 for run in runs)  # both workers stored some articles
    assert sum(run["new"] for run in runs) == ARTICLES
    assert runs[0]["pid"] != runs[1]["pid"]

    again = run_fleet(fleet_site, redis_url, postgres_url, 1)[0]
    assert again.returncode == 0, again.log[-4000:]
    assert fleet_site.count("/sitemap.xml") == 2  # a new fleet run reads its seeds again
    assert set(article_fetches(fleet_site).values()) == {1}  # and fetches nothing already stored
    runs = read_rows(postgres_url, "crawl_runs")
    assert len(runs) == WORKERS + 1
    assert runs[-1]["fleet_run"] not in (None, runs[0]["fleet_run"])
    assert runs[-1]["new"] == 0 and len(read_rows(postgres_url)) == ARTICLES


def test_a_worker_started_later_joins_the_running_fleet_and_adds_only_new_seeds(serve, redis_url, tmp_path):
    extra = stories()[:3]
    site = serve(routes={})
    seeds = [f"{site.base_url}/sitemap.xml", f"{site.base_url}/extra.xml"]
    site.routes.update({s.path: Route(body=page(s)) for s in extra})
    site.routes["/sitemap.xml"] = Route(content_type="application/xml", body=b"<urlset/>")
    site.routes["/extra.xml"] = Route(content_type="application/xml", body=(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{site.base_url}{s.path}</loc></url>" for s in extra) + "</urlset>").encode())
    server = redis.Redis.from_url(redis_url)
    fleet_name = run_lock_key(SimpleNamespace(name="news", seeds=seeds))  # what the workers agree on
    running = FleetRun(server, fleet_name, "running-worker")
    run_id = running.join()  # a fleet already at work, its seed already seen
    server.sadd(running.seen_key, RFPDupeFilter(server, running.seen_key).request_fingerprint(
        Request(seeds[0])))
    result = run_crawl("news", urls=",".join(seeds),
                       database=tmp_path / "news.db", settings={**FLEET, "REDIS_URL": redis_url}, timeout=TIMEOUT)
    assert result.returncode == 0, result.log[-4000:]
    assert site.count("/sitemap.xml") == 0 and site.count("/extra.xml") == 1
    assert sorted(row["url"] for row in read_rows(tmp_path / "news.db")) == sorted(
        f"{site.base_url}{s.path}" for s in extra)
    assert [run["fleet_run"] for run in read_rows(tmp_path / "news.db", "crawl_runs")] == [run_id]
    assert running.leave() == 0


def test_unreachable_redis_stops_the_crawl_before_it_starts(serve, tmp_path):
    site = serve(routes={"/": Route(body=b"<html><body><a href='/news/a/'>a</a></body></html>")})
    url = f"redis://:secret@127.0.0.1:{_free_port()}/0"
    result = run_crawl("news", urls=f"{site.base_url}/", database=tmp_path / "news.db",
                       settings={"REDIS_URL": url})
    assert result.returncode != 0
    assert "Cannot reach Redis at redis://:***@127.0.0.1:" in result.log
    assert "secret" not in result.log
    assert site.requests == []  # nothing crawled


def test_addon_changes_nothing_without_redis_url():
    settings = Settings({"SCHEDULER": "scrapy.core.scheduler.Scheduler"})
    FleetAddon().update_settings(settings)
    assert settings.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    assert settings.get("MAX_IDLE_TIME_BEFORE_CLOSE") is None and settings.get("FLEET_WORKER") is None


def test_addon_switches_to_the_fleet_scheduler_with_redis_url():
    settings = Settings({"REDIS_URL": "redis://127.0.0.1:1/0", "MAX_IDLE_TIME_BEFORE_CLOSE": 12})
    FleetAddon().update_settings(settings)
    assert settings.get("SCHEDULER") == "newscrawl.fleet.compat.FleetScheduler"
    assert settings.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST") is True
    assert settings.getint("MAX_IDLE_TIME_BEFORE_CLOSE") == 12  # a given value is kept
    assert settings.get("FLEET_WORKER")
    assert "newscrawl.fleet.idle.FleetIdleClose" in settings.getdict("EXTENSIONS")
    assert check_settings(Settings({"MAX_IDLE_TIME_BEFORE_CLOSE": "soon"}))[0].startswith("MAX_IDLE_TIME_BEFORE_CLOSE")


def test_workers_agree_on_one_fleet_run_and_the_last_one_ends_it(redis_url):
    server = redis.Redis.from_url(redis_url)
    first, second = FleetRun(server, "news x", "a"), FleetRun(server, "news x", "b")
    run_id = first.join()
    assert second.join() == run_id
    server.sadd(first.seen_key, "fingerprint")
    assert first.leave() == 1 and server.exists(first.seen_key)
    assert second.leave() == 0 and not server.exists(first.seen_key)
    assert FleetRun(server, "news x", "c").join() != run_id  # the next run starts afresh
