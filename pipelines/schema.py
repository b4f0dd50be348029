"""Database schema (SQLAlchemy Core, dialect-neutral).

Datetimes are stored as timezone-aware UTC timestamps (``UtcDateTime``):
``timestamptz`` on PostgreSQL, UTC wall time on SQLite; both read back as
aware UTC ``datetime`` objects. The item's original date strings are kept in
the ``*_raw`` columns.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

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
    # For later near-duplicate linking; exact duplicates never get a row.
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
    # The duplicate's deduplication key (same form as articles.canonical_url).
    Column("url", Text, nullable=False, unique=True),
    Column("first_seen", UtcDateTime, nullable=False),
)

# Columns refreshed when an article's content is stored again.
CONTENT_COLUMNS = (
    "canonical_url",
    "site",
    "headline",
    "description",
    "article_body",
    "authors",
    "date_published",
    "date_published_raw",
    "date_modified",
    "date_modified_raw",
    "date_downloaded",
    "in_language",
    "section",
    "tags",
    "main_image",
    "content_hash",
)
