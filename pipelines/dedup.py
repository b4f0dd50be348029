"""DeduplicationPipeline: is this article new, updated, unchanged or a duplicate?

- Same deduplication key (newscrawl.urls.article_url_key of url and
  rel=canonical) as a known article: ``updated`` if its headline, body or
  publication date changed significantly
  (``pipelines.revisions.significant_change``: whitespace, case, a dateline or
  a date-only line do not count), else ``unchanged``. The store keeps the old
  version of an updated article in article_revisions.
- Otherwise the same body hash as a known article: ``duplicate`` (stored as
  an extra URL of that article, never as a second row).
- Otherwise ``new`` (or ``near_duplicate``, see ``near_duplicate_of``).

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
from pipelines.revisions import significant_change, version_hash
from pipelines.store import (
    DUPLICATE,
    NEAR_DUPLICATE,
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
    version = version_hash(adapter)
    run = store.run

    if (version_this_run := run.version_of(url_key)) is not None:
        key = digest(url_key)
        if version_this_run == digest(version):
            outcome = UNCHANGED
        else:  # compare with the version stored (or waiting in the batch)
            current = store.stored_version(key)
            outcome = UPDATED if current is None or significant_change(current, adapter) else UNCHANGED
        decision = Decision(outcome, url_key, body_hash, run_key=key)
    elif (stored := store.find_by_key(url_key, url)) is not None:
        outcome = UPDATED if significant_change(stored, adapter) else UNCHANGED
        decision = Decision(outcome, url_key, body_hash, article_id=stored.id)
    elif (original_key := run.key_with_content(body_hash)) is not None:
        decision = Decision(DUPLICATE, url_key, body_hash, run_key=original_key)
    elif (original_id := store.find_by_content_hash(body_hash)) is not None:
        decision = Decision(DUPLICATE, url_key, body_hash, article_id=original_id)
    else:
        original, fingerprint = near_duplicate_of(store, adapter)
        if original is not None:
            decision = Decision(NEAR_DUPLICATE, url_key, body_hash, duplicate_of=original, fingerprint=fingerprint)
        else:
            decision = Decision(NEW, url_key, body_hash, fingerprint=fingerprint)

    if decision.outcome != DUPLICATE:
        # Claimed now, so that later items see it even before it is written.
        run.accept(url_key, body_hash, version, article_id=decision.article_id)
    return decision


def near_duplicate_of(store: ArticleStore, adapter: ItemAdapter) -> tuple[int | bytes | None, object]:
    """THE place for the near-duplicate check (not wired yet): for an article
    that is neither known nor an exact duplicate, return ``(original, fingerprint)``.

    *original*: the id of the stored article it is a near-copy of (or the run
    key digest of one accepted earlier in this run), else None; the item is
    then stored as its own row with ``duplicate_of`` = the earliest version
    (the store follows the original's own duplicate_of) and counted as
    ``newscrawl/articles/near_duplicate``. *fingerprint* is handed, with the
    new row's id, to the store's insert hooks (``ArticleStore.add_insert_hook``),
    e.g. ``NearDuplicateIndex.add(article_id, fingerprint)`` in the flush
    transaction, so that later copies find this one.
    """
    return None, None


class DeduplicationPipeline:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler) -> DeduplicationPipeline:
        return cls(ArticleStore.for_crawler(crawler))

    def open_spider(self) -> None:
        if not self.store.open():
            raise CloseSpider(self.store.close_reason)

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
