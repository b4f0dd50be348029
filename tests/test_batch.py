"""BatchWriter (pipelines.batch): the pending rows of a crawl, written in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itemadapter import ItemAdapter
from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from newscrawl import stats as keys
from newscrawl.items import Article
from pipelines.batch import BatchWriter
from pipelines.decisions import DUPLICATE, NEW, UNCHANGED, UPDATED, Decision, digest
from pipelines.dedup import content_hash
from pipelines.runindex import RunIndex
from pipelines.schema import article_revisions, article_urls, articles, metadata, non_article_pages
from pipelines.storage import article_row

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "https://example.com/news/budget"
BODY = "The council approved the new budget on Tuesday."


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'batch.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def rows(engine, table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.id))]


def decided(outcome: str, url: str, body: str = BODY, key: str = KEY, **refs) -> tuple[Decision, dict]:
    decision = Decision(outcome, key, content_hash(body), **refs)
    return decision, article_row(ItemAdapter(Article(url=url, article_body=body, headline="Budget")), decision)


def test_new_article_and_its_duplicate_are_written_together(engine):
    run, stats = RunIndex(), Stats()
    batch = BatchWriter(run, stats, batch_size=3)
    assert batch.stage(*decided(NEW, KEY), T0) == NEW
    copy = decided(DUPLICATE, "https://example.com/copy", key="https://example.com/copy", run_key=digest(KEY))
    assert batch.stage(*copy, T0) == DUPLICATE
    batch.add_non_article("https://example.com/news/", "navigation", None, T0)
    assert batch.pending_count == 3 and batch.full

    batch.write(engine)

    [stored] = rows(engine, articles)
    assert (stored["url"], stored["canonical_url"], stored["article_body"]) == (KEY, KEY, BODY)
    assert [(r["url"], r["article_id"]) for r in rows(engine, article_urls)] == [("https://example.com/copy", stored["id"])]
    assert [r["url"] for r in rows(engine, non_article_pages)] == ["https://example.com/news/"]
    assert run.article_id(digest(KEY)) == stored["id"]  # the run index learns the new id
    assert batch.pending_count == 0
    assert stats.values == {keys.DB_BATCHES: 1}


def test_an_update_keeps_the_old_version_as_a_revision(engine):
    run, stats = RunIndex(), Stats()
    batch = BatchWriter(run, stats, batch_size=100)
    batch.stage(*decided(NEW, KEY), T0)
    update = decided(UPDATED, KEY, BODY + " It takes effect in May.", run_key=digest(KEY))
    assert batch.holds_current_version(update[0])  # the version it replaces is not written yet
    batch.write(engine)
    assert not batch.holds_current_version(update[0])

    assert batch.stage(*update, T0 + timedelta(hours=1)) == UPDATED
    batch.write(engine)

    [stored] = rows(engine, articles)
    assert stored["article_body"].endswith("It takes effect in May.")
    [revision] = rows(engine, article_revisions)
    assert (revision["article_id"], revision["article_body"]) == (stored["id"], BODY)
    assert stats.values == {keys.DB_BATCHES: 2, keys.REVISIONS: 1}


def test_an_unchanged_article_only_gets_last_seen(engine):
    batch = BatchWriter(RunIndex(), Stats(), batch_size=100)
    batch.stage(*decided(NEW, KEY), T0)
    batch.write(engine)
    [stored] = rows(engine, articles)
    later = T0 + timedelta(days=1)
    assert batch.stage(*decided(UNCHANGED, KEY, article_id=stored["id"]), later) == UNCHANGED
    batch.write(engine)
    [seen] = rows(engine, articles)
    assert seen == {**stored, "last_seen": later}


def test_a_decision_about_an_article_that_never_reached_the_store_is_new(engine):
    batch = BatchWriter(RunIndex(), Stats(), batch_size=100)
    assert batch.stage(*decided(UNCHANGED, KEY, run_key=digest("https://example.com/dropped")), T0) == NEW
    batch.write(engine)
    assert [r["url"] for r in rows(engine, articles)] == [KEY]


def test_a_failed_write_keeps_the_batch_for_the_caller_to_discard(engine):
    stats = Stats()
    batch = BatchWriter(RunIndex(), stats, batch_size=100)
    batch.stage(*decided(NEW, KEY), T0)
    batch.add_non_article("https://example.com/news/", "navigation", None, T0)
    articles.drop(engine)
    with pytest.raises(SQLAlchemyError):
        batch.write(engine)
    assert (batch.pending_count, batch.unsaved_count) == (2, 1)
    batch.discard()
    assert batch.pending_count == 0
    assert stats.values == {keys.UNSAVED: 1}
