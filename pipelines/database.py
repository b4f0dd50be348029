"""Which database to use, and opening it (schema current, writable) with a clear error when that fails."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from pipelines import dialects, migrate
from pipelines.schema import article_urls, articles

DATABASE_URL_SETTING = "DATABASE_URL"
DATABASE_URL_ENV = "NEWSCRAWL_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///newscrawl.db"


class DatabaseError(Exception):
    """The database cannot be opened or written. The message is meant for the user."""


def database_url(settings) -> str:
    """The database URL: setting DATABASE_URL, else $NEWSCRAWL_DATABASE_URL, else ./newscrawl.db."""
    for candidate in (settings.get(DATABASE_URL_SETTING), os.environ.get(DATABASE_URL_ENV)):
        if candidate is not None and str(candidate).strip():
            return str(candidate).strip()
    return DEFAULT_DATABASE_URL


def mask_url(url: str) -> str:
    """*url* with its password replaced by ``***``, safe to log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable: mask anything that looks like user:password@
        return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def open_engine(url: str) -> Engine:
    """Create an engine for *url* and check that a connection can be made.

    Raises DatabaseError with a user-facing reason (the URL is not included:
    callers add the masked URL).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError("not a valid database URL") from None
    backend = parsed.get_backend_name()
    if backend not in dialects.SUPPORTED_BACKENDS:
        supported = ", ".join(dialects.SUPPORTED_BACKENDS)
        raise DatabaseError(f"unsupported database {backend!r} (supported: {supported})")
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_file(parsed)
    try:
        engine = create_engine(parsed, **dialects.engine_options(parsed))
    except NoSuchModuleError as exc:
        raise DatabaseError(f"no database driver for this URL ({exc})") from None
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(str(exc)) from None
    dialects.configure_engine(engine)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(describe_error(exc)) from None
    return engine


def open_database(url: str) -> Engine:
    """``open_engine``, then create the schema or check that it is current
    (``pipelines.migrate``) and that writing works: what a crawl needs before it starts.

    Raises DatabaseError, or migrate.SchemaOutdated for a database of an older version.
    """
    engine = open_engine(url)
    try:
        migrate.prepare(engine)
        _check_writable(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(describe_error(exc)) from None
    except migrate.SchemaOutdated:
        engine.dispose()
        raise
    return engine


def _check_writable(engine: Engine) -> None:
    """Fail now, not at the first batch, on a read-only database: an UPDATE
    matching no row still needs write access (then rolled back anyway)."""
    with engine.connect() as conn, conn.begin() as transaction:
        for table in (articles, article_urls):
            conn.execute(update(table).where(table.c.id == -1).values(id=table.c.id))
        transaction.rollback()


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a database exception (driver message without SQL)."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _check_sqlite_file(url: URL) -> None:
    """Refuse a SQLite path whose directory is missing or not writable.

    SQLite would create the file itself, but a missing directory is a user
    error, reported instead of created. The directory must be writable too:
    WAL mode keeps -wal and -shm files beside the database.
    """
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    directory = path.parent.resolve()
    if not directory.is_dir():
        raise DatabaseError(f"directory {directory} does not exist")
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabaseError(f"directory {directory} is not writable")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseError(f"file {path} is not readable and writable")
