"""Faults a crawl survives with nothing lost: a PostgreSQL restart mid-crawl, a PostgreSQL server
away for longer than DATABASE_RETRY_TIMEOUT, a SQLite file locked by another writer, a database
that refuses writes. Real `scrapy crawl` runs against a slow local site; each test counts the
stored rows against the expected URL set."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections import Counter
from contextlib import closing
from datetime import timedelta

import psycopg
import pytest
from scrapy.settings import Settings
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from newscrawl import stats as keys
from newscrawl.setting_values import check_settings
from pipelines import dialects
from pipelines.database import open_database
from pipelines.batch import BatchWriter
from pipelines.decisions import NEW, UPDATED, digest
from pipelines.retry import ConnectionRetry, DatabaseUnavailable
from pipelines.runindex import RunIndex
from pipelines.schema import article_revisions, articles
from tests.crawling import read_rows
from tests.test_batch import BODY, KEY, T0, Stats, decided, rows
from tests.servers import NOT_INSTALLED, start_throwaway_server
from tests.test_runs import crawl, in_background, site, story

STORIES = range(1, 65)
SLOW = 0.1  # seconds per page: the crawl takes several seconds, so a fault lands mid-crawl
SETTINGS = {"DATABASE_BATCH_SIZE": "4", "CONCURRENT_REQUESTS": "2"}
STORED_BEFORE_FAULT = 8
WAIT = 120.0  # generous: the machine may be loaded


def wait_until(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def count_articles(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM articles")).scalar()
    except DBAPIError:  # not created yet, or locked for a moment
        return 0
    finally:
        engine.dispose()


def stored_urls(database: str) -> Counter:
    return Counter(row["url"] for row in read_rows(database))


def expected_urls(base_url: str) -> Counter:
    return Counter(f"{base_url}{story(number)[0]}" for number in STORIES)


def new_count(result) -> int:
    return result.stats.get(keys.article_outcome("new"), 0)


@pytest.fixture
def own_postgres():
    """A throwaway PostgreSQL server of this test's own (it gets stopped and restarted) and a database on it."""
    server = start_throwaway_server()
    if server is None:
        pytest.skip(NOT_INSTALLED)
    try:
        server.execute('CREATE DATABASE "faults"')
        yield server, server.url("faults")
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)


def crawl_until_stored(serve, database: str, **settings):
    """Start a crawl of the slow site in the background; return once some batches are written."""
    server, urls = site(serve, STORIES, delay=SLOW)
    thread, result = in_background(urls, database, **{**SETTINGS, **settings})
    wait_until(lambda: count_articles(database) >= STORED_BEFORE_FAULT or not thread.is_alive(),
               "the first batches")
    assert thread.is_alive(), result["crawl"].log[-3000:]
    return server, urls, thread, result


# -- PostgreSQL going away ----------------------------------------------------------------------


def test_a_postgres_restart_mid_crawl_is_waited_out_and_every_article_stored_once(serve, own_postgres):
    postgres, database = own_postgres
    server, _, thread, result = crawl_until_stored(serve, database)
    postgres.stop()
    time.sleep(1.0)
    postgres.launch()
    thread.join(timeout=300)
    crawled = result["crawl"]
    assert crawled.returncode == 0, crawled.log[-3000:]
    assert stored_urls(database) == expected_urls(server.base_url)
    assert crawled.stats[keys.DB_RETRIES] > 0  # the restart did land mid-crawl
    assert crawled.log.count("does not answer") == 1, crawled.log[-3000:]
    assert crawled.log.count("answers again") >= 1
    assert new_count(crawled) == len(STORIES)
    [run] = read_rows(database, "crawl_runs")
    assert (run["status"], run["new"]) == ("ok", len(STORIES))


def test_a_postgres_server_away_too_long_stops_the_crawl_and_a_rerun_stores_the_rest(serve, own_postgres):
    postgres, database = own_postgres
    server, urls, thread, result = crawl_until_stored(serve, database, DATABASE_RETRY_TIMEOUT="3")
    postgres.stop()
    thread.join(timeout=300)
    first = result["crawl"]
    assert first.returncode == 1, first.log[-3000:]
    assert f"Cannot reach the database {database}: " in first.log  # no password to mask
    assert "no connection for 3 s (DATABASE_RETRY_TIMEOUT)" in first.log, first.log[-3000:]
    assert first.stats[keys.FATAL] == "database_unavailable"
    assert first.stats.get(keys.UNSAVED, 0) > 0

    postgres.launch()
    written_by_first = count_articles(database)
    assert new_count(first) == written_by_first  # the summary counts rows written, not items accepted
    second = crawl(urls, database, **SETTINGS)
    assert second.returncode == 0, second.log[-3000:]
    assert stored_urls(database) == expected_urls(server.base_url)
    assert new_count(first) + new_count(second) == len(STORIES)


# -- SQLite locked by another writer ------------------------------------------------------------


def hold_write_lock(path, seconds: float, thread) -> None:
    """Hold SQLite's write lock on *path* from this process for *seconds*; check that no write got through
    and that the crawl (*thread*) is still running, waiting."""
    other = sqlite3.connect(path, isolation_level=None, timeout=60)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock until the rollback
        other.execute("UPDATE articles SET headline = headline WHERE id = -1")
        held_at = other.execute("SELECT count(*) FROM articles").fetchone()[0]
        time.sleep(seconds)
        assert other.execute("SELECT count(*) FROM articles").fetchone()[0] == held_at
        assert thread.is_alive()
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("when", ["mid-crawl", "at the start"])
def test_a_crawl_waits_for_another_sqlite_writer_and_stores_every_article_once(serve, tmp_path, when):
    path = tmp_path / "news.db"
    database = f"sqlite:///{path}"
    if when == "mid-crawl":
        server, _, thread, result = crawl_until_stored(serve, database)
        hold_write_lock(path, 3.0, thread)
    else:  # the schema check and the run lock wait too
        open_database(database).dispose()
        server, urls = site(serve, STORIES, delay=SLOW)
        with closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            thread, result = in_background(urls, database, **SETTINGS)
            time.sleep(3.0)
            assert thread.is_alive() and other.execute("SELECT count(*) FROM crawl_locks").fetchone()[0] == 0
            other.execute("ROLLBACK")
    thread.join(timeout=300)
    crawled = result["crawl"]
    assert crawled.returncode == 0, crawled.log[-3000:]
    assert stored_urls(database) == expected_urls(server.base_url)
    assert new_count(crawled) == len(STORIES)


# -- a database that refuses writes -------------------------------------------------------------

REFUSE_SQLITE = "CREATE TRIGGER refuse BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
REFUSE_POSTGRES = "ALTER DATABASE faults SET default_transaction_read_only = on"


def test_a_sqlite_database_refusing_writes_fails_the_run_truthfully_and_a_rerun_stores_the_rest(serve, tmp_path):
    path = tmp_path / "news.db"
    database = f"sqlite:///{path}"
    server, urls, thread, result = crawl_until_stored(serve, database)
    with sqlite3.connect(path, timeout=60) as conn:
        conn.execute(REFUSE_SQLITE)
    thread.join(timeout=300)
    first = result["crawl"]
    assert first.returncode == 1, first.log[-3000:]
    assert "Cannot write to the database" in first.log and "refused by the test" in first.log
    written = count_articles(database)
    assert 0 < written < len(STORIES)
    assert f"new={written} " in first.log and "status=FAILED (database_write_failed)" in first.log
    assert first.stats[keys.UNSAVED] > 0
    [run] = read_rows(database, "crawl_runs")
    assert (run["status"], run["new"], run["fatal"]) == ("failed", written, "database_write_failed")

    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER refuse")
    second = crawl(urls, database, **SETTINGS)
    assert second.returncode == 0, second.log[-3000:]
    assert stored_urls(database) == expected_urls(server.base_url)
    assert new_count(first) + new_count(second) == len(STORIES)


def test_a_postgres_database_turned_read_only_fails_the_run_and_a_rerun_stores_the_rest(serve, own_postgres):
    postgres, database = own_postgres
    server, urls, thread, result = crawl_until_stored(serve, database)
    postgres.execute(REFUSE_POSTGRES)
    # Sessions read the setting when they start: end the crawl's (it reconnects, read-only).
    postgres.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = 'faults' AND pid <> pg_backend_pid()")
    thread.join(timeout=300)
    first = result["crawl"]
    assert first.returncode == 1, first.log[-3000:]
    assert "Cannot write to the database" in first.log and "read-only transaction" in first.log
    assert "status=FAILED (database_write_failed)" in first.log
    assert new_count(first) == count_articles(database) < len(STORIES)
    assert first.stats[keys.UNSAVED] > 0

    postgres.execute("ALTER DATABASE faults SET default_transaction_read_only = off")
    second = crawl(urls, database, **SETTINGS)
    assert second.returncode == 0, second.log[-3000:]
    assert stored_urls(database) == expected_urls(server.base_url)
    assert new_count(first) + new_count(second) == len(STORIES)


# -- which errors are retried -------------------------------------------------------------------


def sqlite_error(message: str, code: int) -> OperationalError:
    original = sqlite3.OperationalError(message)
    original.sqlite_errorcode = code
    return OperationalError("INSERT ...", {}, original)


def test_only_transient_errors_are_retried_and_for_a_bounded_time():
    clock = [0.0]
    retry = ConnectionRetry(3.0, Stats(), "sqlite:///news.db", sleep=lambda s: clock.__setitem__(0, clock[0] + s),
                            clock=lambda: clock[0])
    attempts = []

    def locked_twice():
        attempts.append(clock[0])
        if len(attempts) <= 2:
            raise sqlite_error("database is locked", dialects.SQLITE_BUSY)
        return "written"

    assert retry.call(locked_twice) == "written"
    assert len(attempts) == 3 and retry.stats.values[keys.DB_RETRIES] == 2

    attempts.clear()

    def broken_schema():
        attempts.append(clock[0])
        raise sqlite_error("no such column: x", 1)

    with pytest.raises(OperationalError):  # not retried
        retry.call(broken_schema)
    assert len(attempts) == 1
    readonly = sqlite_error("attempt to write a readonly database", 8)
    assert not dialects.is_transient(readonly)

    def always_locked():
        raise sqlite_error("database is locked", dialects.SQLITE_BUSY)

    with pytest.raises(DatabaseUnavailable, match=r"no connection for 3 s \(DATABASE_RETRY_TIMEOUT\)"):
        retry.call(always_locked)
    assert clock[0] >= 3.0


@pytest.mark.parametrize("committed", [True, False])
def test_a_batch_whose_commit_answer_was_lost_is_written_once(postgres_url, committed):
    engine = open_database(postgres_url)
    stats = Stats()
    batch = BatchWriter(RunIndex(), stats, batch_size=100)
    batch.stage(*decided(NEW, KEY), T0)
    batch.write(engine)
    batch.stage(*decided(UPDATED, KEY, BODY + " It takes effect in May.", run_key=digest(KEY)), T0 + timedelta(hours=1))
    real_commit, lost = engine.dialect.do_commit, []

    def commit_losing_the_first_answer(dbapi_connection):
        if lost:
            return real_commit(dbapi_connection)
        lost.append(True)
        if committed:
            real_commit(dbapi_connection)
        else:
            dbapi_connection.rollback()
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    engine.dialect.do_commit = commit_losing_the_first_answer
    try:
        ConnectionRetry(30.0, stats, "test").call(lambda: batch.write(engine))
        [stored] = rows(engine, articles)
        assert stored["article_body"].endswith("It takes effect in May.")
        assert len(rows(engine, article_revisions)) == 1  # not copied again by a second write
        assert (stats.values[keys.DB_RETRIES], stats.values[keys.REVISIONS], stats.values[keys.DB_BATCHES]) == (1, 1, 2)
        assert lost and batch.pending_count == 0
    finally:
        engine.dispose()


def test_the_retry_timeout_is_a_checked_setting():
    assert check_settings(Settings({"DATABASE_RETRY_TIMEOUT": "0"})) == []
    assert check_settings(Settings({"DATABASE_RETRY_TIMEOUT": "soon"})) == [
        "DATABASE_RETRY_TIMEOUT must be a non-negative number of seconds, got 'soon'"]
