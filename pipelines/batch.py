"""BatchWriter: the rows of the batch being built, written in one transaction.

``stage`` turns a dedup ``Decision`` into pending rows (a new article, an updated
or merely re-seen one, another URL of a stored article); ``add_non_article``
queues a page that held no article. ``write`` inserts and updates them all in
one transaction: new rows, their near-duplicate groups (re-rooted at the
earliest published member), the insert hooks, the old versions of updated
articles (``article_revisions``), aliases (``article_urls``) and
``non_article_pages``. Failures are raised (SQLAlchemyError) with the batch
kept, so a retry writes it again; a retry after a COMMIT whose outcome is
unknown first asks whether it committed. What to do about failures is the
store's business.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, bindparam, cast, func, insert, or_, select, update

from newscrawl import stats as keys
from newscrawl.urls import canonicalize_url
from pipelines import dialects
from pipelines.decisions import DUPLICATE, NEAR_DUPLICATE, NEW, UNCHANGED, UPDATED, Decision, digest
from pipelines.nearduplicates import Fingerprint, NearDuplicateIndex, earliest_version
from pipelines.runindex import RunIndex
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
    from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)

# Rows per "WHERE url IN (...)" query, well below SQLite's parameter limit.
IN_CHUNK = 500

# Hook called in the flush transaction with the rows just inserted:
# hook(conn, [(article_id, row, fingerprint), ...]).
InsertHook = Callable[["Connection", list[tuple[int, dict, Any]]], None]


@dataclass(frozen=True)
class _Unconfirmed:
    """A write whose COMMIT was sent: what to finish with if it turns out committed."""

    transaction: int | None  # dialects.transaction_id
    new_ids: dict[bytes, int]
    revisions: int


class BatchWriter:
    """The pending rows of one crawl and their transaction.

    The pending mappings are public for ``pipelines.lookups.ArticleLookups``, which
    answers questions with the batch in view; only this class changes them.
    """

    def __init__(self, run: RunIndex, stats, batch_size: int) -> None:
        self.run = run
        self.stats = stats
        self.batch_size = batch_size
        self.run_id: int | None = None  # crawl_runs.id, kept with each revision
        self._insert_hooks: list[InsertHook] = []
        self.new_rows: dict[bytes, dict] = {}  # key digest -> articles row
        self.new_key_by_url: dict[str, bytes] = {}
        self._new_links: dict[bytes, tuple[int | bytes, Any]] = {}  # key digest -> near original
        self._new_fingerprints: dict[bytes, Any] = {}
        self.updated_rows: dict[int, dict] = {}  # article id -> content columns + last_seen
        self.seen: dict[int, datetime] = {}  # article id -> last_seen
        self.aliases: dict[str, tuple[int | bytes, datetime]] = {}  # other URL of an article -> (article, first_seen)
        self.non_articles: dict[str, dict] = {}  # url -> non_article_pages row
        self._unconfirmed: _Unconfirmed | None = None

    @property
    def pending_count(self) -> int:
        return (len(self.new_rows) + len(self.updated_rows) + len(self.seen) + len(self.aliases)
                + len(self.non_articles))

    @property
    def full(self) -> bool:
        return self.pending_count >= self.batch_size

    @property
    def unsaved_count(self) -> int:
        """Articles lost if the batch is discarded now (new and updated ones)."""
        return len(self.new_rows) + len(self.updated_rows)

    def add_insert_hook(self, hook: InsertHook) -> None:
        self._insert_hooks.append(hook)

    # -- staging -------------------------------------------------------------------

    def holds_current_version(self, decision: Decision) -> bool:
        """Is the version an update replaces still in this batch? (Then write the
        batch first, so that it becomes a revision instead of being overwritten.)"""
        target = self._resolve(decision)
        return decision.outcome == UPDATED and target is not None and (
            isinstance(target, bytes) or target in self.updated_rows
        )

    def stage(self, decision: Decision, row: dict, now: datetime) -> str:
        """Queue the rows for one item; returns the outcome, which is NEW instead of the
        decision's when the article it refers to never reached the store."""
        target = self._resolve(decision)
        outcome = decision.outcome
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
            self.aliases.setdefault(decision.url_key, (target, now))
        elif isinstance(target, bytes):  # unchanged article still in this batch
            self.new_rows[target]["last_seen"] = now
        elif outcome == UPDATED:
            self.updated_rows[target] = {**{name: row[name] for name in CONTENT_COLUMNS}, "last_seen": now}
            self.seen.pop(target, None)
        elif target in self.updated_rows:  # unchanged since its update in this batch
            self.updated_rows[target]["last_seen"] = now
        else:
            self.seen[target] = now
        if outcome in (UNCHANGED, UPDATED, DUPLICATE) and target is not None:
            self._remember_fetched_url(row["url"], decision.url_key, target, now)
        return outcome

    def add_non_article(self, url: str, reason: str | None, source_date: datetime | None, now: datetime) -> None:
        self.non_articles[url] = {"url": url, "reason": reason, "source_date": source_date,
                                  "first_seen": now, "last_checked": now}

    def _remember_fetched_url(self, url: str, url_key: str, target: int | bytes, now: datetime) -> None:
        """Record a URL that led to a stored article under another key (say, an archive
        copy declaring the article's rel=canonical), so that cron runs skip it too."""
        fetched = canonicalize_url(url)
        if fetched != url_key:
            self.aliases.setdefault(fetched, (target, now))

    def _resolve(self, decision: Decision) -> int | bytes | None:
        """The article a decision refers to: a database id, the key digest of a
        row in this batch, or None (none, or it never reached the store)."""
        if decision.article_id is not None:
            return decision.article_id
        return self._resolve_original(decision.run_key)

    def _resolve_original(self, original: int | bytes | None) -> int | bytes | None:
        if original is None or isinstance(original, int):
            return original
        if original in self.new_rows:
            return original
        return self.run.article_id(original)

    def _stage_new(self, url_key: str, row: dict, now: datetime, link=None, fingerprint=None) -> None:
        key = digest(url_key)
        first_seen = now
        # The same fetched URL already queued under another key: replace it.
        previous_key = self.new_key_by_url.get(row["url"])
        if previous_key is not None and previous_key != key:
            first_seen = self.new_rows.pop(previous_key)["first_seen"]
            self._new_links.pop(previous_key, None)
            self._new_fingerprints.pop(previous_key, None)
        self.new_rows[key] = {**row, "first_seen": first_seen, "last_seen": now}
        self.new_key_by_url[row["url"]] = key
        if link is not None:
            self._new_links[key] = link
        if fingerprint is not None:
            self._new_fingerprints[key] = fingerprint

    # -- writing ---------------------------------------------------------------------

    def write(self, engine: Engine) -> None:
        """Write the batch in one transaction, then clear it. Raises
        SQLAlchemyError (the batch is then kept, for the caller to retry or discard)."""
        unconfirmed, self._unconfirmed = self._unconfirmed, None
        if unconfirmed is not None and dialects.transaction_committed(engine, unconfirmed.transaction):
            self._written(unconfirmed.new_ids, unconfirmed.revisions)
            return
        with engine.connect() as conn:
            with conn.begin():
                if self._new_fingerprints or self._new_links:
                    dialects.serialize_group_writers(conn)
                new_ids = self._insert_new(conn)
                linked_at_flush = self._link_copies_stored_meanwhile(new_ids, conn)
                self._link_near_duplicates(conn, new_ids)
                self._call_insert_hooks(conn, new_ids)
                revisions = self._insert_revisions(conn)
                self._update_changed(conn)
                self._update_seen(conn)
                self._insert_aliases(conn, new_ids)
                self._write_non_articles(conn)
                # Set last: a failure from here on is the COMMIT's, whose outcome may be unknown.
                self._unconfirmed = _Unconfirmed(dialects.transaction_id(conn), new_ids, revisions)
        self._unconfirmed = None
        if linked_at_flush:
            self.stats.inc_value(keys.NEAR_DUPLICATES_LINKED_AT_FLUSH, linked_at_flush)
        self._written(new_ids, revisions)

    def _written(self, new_ids: dict[bytes, int], revisions: int) -> None:
        for key, article_id in new_ids.items():
            self.run.set_article_id(key, article_id)
        self.clear()
        self.stats.inc_value(keys.DB_BATCHES)
        if revisions:
            self.stats.inc_value(keys.REVISIONS, revisions)

    def discard(self) -> None:
        """Drop the batch unwritten, counting its articles as unsaved."""
        unsaved = self.unsaved_count
        if unsaved:
            self.stats.inc_value(keys.UNSAVED, unsaved)
        self.clear()

    def clear(self) -> None:
        self._unconfirmed = None
        self.new_rows.clear()
        self.new_key_by_url.clear()
        self._new_links.clear()
        self._new_fingerprints.clear()
        self.updated_rows.clear()
        self.seen.clear()
        self.aliases.clear()
        self.non_articles.clear()

    def _insert_new(self, conn: Connection) -> dict[bytes, int]:
        """Upsert the new articles (on url); returns key digest -> article id."""
        if not self.new_rows:
            return {}
        statement = dialects.upsert(
            conn.engine, articles, "url", update_columns=(*CONTENT_COLUMNS, "last_seen")
        )
        conn.execute(statement, list(self.new_rows.values()))
        urls = list(self.new_key_by_url)
        new_ids = {}
        for start in range(0, len(urls), IN_CHUNK):
            chunk = urls[start : start + IN_CHUNK]
            for row in conn.execute(select(articles.c.id, articles.c.url).where(articles.c.url.in_(chunk))):
                new_ids[self.new_key_by_url[row.url]] = row.id
        return new_ids

    def _link_copies_stored_meanwhile(self, new_ids: dict[bytes, int], conn: Connection) -> int:
        """A new article that another writer's copy of the same story was committed for since it
        was classified (two workers storing copies of one story at once) joins that copy's group.
        The group-writers lock taken before makes the later of two such flushes see the other.
        Returns how many were linked."""
        index, linked = NearDuplicateIndex(conn), 0
        for key, fp in self._new_fingerprints.items():
            if key in self._new_links or key not in new_ids or not isinstance(fp, Fingerprint):
                continue
            found = index.find_original(fp, exclude_id=new_ids[key])
            if found is not None:
                self._new_links[key] = found[0]
                linked += 1
        return linked

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
            for key, row in self.new_rows.items() if key in new_ids
        ]
        for hook in self._insert_hooks:
            hook(conn, inserted)

    def _insert_revisions(self, conn: Connection) -> int:
        """Copy the stored version of each updated article to article_revisions
        (one INSERT ... SELECT, so the copy is of the row as it is now)."""
        if not self.updated_rows:
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
            for article_id, row in self.updated_rows.items()
        ]
        result = conn.execute(insert(article_revisions).from_select(columns, source), params)
        return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(params)

    def _update_changed(self, conn: Connection) -> None:
        if not self.updated_rows:
            return
        names = (*CONTENT_COLUMNS, "last_seen")
        statement = (
            update(articles)
            .where(articles.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names})
        )
        params = [
            {"b_id": article_id, **{f"b_{name}": row[name] for name in names}}
            for article_id, row in self.updated_rows.items()
        ]
        conn.execute(statement, params)

    def _update_seen(self, conn: Connection) -> None:
        if not self.seen:
            return
        statement = (
            update(articles)
            .where(articles.c.id == bindparam("b_id"))
            .values(last_seen=bindparam("b_last_seen"))
        )
        conn.execute(statement, [{"b_id": i, "b_last_seen": seen} for i, seen in self.seen.items()])

    def _insert_aliases(self, conn: Connection, new_ids: dict[bytes, int]) -> None:
        rows = []
        for url_key, (original, first_seen) in self.aliases.items():
            article_id = new_ids.get(original) if isinstance(original, bytes) else original
            if article_id is None:  # cannot happen unless the original's row vanished
                logger.warning("Duplicate %s: its original article is not stored; not recorded", url_key)
                continue
            rows.append({"article_id": article_id, "url": url_key, "first_seen": first_seen})
        if rows:
            conn.execute(dialects.insert_ignoring_conflicts(conn.engine, article_urls, "url"), rows)

    def _write_non_articles(self, conn: Connection) -> None:
        """Upsert the pages found to hold no article; forget those that now hold one."""
        if self.non_articles:
            statement = dialects.upsert(conn.engine, non_article_pages, "url",
                                        update_columns=("reason", "source_date", "last_checked"))
            conn.execute(statement, list(self.non_articles.values()))
        stored = [url for url in self.new_key_by_url if url not in self.non_articles]
        for start in range(0, len(stored), IN_CHUNK):
            conn.execute(non_article_pages.delete().where(non_article_pages.c.url.in_(stored[start:start + IN_CHUNK])))
