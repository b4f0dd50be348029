"""ArticleStore: the one database handle per crawler, shared by the pipelines.

The deduplication pipeline asks it indexed questions ("is there an article
with this key / this body?") and the storage pipeline hands it rows to write.
Rows are written in batches of DATABASE_BATCH_SIZE, one transaction each.
What this run has accepted is kept in ``RunIndex`` (digests only), so items
not yet flushed are visible to deduplication too.

A re-crawled article whose headline, body or publication date changed
significantly (``pipelines.revisions.significant_change``) is ``updated``: in
the same transaction as the update, its old version is copied to
``article_revisions`` (counted as ``newscrawl/articles/revisions``). An
unchanged one only gets its ``last_seen`` refreshed.

``open()`` also takes the run lock (``pipelines.runlock.RunLock``): a second run
of the same crawl against the same database is refused (or waits up to
``RUN_LOCK_WAIT`` seconds), so that two runs never deduplicate against each
other's half-written batches. The lock is released by the last ``release()``.

``known_article(url)`` answers "is this URL stored already?" from the
indexes (and the unflushed batch), for a downloader middleware that skips
stored articles before download; ``known_non_article(url)`` the same for
pages requested as articles that held none (``non_article_pages``, written
from the ``newscrawl.signals.page_not_article`` signal).

Near-duplicates: a decision with outcome ``near_duplicate`` (``Decision.duplicate_of``
set) is stored as a new row in its story's group: every member's
``duplicate_of`` points at the earliest published version; callables registered with ``add_insert_hook`` see every new row's
id (and ``Decision.fingerprint``) inside the flush transaction, e.g. to add it
to a near-duplicate index.

Every database failure goes through ``ArticleStore._fail``: one ERROR line
naming the (masked) database URL, stat ``newscrawl/fatal``, and the spider is
closed with reason ``database_error``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy import Integer, bindparam, case, cast, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from newscrawl import stats as keys
from newscrawl.signals import page_not_article
from newscrawl.urls import canonicalize_url
from pipelines.nearduplicates import earliest_version
from pipelines import dialects, migrate
from pipelines.database import DatabaseError, database_url, describe_error, mask_url, open_engine
from pipelines.runlock import LockSettingError, LockSettings, RunLock, lock_settings, run_lock_key
from pipelines.schema import (
    CONTENT_COLUMNS,
    REVISION_COLUMNS,
    UtcDateTime,
    article_revisions,
    article_urls,
    articles,
    non_article_pages,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)

BATCH_SIZE_SETTING = "DATABASE_BATCH_SIZE"
DEFAULT_BATCH_SIZE = 100
LOCKED_FATAL = "another run is active"

# Outcomes of deduplication; each is counted as newscrawl/articles/<outcome>.
NEW, UPDATED, UNCHANGED, DUPLICATE = "new", "updated", "unchanged", "duplicate"
# A new row linked to the story's earliest version (articles.duplicate_of);
# counted as newscrawl/articles/near_duplicate.
NEAR_DUPLICATE = "near_duplicate"

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

    outcome: str  # NEW, UPDATED, UNCHANGED, DUPLICATE or NEAR_DUPLICATE
    url_key: str  # newscrawl.urls.article_url_key of the item
    content_hash: str
    # The existing article (updated/unchanged: the same one; duplicate: the
    # original): its database id, or the key digest of an article first
    # accepted in this run, whose id may not be known yet.
    article_id: int | None = None
    run_key: bytes | None = None
    # NEAR_DUPLICATE only: a member of the story's group (database id or run key
    # digest); the new row joins that group, rooted at its earliest published member.
    duplicate_of: int | bytes | None = None
    # Anything the insert hooks need for a new row (a near-duplicate fingerprint).
    fingerprint: Any = None


@dataclass(frozen=True)
class StoredArticle:
    """A stored article's current version, as deduplication compares it."""

    id: int
    content_hash: str
    headline: str | None = None
    article_body: str | None = None
    date_published: datetime | None = None
    date_modified: datetime | None = None


@dataclass(frozen=True)
class KnownArticle:
    """What ``ArticleStore.known_article`` knows about a stored URL.

    ``id`` is None while the article is only in the unflushed batch.
    """

    id: int | None
    last_seen: datetime
    date_modified: datetime | None
    date_published: datetime | None


@dataclass(frozen=True)
class KnownNonArticle:
    """What ``ArticleStore.known_non_article`` knows about a page that held no article."""

    last_checked: datetime
    source_date: datetime | None


# Hook called in the flush transaction with the rows just inserted:
# hook(conn, [(article_id, row, fingerprint), ...]).
InsertHook = Callable[["Connection", list[tuple[int, dict, Any]]], None]


class RunIndex:
    """Articles accepted during this run, flushed or not: digests, not rows.

    Per article key: the digest of the last accepted version
    (``pipelines.revisions.version_hash``); per body hash: the first key.
    """

    def __init__(self) -> None:
        self._version_by_key: dict[bytes, bytes] = {}
        self._key_by_content: dict[bytes, bytes] = {}
        self._id_by_key: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._version_by_key)

    def version_of(self, url_key: str) -> bytes | None:
        return self._version_by_key.get(digest(url_key))

    def key_with_content(self, content_hash: str) -> bytes | None:
        return self._key_by_content.get(digest(content_hash))

    def accept(self, url_key: str, content_hash: str, version_hash: str, article_id: int | None = None) -> None:
        key = digest(url_key)
        self._version_by_key[key] = digest(version_hash)
        self._key_by_content.setdefault(digest(content_hash), key)
        if article_id is not None:
            self._id_by_key[key] = article_id

    def article_id(self, key: bytes) -> int | None:
        return self._id_by_key.get(key)

    def set_article_id(self, key: bytes, article_id: int) -> None:
        self._id_by_key[key] = article_id


# One store per crawler, without adding attributes to the Crawler.
_stores: WeakKeyDictionary[Crawler, ArticleStore] = WeakKeyDictionary()


class ArticleStore:
    def __init__(self, crawler: Crawler, url: str, batch_size: int, locking: LockSettings | None = None) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        self.masked_url = mask_url(url)
        self.batch_size = batch_size
        self.locking = locking or LockSettings()
        self.engine: Engine | None = None
        self.run = RunIndex()
        self.failure: str | None = None  # short reason once the database failed
        self.close_reason = keys.CLOSE_DATABASE_ERROR  # what the pipelines close the spider with when open() fails
        self.lock: RunLock | None = None  # held from open() to the last release()
        self.run_id: int | None = None  # crawl_runs.id, set by the run recorder
        self._users: set[int] = set()  # id() of each component between open() and release()
        self._released = False
        self._closing_deferred = None
        self._heartbeat = None
        self._insert_hooks: list[InsertHook] = []
        # Decisions of the dedup pipeline, waiting for the storage pipeline:
        # id(item) -> (item, decision). The item is kept so that its id stays unique.
        self._decisions: dict[int, tuple[Any, Decision]] = {}
        # The batch being built.
        self._new_rows: dict[bytes, dict] = {}  # key digest -> articles row
        self._new_key_by_url: dict[str, bytes] = {}
        self._new_links: dict[bytes, tuple[int | bytes, Any]] = {}  # key digest -> (near original, fingerprint)
        self._new_fingerprints: dict[bytes, Any] = {}
        self._updated_rows: dict[int, dict] = {}  # article id -> content columns + last_seen
        self._seen: dict[int, datetime] = {}  # article id -> last_seen
        self._aliases: dict[str, tuple[int | bytes, datetime]] = {}  # other URL of an article -> (article, first_seen)
        self._non_articles: dict[str, dict] = {}  # url -> non_article_pages row

    # -- creation and lifecycle ------------------------------------------------

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> ArticleStore:
        """The crawler's store, created on first use from its settings."""
        store = _stores.get(crawler)
        if store is None:
            batch_size = _batch_size(crawler)
            try:
                locking = lock_settings(crawler.settings)
            except LockSettingError as exc:
                crawler.stats.set_value(keys.FATAL, f"invalid setting {exc.setting}")
                raise SettingsError(str(exc)) from None
            store = cls(crawler, database_url(crawler.settings), batch_size, locking)
            crawler.signals.connect(store._forget_item, signal=signals.item_dropped)
            crawler.signals.connect(store._forget_item, signal=signals.item_error)
            crawler.signals.connect(store.remember_non_article, signal=page_not_article)
            _stores[crawler] = store
        return store

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def open(self, user: object = None) -> bool:
        """Connect, create the schema or check that it is current (pipelines.migrate),
        check that writing works and take the run lock. Idempotent.

        *user* (the pipeline or extension) registers until ``release(user)``;
        the engine and the lock stay until the last user is released. Returns
        False (after logging) if the database is unusable or another run of
        this crawl holds the lock; ``close_reason`` says which.
        """
        self._users.add(id(user))
        if self.failed:
            return False
        if self.engine is not None:
            return True
        try:
            engine = open_engine(self.url)
            try:
                migrate.prepare(engine)
                _check_writable(engine)
            except SQLAlchemyError as exc:
                engine.dispose()
                raise DatabaseError(describe_error(exc)) from None
            except migrate.SchemaOutdated:
                engine.dispose()
                raise
        except DatabaseError as exc:
            self._fail("Cannot open the database", str(exc), "database_open_failed", close_spider=False)
            return False
        except migrate.SchemaOutdated as exc:
            self._fail("Cannot use the database", str(exc), "database_schema_outdated", close_spider=False)
            return False
        self.engine = engine
        if not self._take_lock():
            return False
        logger.info("Storing articles in %s (batches of %d)", self.masked_url, self.batch_size)
        return True

    def _take_lock(self) -> bool:
        spider = getattr(self.crawler, "spider", None)
        name = run_lock_key(spider) if spider is not None else self.crawler.spidercls.name
        lock = RunLock(self.engine, name, getattr(spider, "name", name), self.locking)
        try:
            acquired = lock.acquire()
        except SQLAlchemyError as exc:
            self._fail("Cannot take the run lock in", describe_error(exc), "database_open_failed", close_spider=False)
            return False
        if not acquired:
            # The engine stays open (unused for articles) so that the run
            # recorder can still record this refused run.
            self.failure = LOCKED_FATAL
            self.close_reason = keys.CLOSE_ANOTHER_RUN_ACTIVE
            self.stats.set_value(keys.FATAL, LOCKED_FATAL)
            logger.error("%s Not starting this run.", lock.refusal_message(self.masked_url))
            return False
        self.lock = lock
        self._start_heartbeat()
        return True

    def release(self, user: object = None) -> None:
        """Called by each user at spider close: flushes what is pending; the
        last user also releases the run lock and disposes of the engine."""
        # Scrapy closes every pipeline, also those whose open_spider never ran
        # (when another one raised CloseSpider): those are not users.
        if id(user) not in self._users:
            return
        self._users.discard(id(user))
        if self._released:
            return
        if self.engine is not None and self.pending_count:
            self.flush(close_spider=False)
        if self._users:
            return
        self._released = True
        self._stop_heartbeat()
        if self.lock is not None:
            try:
                self.lock.release()
            except SQLAlchemyError as exc:
                logger.warning("Could not release the run lock in %s: %s", self.masked_url, describe_error(exc))
            self.lock = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        unsaved = self.stats.get_value(keys.UNSAVED, 0)
        if unsaved:
            logger.warning("%d article(s) were not saved to %s", unsaved, self.masked_url)

    # -- the run lock's heartbeat -----------------------------------------------

    def _start_heartbeat(self) -> None:
        """Refresh the lock every RUN_LOCK_HEARTBEAT seconds while the reactor runs."""
        from scrapy.utils.reactor import is_reactor_installed

        if not is_reactor_installed():  # pipelines driven by hand (tests)
            return
        from twisted.internet import reactor
        from twisted.internet.task import LoopingCall

        if not reactor.running:
            return
        self._heartbeat = LoopingCall(self._beat)
        self._heartbeat.start(self.locking.heartbeat_interval, now=False)

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        self._heartbeat = None

    def _beat(self) -> None:
        if self.lock is None or self.engine is None:
            return
        try:
            held = self.lock.heartbeat()
        except SQLAlchemyError as exc:  # the next beat may work; the batches report real trouble
            logger.warning("Could not refresh the run lock in %s: %s", self.masked_url, describe_error(exc))
            return
        if not held:
            self._stop_heartbeat()
            self.lock = None
            self._fail(
                "Lost the run lock in", "another run took it over (this run's heartbeat was too old)",
                "run lock lost", close_reason=keys.CLOSE_RUN_LOCK_LOST,
            )

    # -- lookups (indexed queries) -----------------------------------------------

    def find_by_key(self, url_key: str, url: str) -> StoredArticle | None:
        """The stored article with this deduplication key, else with this fetched URL."""
        row = self._query_one(_BY_KEY_OR_URL, {"key": url_key, "url": url})
        return None if row is None else StoredArticle(**row._mapping)

    def stored_version(self, key: bytes) -> Any:
        """The current version of an article accepted earlier in this run (by
        key digest): its pending row, else its stored row; None if unknown."""
        if key in self._new_rows:
            return self._new_rows[key]
        article_id = self.run.article_id(key)
        if article_id is None:
            return None
        if article_id in self._updated_rows:
            return self._updated_rows[article_id]
        row = self._query_one(_VERSION_BY_ID, {"id": article_id})
        return None if row is None else dict(row._mapping)

    def find_by_content_hash(self, content_hash: str) -> int | None:
        """The id of the oldest stored article with this body."""
        row = self._query_one(_BY_CONTENT_HASH, {"hash": content_hash})
        return None if row is None else row.id

    def known_article(self, url: str) -> KnownArticle | None:
        """Is the article at *url* stored already (or waiting in the batch)?

        Matches *url* exactly against ``articles.url``, and its canonical form
        (``newscrawl.urls.canonicalize_url``) against ``articles.canonical_url``
        and ``article_urls.url`` (the other URLs of an article): indexed
        lookups, at most two queries. Raises StoreFailed if the database is
        unusable (already reported; the crawl is stopping).
        """
        key = canonicalize_url(url)
        pending = self._pending_known(url, key)
        if pending is not None and pending.id is None:
            return pending
        if pending is not None:  # an alias of a stored article, waiting in the batch
            row = self._query_one(_KNOWN_BY_ID, {"id": pending.id})
        else:
            rows = self._query(_KNOWN_BY_URL, {"url": url, "key": key})
            row = next((r for r in rows if r.url == url), rows[0] if rows else None)
            if row is None:
                row = self._query_one(_KNOWN_BY_ALIAS, {"urls": sorted({url, key})})
        if row is None:
            return None
        last_seen, date_modified, date_published = row.last_seen, row.date_modified, row.date_published
        if row.id in self._updated_rows:
            pending_row = self._updated_rows[row.id]
            last_seen = pending_row["last_seen"]
            date_modified, date_published = pending_row["date_modified"], pending_row["date_published"]
        elif row.id in self._seen:
            last_seen = self._seen[row.id]
        return KnownArticle(row.id, last_seen, date_modified, date_published)

    def known_non_article(self, url: str) -> KnownNonArticle | None:
        """Was *url* fetched before and found to hold no article? (one indexed lookup)"""
        pending = self._non_articles.get(url)
        if pending is not None:
            return KnownNonArticle(pending["last_checked"], pending["source_date"])
        row = self._query_one(
            select(non_article_pages.c.last_checked, non_article_pages.c.source_date)
            .where(non_article_pages.c.url == url)
        )
        return None if row is None else KnownNonArticle(row.last_checked, row.source_date)

    def _pending_known(self, url: str, key: str) -> KnownArticle | None:
        new_key = self._new_key_by_url.get(url)
        if new_key is None and digest(key) in self._new_rows:
            new_key = digest(key)
        alias = self._aliases.get(key)
        if new_key is None and alias is not None:
            original, first_seen = alias
            if isinstance(original, bytes) and original in self._new_rows:
                new_key = original
            elif isinstance(original, int):
                return KnownArticle(original, first_seen, None, None)
        if new_key is None:
            return None
        row = self._new_rows[new_key]
        return KnownArticle(None, row["last_seen"], row["date_modified"], row["date_published"])

    def _query_one(self, query, params: dict | None = None):
        rows = self._query(query, params)
        return rows[0] if rows else None

    def _query(self, query, params: dict | None = None) -> list:
        if self.engine is None or self.failed:
            raise StoreFailed
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(query, params or {}))
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

    # -- hooks ------------------------------------------------------------------------

    def add_insert_hook(self, hook: InsertHook) -> None:
        """Call ``hook(conn, [(article_id, row, fingerprint), ...])`` with the
        rows each flush inserts, inside its transaction (a failure rolls the
        batch back and stops the crawl like any write failure)."""
        self._insert_hooks.append(hook)

    # -- batched writes -----------------------------------------------------------

    @property
    def pending_count(self) -> int:
        return (len(self._new_rows) + len(self._updated_rows) + len(self._seen) + len(self._aliases)
                + len(self._non_articles))

    def remember_non_article(self, url: str, reason: str | None = None, source_date: datetime | None = None,
                             **_kwargs: Any) -> None:
        """Signal handler (``page_not_article``): queue *url* as a page without an article."""
        if self.engine is None or self.failed or not url:
            return
        now = utc_now()
        self._non_articles[url] = {"url": url, "reason": reason, "source_date": source_date,
                                   "first_seen": now, "last_checked": now}
        if self.pending_count >= self.batch_size:
            self.flush()

    def stage(self, decision: Decision, row: dict) -> str:
        """Queue the write for one item; flush when the batch is full.

        *row* holds the articles columns from the item (CONTENT_COLUMNS and
        url). Returns the outcome, which is NEW instead of the decision's when
        the article it refers to never reached the store (dropped by a later
        pipeline).
        """
        now = utc_now()
        target = self._resolve(decision)
        outcome = decision.outcome
        if outcome == UPDATED and target is not None and (
            isinstance(target, bytes) or target in self._updated_rows
        ):
            # Its current version is still in the batch: write it first, so
            # that it becomes a revision instead of being overwritten.
            if not self.flush():
                self.stats.inc_value(keys.UNSAVED)
                return outcome
            target = self._resolve(decision)
        if outcome in (NEW, NEAR_DUPLICATE):
            link = None
            if outcome == NEAR_DUPLICATE:
                link = self._resolve_original(decision.duplicate_of)
                outcome = NEAR_DUPLICATE if link is not None else NEW
            self._stage_new(decision.url_key, row, now, link, decision.fingerprint)
        elif target is None:
            outcome = NEW
            self._stage_new(decision.url_key, row, now, None, decision.fingerprint)
        elif outcome == DUPLICATE:
            self._aliases.setdefault(decision.url_key, (target, now))
        elif isinstance(target, bytes):  # unchanged article still in this batch
            self._new_rows[target]["last_seen"] = now
        elif outcome == UPDATED:
            self._updated_rows[target] = {**{name: row[name] for name in CONTENT_COLUMNS}, "last_seen": now}
            self._seen.pop(target, None)
        elif target in self._updated_rows:  # unchanged since its update in this batch
            self._updated_rows[target]["last_seen"] = now
        else:
            self._seen[target] = now
        if outcome in (UNCHANGED, UPDATED, DUPLICATE) and target is not None:
            self._remember_fetched_url(row["url"], decision.url_key, target, now)
        if self.pending_count >= self.batch_size:
            self.flush()
        return outcome

    def _remember_fetched_url(self, url: str, url_key: str, target: int | bytes, now: datetime) -> None:
        """Record a URL that led to a stored article under another key (say, an archive
        copy declaring the article's rel=canonical), so that cron runs skip it too."""
        fetched = canonicalize_url(url)
        if fetched != url_key:
            self._aliases.setdefault(fetched, (target, now))

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

    def _resolve_original(self, original: int | bytes | None) -> int | bytes | None:
        if original is None or isinstance(original, int):
            return original
        if original in self._new_rows:
            return original
        return self.run.article_id(original)

    def _stage_new(self, url_key: str, row: dict, now: datetime, link=None, fingerprint=None) -> None:
        key = digest(url_key)
        first_seen = now
        # The same fetched URL already queued under another key: replace it.
        previous_key = self._new_key_by_url.get(row["url"])
        if previous_key is not None and previous_key != key:
            first_seen = self._new_rows.pop(previous_key)["first_seen"]
            self._new_links.pop(previous_key, None)
            self._new_fingerprints.pop(previous_key, None)
        self._new_rows[key] = {**row, "first_seen": first_seen, "last_seen": now}
        self._new_key_by_url[row["url"]] = key
        if link is not None:
            self._new_links[key] = link
        if fingerprint is not None:
            self._new_fingerprints[key] = fingerprint

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
                self._link_near_duplicates(conn, new_ids)
                self._call_insert_hooks(conn, new_ids)
                revisions = self._insert_revisions(conn)
                self._update_changed(conn)
                self._update_seen(conn)
                self._insert_aliases(conn, new_ids)
                self._write_non_articles(conn)
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
        self.stats.inc_value(keys.DB_BATCHES)
        if revisions:
            self.stats.inc_value(keys.REVISIONS, revisions)
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

    def _link_near_duplicates(self, conn: Connection, new_ids: dict[bytes, int]) -> None:
        """Join each new near-copy to its original's group, whose root (duplicate_of NULL,
        every other member pointing at it) is the earliest *published* member
        (``pipelines.nearduplicates.earliest_version``), whatever order the crawl met them in:
        a copy that turns out to be older than the group's root becomes the new root, and the
        whole group is re-pointed in this transaction."""
        for key, original in self._new_links.items():
            original_id = new_ids.get(original) if isinstance(original, bytes) else original
            article_id = new_ids.get(key)
            if original_id is None or article_id is None or original_id == article_id:
                continue
            root_id = conn.execute(
                select(func.coalesce(articles.c.duplicate_of, articles.c.id)).where(articles.c.id == original_id)
            ).scalar()
            if root_id is None or root_id == article_id:
                continue
            group = conn.execute(
                select(articles.c.id, articles.c.date_published, articles.c.first_seen).where(
                    or_(articles.c.id.in_((root_id, article_id)), articles.c.duplicate_of == root_id)
                )
            ).all()
            root = earliest_version(group)
            members = [row.id for row in group if row.id != root]
            conn.execute(update(articles).where(articles.c.id.in_(members)).values(duplicate_of=root))
            if root != root_id:
                conn.execute(update(articles).where(articles.c.id == root).values(duplicate_of=None))
                self.stats.inc_value(keys.NEAR_DUPLICATE_GROUPS_REROOTED)

    def _call_insert_hooks(self, conn: Connection, new_ids: dict[bytes, int]) -> None:
        if not self._insert_hooks or not new_ids:
            return
        inserted = [
            (new_ids[key], row, self._new_fingerprints.get(key))
            for key, row in self._new_rows.items() if key in new_ids
        ]
        for hook in self._insert_hooks:
            hook(conn, inserted)

    def _insert_revisions(self, conn: Connection) -> int:
        """Copy the stored version of each updated article to article_revisions
        (one INSERT ... SELECT, so the copy is of the row as it is now)."""
        if not self._updated_rows:
            return 0
        postgres = conn.engine.dialect.name == "postgresql"
        # PostgreSQL needs the type of a parameter in a SELECT list; SQLite's
        # CAST would turn a timestamp string into a number.
        until = bindparam("b_until", type_=UtcDateTime())
        run_id = bindparam("b_run", type_=Integer())
        if postgres:
            until, run_id = cast(until, UtcDateTime()), cast(run_id, Integer())
        previous = article_revisions.alias("previous")
        seen_from = func.coalesce(
            select(func.max(previous.c.seen_until)).where(previous.c.article_id == articles.c.id).scalar_subquery(),
            articles.c.first_seen,
        )
        columns = ["article_id", *REVISION_COLUMNS, "seen_from", "last_seen", "seen_until", "run_id"]
        source = select(
            articles.c.id, *(articles.c[name] for name in REVISION_COLUMNS), seen_from, articles.c.last_seen,
            until, run_id,
        ).where(articles.c.id == bindparam("b_id"))
        params = [
            {"b_id": article_id, "b_until": row["last_seen"], "b_run": self.run_id}
            for article_id, row in self._updated_rows.items()
        ]
        result = conn.execute(insert(article_revisions).from_select(columns, source), params)
        return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(params)

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

    def _write_non_articles(self, conn: Connection) -> None:
        """Upsert the pages found to hold no article; forget those that now hold one."""
        if self._non_articles:
            statement = dialects.upsert(conn.engine, non_article_pages, "url",
                                        update_columns=("reason", "source_date", "last_checked"))
            conn.execute(statement, list(self._non_articles.values()))
        stored = [url for url in self._new_key_by_url if url not in self._non_articles]
        for start in range(0, len(stored), _IN_CHUNK):
            conn.execute(non_article_pages.delete().where(non_article_pages.c.url.in_(stored[start:start + _IN_CHUNK])))

    def _discard_batch(self) -> None:
        unsaved = len(self._new_rows) + len(self._updated_rows)
        if unsaved:
            self.stats.inc_value(keys.UNSAVED, unsaved)
        self._clear_batch()

    def _clear_batch(self) -> None:
        self._new_rows.clear()
        self._new_key_by_url.clear()
        self._new_links.clear()
        self._new_fingerprints.clear()
        self._updated_rows.clear()
        self._seen.clear()
        self._aliases.clear()
        self._non_articles.clear()

    # -- failure ---------------------------------------------------------------------

    def refuse(self, item: Any) -> None:
        """Drop an item that arrives after the database failed (counted, logged at DEBUG)."""
        self.stats.inc_value(keys.UNSAVED)
        url = ItemAdapter(item).get("url")
        raise DropItem(f"Not saved, the database failed ({self.failure}): {url}", log_level="DEBUG")

    def _fail(self, action: str, reason: str, fatal: str, *, close_spider: bool = True,
              close_reason: str = keys.CLOSE_DATABASE_ERROR) -> None:
        """Report the first database failure of the run and stop the crawl."""
        if self.failed:
            return
        self.failure = fatal
        self.close_reason = close_reason
        unsaved = len(self._new_rows) + len(self._updated_rows)
        lost = f"; {unsaved} article(s) of the current batch not saved" if unsaved else ""
        logger.error("%s %s: %s%s. Stopping the crawl.", action, self.masked_url, reason, lost)
        self.stats.set_value(keys.FATAL, fatal)
        if close_spider:
            self._close_spider()

    def _close_spider(self) -> None:
        # Before the crawl starts (tests, open_spider) there is no engine; the
        # caller raises CloseSpider there instead.
        engine = getattr(self.crawler, "_engine", None)
        if engine is None or engine.spider is None:
            return
        self._closing_deferred = deferred_from_coro(engine.close_spider_async(reason=self.close_reason))


_VERSION_COLUMNS = (
    articles.c.id,
    articles.c.content_hash,
    articles.c.headline,
    articles.c.article_body,
    articles.c.date_published,
    articles.c.date_modified,
)

# The lookups, built once (a statement built per call costs more than the indexed query).
# By key or fetched URL: the oldest article with the key, else the one with the URL.
_BY_KEY_OR_URL = (
    select(*_VERSION_COLUMNS)
    .where(or_(articles.c.canonical_url == bindparam("key"), articles.c.url == bindparam("url")))
    .order_by(case((articles.c.canonical_url == bindparam("key"), 0), else_=1), articles.c.id)
    .limit(1)
)
_VERSION_BY_ID = select(*_VERSION_COLUMNS).where(articles.c.id == bindparam("id"))
_BY_CONTENT_HASH = (
    select(articles.c.id).where(articles.c.content_hash == bindparam("hash")).order_by(articles.c.id).limit(1)
)
_KNOWN_COLUMNS = (articles.c.id, articles.c.url, articles.c.last_seen, articles.c.date_modified,
                  articles.c.date_published)
_KNOWN_BY_ID = select(*_KNOWN_COLUMNS).where(articles.c.id == bindparam("id"))
_KNOWN_BY_URL = (
    select(*_KNOWN_COLUMNS)
    .where(or_(articles.c.url == bindparam("url"), articles.c.canonical_url == bindparam("key")))
    .order_by(articles.c.id)
    .limit(5)
)
_KNOWN_BY_ALIAS = (
    select(*_KNOWN_COLUMNS)
    .join(article_urls, article_urls.c.article_id == articles.c.id)
    .where(article_urls.c.url.in_(bindparam("urls", expanding=True)))
    .order_by(article_urls.c.id)
    .limit(1)
)


def _batch_size(crawler: Crawler) -> int:
    value = crawler.settings.get(BATCH_SIZE_SETTING, DEFAULT_BATCH_SIZE)
    try:
        if isinstance(value, bool) or float(value) != int(value):
            raise ValueError
        batch_size = int(value)
    except (TypeError, ValueError):
        batch_size = 0
    if batch_size < 1:
        crawler.stats.set_value(keys.FATAL, f"invalid setting {BATCH_SIZE_SETTING}")
        raise SettingsError(f"{BATCH_SIZE_SETTING} must be a positive integer, got {value!r}")
    return batch_size


def _check_writable(engine: Engine) -> None:
    """Fail now, not at the first batch, on a read-only database: an UPDATE
    matching no row still needs write access (then rolled back anyway)."""
    with engine.connect() as conn, conn.begin() as transaction:
        for table in (articles, article_urls):
            conn.execute(update(table).where(table.c.id == -1).values(id=table.c.id))
        transaction.rollback()
