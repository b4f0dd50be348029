"""ArticleLookups: the indexed questions about stored articles, with the batch in view.

"Is there an article with this key / this body?" (deduplication), "is this URL
stored already, or known to hold no article?" (the incremental middleware).
Answers include what waits in the unwritten batch (``pipelines.batch``) and
what this run accepted (``pipelines.runindex``). Rows are read through the
*read_rows* callable given by the store, which owns the engine and reports
failures (raising ``pipelines.errors.StoreFailed``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, cast, literal_column, null, or_, select, union_all

from newscrawl.urls import canonicalize_url
from pipelines.batch import BatchWriter
from pipelines.decisions import digest
from pipelines.runindex import RunIndex
from pipelines.schema import article_urls, articles, non_article_pages

# read_rows(query, params) -> the result rows as a list.
RowReader = Callable[[Any, dict], list]


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
    """What ``known_article`` knows about a stored URL.

    ``id`` is None while the article is only in the unflushed batch.
    """

    id: int | None
    last_seen: datetime
    date_modified: datetime | None
    date_published: datetime | None


@dataclass(frozen=True)
class KnownNonArticle:
    """What ``known_non_article`` knows about a page that held no article."""

    last_checked: datetime
    source_date: datetime | None


class ArticleLookups:
    def __init__(self, batch: BatchWriter, run: RunIndex, read_rows: RowReader) -> None:
        self.batch = batch
        self.run = run
        self.read_rows = read_rows

    def find_by_key(self, url_key: str, url: str) -> StoredArticle | None:
        """The stored article with this deduplication key, else with this fetched URL."""
        row = self._read_one(_BY_KEY_OR_URL, {"key": url_key, "url": url})
        return None if row is None else StoredArticle(**row._mapping)

    def stored_version(self, key: bytes) -> Any:
        """The current version of an article accepted earlier in this run (by
        key digest): its pending row, else its stored row; None if unknown."""
        if key in self.batch.new_rows:
            return self.batch.new_rows[key]
        article_id = self.run.article_id(key)
        if article_id is None:
            return None
        if article_id in self.batch.updated_rows:
            return self.batch.updated_rows[article_id]
        row = self._read_one(_VERSION_BY_ID, {"id": article_id})
        return None if row is None else dict(row._mapping)

    def find_by_content_hash(self, content_hash: str) -> int | None:
        """The id of the oldest stored article with this body."""
        row = self._read_one(_BY_CONTENT_HASH, {"hash": content_hash})
        return None if row is None else row.id

    def known_article(self, url: str) -> KnownArticle | None:
        """Is the article at *url* stored already (or waiting in the batch)?

        Matches *url* exactly against ``articles.url``, and its canonical form
        (``newscrawl.urls.canonicalize_url``) against ``articles.canonical_url``
        and ``article_urls.url`` (the other URLs of an article): indexed
        lookups, one query.
        """
        return self.known_page(url)[0]

    def known_page(self, url: str, also_non_article: bool = False) -> tuple[KnownArticle | None,
                                                                           KnownNonArticle | None]:
        """``known_article(url)``, and when that is None and *also_non_article* is set,
        ``known_non_article(url)``: both answered by one query."""
        key = canonicalize_url(url)
        pending = self._pending_known(url, key)
        if pending is not None and pending.id is None:
            return pending, None
        non_article_asked, non_article_row = False, None
        if pending is not None:  # an alias of a stored article, waiting in the batch
            row = self._read_one(_KNOWN_BY_ID, {"id": pending.id})
        else:
            non_article_asked = also_non_article and url not in self.batch.non_articles
            query = _KNOWN_OR_NON_ARTICLE if non_article_asked else _KNOWN_BY_URL_OR_ALIAS
            rows = self.read_rows(query, {"url": url, "key": key, "urls": sorted({url, key})})
            by_url = sorted((r for r in rows if r.found_by == _BY_URL), key=_rank)[:_KNOWN_BY_URL_LIMIT]
            row = next((r for r in by_url if r.url == url), by_url[0] if by_url else None)
            if row is None:
                row = min((r for r in rows if r.found_by == _BY_ALIAS), key=_rank, default=None)
            non_article_row = next((r for r in rows if r.found_by == _AS_NON_ARTICLE), None)
        if row is not None:
            return self._with_batch(row), None
        if not also_non_article:
            return None, None
        if non_article_asked:
            if non_article_row is None:
                return None, None
            return None, KnownNonArticle(non_article_row.last_seen, non_article_row.date_published)
        return None, self.known_non_article(url)  # pending in the batch, or not asked yet

    def _with_batch(self, row) -> KnownArticle:
        """A stored article's row, with what the batch changes of it."""
        last_seen, date_modified, date_published = row.last_seen, row.date_modified, row.date_published
        if row.id in self.batch.updated_rows:
            pending_row = self.batch.updated_rows[row.id]
            last_seen = pending_row["last_seen"]
            date_modified, date_published = pending_row["date_modified"], pending_row["date_published"]
        elif row.id in self.batch.seen:
            last_seen = self.batch.seen[row.id]
        return KnownArticle(row.id, last_seen, date_modified, date_published)

    def known_non_article(self, url: str) -> KnownNonArticle | None:
        """Was *url* fetched before and found to hold no article? (one indexed lookup)"""
        pending = self.batch.non_articles.get(url)
        if pending is not None:
            return KnownNonArticle(pending["last_checked"], pending["source_date"])
        row = self._read_one(_NON_ARTICLE_BY_URL, {"url": url})
        return None if row is None else KnownNonArticle(row.last_checked, row.source_date)

    def _pending_known(self, url: str, key: str) -> KnownArticle | None:
        batch = self.batch
        new_key = batch.new_key_by_url.get(url)
        if new_key is None and digest(key) in batch.new_rows:
            new_key = digest(key)
        alias = batch.aliases.get(key)
        if new_key is None and alias is not None:
            original, first_seen = alias
            if isinstance(original, bytes) and original in batch.new_rows:
                new_key = original
            elif isinstance(original, int):
                return KnownArticle(original, first_seen, None, None)
        if new_key is None:
            return None
        row = batch.new_rows[new_key]
        return KnownArticle(None, row["last_seen"], row["date_modified"], row["date_published"])

    def _read_one(self, query, params: dict):
        rows = self.read_rows(query, params)
        return rows[0] if rows else None


def _rank(row):
    return row.rank


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
_NON_ARTICLE_BY_URL = (
    select(non_article_pages.c.last_checked, non_article_pages.c.source_date)
    .where(non_article_pages.c.url == bindparam("url"))
)

# known_page's one query: the article lookups by URL or key and by other URL
# (article_urls), and the non-article lookup, each row marked with the lookup that
# found it and ordered by ``rank`` in Python (a compound SELECT orders only as a
# whole); a non-article's last_checked and source_date come as last_seen and
# date_published. Of the rows found by URL or key, the oldest five are considered.
_BY_URL, _BY_ALIAS, _AS_NON_ARTICLE = 0, 1, 2
_KNOWN_BY_URL_LIMIT = 5
_NO_ID = cast(null(), articles.c.id.type)


def _found_by(lookup: int):
    return literal_column(str(lookup)).label("found_by")


_FOUND_BY_URL = (
    select(*_KNOWN_COLUMNS, _found_by(_BY_URL), articles.c.id.label("rank"))
    .where(or_(articles.c.url == bindparam("url"), articles.c.canonical_url == bindparam("key")))
)
_FOUND_BY_ALIAS = (
    select(*_KNOWN_COLUMNS, _found_by(_BY_ALIAS), article_urls.c.id.label("rank"))
    .join(article_urls, article_urls.c.article_id == articles.c.id)
    .where(article_urls.c.url.in_(bindparam("urls", expanding=True)))
)
_FOUND_AS_NON_ARTICLE = select(
    _NO_ID.label("id"), non_article_pages.c.url, non_article_pages.c.last_checked.label("last_seen"),
    cast(null(), articles.c.date_modified.type).label("date_modified"),
    non_article_pages.c.source_date.label("date_published"), _found_by(_AS_NON_ARTICLE), _NO_ID.label("rank"),
).where(non_article_pages.c.url == bindparam("url"))
_KNOWN_BY_URL_OR_ALIAS = union_all(_FOUND_BY_URL, _FOUND_BY_ALIAS)
_KNOWN_OR_NON_ARTICLE = union_all(_FOUND_BY_URL, _FOUND_BY_ALIAS, _FOUND_AS_NON_ARTICLE)
