"""RunIndex: what this run has accepted so far, flushed or not, as digests.

Deduplication consults it before the database, so that items not yet written
are seen too; the batch writer records the ids the database gave them.
"""

from __future__ import annotations

from pipelines.decisions import digest


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
