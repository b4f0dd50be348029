"""StoragePipeline: write articles to the database (see pipelines.store).

Settings: DATABASE_URL (else $NEWSCRAWL_DATABASE_URL, else
sqlite:///newscrawl.db), DATABASE_BATCH_SIZE (default 100), DATABASE_RETRY_TIMEOUT
(60 s, pipelines.retry), and the run lock's
RUN_LOCK_WAIT (default 0: refuse), RUN_LOCK_STALE_AFTER (600) and
RUN_LOCK_HEARTBEAT (60), in seconds (pipelines.runlock).
The database is checked and the run lock taken at open_spider, so a crawl with
an unusable database, or overlapping a run of the same crawl, stops before
downloading anything.

The store counts newscrawl/articles/<outcome> per item (new, updated,
unchanged, duplicate, near_duplicate) once its batch is written, and
newscrawl/articles/revisions per old version kept.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import CloseSpider

from sqlalchemy import JSON

from newscrawl.items import PUBLIC_FIELDS
from pipelines.dedup import classify
from pipelines.schema import UtcDateTime, articles, parse_datetime
from pipelines.decisions import Decision
from pipelines.errors import StoreFailed
from pipelines.store import ArticleStore

__all__ = ["StoragePipeline", "article_row", "parse_datetime"]

logger = logging.getLogger(__name__)


class StoragePipeline:
    def __init__(self, store: ArticleStore, stats) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> StoragePipeline:
        return cls(ArticleStore.for_crawler(crawler), crawler.stats)

    def open_spider(self) -> None:
        if not self.store.open(self):
            raise CloseSpider(self.store.close_reason)

    def close_spider(self) -> None:
        self.store.release(self)  # flushes the last batch

    def process_item(self, item: Any) -> Any:
        if self.store.failed:
            self.store.refuse(item)
        adapter = ItemAdapter(item)
        decision = self.store.take_decision(item)
        if decision is None:  # DeduplicationPipeline not enabled
            try:
                decision = classify(self.store, adapter)
            except StoreFailed:
                self.store.refuse(item)
        outcome = self.store.stage(decision, article_row(adapter, decision))
        logger.debug("Article %s: %s", outcome, adapter.get("url"))
        return item


def article_row(adapter: ItemAdapter, decision: Decision) -> dict:
    """The articles columns for an item (without id, duplicate_of, first/last_seen): every public
    Article field that has a column, converted by the column's type, plus the dedup key and hash."""
    row = {name: _column_value(name, adapter.get(name)) for name in _ITEM_COLUMNS}
    row["canonical_url"] = decision.url_key
    row["content_hash"] = decision.content_hash
    return row


_ITEM_COLUMNS = tuple(name for name in PUBLIC_FIELDS if name in articles.c)


def _column_value(name: str, value: Any) -> Any:
    column_type = articles.c[name].type
    if isinstance(column_type, UtcDateTime):
        return parse_datetime(value)
    if isinstance(column_type, JSON):
        return list(value or [])
    return value
