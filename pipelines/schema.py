"""Database schema (SQLAlchemy Core, dialect-neutral).

Tables: ``articles`` (one row per story, its current version), ``article_urls``
(other URLs at which an article's identical body was found),
``article_revisions`` (earlier versions of an article, kept when a re-crawl
finds its headline, body or publication date changed), ``non_article_pages``
(pages requested as articles that held none), ``minhash_bands`` and
``minhash_signatures`` (the near-duplicate index), ``crawl_runs`` (one
row per crawl: arguments, times, status, counts) and ``crawl_locks`` (the
run lock: one row per running crawl, so that two runs of the same crawl cannot
overlap). ``metadata.create_all`` creates whatever is missing; it never alters
an existing table.

Datetimes are stored as timezone-aware UTC timestamps (``UtcDateTime``):
``timestamptz`` on PostgreSQL, UTC wall time on SQLite; both read back as
aware UTC ``datetime`` objects. The item's original date strings are kept in
the ``*_raw`` columns.
"""

from __future__ import annotations

from datetime import UTC, datetime

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

from newscrawl.extraction.dates import from_utc_iso

# Stable constraint/index names, the same on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator):
    """Accepts aware datetimes (naive ones are taken as UTC); returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UtcDateTime expects a datetime, got {type(value).__name__}")
        return as_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 string or datetime as an aware UTC datetime (naive = UTC); None if unparsable."""
    return from_utc_iso(value)


articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    # The URL the article was first fetched from.
    Column("url", Text, nullable=False, unique=True),
    # Deduplication key: newscrawl.urls.article_url_key(url, rel=canonical).
    Column("canonical_url", Text, nullable=False, index=True),
    Column("site", Text, index=True),
    Column("headline", Text),
    Column("description", Text),
    Column("article_body", Text),
    Column("authors", JSON, nullable=False, default=list),
    Column("date_published", UtcDateTime, index=True),
    Column("date_published_raw", Text),
    Column("date_modified", UtcDateTime),
    Column("date_modified_raw", Text),
    Column("date_downloaded", UtcDateTime),
    Column("in_language", String(35)),  # ISO 639-1, or a BCP 47 tag
    Column("section", Text),
    Column("tags", JSON, nullable=False, default=list),
    Column("main_image", Text),
    # sha256 hex of the normalised body (pipelines.dedup.content_hash).
    Column("content_hash", String(64), nullable=False, index=True),
    # A near-duplicate (syndicated copy with edits) is stored as its own row and
    # points to the earliest stored version of the story; exact duplicates never
    # get a row (see article_urls).
    Column(
        "duplicate_of",
        Integer,
        ForeignKey("articles.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
)

# Other URLs at which an article's identical body was found (exact duplicates).
article_urls = Table(
    "article_urls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # Another URL of the article (same form as articles.canonical_url): a duplicate's
    # deduplication key, or a fetched URL that led to it under another key.
    Column("url", Text, nullable=False, unique=True),
    Column("first_seen", UtcDateTime, nullable=False),
)

# Columns refreshed when an article's content is stored again: all but its identity and times.
CONTENT_COLUMNS = tuple(
    name for name in articles.c.keys() if name not in ("id", "url", "duplicate_of", "first_seen", "last_seen")
)


# One row per crawl, written when it opens (status "running") and completed at
# close from the crawl's stats (pipelines.runs.CrawlRunRecorder).
crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("spider", Text, nullable=False, index=True),
    # The -a arguments, as validated (JSON object), and the -s settings given
    # on the command line (DATABASE_URL with its password masked).
    Column("arguments", JSON, nullable=False, default=dict),
    Column("settings", JSON, nullable=False, default=dict),
    Column("hostname", Text),
    Column("pid", Integer),
    Column("started_at", UtcDateTime, nullable=False, index=True),
    Column("finished_at", UtcDateTime),
    Column("finish_reason", Text),
    # "running", then "ok", "degraded", "interrupted" or "failed" (failed: the stat
    # newscrawl/fatal was set, its value is in ``fatal``; interrupted: a signal stopped
    # the crawl; the crawl command exits non-zero on both. degraded: most article pages
    # were dropped, see the stat newscrawl/degraded).
    Column("status", String(16), nullable=False, index=True),
    Column("fatal", Text),
    Column("pages", Integer),
    Column("articles", Integer),
    Column("new", Integer),
    Column("updated", Integer),
    Column("unchanged", Integer),
    Column("duplicates", Integer),  # exact + near duplicates
    Column("revisions", Integer),
    Column("skipped", Integer),  # sum of newscrawl/skipped/*
    Column("dropped", Integer),
    Column("errors", Integer),
    # Every newscrawl/* counter of the run, for what the columns above leave out.
    Column("stats", JSON),
    # Fleet mode (REDIS_URL): the fleet run this worker's run belonged to; NULL otherwise.
    Column("fleet_run", String(64), index=True),
)

# Earlier versions of articles. When a re-crawl finds a significant change
# (pipelines.revisions.significant_change), the version being replaced is
# copied here and the articles row gets the new one.
article_revisions = Table(
    "article_revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("headline", Text),
    Column("description", Text),
    Column("article_body", Text),
    Column("date_published", UtcDateTime),
    Column("date_modified", UtcDateTime),
    Column("content_hash", String(64), nullable=False),
    # First time this version was seen (the article's first_seen, or when the
    # previous revision was replaced), the last crawl that still saw it, and
    # when a crawl first saw the version that replaced it.
    Column("seen_from", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("seen_until", UtcDateTime, nullable=False),
    # The crawl run that found the change (when the run recorder is enabled).
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL"), nullable=True),
)

# The run lock: one row per crawl that is running (pipelines.runlock.RunLock).
# ``name`` is the lock key: the spider name (plus the seed hosts for a spider
# without a site of its own, such as ``news``). ``token`` identifies the holder.
crawl_locks = Table(
    "crawl_locks",
    metadata,
    Column("name", Text, primary_key=True),
    Column("token", String(32), nullable=False),
    Column("spider", Text, nullable=False),
    Column("run_id", Integer, nullable=True),
    Column("pid", Integer, nullable=False),
    Column("hostname", Text, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("heartbeat", UtcDateTime, nullable=False),
)

# Pages requested as articles (listed in a sitemap or feed, or linked like one) that were
# fetched and held no article: remembered so that cron runs do not fetch them again unless
# their sitemap/feed date says they changed (newscrawl.middlewares.IncrementalMiddleware).
non_article_pages = Table(
    "non_article_pages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    # Why it is not an article (the extraction problem, or "navigation page").
    Column("reason", Text),
    # The sitemap <lastmod> or feed date it was listed with when last fetched, if any.
    Column("source_date", UtcDateTime),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_checked", UtcDateTime, nullable=False),
)

# The near-duplicate index (pipelines.nearduplicates).
# One row per LSH band of an indexed article: the lookup table.
minhash_bands = Table(
    "minhash_bands",
    metadata,
    Column("band", Integer, nullable=False),
    Column("hash", BigInteger, nullable=False),  # signed 64-bit
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Also serves "delete this article's bands".
    PrimaryKeyConstraint("article_id", "band"),
    # The lookup. The band number is hashed into ``hash`` (band_hashes), so the
    # hash alone is the key and one "hash IN (64 values)" is one index scan
    # (PostgreSQL: = ANY(array)); leading with band would need 64 OR'ed probes,
    # measured 2x slower. Covering (band, article_id included): no table reads.
    Index("ix_minhash_bands_hash", "hash", "band", "article_id"),
)

# One row per indexed article: what candidate verification reads.
minhash_signatures = Table(
    "minhash_signatures",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("num_shingles", Integer, nullable=False),
    # Little-endian uint64 shingle hashes (see sample()), sorted.
    Column("sample", LargeBinary, nullable=False),
)

# The version of an article that a revision keeps (besides the times): the content columns it has.
REVISION_COLUMNS = tuple(name for name in article_revisions.c.keys() if name in CONTENT_COLUMNS)
