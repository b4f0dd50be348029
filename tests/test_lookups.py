"""ArticleLookups (pipelines.lookups): indexed questions, with the unwritten batch in view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itemadapter import ItemAdapter
from sqlalchemy import create_engine

from newscrawl.items import Article
from pipelines.batch import BatchWriter
from pipelines.decisions import NEW, UNCHANGED, Decision, digest
from pipelines.dedup import content_hash
from pipelines.lookups import ArticleLookups, KnownArticle, KnownNonArticle
from pipelines.runindex import RunIndex
from pipelines.schema import metadata
from pipelines.storage import article_row

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "https://example.com/news/budget"
BODY = "The council approved the new budget on Tuesday."


class Stats:
    def inc_value(self, key: str, count: int = 1) -> None:
        pass


@pytest.fixture
def parts(tmp_path):
    """(lookups, batch, run, the queries read) on an empty SQLite database."""
    engine = create_engine(f"sqlite:///{tmp_path / 'lookups.db'}")
    metadata.create_all(engine)
    run = RunIndex()
    batch = BatchWriter(run, Stats(), batch_size=100)
    queries = []

    def read_rows(query, params):
        queries.append(query)
        with engine.connect() as conn:
            return list(conn.execute(query, params))

    yield ArticleLookups(batch, run, read_rows), batch, run, queries, engine
    engine.dispose()


def stage(batch: BatchWriter, outcome: str, when: datetime, **refs) -> None:
    decision = Decision(outcome, KEY, content_hash(BODY), **refs)
    batch.stage(decision, article_row(ItemAdapter(Article(url=KEY, article_body=BODY)), decision), when)


def test_the_pending_batch_answers_without_a_query(parts):
    lookups, batch, run, queries, _engine = parts
    stage(batch, NEW, T0)
    run.accept(KEY, content_hash(BODY), "v1")
    batch.add_non_article("https://example.com/news/", "navigation", None, T0)

    assert lookups.known_article(KEY + "?utm_source=rss") == KnownArticle(None, T0, None, None)
    assert lookups.stored_version(digest(KEY))["article_body"] == BODY
    assert lookups.known_non_article("https://example.com/news/") == KnownNonArticle(T0, None)
    assert queries == []


def test_stored_rows_are_read_with_what_the_batch_changes(parts):
    lookups, batch, run, queries, engine = parts
    stage(batch, NEW, T0)
    run.accept(KEY, content_hash(BODY), "v1")
    batch.write(engine)
    article_id = run.article_id(digest(KEY))

    assert lookups.known_article(KEY).last_seen == T0
    assert lookups.find_by_key(KEY, KEY).id == article_id
    assert lookups.find_by_content_hash(content_hash(BODY)) == article_id
    assert lookups.stored_version(digest(KEY))["article_body"] == BODY
    assert len(queries) == 4  # one each

    later = T0 + timedelta(hours=2)
    stage(batch, UNCHANGED, later, article_id=article_id)  # last_seen pending
    assert lookups.known_article(KEY) == KnownArticle(article_id, later, None, None)
    assert lookups.known_page("https://example.com/unknown", also_non_article=True) == (None, None)
    assert len(queries) == 6
