"""ArticleStore: the one database handle per crawler, shared by the pipelines.

The deduplication pipeline asks it indexed questions ("is there an article
with this key / this body?") and the storage pipeline hands it rows to write.
Rows are written in batches of DATABASE_BATCH_SIZE, one transaction each.
What this run has accepted is kept in ``RunIndex`` (digests only), so items
not yet flushed are visible to deduplication too.

Every database failure goes through ``ArticleStore._fail``: one ERROR line
naming the (masked) database URL, stat ``newscrawl/fatal``, and the spider is
closed with reason ``database_error``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from pipelines import dialects
from pipelines.database import DatabaseError, database_url, describe_error, mask_url, open_engine
from pipelines.schema import CONTENT_COLUMNS, article_urls, articles, metadata

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)

BATCH_SIZE_SETTING = "DATABASE_BATCH_SIZE"
DEFAULT_BATCH_SIZE = 100
CLOSE_REASON = "database_error"
FATAL_STAT = "newscrawl/fatal"
UNSAVED_STAT = "newscrawl/articles/unsaved"

# Outcomes of deduplication; each is counted as newscrawl/articles/<outcome>.
NEW, UPDATED, UNCHANGED, DUPLICATE = "new", "updated", "unchanged", "duplicate"

# Rows per "WHERE url IN (...)" query, well below SQLite's parameter limit.
_IN_CHUNK = 500


class SettingsError(ValueError):
    """A newscrawl setting has an invalid value."""


class StoreFailed(Exception):
    """The database failed earlier in this run (already logged)."""


def digest(text: str) -> bytes:
    """A 16-byte digest: what RunIndex keeps instead of whole URLs and hashes."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Decision:
    """What deduplication decided for one item."""

    outcome: str  # NEW, UPDATED, UNCHANGED or DUPLICATE
    url_key: str  # newscrawl.urls.article_url_key of the item
    content_hash: str
    # The existing article (updated/unchanged: the same one; duplicate: the
    # original): its database id, or the key digest of an article first
    # accepted in this run, whose id may not be known yet.
    article_id: int | None = None
    run_key: bytes | None = None


@dataclass(frozen=True)
class StoredArticle:
    id: int
    content_hash: str


class RunIndex:
    """Articles accepted during this run, flushed or not: digests, not rows."""

    def __init__(self) -> None:
        self._content_by_key: dict[bytes, bytes] = {}
        self._key_by_content: dict[bytes, bytes] = {}
        self._id_by_key: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._content_by_key)

    def content_of(self, url_key: str) -> bytes | None:
        return self._content_by_key.get(digest(url_key))

    def key_with_content(self, content_hash: str) -> bytes | None:
        return self._key_by_content.get(digest(content_hash))

    def accept(self, url_key: str, content_hash: str, article_id: int | None = None) -> None:
        key, content = digest(url_key), digest(content_hash)
        self._content_by_key[key] = content
        self._key_by_content.setdefault(content, key)
        if article_id is not None:
            self._id_by_key[key] = article_id

    def article_id(self, key: bytes) -> int | None:
        return self._id_by_key.get(key)

    def set_article_id(self, key: bytes, article_id: int) -> None:
        self._id_by_key[key] = article_id


# One store per crawler, without adding attributes to the Crawler.
_stores: WeakKeyDictionary[Crawler, ArticleStore] = WeakKeyDictionary()


class ArticleStore:
    def __init__(self, crawler: Crawler, url: str, batch_size: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        self.masked_url = mask_url(url)
        self.batch_size = batch_size
        self.engine: Engine | None = None
        self.run = RunIndex()
        self.failure: str | None = None  # short reason once the database failed
        self._users = 0
        self._released = False
        self._closing_deferred = None
        # Decisions of the dedup pipeline, waiting for the storage pipeline:
        # id(item) -> (item, decision). The item is kept so that its id stays unique.
        self._decisions: dict[int, tuple[Any, Decision]] = {}
        # The batch being built.
        self._new_rows: dict[bytes, dict] = {}  # key digest -> articles row
        self._new_key_by_url: dict[str, bytes] = {}
        self._updated_rows: dict[int, dict] = {}  # article id -> content columns + last_seen
        self._seen: dict[int, datetime] = {}  # article id -> last_seen
        self._aliases: dict[str, tuple[int | bytes, datetime]] = {}  # duplicate url key -> (original, first_seen)

    # -- creation and lifecycle ------------------------------------------------

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> ArticleStore:
        """The crawler's store, created on first use from its settings."""
        store = _stores.get(crawler)
        if store is None:
            batch_size = _batch_size(crawler)
            store = cls(crawler, database_url(crawler.settings), batch_size)
            crawler.signals.connect(store._forget_item, signal=signals.item_dropped)
            crawler.signals.connect(store._forget_item, signal=signals.item_error)
            _stores[crawler] = store
        return store

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def open(self) -> bool:
        """Connect, create the schema and check that writing works. Idempotent.

        Each successful or failed call must be paired with ``release()``.
        Returns False (after logging) if the database is unusable.
        """
        self._users += 1
        if self.engine is not None:
            return True
        if self.failed:
            return False
        try:
            engine = open_engine(self.url)
            try:
                metadata.create_all(engine)
                _check_writable(engine)
            except SQLAlchemyError as exc:
                engine.dispose()
                raise DatabaseError(describe_error(exc)) from None
        except DatabaseError as exc:
            self._fail("Cannot open the database", str(exc), "database_open_failed", close_spider=False)
            return False
        self.engine = engine
        logger.info("Storing articles in %s (batches of %d)", self.masked_url, self.batch_size)
        return True

    def release(self) -> None:
        """Called by each user at spider close; the last one flushes and disposes."""
        # Scrapy closes every pipeline, also those whose open_spider never ran.
        self._users = max(self._users - 1, 0)
        if self._users or self._released:
            return
        self._released = True
        if self.engine is not None:
            self.flush(close_spider=False)
            self.engine.dispose()
            self.engine = None
        unsaved = self.stats.get_value(UNSAVED_STAT, 0)
        if unsaved:
            logger.warning("%d article(s) were not saved to %s", unsaved, self.masked_url)

    # -- lookups (indexed queries) -----------------------------------------------

    def find_by_key(self, url_key: str, url: str) -> StoredArticle | None:
        """The stored article with this deduplication key, else with this fetched URL."""
        columns = (articles.c.id, articles.c.content_hash)
        for condition in (articles.c.canonical_url == url_key, articles.c.url == url):
            row = self._query_one(select(*columns).where(condition).order_by(articles.c.id).limit(1))
            if row is not None:
                return StoredArticle(row.id, row.content_hash)
        return None

    def find_by_content_hash(self, content_hash: str) -> int | None:
        """The id of the oldest stored article with this body."""
        query = (
            select(articles.c.id)
            .where(articles.c.content_hash == content_hash)
            .order_by(articles.c.id)
            .limit(1)
        )
        row = self._query_one(query)
        return None if row is None else row.id

    def _query_one(self, query):
        if self.engine is None or self.failed:
            raise StoreFailed
        try:
            with self.engine.connect() as conn:
                return conn.execute(query).first()
        except SQLAlchemyError as exc:
            self._fail("Cannot read from the database", describe_error(exc), "database_read_failed")
            raise StoreFailed from None

    # -- decisions passed from the dedup pipeline to the storage pipeline ---------

    def attach_decision(self, item: Any, decision: Decision) -> None:
        self._decisions[id(item)] = (item, decision)

    def take_decision(self, item: Any) -> Decision | None:
        entry = self._decisions.pop(id(item), None)
        if entry is not None and entry[0] is item:
            return entry[1]
        return None

    def _forget_item(self, item: Any, **_kwargs: Any) -> None:
        """Signal handler: an item left the pipelines before storage took its decision."""
        self.take_decision(item)

    # -- batched writes -----------------------------------------------------------

    @property
    def pending_count(self) -> int:
        return len(self._new_rows) + len(self._updated_rows) + len(self._seen) + len(self._aliases)

    def stage(self, decision: Decision, row: dict) -> str:
        """Queue the write for one item; flush when the batch is full.

        *row* holds the articles columns from the item (CONTENT_COLUMNS and
        url). Returns the outcome, which is NEW instead of the decision's when
        the article it refers to never reached the store (dropped by a later
        pipeline).
        """
        now = utc_now()
        target = self._resolve(decision)
        outcome = decision.outcome if target is not None else NEW
        if outcome == NEW:
            self._stage_new(decision.url_key, row, now)
        elif outcome == DUPLICATE:
            self._aliases.setdefault(decision.url_key, (target, now))
        elif isinstance(target, bytes):  # updated/unchanged article still in this batch
            pending = self._new_rows[target]
            if outcome == UPDATED:
                pending.update({name: row[name] for name in CONTENT_COLUMNS})
            pending["last_seen"] = now
        elif outcome == UPDATED:
            self._updated_rows[target] = {**{name: row[name] for name in CONTENT_COLUMNS}, "last_seen": now}
            self._seen.pop(target, None)
        elif target in self._updated_rows:  # unchanged since its update in this batch
            self._updated_rows[target]["last_seen"] = now
        else:
            self._seen[target] = now
        if self.pending_count >= self.batch_size:
            self.flush()
        return outcome

    def _resolve(self, decision: Decision) -> int | bytes | None:
        """The article a decision refers to: a database id, the key digest of a
        row in this batch, or None (none, or it never reached the store)."""
        if decision.article_id is not None:
            return decision.article_id
        if decision.run_key is None:
            return None
        if decision.run_key in self._new_rows:
            return decision.run_key
        return self.run.article_id(decision.run_key)

    def _stage_new(self, url_key: str, row: dict, now: datetime) -> None:
        key = digest(url_key)
        first_seen = now
        # The same fetched URL already queued under another key: replace it.
        previous_key = self._new_key_by_url.get(row["url"])
        if previous_key is not None and previous_key != key:
            first_seen = self._new_rows.pop(previous_key)["first_seen"]
        self._new_rows[key] = {**row, "first_seen": first_seen, "last_seen": now}
        self._new_key_by_url[row["url"]] = key

    def flush(self, *, close_spider: bool = True) -> bool:
        """Write the batch in one transaction. Returns False if it could not be written."""
        if not self.pending_count:
            return True
        if self.engine is None or self.failed:
            self._discard_batch()
            return False
        try:
            with self.engine.begin() as conn:
                new_ids = self._insert_new(conn)
                self._update_changed(conn)
                self._update_seen(conn)
                self._insert_aliases(conn, new_ids)
        except SQLAlchemyError as exc:
            self._fail(
                "Cannot write to the database", describe_error(exc), "database_write_failed",
                close_spider=close_spider,
            )
            self._discard_batch()
            return False
        for key, article_id in new_ids.items():
            self.run.set_article_id(key, article_id)
        self._clear_batch()
        self.stats.inc_value("newscrawl/db/batches")
        return True

    def _insert_new(self, conn: Connection) -> dict[bytes, int]:
        """Upsert the new articles (on url); returns key digest -> article id."""
        if not self._new_rows:
            return {}
        statement = dialects.upsert(
            conn.engine, articles, "url", update_columns=(*CONTENT_COLUMNS, "last_seen")
        )
        conn.execute(statement, list(self._new_rows.values()))
        urls = list(self._new_key_by_url)
        new_ids = {}
        for start in range(0, len(urls), _IN_CHUNK):
            chunk = urls[start : start + _IN_CHUNK]
            for row in conn.execute(select(articles.c.id, articles.c.url).where(articles.c.url.in_(chunk))):
                new_ids[self._new_key_by_url[row.url]] = row.id
        return new_ids

    def _update_changed(self, conn: Connection) -> None:
        if not self._updated_rows:
            return
        names = (*CONTENT_COLUMNS, "last_seen")
        statement = (
            update(articles)
            .where(articles.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names})
        )
        params = [
            {"b_id": article_id, **{f"b_{name}": row[name] for name in names}}
            for article_id, row in self._updated_rows.items()
        ]
        conn.execute(statement, params)

    def _update_seen(self, conn: Connection) -> None:
        if not self._seen:
            return
        statement = (
            update(articles)
            .where(articles.c.id == bindparam("b_id"))
            .values(last_seen=bindparam("b_last_seen"))
        )
        conn.execute(statement, [{"b_id": i, "b_last_seen": seen} for i, seen in self._seen.items()])

    def _insert_aliases(self, conn: Connection, new_ids: dict[bytes, int]) -> None:
        rows = []
        for url_key, (original, first_seen) in self._aliases.items():
            article_id = new_ids.get(original) if isinstance(original, bytes) else original
            if article_id is None:  # cannot happen unless the original's row vanished
                logger.warning("Duplicate %s: its original article is not stored; not recorded", url_key)
                continue
            rows.append({"article_id": article_id, "url": url_key, "first_seen": first_seen})
        if rows:
            conn.execute(dialects.insert_ignoring_conflicts(conn.engine, article_urls, "url"), rows)

    def _discard_batch(self) -> None:
        unsaved = len(self._new_rows) + len(self._updated_rows)
        if unsaved:
            self.stats.inc_value(UNSAVED_STAT, unsaved)
        self._clear_batch()

    def _clear_batch(self) -> None:
        self._new_rows.clear()
        self._new_key_by_url.clear()
        self._updated_rows.clear()
        self._seen.clear()
        self._aliases.clear()

    # -- failure ---------------------------------------------------------------------

    def refuse(self, item: Any) -> None:
        """Drop an item that arrives after the database failed (counted, logged at DEBUG)."""
        self.stats.inc_value(UNSAVED_STAT)
        url = ItemAdapter(item).get("url")
        raise DropItem(f"Not saved, the database failed ({self.failure}): {url}", log_level="DEBUG")

    def _fail(self, action: str, reason: str, fatal: str, *, close_spider: bool = True) -> None:
        """Report the first database failure of the run and stop the crawl."""
        if self.failed:
            return
        self.failure = fatal
        unsaved = len(self._new_rows) + len(self._updated_rows)
        lost = f"; {unsaved} article(s) of the current batch not saved" if unsaved else ""
        logger.error("%s %s: %s%s. Stopping the crawl.", action, self.masked_url, reason, lost)
        self.stats.set_value(FATAL_STAT, fatal)
        if close_spider:
            self._close_spider()

    def _close_spider(self) -> None:
        # Before the crawl starts (tests, open_spider) there is no engine; the
        # caller raises CloseSpider there instead.
        engine = getattr(self.crawler, "_engine", None)
        if engine is None or engine.spider is None:
            return
        self._closing_deferred = deferred_from_coro(engine.close_spider_async(reason=CLOSE_REASON))


def _batch_size(crawler: Crawler) -> int:
    value = crawler.settings.get(BATCH_SIZE_SETTING, DEFAULT_BATCH_SIZE)
    try:
        if isinstance(value, bool) or float(value) != int(value):
            raise ValueError
        batch_size = int(value)
    except (TypeError, ValueError):
        batch_size = 0
    if batch_size < 1:
        crawler.stats.set_value(FATAL_STAT, f"invalid setting {BATCH_SIZE_SETTING}")
        raise SettingsError(f"{BATCH_SIZE_SETTING} must be a positive integer, got {value!r}")
    return batch_size


def _check_writable(engine: Engine) -> None:
    """Fail now, not at the first batch, on a read-only database: an UPDATE
    matching no row still needs write access (then rolled back anyway)."""
    with engine.connect() as conn, conn.begin() as transaction:
        for table in (articles, article_urls):
            conn.execute(update(table).where(table.c.id == -1).values(id=table.c.id))
        transaction.rollback()
