"""ArticleStore: the one database handle per crawler, shared by the pipelines.

It combines the parts of storage and owns their lifecycle and failure policy:
the engine (``pipelines.database``), the run lock and its heartbeat
(``pipelines.runlock``), what this run accepted (``pipelines.runindex``), the
indexed questions of deduplication and the incremental middleware
(``pipelines.lookups``) and the batch being written (``pipelines.batch``, one
transaction per DATABASE_BATCH_SIZE rows).

``open()`` connects, prepares the schema and takes the run lock: a second run
of the same crawl against the same database is refused (or waits up to
``RUN_LOCK_WAIT`` seconds), so that two runs never deduplicate against each
other's half-written batches. The lock is released by the last ``release()``.

Lookups and batch writes wait out a database that is briefly unreachable
(``pipelines.retry``, DATABASE_RETRY_TIMEOUT), keeping the batch. The outcome
counters (newscrawl/articles/<outcome>) count an item once its batch is written.
Every database failure goes through ``ArticleStore._fail``: one ERROR line
naming the (masked) database URL, stat ``newscrawl/fatal``, and the spider is
closed with reason ``database_error``.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from newscrawl import stats as keys
from newscrawl.setting_values import integer, refused_when_invalid
from newscrawl.signals import page_not_article
from pipelines import migrate
from pipelines.batch import BatchWriter, InsertHook
from pipelines.database import DatabaseError, database_url, describe_error, mask_url, open_database
from pipelines.decisions import Decision, DecisionHandover
from pipelines.errors import StoreFailed
from pipelines.lookups import ArticleLookups, KnownArticle, KnownNonArticle, StoredArticle
from pipelines.retry import DEFAULT_RETRY_TIMEOUT, ConnectionRetry, DatabaseUnavailable, retry_timeout
from pipelines.runindex import RunIndex
from pipelines.runlock import (
    LockHeartbeat,
    LockSettings,
    RunLock,
    lock_settings,
    run_lock_key,
    utc_now,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)

BATCH_SIZE_SETTING = "DATABASE_BATCH_SIZE"
DEFAULT_BATCH_SIZE = 100
LOCKED_FATAL = "another run is active"
UNAVAILABLE_FATAL = "database_unavailable"

# One store per crawler, without adding attributes to the Crawler.
_stores: WeakKeyDictionary[Crawler, ArticleStore] = WeakKeyDictionary()


class ArticleStore:
    def __init__(self, crawler: Crawler, url: str, batch_size: int, locking: LockSettings | None = None,
                 retry_seconds: float = DEFAULT_RETRY_TIMEOUT) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.url = url
        self.masked_url = mask_url(url)
        self.locking = locking or LockSettings()
        self.engine: Engine | None = None
        self.run = RunIndex()
        self.failure: str | None = None  # short reason once the database failed
        self.close_reason = keys.CLOSE_DATABASE_ERROR  # what the pipelines close the spider with when open() fails
        self._lock: RunLock | None = None  # held from open() to the last release()
        self._heartbeat: LockHeartbeat | None = None
        self._users: set[int] = set()  # id() of each component between open() and release()
        self._released = False
        self._closing_deferred = None
        self._decisions = DecisionHandover()
        self._batch = BatchWriter(self.run, self.stats, batch_size)
        self._batch_outcomes: Counter[str] = Counter()  # outcome -> items in the batch, counted once written
        self._retry = ConnectionRetry(retry_seconds, self.stats, self.masked_url)
        self._lookups = ArticleLookups(self._batch, self.run, self._read_rows)

    # -- creation and lifecycle ------------------------------------------------

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> ArticleStore:
        """The crawler's store, created on first use from its settings."""
        store = _stores.get(crawler)
        if store is None:
            with refused_when_invalid(crawler):
                batch_size = integer(crawler.settings, BATCH_SIZE_SETTING, DEFAULT_BATCH_SIZE, minimum=1)
                locking = lock_settings(crawler.settings)
                retry_seconds = retry_timeout(crawler.settings)
            store = cls(crawler, database_url(crawler.settings), batch_size, locking, retry_seconds)
            crawler.signals.connect(store._forget_item, signal=signals.item_dropped)
            crawler.signals.connect(store._forget_item, signal=signals.item_error)
            crawler.signals.connect(store.remember_non_article, signal=page_not_article)
            _stores[crawler] = store
        return store

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def batch_size(self) -> int:
        return self._batch.batch_size

    @property
    def run_id(self) -> int | None:
        """crawl_runs.id of this run, set by the run recorder; kept with each revision."""
        return self._batch.run_id

    @run_id.setter
    def run_id(self, run_id: int | None) -> None:
        self._batch.run_id = run_id

    def attach_run(self, conn: Connection, run_id: int) -> None:
        """Name this run's crawl_runs row in its run lock (in the caller's transaction)."""
        if self._lock is not None:
            self._lock.attach_run(conn, run_id)

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
            engine = open_database(self.url)
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
        worker = self.crawler.settings.get("FLEET_WORKER") if self.crawler.settings.get("REDIS_URL") else None
        fleet_prefix = f"{name} worker " if worker else None
        if fleet_prefix:  # fleet mode: one lock per worker, the workers of a fleet share the crawl
            name = fleet_prefix + worker
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
        self._lock = lock
        self._heartbeat = LockHeartbeat(lock, self.masked_url, self._lock_lost)
        self._heartbeat.start()
        if fleet_prefix:
            try:
                lock.free_stale_peers(fleet_prefix)
            except SQLAlchemyError as exc:  # the next worker to start tries again
                logger.warning("Could not free stale fleet locks in %s: %s", self.masked_url, describe_error(exc))
        return True

    def _lock_lost(self) -> None:
        self._lock = None
        self._fail(
            "Lost the run lock in", "another run took it over (this run's heartbeat was too old)",
            "run lock lost", close_reason=keys.CLOSE_RUN_LOCK_LOST,
        )

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
        if self._heartbeat is not None:
            self._heartbeat.stop()
        if self._lock is not None:
            try:
                self._lock.release()
            except SQLAlchemyError as exc:
                logger.warning("Could not release the run lock in %s: %s", self.masked_url, describe_error(exc))
            self._lock = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        unsaved = self.stats.get_value(keys.UNSAVED, 0)
        if unsaved:
            logger.warning("%d article(s) were not saved to %s", unsaved, self.masked_url)

    # -- lookups (pipelines.lookups); raise StoreFailed once the database failed ----

    def find_by_key(self, url_key: str, url: str) -> StoredArticle | None:
        return self._lookups.find_by_key(url_key, url)

    def stored_version(self, key: bytes) -> Any:
        return self._lookups.stored_version(key)

    def find_by_content_hash(self, content_hash: str) -> int | None:
        return self._lookups.find_by_content_hash(content_hash)

    def known_article(self, url: str) -> KnownArticle | None:
        return self._lookups.known_article(url)

    def known_non_article(self, url: str) -> KnownNonArticle | None:
        return self._lookups.known_non_article(url)

    def known_page(self, url: str, also_non_article: bool = False) -> tuple[KnownArticle | None,
                                                                           KnownNonArticle | None]:
        return self._lookups.known_page(url, also_non_article)

    def _read_rows(self, query, params: dict) -> list:
        if self.engine is None or self.failed:
            raise StoreFailed
        try:
            return self._retry.call(lambda: self._query(query, params))
        except DatabaseUnavailable as exc:
            self._fail("Cannot reach the database", str(exc), UNAVAILABLE_FATAL)
            raise StoreFailed from None
        except SQLAlchemyError as exc:
            self._fail("Cannot read from the database", describe_error(exc), "database_read_failed")
            raise StoreFailed from None

    def _query(self, query, params: dict) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(query, params))

    # -- decisions passed from the dedup pipeline to the storage pipeline ---------

    def attach_decision(self, item: Any, decision: Decision) -> None:
        self._decisions.attach(item, decision)

    def take_decision(self, item: Any) -> Decision | None:
        return self._decisions.take(item)

    def _forget_item(self, item: Any, **_kwargs: Any) -> None:
        """Signal handler: an item left the pipelines before storage took its decision."""
        self._decisions.take(item)

    # -- batched writes (pipelines.batch) ---------------------------------------------

    def add_insert_hook(self, hook: InsertHook) -> None:
        """Call ``hook(conn, [(article_id, row, fingerprint), ...])`` with the
        rows each flush inserts, inside its transaction (a failure rolls the
        batch back and stops the crawl like any write failure)."""
        self._batch.add_insert_hook(hook)

    @property
    def pending_count(self) -> int:
        return self._batch.pending_count

    def remember_non_article(self, url: str, reason: str | None = None, source_date: datetime | None = None,
                             **_kwargs: Any) -> None:
        """Signal handler (``page_not_article``): queue *url* as a page without an article."""
        if self.engine is None or self.failed or not url:
            return
        self._batch.add_non_article(url, reason, source_date, utc_now())
        if self._batch.full:
            self.flush()

    def stage(self, decision: Decision, row: dict) -> str:
        """Queue the write for one item; flush when the batch is full.

        *row* holds the articles columns from the item (CONTENT_COLUMNS and
        url). Returns the outcome, which is NEW instead of the decision's when
        the article it refers to never reached the store (dropped by a later
        pipeline).
        """
        now = utc_now()
        if self._batch.holds_current_version(decision) and not self.flush():
            self.stats.inc_value(keys.UNSAVED)
            return decision.outcome
        outcome = self._batch.stage(decision, row, now)
        self._batch_outcomes[outcome] += 1
        if self._batch.full:
            self.flush()
        return outcome

    def flush(self, *, close_spider: bool = True) -> bool:
        """Write the batch in one transaction. Returns False if it could not be written."""
        if not self.pending_count:
            return True
        if self.engine is None or self.failed:
            self._discard_batch()
            return False
        try:
            self._retry.call(lambda: self._batch.write(self.engine))
        except DatabaseUnavailable as exc:
            self._fail("Cannot reach the database", str(exc), UNAVAILABLE_FATAL, close_spider=close_spider)
            self._discard_batch()
            return False
        except SQLAlchemyError as exc:
            self._fail(
                "Cannot write to the database", describe_error(exc), "database_write_failed",
                close_spider=close_spider,
            )
            self._discard_batch()
            return False
        for outcome, count in self._batch_outcomes.items():
            self.stats.inc_value(keys.article_outcome(outcome), count)
        self._batch_outcomes.clear()
        return True

    def _discard_batch(self) -> None:
        self._batch.discard()
        self._batch_outcomes.clear()

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
        unsaved = self._batch.unsaved_count
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


