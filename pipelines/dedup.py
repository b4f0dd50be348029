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

"Known" means accepted earlier in this run (``pipelines.runindex``, digests only)
or stored by an earlier run (indexed lookups). The decision is handed to the
StoragePipeline, which writes it and counts newscrawl/articles/<outcome>.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import CloseSpider, DropItem

from newscrawl.setting_values import NEAR_DUPLICATE_MODES, choice, refused_when_invalid
from newscrawl.urls import article_url_key
from newscrawl.textnorm import body_for_hashing
from pipelines.nearduplicates import (
    MIN_SHINGLES,
    THRESHOLD,
    Fingerprint,
    NearDuplicateIndex,
    PendingFingerprints,
    fingerprint,
)
from pipelines.revisions import significant_change, version_hash
from pipelines.decisions import DUPLICATE, NEAR_DUPLICATE, NEW, UNCHANGED, UPDATED, Decision, digest
from pipelines.errors import StoreFailed
from pipelines.store import ArticleStore

logger = logging.getLogger(__name__)


def content_hash(text: str | None) -> str:
    """sha256 hex of the normalised body: whitespace/case-only differences hash the same."""
    return hashlib.sha256(body_for_hashing(text or "").encode("utf-8")).hexdigest()


def classify(store: ArticleStore, adapter: ItemAdapter, near: NearDuplicateCheck | None = None) -> Decision:
    """Decide the outcome of one article and remember it in the run index.

    Raises StoreFailed if the database failed (already reported), and DropItem for a
    near-duplicate when near-duplicates are set to be dropped.
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
        original, fp = near.original_of(adapter) if near is not None else (None, None)
        if original is not None and near.mode == "drop":
            raise DropItem(f"Near-duplicate of article {original!r}: {adapter.get('url')}", log_level="INFO")
        if original is not None:
            decision = Decision(NEAR_DUPLICATE, url_key, body_hash, duplicate_of=original, fingerprint=fp)
        else:
            decision = Decision(NEW, url_key, body_hash, fingerprint=fp)
        if near is not None:
            near.remember(digest(url_key), fp)

    if decision.outcome != DUPLICATE:
        # Claimed now, so that later items see it even before it is written.
        run.accept(url_key, body_hash, version, article_id=decision.article_id)
    return decision


NEAR_DUPLICATES_SETTING = "NEAR_DUPLICATES"


class NearDuplicateCheck:
    """Is a new body a syndicated copy of an article stored before (or waiting in this batch)?

    Stored articles are found through the MinHash band index in the database
    (pipelines.nearduplicates); articles of the unwritten batch are compared directly.
    Every inserted row is added to the index inside the store's flush transaction.
    """

    def __init__(self, store: ArticleStore, mode: str = "link") -> None:
        self.store = store
        self.mode = mode
        self._pending = PendingFingerprints()  # run key -> fingerprint, unwritten
        store.add_insert_hook(self._index_inserted)

    def original_of(self, adapter: ItemAdapter) -> tuple[int | bytes | None, Fingerprint]:
        fp = fingerprint(adapter.get("article_body") or "")
        if fp.size < MIN_SHINGLES:
            return None, fp
        run_key = self._pending.first_match(fp, THRESHOLD)
        if run_key is not None:
            return run_key, fp
        found = NearDuplicateIndex(self.store.engine).find_original(fp)
        if found is None:
            return None, fp
        original, score = found
        logger.info("%s is a near-duplicate of article %s (containment %.2f)", adapter.get("url"), original, score)
        return original, fp

    def remember(self, run_key: bytes, fp: Fingerprint | None) -> None:
        if fp is not None and fp.size >= MIN_SHINGLES:
            self._pending.add(run_key, fp)

    def _index_inserted(self, conn, rows) -> None:
        NearDuplicateIndex(conn).add_many((article_id, fp) for article_id, _row, fp in rows if fp is not None)
        self._pending.clear()  # a flush writes the whole batch


class DeduplicationPipeline:
    """Exact duplicates always; syndicated near-copies per setting NEAR_DUPLICATES: "link" (stored
    as their own row with duplicate_of = the earliest version), "drop", or "off"."""

    def __init__(self, store: ArticleStore, near_duplicates: str = "link") -> None:
        self.store = store
        self.near = NearDuplicateCheck(store, near_duplicates) if near_duplicates != "off" else None

    @classmethod
    def from_crawler(cls, crawler) -> DeduplicationPipeline:
        with refused_when_invalid(crawler):
            mode = choice(crawler.settings, NEAR_DUPLICATES_SETTING, "link", NEAR_DUPLICATE_MODES)
        return cls(ArticleStore.for_crawler(crawler), mode)

    def open_spider(self) -> None:
        if not self.store.open(self):
            raise CloseSpider(self.store.close_reason)

    def close_spider(self) -> None:
        self.store.release(self)

    def process_item(self, item: Any) -> Any:
        if self.store.failed:
            self.store.refuse(item)
        try:
            decision = classify(self.store, ItemAdapter(item), self.near)
        except StoreFailed:
            self.store.refuse(item)
        self.store.attach_decision(item, decision)
        return item
