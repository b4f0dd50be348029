"""DeduplicationPipeline: is this article new, updated, unchanged or a duplicate?

- Same deduplication key (newscrawl.urls.article_url_key of url and
  rel=canonical) as a known article: ``unchanged`` if the body hash is equal,
  else ``updated``.
- Otherwise the same body hash as a known article: ``duplicate`` (stored as
  an extra URL of that article, never as a second row).
- Otherwise ``new``.

"Known" means accepted earlier in this run (ArticleStore.run, digests only)
or stored by an earlier run (indexed lookups). The decision is handed to the
StoragePipeline, which writes it and counts newscrawl/articles/<outcome>.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import CloseSpider, DropItem

from newscrawl.urls import article_url_key
from pipelines.store import (
    CLOSE_REASON,
    DUPLICATE,
    NEW,
    UNCHANGED,
    UPDATED,
    ArticleStore,
    Decision,
    StoreFailed,
    digest,
)


def normalise_body(text: str) -> str:
    """Body text as compared for duplicates: NFKC, casefolded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str | None) -> str:
    """sha256 hex of the normalised body: whitespace/case-only differences hash the same."""
    return hashlib.sha256(normalise_body(text or "").encode("utf-8")).hexdigest()


def classify(store: ArticleStore, adapter: ItemAdapter) -> Decision:
    """Decide the outcome of one article and remember it in the run index.

    Raises StoreFailed if the database failed (already reported).
    """
    url = adapter.get("url")
    if not url:
        raise DropItem("Article without url", log_level="WARNING")
    url_key = article_url_key(url, adapter.get("canonical_url"))
    body_hash = content_hash(adapter.get("article_body"))
    run = store.run

    if (hash_this_run := run.content_of(url_key)) is not None:
        outcome = UNCHANGED if hash_this_run == digest(body_hash) else UPDATED
        decision = Decision(outcome, url_key, body_hash, run_key=digest(url_key))
    elif (stored := store.find_by_key(url_key, url)) is not None:
        outcome = UNCHANGED if stored.content_hash == body_hash else UPDATED
        decision = Decision(outcome, url_key, body_hash, article_id=stored.id)
    elif (original_key := run.key_with_content(body_hash)) is not None:
        decision = Decision(DUPLICATE, url_key, body_hash, run_key=original_key)
    elif (original_id := store.find_by_content_hash(body_hash)) is not None:
        decision = Decision(DUPLICATE, url_key, body_hash, article_id=original_id)
    else:
        decision = Decision(NEW, url_key, body_hash)

    if decision.outcome != DUPLICATE:
        # Claimed now, so that later items see it even before it is written.
        run.accept(url_key, body_hash, article_id=decision.article_id)
    return decision


class DeduplicationPipeline:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler) -> DeduplicationPipeline:
        return cls(ArticleStore.for_crawler(crawler))

    def open_spider(self) -> None:
        if not self.store.open():
            raise CloseSpider(CLOSE_REASON)

    def close_spider(self) -> None:
        self.store.release()

    def process_item(self, item: Any) -> Any:
        if self.store.failed:
            self.store.refuse(item)
        try:
            decision = classify(self.store, ItemAdapter(item))
        except StoreFailed:
            self.store.refuse(item)
        self.store.attach_decision(item, decision)
        return item
