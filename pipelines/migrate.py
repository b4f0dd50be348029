"""Schema versions (Alembic): a new database is created at the current schema, an older one is
upgraded by one command, and a crawl refuses to start on a schema older than its code.

- ``prepare(engine)``, at every crawl's start: an empty database gets ``metadata.create_all``
  and is stamped with the head revision; a database at the head passes; any other raises
  ``SchemaOutdated``, whose message names ``scrapy db upgrade``.
- ``upgrade(engine)``: ``scrapy db upgrade``. A database made before migrations existed
  (tables, but no ``alembic_version``) counts as the baseline revision 0001.

Both hold a lock for their whole run, so workers starting together cannot race: a
transaction-scoped advisory lock on PostgreSQL, an exclusive ``flock`` on the database's folder
on SQLite. Migration scripts live in ``pipelines/migrations/versions``.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, inspect, text

from pipelines.schema import metadata

SCRIPT_LOCATION = "pipelines:migrations"
BASELINE_REVISION = "0001"  # the schema of databases made before migrations existed
UPGRADE_COMMAND = "scrapy db upgrade"
_ADVISORY_LOCK_KEY = 0x6E657773_63726177  # "newscraw"


class SchemaOutdated(Exception):
    """The database's schema is not the one this code writes. The message is for the user."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    """The database's revision: None when it is empty, the baseline when it predates migrations."""
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None and inspect(conn).has_table("articles"):
        return BASELINE_REVISION
    return revision


def prepare(engine: Engine) -> str:
    """Create the schema in an empty database, or check that it is current. Returns the revision."""
    with schema_lock(engine) as conn:
        current = current_revision(conn)
        head = head_revision()
        if current is None:
            _create(conn)
        elif current != head:
            raise SchemaOutdated(_outdated_message(current, head))
        return head


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the head revision. Returns (revision before, revision after)."""
    with schema_lock(engine) as conn:
        current = current_revision(conn)
        head = head_revision()
        if current is None:
            _create(conn)
        elif current != head:
            _known_revision(current)
            config = alembic_config(conn)
            if MigrationContext.configure(conn).get_current_revision() is None:
                command.stamp(config, BASELINE_REVISION)
            command.upgrade(config, "head")
        return current, head


def _create(conn: Connection) -> None:
    metadata.create_all(conn)
    command.stamp(alembic_config(conn), "head")


def _known_revision(revision: str) -> None:
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise SchemaOutdated(
            f"the database schema is at revision {revision}, which this newscrawl does not know: "
            "it was written by a newer version; upgrade newscrawl"
        ) from None


def _outdated_message(current: str, head: str) -> str:
    _known_revision(current)
    return (f"the database schema is at revision {current}, and this newscrawl needs {head}: "
            f"upgrade it with `{UPGRADE_COMMAND}` (same -s DATABASE_URL) and start again")


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """A transaction that no other newscrawl process holds at the same time."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
            yield conn
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        with engine.begin() as conn:
            yield conn
        return
    # The lock is on the database's folder, never on the file itself: closing any descriptor of a
    # SQLite file drops the process's POSIX locks on it, which SQLite's own connections rely on.
    folder = os.open(Path(database).expanduser().resolve().parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        with engine.begin() as conn:
            yield conn
    finally:
        os.close(folder)  # releases the flock
