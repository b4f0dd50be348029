"""Schema migrations: an older database is upgraded by `scrapy db upgrade` with every row kept,
a crawl refuses an older schema naming that command, and workers cannot race the upgrade."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, inspect, select, text

from pipelines import migrate
from tests.crawling import PROJECT_DIR, run_crawl

LEGACY = Path(__file__).parent / "fixtures" / "schema_v0"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'news.db'}"
    return request.getfixturevalue("postgres_url")


def decode(value):
    if isinstance(value, dict) and "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if isinstance(value, dict) and "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    return value


def comparable(value):
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def legacy_rows() -> dict[str, list[dict]]:
    data = json.loads((LEGACY / "rows.json").read_text())
    return {table: [{k: decode(v) for k, v in row.items()} for row in rows] for table, rows in data.items()}


def build_legacy_database(url: str) -> dict[str, list[dict]]:
    """The schema and rows that newscrawl wrote before migrations existed."""
    engine = create_engine(url)
    dialect = engine.dialect.name
    rows = legacy_rows()
    with engine.begin() as conn:
        for statement in (LEGACY / f"{dialect}.sql").read_text().split(";\n"):
            if statement.strip():
                conn.execute(text(statement))
        tables = MetaData()
        tables.reflect(conn)
        for name in ("articles", "crawl_runs", "crawl_locks", "article_revisions", "article_urls",
                     "minhash_bands", "minhash_signatures"):
            if rows[name]:
                conn.execute(tables.tables[name].insert(), rows[name])
        if dialect == "postgresql":  # explicit ids were inserted: move the sequences on
            for name in ("articles", "crawl_runs", "article_revisions", "article_urls"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
    engine.dispose()
    return rows


def read_all(url: str) -> dict[str, list[dict]]:
    engine = create_engine(url)
    tables = MetaData()
    with engine.connect() as conn:
        tables.reflect(conn)
        result = {}
        for name, table in tables.tables.items():
            order = list(table.primary_key.columns) or list(table.columns)
            result[name] = [{k: comparable(v) for k, v in row._mapping.items()}
                            for row in conn.execute(select(table).order_by(*order))]
    engine.dispose()
    return result


def db_command(url: str, action: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", "db", action, "-s", f"DATABASE_URL={url}"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)


def test_upgrade_keeps_every_row_of_an_older_database(db):
    expected = build_legacy_database(db)
    assert sum(len(rows) for rows in expected.values()) > 400  # articles, runs, revisions, index rows

    done = db_command(db, "upgrade")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"from revision {migrate.BASELINE_REVISION} to {migrate.head_revision()}" in done.stdout

    after = read_all(db)
    added_columns = {"crawl_runs": {"fleet_run": None}}  # added by revision 0003, NULL on old rows
    for table, rows in expected.items():
        assert after[table] == [{**{k: comparable(v) for k, v in row.items()}, **added_columns.get(table, {})}
                                for row in rows], table
    assert expected["crawl_runs"]  # the added column is checked on real rows
    assert after["non_article_pages"] == []  # added by revision 0002
    assert after["alembic_version"] == [{"version_num": migrate.head_revision()}]
    again = db_command(db, "upgrade")
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_crawl_refuses_an_older_schema_and_names_the_command(db, serve):
    build_legacy_database(db)
    server = serve(routes={})
    result = run_crawl("news", urls=f"{server.base_url}/news/some-story-123", database=db)
    assert result.returncode == 1
    assert "scrapy db upgrade" in result.log and "revision 0001" in result.log
    assert server.requests == []  # refused before downloading anything
    assert read_all(db)["articles"] == [
        {k: comparable(v) for k, v in row.items()} for row in legacy_rows()["articles"]]


def test_new_database_is_created_at_the_current_schema_and_stamped(db):
    engine = create_engine(db)
    assert migrate.prepare(engine) == migrate.head_revision()
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        assert {"articles", "non_article_pages", "minhash_bands"} <= set(inspect(conn).get_table_names())
    engine.dispose()


def test_workers_upgrading_at_once_do_not_race(db):
    build_legacy_database(db)
    with ThreadPoolExecutor(4) as pool:  # four processes started together
        results = list(pool.map(lambda _: db_command(db, "upgrade"), range(4)))
    assert all(r.returncode == 0 for r in results), [r.stdout + r.stderr for r in results]
    outcomes = sorted("nothing to do" in r.stdout for r in results)
    assert outcomes == [False, True, True, True]  # one upgraded; the others found it done
    engine = create_engine(db)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
    engine.dispose()
