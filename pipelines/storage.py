"""StoragePipeline: write articles to the database (see pipelines.store).

Settings: DATABASE_URL (else $NEWSCRAWL_DATABASE_URL, else
sqlite:///newscrawl.db) and DATABASE_BATCH_SIZE (default 100).
The database is checked at open_spider, so a crawl with an unusable database
stops before downloading anything.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import CloseSpider

from pipelines.dedup import classify
from pipelines.schema import as_utc
from pipelines.store import CLOSE_REASON, ArticleStore, Decision, StoreFailed

logger = logging.getLogger(__name__)


class StoragePipeline:
    def __init__(self, store: ArticleStore, stats) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> StoragePipeline:
        return cls(ArticleStore.for_crawler(crawler), crawler.stats)

    def open_spider(self) -> None:
        if not self.store.open():
            raise CloseSpider(CLOSE_REASON)

    def close_spider(self) -> None:
        self.store.release()  # flushes the last batch

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
        self.stats.inc_value(f"newscrawl/articles/{outcome}")
        logger.debug("Article %s: %s", outcome, adapter.get("url"))
        return item


def article_row(adapter: ItemAdapter, decision: Decision) -> dict:
    """The articles columns for an item (without id, duplicate_of, first/last_seen)."""
    return {
        "url": adapter.get("url"),
        "canonical_url": decision.url_key,
        "site": adapter.get("site"),
        "headline": adapter.get("headline"),
        "description": adapter.get("description"),
        "article_body": adapter.get("article_body"),
        "authors": list(adapter.get("authors") or []),
        "date_published": parse_datetime(adapter.get("date_published")),
        "date_published_raw": adapter.get("date_published_raw"),
        "date_modified": parse_datetime(adapter.get("date_modified")),
        "date_modified_raw": adapter.get("date_modified_raw"),
        "date_downloaded": parse_datetime(adapter.get("date_downloaded")),
        "in_language": adapter.get("in_language"),
        "section": adapter.get("section"),
        "tags": list(adapter.get("tags") or []),
        "main_image": adapter.get("main_image"),
        "content_hash": decision.content_hash,
    }


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 string or datetime as an aware UTC datetime (naive = UTC); None if unparsable."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None
