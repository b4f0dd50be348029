"""What deduplication decides for an item, in the words the storage parts share.

The outcomes (each counted as newscrawl/articles/<outcome>), the ``Decision``
for one item, ``DecisionHandover`` (decisions waiting between the dedup and the
storage pipeline) and ``digest``, the 16-byte form in which this run keeps keys
and hashes in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

# Outcomes of deduplication; each is counted as newscrawl/articles/<outcome>.
NEW, UPDATED, UNCHANGED, DUPLICATE = "new", "updated", "unchanged", "duplicate"
# A new row linked to the story's earliest version (articles.duplicate_of);
# counted as newscrawl/articles/near_duplicate.
NEAR_DUPLICATE = "near_duplicate"


def digest(text: str) -> bytes:
    """A 16-byte digest: what RunIndex keeps instead of whole URLs and hashes."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


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


class DecisionHandover:
    """Decisions of the dedup pipeline, waiting for the storage pipeline.

    Kept by id(item), with the item itself so that its id stays unique.
    """

    def __init__(self) -> None:
        self._waiting: dict[int, tuple[Any, Decision]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def attach(self, item: Any, decision: Decision) -> None:
        self._waiting[id(item)] = (item, decision)

    def take(self, item: Any) -> Decision | None:
        entry = self._waiting.pop(id(item), None)
        if entry is not None and entry[0] is item:
            return entry[1]
        return None
