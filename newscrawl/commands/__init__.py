"""Scrapy commands of this project (COMMANDS_MODULE): crawl, db, browse, export, seed."""

from __future__ import annotations

from sqlalchemy import Engine

from pipelines.database import DatabaseError, database_url, mask_url, open_engine


def open_crawl_database(command) -> tuple[Engine | None, str]:
    """The crawl's database (-s DATABASE_URL, else $NEWSCRAWL_DATABASE_URL, else ./newscrawl.db) and
    its masked URL. When it cannot be opened: says why, sets the command's exit code 1, gives None."""
    url = database_url(command.settings)
    try:
        return open_engine(url), mask_url(url)
    except DatabaseError as exc:
        print(f"Cannot open the database {mask_url(url)}: {exc}")
        command.exitcode = 1
        return None, mask_url(url)
