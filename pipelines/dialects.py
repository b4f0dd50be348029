"""Everything specific to one database dialect lives here.

Supported: SQLite (pysqlite) and PostgreSQL (psycopg 3). The rest of the
storage code uses dialect-neutral SQLAlchemy Core.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes: another connection holds the lock
# PostgreSQL SQLSTATEs of a server going away or not ready yet (class 08: connection exception).
POSTGRES_UNAVAILABLE = ("57P01", "57P02", "57P03")  # admin shutdown, crash shutdown, cannot connect now


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
            if not _sqlite_busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _sqlite_busy(error: sqlite3.Error) -> bool:
    """Another connection holds the file's lock (SQLITE_BUSY or SQLITE_LOCKED)."""
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in (SQLITE_BUSY, SQLITE_LOCKED)


def is_transient(exc: BaseException) -> bool:
    """Is *exc* the database being unreachable for now (worth retrying), rather than refusing
    the statement? PostgreSQL: a dropped connection, a refused connect, a server shutting down
    or starting up; SQLite: the file locked by another writer. Not constraint errors, read-only
    databases, a full disk or a broken schema."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    original = exc.orig
    if isinstance(original, sqlite3.Error):
        return _sqlite_busy(original)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:  # psycopg: no answer from a server (refused, reset, closed)
        return True
    return sqlstate.startswith("08") or sqlstate in POSTGRES_UNAVAILABLE


GROUP_WRITERS_LOCK = 0x6E637267  # pg_advisory_xact_lock key: flushes deciding near-duplicate groups


def serialize_group_writers(conn: Connection) -> None:
    """PostgreSQL: wait until no other transaction deciding near-duplicate groups is open (a
    transaction-scoped advisory lock, released at COMMIT/ROLLBACK), so each sees what the one
    before committed. SQLite needs none: it serializes writers, and a flush writes first."""
    if conn.engine.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GROUP_WRITERS_LOCK})


def transaction_id(conn: Connection) -> int | None:
    """PostgreSQL: the id of the connection's current transaction, to ask ``transaction_committed``
    about when its COMMIT failed with the outcome unknown. None on SQLite (a local commit either
    happened or raised)."""
    if conn.engine.dialect.name != "postgresql":
        return None
    return conn.execute(text("SELECT txid_current()")).scalar()


def transaction_committed(engine: Engine, transaction: int | None) -> bool:
    """Did the transaction ``transaction_id`` named commit? (False for None.)"""
    if transaction is None:
        return False
    with engine.connect() as conn:
        return conn.execute(text("SELECT txid_status(:id)"), {"id": transaction}).scalar() == "committed"


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
