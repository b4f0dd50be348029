"""crawl_runs and the run lock, in real `scrapy crawl` runs against a local server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, insert, select

from newscrawl.demo.server import Route
from pipelines.runlock import LockSettings, RunLock, lock_settings, pid_alive, run_lock_key
from pipelines.schema import crawl_locks, crawl_runs, metadata
from tests.crawling import FAST, PROJECT_DIR, read_rows, run_crawl
from tests.generated_site import GeneratedArticle, article_page

# Until settings.py enables it.
EXTENSIONS = json.dumps({"newscrawl.extensions.CrawlSummary": 500, "pipelines.runs.CrawlRunRecorder": 600})


def story(number: int, delay: float = 0.0, **changes) -> tuple[str, Route]:
    generated = GeneratedArticle(number, "world", datetime(2021, 12, 1, 8, tzinfo=UTC) + timedelta(hours=number),
                                 frozenset())
    page = article_page(generated)
    for old, new in changes.items():
        page = page.replace(old.encode(), new.encode(), 1)  # the first occurrence only
    return generated.path, Route(body=page, delay=delay)


def site(serve, numbers, delay: float = 0.0):
    server = serve(routes=dict(story(n, delay) for n in numbers))
    return server, ",".join(f"{server.base_url}{story(n)[0]}" for n in numbers)


def crawl(urls, database, **settings):
    # Re-crawls fetch everything again: these tests are about what the store does with it.
    settings = {"EXTENSIONS": EXTENSIONS, "INCREMENTAL_ENABLED": "0", **settings}
    return run_crawl("news", urls=urls, database=database, settings=settings)


def in_background(*args, **kwargs):
    """run crawl() in a thread; returns (thread, result holder)."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("crawl", crawl(*args, **kwargs)))
    thread.start()
    return thread, result


def wait_for_lock(database, timeout: float = 60.0):
    engine = create_engine(database if "://" in str(database) else f"sqlite:///{database}")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as conn:
                    row = conn.execute(select(crawl_locks)).first()
                if row is not None and row.run_id is not None:
                    return row
            except Exception:  # tables not created yet
                pass
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the first crawl never took the run lock")


def when(value) -> datetime:
    """A timestamp read back with read_rows (SQLite: text) as an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def lock_rows(database) -> list:
    engine = create_engine(database if "://" in str(database) else f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(crawl_locks)))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'news.db'}"
    return request.getfixturevalue("postgres_url")


# -- crawl_runs --------------------------------------------------------------------------------


def test_each_run_is_recorded(serve, database):
    path, old = story(1)
    _, changed = story(1, **{"<p>": "<p>Correction appended. "})
    _, dateline_only = story(2, **{"<p>": "<p>LONDON (AP) — "})
    server = serve(routes={path: [old, changed], story(2)[0]: [story(2)[1], dateline_only], story(3)[0]: story(3)[1]})
    urls = ",".join(f"{server.base_url}{story(n)[0]}" for n in (1, 2, 3))

    first = crawl(urls, database, DATABASE_BATCH_SIZE=2)
    assert first.returncode == 0, first.log[-3000:]
    second = crawl(urls, database)
    assert second.returncode == 0, second.log[-3000:]

    runs = read_rows(database, "crawl_runs")
    assert [(r["spider"], r["status"], r["finish_reason"]) for r in runs] == [("news", "ok", "finished")] * 2
    one, two = runs
    counts = lambda r: {k: r[k] for k in ("pages", "new", "updated", "unchanged", "duplicates", "revisions",
                                          "dropped", "errors")}
    assert counts(one) == {"pages": 4, "new": 3, "updated": 0, "unchanged": 0, "duplicates": 0, "revisions": 0,
                           "dropped": 0, "errors": 0}
    assert counts(two) == {"pages": 4, "new": 0, "updated": 1, "unchanged": 2, "duplicates": 0, "revisions": 1,
                           "dropped": 0, "errors": 0}
    arguments = one["arguments"] if isinstance(one["arguments"], dict) else json.loads(one["arguments"])
    assert arguments == {"urls": urls.split(",")}
    settings = one["settings"] if isinstance(one["settings"], dict) else json.loads(one["settings"])
    assert settings["DATABASE_BATCH_SIZE"] == "2" and "DATABASE_URL" in settings
    assert when(one["started_at"]) < when(one["finished_at"]) <= when(two["started_at"])
    assert one["pid"] and one["hostname"] == socket.gethostname() and one["fatal"] is None
    assert lock_rows(database) == []  # released
    [revision] = read_rows(database, "article_revisions")
    assert revision["run_id"] == two["id"]
    assert "Correction appended" not in revision["article_body"]


def test_failed_run_is_recorded_as_failed(serve, tmp_path):
    server = serve(routes={f"/world/broken-article-number-{i}/": Route(status=500) for i in range(2)})
    urls = ",".join(f"{server.base_url}/world/broken-article-number-{i}/" for i in range(2))
    result = crawl(urls, tmp_path / "x.db")
    assert result.returncode == 1
    [run] = read_rows(tmp_path / "x.db", "crawl_runs")
    assert run["status"] == "failed" and run["finish_reason"] == "finished"
    assert run["fatal"].startswith("every article request failed")
    assert run["errors"] == 2 and run["new"] == 0


# -- overlapping runs ----------------------------------------------------------------------------


def test_second_run_of_the_same_crawl_is_refused(serve, database):
    # Slow pages (6 pages, one at a time: ~9 s) keep the first crawl running while the second
    # one starts up, even on a loaded machine.
    server, urls = site(serve, range(1, 7), delay=1.5)
    thread, first = in_background(urls, database, CONCURRENT_REQUESTS="1")
    holder = wait_for_lock(database)
    requests_before = len(server.requests)

    second = crawl(urls, database)
    thread.join(timeout=120)

    assert second.returncode == 1
    assert "Another run is active" in second.log and f"pid {holder.pid}" in second.log
    assert "RUN_LOCK_WAIT" in second.log
    assert second.stats["newscrawl/fatal"] == "another run is active"
    assert second.stats["finish_reason"] == "another_run_active"
    assert "Traceback" not in second.log
    # The refused run downloaded nothing; the first one finished and stored everything once.
    assert len(server.requests) - requests_before <= 6 + 1  # the first run's remaining requests only
    assert first["crawl"].returncode == 0, first["crawl"].log[-3000:]
    assert first["crawl"].stats["newscrawl/articles/new"] == 6
    rows = read_rows(database)
    assert len(rows) == len({r["url"] for r in rows}) == 6
    runs = read_rows(database, "crawl_runs")
    assert [(r["status"], r["finish_reason"]) for r in runs] == [("ok", "finished"), ("failed", "another_run_active")]
    assert runs[1]["fatal"] == "another run is active"
    assert lock_rows(database) == []


def test_second_run_can_wait_for_the_first(serve, tmp_path):
    database = tmp_path / "news.db"
    # Slow pages (3 pages, one at a time: ~6 s) keep the first crawl running while the second
    # one starts up, even on a loaded machine.
    server, urls = site(serve, range(1, 4), delay=2.0)
    thread, first = in_background(urls, database, CONCURRENT_REQUESTS="1")
    wait_for_lock(database)
    second = crawl(urls, database, RUN_LOCK_WAIT="60")
    thread.join(timeout=120)
    assert first["crawl"].returncode == 0 and second.returncode == 0, second.log[-3000:]
    assert "Waiting up to 60 s" in second.log
    assert second.stats["newscrawl/articles/unchanged"] == 3
    runs = read_rows(database, "crawl_runs")
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert when(runs[1]["started_at"]) >= when(runs[0]["finished_at"]) - timedelta(seconds=1)


def test_different_crawls_run_at_once_into_one_sqlite_file(serve, database):
    """Two news crawls of different sites (different lock keys) write the same database at once."""
    # Slow pages (8 pages, 2 at a time: ~6 s) keep the first crawl running while the second
    # one starts up, even on a loaded machine.
    server_a, urls_a = site(serve, range(1, 9), delay=1.5)
    server_b, urls_b = site(serve, range(101, 109), delay=0.3)
    thread, first = in_background(urls_a, database, DATABASE_BATCH_SIZE="1", CONCURRENT_REQUESTS="2")
    wait_for_lock(database)
    second = crawl(urls_b, database, DATABASE_BATCH_SIZE="1", CONCURRENT_REQUESTS="2")
    thread.join(timeout=120)
    assert first["crawl"].returncode == 0, first["crawl"].log[-3000:]
    assert second.returncode == 0, second.log[-3000:]
    rows = read_rows(database)
    expected = {f"{server_a.base_url}{story(n)[0]}" for n in range(1, 9)} | {
        f"{server_b.base_url}{story(n)[0]}" for n in range(101, 109)}
    assert sorted(r["url"] for r in rows) == sorted(expected)
    runs = read_rows(database, "crawl_runs")
    assert [(r["status"], r["new"]) for r in runs] == [("ok", 8), ("ok", 8)]
    # They really overlapped.
    assert when(runs[1]["started_at"]) < when(runs[0]["finished_at"])


def test_lock_of_a_killed_crawl_is_taken_over(serve, tmp_path):
    database = tmp_path / "news.db"
    server, urls = site(serve, range(1, 6), delay=2.0)
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={urls}"]
    for name, value in {**FAST, "EXTENSIONS": EXTENSIONS, "INCREMENTAL_ENABLED": "0", "DATABASE_URL": f"sqlite:///{database}",
                        "CONCURRENT_REQUESTS": "1"}.items():
        command += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k != "NEWSCRAWL_DATABASE_URL"}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    victim = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        holder = wait_for_lock(database)
        assert holder.pid == victim.pid
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)

    server.routes.update(dict(story(n) for n in range(1, 6)))  # fast now
    result = crawl(urls, database)
    assert result.returncode == 0, result.log[-3000:]
    assert "taking it over" in result.log and f"process {victim.pid}" in result.log
    runs = read_rows(database, "crawl_runs")
    assert [(r["status"], r["finish_reason"]) for r in runs] == [("failed", "abandoned"), ("ok", "finished")]
    assert len(read_rows(database)) == 5


def test_heartbeat_is_refreshed_and_a_lost_lock_stops_the_crawl(serve, tmp_path):
    database = tmp_path / "news.db"
    server, urls = site(serve, range(1, 9), delay=0.5)
    thread, result = in_background(urls, database, CONCURRENT_REQUESTS="1", RUN_LOCK_HEARTBEAT="0.3",
                                   DATABASE_BATCH_SIZE="1")
    holder = wait_for_lock(database)
    engine = create_engine(f"sqlite:///{database}")
    try:
        deadline = time.monotonic() + 30
        while (row := conn_first(engine)).heartbeat == holder.heartbeat and time.monotonic() < deadline:
            time.sleep(0.1)
        assert row.heartbeat > holder.heartbeat  # refreshed while crawling
        with engine.begin() as conn:  # another run takes the lock over, as if this one were stale
            conn.execute(crawl_locks.update().values(token="y" * 32, pid=1))
    finally:
        engine.dispose()
    thread.join(timeout=120)
    crawled = result["crawl"]
    assert crawled.returncode == 1
    assert "Lost the run lock" in crawled.log
    assert crawled.stats["newscrawl/fatal"] == "run lock lost"
    assert crawled.stats["finish_reason"] == "run_lock_lost"
    assert crawled.stats.get("newscrawl/articles/new", 0) < 8  # stopped early
    [run] = read_rows(database, "crawl_runs")
    assert (run["status"], run["fatal"]) == ("failed", "run lock lost")
    assert len(lock_rows(database)) == 1  # the other run's lock is left alone


def conn_first(engine):
    with engine.connect() as conn:
        return conn.execute(select(crawl_locks)).one()


def test_bad_lock_setting_is_refused_by_name(serve, tmp_path):
    _, urls = site(serve, [1])
    result = crawl(urls, tmp_path / "x.db", RUN_LOCK_WAIT="soon")
    assert result.returncode == 2  # a usage error, before the crawl starts
    assert "RUN_LOCK_WAIT must be a non-negative number of seconds, got 'soon'" in result.log
    assert not (tmp_path / "x.db").exists()


# -- RunLock units ---------------------------------------------------------------------------------


@pytest.fixture
def engine(database):
    engine = create_engine(database)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_lock_refuses_then_frees(engine):
    first = RunLock(engine, "news", "news")
    assert first.acquire()
    second = RunLock(engine, "news", "news")
    assert not second.acquire()
    assert second.holder.token == first.token
    assert RunLock(engine, "lbc", "lbc").acquire()  # another crawl: its own lock
    assert first.heartbeat()
    first.release()
    assert second.acquire()
    assert not first.heartbeat()  # no longer ours


def test_lock_with_stale_heartbeat_is_taken_over(engine, caplog):
    old = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as conn:
        run_id = conn.execute(insert(crawl_runs), {"spider": "news", "arguments": {}, "settings": {},
                                                   "started_at": old, "status": "running"}).inserted_primary_key[0]
        conn.execute(insert(crawl_locks), {"name": "news", "token": "x" * 32, "spider": "news", "run_id": run_id,
                                           "pid": 1, "hostname": "another-host", "started_at": old, "heartbeat": old})
    lock = RunLock(engine, "news", "news", LockSettings(stale_after=600))
    assert lock.acquire()
    assert "heartbeat was 7200 s ago" in caplog.text
    with engine.connect() as conn:
        run = conn.execute(select(crawl_runs)).one()
        held = conn.execute(select(crawl_locks)).one()
    assert (run.status, run.finish_reason) == ("failed", "abandoned")
    assert held.token == lock.token and held.pid == os.getpid()
    # A live lock on another host, recently refreshed, is respected.
    assert not RunLock(engine, "news", "news").acquire()


def test_a_fleet_worker_frees_only_its_own_crawls_stale_peer_locks(engine):
    old, now = datetime.now(UTC) - timedelta(hours=2), datetime.now(UTC)

    def holder(name, beat):
        return {"name": name, "token": uuid.uuid4().hex, "spider": "news", "pid": 1, "hostname": "another-host",
                "started_at": beat, "heartbeat": beat}

    with engine.begin() as conn:
        conn.execute(insert(crawl_locks), [
            holder("news my_site worker w2", old),  # a dead peer: freed
            holder("news my_site worker w3", now),  # a live peer: kept
            holder("news myXsite worker w2", old),  # another crawl ("_" is no wildcard here): kept
            holder("news my_site", old),  # the crawl run outside the fleet: not a peer
        ])
    lock = RunLock(engine, "news my_site worker w1", "news", LockSettings(stale_after=600))
    assert lock.acquire()
    assert lock.free_stale_peers("news my_site worker ") == 1
    with engine.connect() as conn:
        names = set(conn.execute(select(crawl_locks.c.name)).scalars())
    assert names == {"news my_site worker w1", "news my_site worker w3", "news myXsite worker w2", "news my_site"}


def test_waiting_gives_up_after_run_lock_wait(engine):
    assert RunLock(engine, "news", "news").acquire()
    started = time.monotonic()
    assert not RunLock(engine, "news", "news", LockSettings(wait=1.5)).acquire()
    assert 1.4 <= time.monotonic() - started < 5


def test_pid_alive():
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert pid_alive(os.getpid()) and not pid_alive(done.pid) and not pid_alive(0)


def test_lock_keys():
    from newscrawl.spiders.news import NewsSpider

    crawler = get_crawler(NewsSpider)
    a = NewsSpider.from_crawler(crawler, urls="http://127.0.0.1:8001/a/,http://127.0.0.1:8001/b/")
    b = NewsSpider.from_crawler(get_crawler(NewsSpider), urls="http://127.0.0.1:8002/a/")
    assert run_lock_key(a) == "news 127.0.0.1:8001"
    assert run_lock_key(b) == "news 127.0.0.1:8002"


@pytest.mark.parametrize("name, value", [("RUN_LOCK_WAIT", "-1"), ("RUN_LOCK_STALE_AFTER", "0"),
                                         ("RUN_LOCK_HEARTBEAT", "often"), ("RUN_LOCK_WAIT", True)])
def test_lock_settings_are_checked(name, value):
    with pytest.raises(ValueError, match=name):
        lock_settings(Settings({name: value}))
    assert lock_settings(Settings()) == LockSettings(wait=0, stale_after=600, heartbeat=60)
    assert LockSettings(stale_after=30, heartbeat=60).heartbeat_interval == 10
