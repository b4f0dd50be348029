"""Browse and search a crawl's SQLite database with Datasette.

``enable_search(path)`` adds a SQLite FTS5 index over headline and body (sqlite-utils), kept
current by triggers as later crawls insert and update articles. ``metadata(name)`` is the
shipped configuration (datasette.yaml: labels, descriptions, facets, canned queries) under the
served database's name. ``serve_command(...)`` is the `datasette serve` command line.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

import sqlite_utils
import yaml

CONFIG = Path(__file__).with_name("datasette.yaml")
SEARCH_COLUMNS = ("headline", "article_body")
FTS_TABLE = "articles_fts"


@cache
def _config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def metadata(database_name: str) -> dict:
    """Datasette metadata for the database served as *database_name* (its file name's stem)."""
    config = _config()
    database = {"tables": config["tables"], "queries": config["queries"]}
    return {"title": config["title"], "description": config["description"],
            "databases": {database_name: database}}


def enable_search(path: Path) -> bool:
    """Create the full-text index and its triggers if they are missing. True if it was (re)built."""
    db = sqlite_utils.Database(path)
    try:
        if "articles" not in db.table_names():
            raise ValueError(f"{path} holds no articles table: is it a newscrawl database?")
        triggers = {trigger.name for trigger in db.triggers}
        wanted = {"articles_ai", "articles_ad", "articles_au"}
        if FTS_TABLE in db.table_names() and wanted <= triggers:
            return False
        db["articles"].enable_fts(list(SEARCH_COLUMNS), fts_version="FTS5", create_triggers=True, replace=True)
        return True
    finally:
        db.close()


def serve_command(path: Path, metadata_file: Path, host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", str(path), "--metadata", str(metadata_file),
            "--host", host, "--port", str(port), "--setting", "facet_time_limit_ms", "500",
            "--setting", "sql_time_limit_ms", "3000"]


def write_metadata(path: Path, metadata_file: Path) -> Path:
    metadata_file.write_text(json.dumps(metadata(path.stem), indent=2), encoding="utf-8")
    return metadata_file
