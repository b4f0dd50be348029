"""Everything specific to one database dialect lives here.

Supported: SQLite (pysqlite) and PostgreSQL (psycopg 3). The rest of the
storage code uses dialect-neutral SQLAlchemy Core.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

from sqlalchemy import Engine, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000


def engine_options(url: URL) -> dict:
    if url.get_backend_name() == "postgresql":
        # Notice a server restart between batches instead of failing on a dead connection.
        return {"pool_pre_ping": True}
    return {}


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL (readers don't block the writer), wait for locks, enforce foreign keys."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _set_sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if engine.url.database not in (None, "", ":memory:"):
                _enable_wal(cursor)
        finally:
            cursor.close()


def _enable_wal(cursor) -> None:
    """Switch the file to WAL (it stays so). SQLite answers "database is locked" at once, without
    waiting out busy_timeout, while another process writes the file, as when two crawls create one
    database together: retry until the busy timeout."""
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _insert(engine: Engine, table: Table):
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(engine: Engine, table: Table, key: str, update_columns: Iterable[str]):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET column = excluded.column."""
    statement = _insert(engine, table)
    return statement.on_conflict_do_update(
        index_elements=[key],
        set_={name: statement.excluded[name] for name in update_columns},
    )


def insert_ignoring_conflicts(engine: Engine, table: Table, key: str):
    """INSERT ... ON CONFLICT (key) DO NOTHING."""
    return _insert(engine, table).on_conflict_do_nothing(index_elements=[key])
