"""Stream stored articles to JSON Lines, CSV, Parquet or a SQLite slice, in constant memory.

Rows are read ``BATCH_ROWS`` at a time from a server-side cursor (``yield_per``) and written
as they come; revisions are fetched per batch. Field names follow the Article item
(``newscrawl.items``), plus the database's ``id``, ``duplicate_of`` (the story's original, for a
syndicated copy), ``first_seen`` and ``last_seen``, and with ``revisions`` a list of the
article's earlier versions. Dates are UTC ISO 8601, as in the item.

The SQLite slice (``format="sqlite"``) copies the chosen articles with their other URLs and
revisions, and every crawl run, into a new database at the current schema: the way to
browse part of a PostgreSQL database with Datasette.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, and_, create_engine, select, text

from newscrawl.extraction.dates import to_utc_iso
from newscrawl.items import ARTICLE_FIELDS
from pipelines import migrate
from pipelines.schema import article_revisions, article_urls, articles, crawl_runs

FORMATS = ("jsonl", "csv", "parquet", "sqlite")
BATCH_ROWS = 1000
PARQUET_ROW_GROUP = 10_000  # rows per Parquet row group, held in memory while it fills
ARTICLE_COLUMNS = tuple(name for name in ARTICLE_FIELDS if name in articles.c)
EXPORT_FIELDS = ("id", *ARTICLE_COLUMNS, "duplicate_of", "first_seen", "last_seen")
REVISION_FIELDS = ("headline", "description", "article_body", "date_published", "date_modified",
                   "seen_from", "last_seen", "seen_until")


@dataclass(frozen=True)
class Selection:
    """Which articles to export."""

    sites: tuple[str, ...] = ()
    since: datetime | None = None  # date_published at or after
    until: datetime | None = None  # date_published before
    copies: bool = True  # syndicated copies (duplicate_of set) too
    revisions: bool = False  # each article's earlier versions

    def where(self):
        conditions = []
        if self.sites:
            conditions.append(articles.c.site.in_(self.sites))
        if self.since:
            conditions.append(articles.c.date_published >= self.since)
        if self.until:
            conditions.append(articles.c.date_published < self.until)
        if not self.copies:
            conditions.append(articles.c.duplicate_of.is_(None))
        return and_(True, *conditions)


def format_of(output: str, given: str | None) -> str:
    if given:
        return given
    suffix = Path(output).suffix.lower().lstrip(".")
    return {"json": "jsonl", "ndjson": "jsonl", "db": "sqlite", "sqlite3": "sqlite"}.get(suffix, suffix)


def article_batches(engine: Engine, selection: Selection) -> Iterator[list[dict]]:
    """The selected articles as dicts of EXPORT_FIELDS (+ revisions), BATCH_ROWS at a time."""
    query = select(*(articles.c[name] for name in EXPORT_FIELDS)).where(selection.where()).order_by(articles.c.id)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=BATCH_ROWS).execute(query)
        for partition in result.partitions():
            batch = [{name: _plain(value) for name, value in row._mapping.items()} for row in partition]
            if selection.revisions:
                _attach_revisions(engine, batch)
            yield batch


def _attach_revisions(engine: Engine, batch: list[dict]) -> None:
    by_id = {row["id"]: row for row in batch}
    for row in batch:
        row["revisions"] = []
    query = (select(article_revisions.c.article_id, *(article_revisions.c[n] for n in REVISION_FIELDS))
             .where(article_revisions.c.article_id.in_(list(by_id))).order_by(article_revisions.c.id))
    with engine.connect() as conn:
        for revision in conn.execute(query):
            values = {name: _plain(revision._mapping[name]) for name in REVISION_FIELDS}
            by_id[revision.article_id]["revisions"].append(values)


def _plain(value):
    return to_utc_iso(value) if isinstance(value, datetime) else value


def export(engine: Engine, selection: Selection, output: str, fmt: str) -> int:
    """Write the selection to *output* ("-" = standard output for jsonl and csv). Returns the row count."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "sqlite":
        return _export_sqlite(engine, selection, Path(output))
    if fmt == "parquet":
        return _export_parquet(engine, selection, output)
    stream = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")
    try:
        return (_write_jsonl if fmt == "jsonl" else _write_csv)(article_batches(engine, selection), stream, selection)
    finally:
        if stream is not sys.stdout:
            stream.close()


def _write_jsonl(batches, stream: io.TextIOBase, _selection: Selection) -> int:
    count = 0
    for batch in batches:
        stream.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in batch))
        count += len(batch)
    return count


def _write_csv(batches, stream: io.TextIOBase, selection: Selection) -> int:
    fields = [*EXPORT_FIELDS, *(("revisions",) if selection.revisions else ())]
    writer = csv.DictWriter(stream, fieldnames=fields)
    writer.writeheader()
    count = 0
    for batch in batches:
        for row in batch:  # lists (authors, tags, revisions) as JSON text
            writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in row.items()})
        count += len(batch)
    return count


def _export_parquet(engine: Engine, selection: Selection, output: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    list_fields = {"authors", "tags"}
    columns = [pa.field(name, pa.list_(pa.string()) if name in list_fields else
                        pa.int64() if name in ("id", "duplicate_of") else pa.string()) for name in EXPORT_FIELDS]
    if selection.revisions:
        columns.append(pa.field("revisions", pa.list_(pa.struct([pa.field(n, pa.string()) for n in REVISION_FIELDS]))))
    schema = pa.schema(columns)
    count, pending = 0, []
    with pq.ParquetWriter(output, schema) as writer:
        for batch in article_batches(engine, selection):
            pending.extend(batch)
            count += len(batch)
            if len(pending) >= PARQUET_ROW_GROUP:  # few, large row groups: a small footer to keep in memory
                writer.write_table(pa.Table.from_pylist(pending, schema=schema))
                pending.clear()
        if pending:
            writer.write_table(pa.Table.from_pylist(pending, schema=schema))
    return count


def _export_sqlite(engine: Engine, selection: Selection, output: Path) -> int:
    if output.exists():
        raise FileExistsError(f"{output} exists: the slice goes to a new file")
    target = create_engine(f"sqlite:///{output}")  # foreign keys unchecked while copying
    try:
        migrate.prepare(target)
        count = 0
        with engine.connect() as source, target.begin() as conn:
            _copy(source, conn, crawl_runs, select(crawl_runs))
            query = select(articles).where(selection.where()).order_by(articles.c.id)
            for partition in source.execution_options(yield_per=BATCH_ROWS).execute(query).partitions():
                conn.execute(articles.insert(), [dict(row._mapping) for row in partition])
                ids = [row.id for row in partition]
                for table in (article_urls, article_revisions):
                    _copy(source, conn, table, select(table).where(table.c.article_id.in_(ids)))
                count += len(partition)
            # A copy whose original is outside the slice stands alone in it.
            conn.execute(text("UPDATE articles SET duplicate_of = NULL "
                              "WHERE duplicate_of IS NOT NULL AND duplicate_of NOT IN (SELECT id FROM articles)"))
        return count
    finally:
        target.dispose()


def _copy(source, conn, table, query) -> None:
    rows = [dict(row._mapping) for row in source.execute(query)]
    if rows:
        conn.execute(table.insert(), rows)
