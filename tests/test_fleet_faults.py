"""Fleet faults: a worker killed with SIGKILL mid-crawl.

Two `scrapy crawl news` workers share a 200-article site (real Redis, real PostgreSQL); one is
killed once articles are being stored. The other finishes and exits 0, the fleet run ends (the
dead worker's heartbeat went stale), and a restarted worker starts a new fleet run that reads the
sitemap again and fetches what is missing: every article stored exactly once, and the killed
worker's crawl_runs row is no longer `running`.
"""

from __future__ import annotations

import signal
import socket
import time

import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.exc import ProgrammingError

from newscrawl.fleet.run import FleetRun
from pipelines.schema import crawl_locks
from tests.crawling import read_rows, start_crawl
from tests.fleet_site import FLEET, TIMEOUT, gated_site, run_fleet, stories

ARTICLES = 200
ARTICLE_DELAY = 0.2  # seconds per article page: the victim has requests in flight when killed
KILL_AFTER = 30  # articles stored before the victim is killed
STALE_AFTER = 3  # FLEET_WORKER_STALE_AFTER, seconds
SETTINGS = {**FLEET, "MAX_IDLE_TIME_BEFORE_CLOSE": "4", "FLEET_WORKER_STALE_AFTER": str(STALE_AFTER),
            "DATABASE_BATCH_SIZE": "5"}


@pytest.fixture
def slow_site():
    site = gated_site(ARTICLES, 2, ARTICLE_DELAY)
    try:
        yield site
    finally:
        site.stop()


def stored(database: str) -> int:
    try:
        return len(read_rows(database))
    except ProgrammingError:  # no schema yet
        return 0


def lock_names(database: str) -> list[str]:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(crawl_locks.c.name)).scalars())
    finally:
        engine.dispose()


def worker_name(process) -> str:
    return f"{socket.gethostname()}:{process.pid}"  # the default FLEET_WORKER


def wait_for_stale_heartbeat(server, worker: str) -> tuple[float, dict[str, float]]:
    """Poll the fleet run's workers (name -> last heartbeat, Redis time) until *worker*'s
    heartbeat is older than STALE_AFTER; returns the Redis time and the workers then."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        [workers_key] = server.keys("newscrawl:*:workers")
        seconds, micros = server.time()
        beats = {name.decode(): score for name, score in server.zrange(workers_key, 0, -1, withscores=True)}
        now = seconds + micros / 1e6
        if now - beats[worker] > STALE_AFTER:
            return now, beats
        assert time.monotonic() < deadline
        time.sleep(0.2)


def wait_for_articles(database: str, count: int, workers) -> None:
    deadline = time.monotonic() + TIMEOUT
    while stored(database) < count:
        assert all(worker.poll() is None for worker in workers), "a worker ended before the kill"
        assert time.monotonic() < deadline, "articles were not stored"
        time.sleep(0.2)


def test_a_killed_workers_share_is_finished_by_the_other_worker_and_a_restart(
        slow_site, redis_url, postgres_url, tmp_path):
    settings = {**SETTINGS, "REDIS_URL": redis_url}
    options = {"urls": f"{slow_site.base_url}/sitemap.xml", "database": postgres_url, "settings": settings}
    victim = start_crawl("news", tmp_path / "victim.log", **options)
    survivor = start_crawl("news", tmp_path / "survivor.log", **options)
    try:
        wait_for_articles(postgres_url, KILL_AFTER, [victim, survivor])
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=60) == -signal.SIGKILL
        now, beats = wait_for_stale_heartbeat(redis.Redis.from_url(redis_url), worker_name(victim))
        assert now - beats[worker_name(survivor)] <= STALE_AFTER  # while the survivor still beats
        assert survivor.wait(timeout=TIMEOUT) == 0, (tmp_path / "survivor.log").read_text()[-4000:]
    finally:
        for worker in (victim, survivor):
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    stored_before_restart = len(read_rows(postgres_url))
    assert KILL_AFTER <= stored_before_restart < ARTICLES  # the victim's popped requests were lost

    restart = run_fleet(slow_site, redis_url, postgres_url, 1, SETTINGS)[0]
    assert restart.returncode == 0, restart.log[-4000:]
    assert slow_site.count("/sitemap.xml") == 2  # a new fleet run read the seeds again
    rows = read_rows(postgres_url)
    assert sorted(row["url"] for row in rows) == sorted(f"{slow_site.base_url}{s.path}" for s in stories(ARTICLES))
    fetches = [slow_site.count(s.path) for s in stories(ARTICLES)]
    assert min(fetches) == 1  # none missed; stored ones were not fetched again by the restart
    assert sum(fetches) < ARTICLES + (ARTICLES - KILL_AFTER)

    runs = {run["pid"]: run for run in read_rows(postgres_url, "crawl_runs")}
    assert runs[victim.pid]["status"] == "failed" and runs[victim.pid]["finish_reason"] == "abandoned"
    assert runs[survivor.pid]["status"] == "ok"
    assert runs[survivor.pid]["fleet_run"] == runs[victim.pid]["fleet_run"]
    assert [run["status"] for run in runs.values()].count("running") == 0
    assert len(runs) == 3 and len({run["fleet_run"] for run in runs.values()}) == 2
    assert lock_names(postgres_url) == []  # the dead worker's lock row was freed


def test_a_worker_without_heartbeat_is_dropped_and_the_run_ends_with_the_last_live_one(redis_url):
    server = redis.Redis.from_url(redis_url)
    dead = FleetRun(server, "news x", "dead", stale_after=0.5)
    live = FleetRun(server, "news x", "live", stale_after=0.5)
    run_id = dead.join()
    assert live.join() == run_id
    server.sadd(live.seen_key, "fingerprint")
    time.sleep(0.7)  # "dead" stops beating; "live" beats
    live.heartbeat()
    assert live.leave() == 0 and not server.exists(live.seen_key)  # the run ended with "live"
    assert FleetRun(server, "news x", "next", stale_after=0.5).join() != run_id


def test_a_worker_joining_a_run_whose_workers_all_died_starts_a_new_run(redis_url):
    server = redis.Redis.from_url(redis_url)
    dead = FleetRun(server, "news x", "dead", stale_after=0.5)
    run_id = dead.join()
    server.sadd(dead.seen_key, "fingerprint")
    time.sleep(0.7)
    restarted = FleetRun(server, "news x", "restarted", stale_after=0.5)
    assert restarted.join() != run_id
    assert not server.exists(dead.seen_key)  # the dead run's seen-set is gone
