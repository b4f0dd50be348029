"""The item pipelines against a real database: SQLite, and PostgreSQL when installed."""

from __future__ import annotations

import itertools
import logging
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, func, select

from newscrawl.items import Article
from pipelines.database import DEFAULT_DATABASE_URL, database_url, mask_url
from pipelines.dedup import DeduplicationPipeline, content_hash
from pipelines.schema import article_urls, articles
from pipelines.storage import StoragePipeline
from pipelines.errors import SettingsError
from pipelines.validation import ValidationPipeline

# Until tests/conftest.py imports them for every module.

PROJECT_DIR = Path(__file__).resolve().parents[1]

BODY = "The council approved the new budget on Tuesday after a long debate.\n\nMore follows."
OTHER_BODY = "A storm closed the harbour for two days; ferries resume on Friday."


class NewsSpider(Spider):
    name = "news"


def article(url: str, body: str = BODY, **fields) -> Article:
    # One headline for all: a changed headline is a revision.
    fields.setdefault("headline", "Council approves the budget")
    return Article(url=url, article_body=body, **fields)


class Run:
    """One crawl's pipelines, driven by hand in ITEM_PIPELINES order."""

    def __init__(self, database: str, **settings):
        self.database = database
        self.crawler = get_crawler(NewsSpider, {"DATABASE_URL": database, **settings})
        self.crawler.spider = NewsSpider.from_crawler(self.crawler)
        self.pipelines = [
            cls.from_crawler(self.crawler)
            for cls in (ValidationPipeline, DeduplicationPipeline, StoragePipeline)
        ]

    def open(self) -> Run:
        for pipeline in self.pipelines:
            if hasattr(pipeline, "open_spider"):
                pipeline.open_spider()
        return self

    def feed(self, *items) -> list[str]:
        """Process items; returns "kept" or "dropped" for each."""
        results = []
        for item in items:
            try:
                for pipeline in self.pipelines:
                    item = pipeline.process_item(item)
            except DropItem:
                results.append("dropped")
            else:
                results.append("kept")
        return results

    def close(self) -> None:
        for pipeline in reversed(self.pipelines):  # as Scrapy does
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider()

    @property
    def stats(self) -> dict:
        return {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith("newscrawl/")}

    def crawl(self, *items) -> Run:
        self.open()
        self.feed(*items)
        self.close()
        return self


def read(database: str, table=articles) -> list[dict]:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.id))]
    finally:
        engine.dispose()


OUTCOMES = ("new", "updated", "unchanged", "duplicate", "near_duplicate")


def outcomes(stats: dict) -> dict:
    """newscrawl/articles/<outcome> counts (not revisions or unsaved)."""
    return {name: stats[f"newscrawl/articles/{name}"] for name in OUTCOMES if f"newscrawl/articles/{name}" in stats}


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'news.db'}"
    return request.getfixturevalue("postgres_url")


# -- outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 100])  # earlier items written / still pending
def test_outcomes_within_one_run(db, batch_size):
    run = Run(db, DATABASE_BATCH_SIZE=batch_size).crawl(
        article("https://example.com/news/budget?utm_source=rss"),  # new
        article("https://example.com/news/budget/amp"),  # same key, same body: unchanged
        article("https://example.com/news/budget", BODY + " Update: passed."),  # updated
        # the updated body again, differing in case and whitespace only, elsewhere: duplicate
        article("https://example.com/syndicated/42", "  " + (BODY + " Update: passed.").upper().replace(" ", "\n ")),
        article("https://example.com/news/storm", OTHER_BODY),  # new
    )
    assert outcomes(run.stats) == {"new": 2, "unchanged": 1, "updated": 1, "duplicate": 1}

    rows = read(db)
    assert [r["canonical_url"] for r in rows] == ["https://example.com/news/budget", "https://example.com/news/storm"]
    budget = rows[0]
    assert budget["url"] == "https://example.com/news/budget?utm_source=rss"  # first fetched URL
    assert budget["article_body"].endswith("Update: passed.")
    assert budget["content_hash"] == content_hash(BODY + " Update: passed.")
    assert budget["first_seen"] < budget["last_seen"]
    aliases = read(db, article_urls)
    assert [(a["article_id"], a["url"]) for a in aliases] == [(budget["id"], "https://example.com/syndicated/42")]


def test_second_run_adds_no_rows(db):
    items = [
        article("https://example.com/a"),
        article("https://example.com/a-copy", BODY.replace("\n\n", " ")),  # duplicate of a
        article("https://example.com/b", OTHER_BODY),
    ]
    first = Run(db).crawl(*items)
    assert outcomes(first.stats) == {"new": 2, "duplicate": 1}
    before = {r["url"]: r for r in read(db)}

    second = Run(db).crawl(
        article("https://example.com/a?fbclid=xyz"),  # unchanged (key matches across runs)
        article("https://example.com/a-copy", BODY),  # duplicate again, looked up in the database
        article("https://example.com/b", OTHER_BODY + " Correction appended."),  # updated
        article("https://example.com/c", BODY),  # same body as a, new URL: duplicate
    )
    assert outcomes(second.stats) == {"unchanged": 1, "duplicate": 2, "updated": 1}
    after = {r["url"]: r for r in read(db)}
    assert set(after) == set(before) == {"https://example.com/a", "https://example.com/b"}
    for url, row in after.items():
        assert row["id"] == before[url]["id"]
        assert row["first_seen"] == before[url]["first_seen"]
        assert row["last_seen"] > before[url]["last_seen"]
    assert after["https://example.com/a"]["article_body"] == BODY  # unchanged: content untouched
    assert after["https://example.com/b"]["article_body"].endswith("Correction appended.")
    aliases = {a["url"]: a["article_id"] for a in read(db, article_urls)}
    a_id = after["https://example.com/a"]["id"]
    assert aliases == {"https://example.com/a-copy": a_id, "https://example.com/c": a_id}


def test_rel_canonical_is_the_key(db):
    run = Run(db).crawl(
        article("https://m.example.com/n/1?utm_medium=x", canonical_url="https://www.example.com/news/story-1"),
        article("https://www.example.com/news/story-1"),
    )
    assert outcomes(run.stats) == {"new": 1, "unchanged": 1}
    [row] = read(db)
    assert row["canonical_url"] == "https://www.example.com/news/story-1"


def test_batches_are_flushed_as_they_fill(db):
    run = Run(db, DATABASE_BATCH_SIZE=3).open()
    run.feed(*[article(f"https://example.com/{n}", f"{OTHER_BODY} Number {n}.") for n in range(7)])
    assert len(read(db)) == 6  # two full batches written, one article pending
    # pending articles are visible to deduplication
    run.feed(article("https://example.com/again", f"{OTHER_BODY} Number 6."))
    run.close()
    assert len(read(db)) == 7
    assert run.stats["newscrawl/db/batches"] == 3
    assert outcomes(run.stats) == {"new": 7, "duplicate": 1}
    assert read(db, article_urls)[0]["url"] == "https://example.com/again"


def test_row_contents(db):
    Run(db).crawl(
        article(
            "https://example.com/full",
            canonical_url="https://example.com/full?utm_campaign=x",
            site="example.com",
            description="Short summary.",
            authors=["Ann Author", "Bob Writer"],
            tags=["politics", "budget"],
            date_published="2021-12-07T20:24:00+02:00",
            date_published_raw="7 Dec 2021, 20:24",
            date_modified="not a date",
            date_modified_raw="yesterday",
            date_downloaded="2026-01-02T03:04:05+00:00",
            in_language="en",
            section="Politics",
            main_image="https://example.com/img.jpg",
            extraction_problem=None,
        )
    )
    [row] = read(db)
    assert row["canonical_url"] == "https://example.com/full"
    assert row["site"] == "example.com"
    assert row["authors"] == ["Ann Author", "Bob Writer"]
    assert row["tags"] == ["politics", "budget"]
    assert row["date_published"] == datetime(2021, 12, 7, 18, 24, tzinfo=UTC)
    assert row["date_published"].tzinfo is not None
    assert row["date_published_raw"] == "7 Dec 2021, 20:24"
    assert row["date_modified"] is None and row["date_modified_raw"] == "yesterday"
    assert row["date_downloaded"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (row["in_language"], row["section"], row["main_image"]) == ("en", "Politics", "https://example.com/img.jpg")
    assert row["duplicate_of"] is None
    assert row["first_seen"].tzinfo is not None


def test_dict_items_work_too(db):
    run = Run(db).crawl({"url": "https://example.com/d", "headline": "H", "article_body": BODY, "authors": ["A"]})
    assert outcomes(run.stats) == {"new": 1}
    assert read(db)[0]["authors"] == ["A"]


def test_storage_without_dedup_pipeline(tmp_path):
    database = f"sqlite:///{tmp_path / 'news.db'}"
    run = Run(database)
    run.pipelines = [p for p in run.pipelines if not isinstance(p, DeduplicationPipeline)]
    run.crawl(article("https://example.com/a"), article("https://example.com/a"), article("https://example.com/b"))
    assert outcomes(run.stats) == {"new": 1, "unchanged": 1, "duplicate": 1}


# -- validation -----------------------------------------------------------------------


def test_validation_drops_are_counted(tmp_path, caplog):
    database = f"sqlite:///{tmp_path / 'news.db'}"
    run = Run(database).open()
    with caplog.at_level(logging.INFO, logger="pipelines.validation"):
        results = run.feed(
            article("https://example.com/no-headline", headline=""),
            article("https://example.com/no-body", body="", extraction_problem="no-article"),
            article("https://example.com/short", body="Too short."),
            Article(headline="No URL", article_body=BODY),
            article("https://example.com/ok"),
        )
    run.close()
    assert results == ["dropped"] * 4 + ["kept"]
    assert run.stats["newscrawl/dropped"] == 4
    for reason in ("no_headline", "no_body", "body_too_short", "no_url"):
        assert run.stats[f"newscrawl/dropped/{reason}"] == 1
    assert "https://example.com/no-body" in caplog.text and "no-article" in caplog.text
    assert len(read(database)) == 1


# -- settings ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", 0, -5, "1.5"])
def test_bad_batch_size_is_refused(tmp_path, value):
    with pytest.raises(SettingsError, match="DATABASE_BATCH_SIZE"):
        Run(f"sqlite:///{tmp_path / 'news.db'}", DATABASE_BATCH_SIZE=value)


def test_bad_min_body_setting_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="VALIDATION_MIN_BODY_CHARS"):
        Run(f"sqlite:///{tmp_path / 'news.db'}", VALIDATION_MIN_BODY_CHARS="many")


def test_database_url_resolution(monkeypatch):
    from scrapy.settings import Settings

    monkeypatch.delenv("NEWSCRAWL_DATABASE_URL", raising=False)
    assert database_url(Settings()) == DEFAULT_DATABASE_URL == "sqlite:///newscrawl.db"
    monkeypatch.setenv("NEWSCRAWL_DATABASE_URL", "sqlite:////tmp/env.db")
    assert database_url(Settings()) == "sqlite:////tmp/env.db"
    assert database_url(Settings({"DATABASE_URL": "sqlite:////tmp/setting.db"})) == "sqlite:////tmp/setting.db"


def test_mask_url():
    assert mask_url("postgresql+psycopg://news:s3cret@db:5432/news") == "postgresql+psycopg://news:***@db:5432/news"
    assert "s3cret" not in mask_url("not even :// a url user:s3cret@host")


# -- failures ------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing directory", "does not exist"),
        ("bad url", "not a valid database URL"),
        ("unsupported", "unsupported database 'mysql'"),
        ("read-only", "readonly database"),
        ("server down", "127.0.0.1"),
    ],
)
def test_unopenable_database_stops_the_crawl(tmp_path, caplog, kind, reason):
    database = {
        "missing directory": f"sqlite:///{tmp_path / 'no-such-dir' / 'news.db'}",
        "bad url": "this is not a url",
        "unsupported": "mysql://news:s3cret@localhost/news",
        "read-only": f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true",
        "server down": f"postgresql+psycopg://news:s3cret@127.0.0.1:{_closed_port()}/news",
    }[kind]
    if kind == "read-only":  # an existing database, opened read-only
        sqlite3.connect(tmp_path / "ro.db").execute("CREATE TABLE t (x)").connection.close()
    run = Run(database)
    with caplog.at_level(logging.INFO), pytest.raises(CloseSpider) as raised:
        run.open()
    assert raised.value.reason == "database_error"
    assert run.stats["newscrawl/fatal"] == "database_open_failed"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, caplog.text
    message = errors[0].getMessage()
    assert "Cannot open the database" in message and reason in message
    assert "s3cret" not in caplog.text
    run.close()  # Scrapy closes the pipelines that were opened
    assert not (tmp_path / "no-such-dir").exists()


def test_write_failure_mid_run_stops_the_crawl(tmp_path, caplog):
    path = tmp_path / "news.db"
    database = f"sqlite:///{path}"
    run = Run(database, DATABASE_BATCH_SIZE=1).open()
    assert run.feed(article("https://example.com/1")) == ["kept"]
    # Break the schema behind the pipeline's back: the next insert fails.
    with sqlite3.connect(path) as conn:  # a column that only writes use
        conn.execute("ALTER TABLE articles RENAME COLUMN main_image TO main_image_renamed")
    with caplog.at_level(logging.INFO):
        run.feed(article("https://example.com/2", OTHER_BODY))
        assert run.feed(article("https://example.com/3", BODY + " more")) == ["dropped"]
        run.close()
    assert run.stats["newscrawl/fatal"] == "database_write_failed"
    assert run.stats["newscrawl/articles/unsaved"] == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "Cannot write to the database" in errors[0] and str(path) in errors[0]
    assert "1 article(s) of the current batch not saved" in errors[0]


# -- in a real crawl ---------------------------------------------------------------------

CRAWL_SCRIPT = textwrap.dedent(
    """
    import sqlite3, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from newscrawl.items import Article

    BODY = "Body text of article number {} which is long enough to be kept."

    class ItemsSpider(scrapy.Spider):
        name = "items"

        async def start(self):
            for n in range(5):
                yield scrapy.Request(f"data:,{n}", dont_filter=True, priority=-n)

        def parse(self, response):
            n = int(response.text)
            if n == 3 and BREAK_AT_3:
                with sqlite3.connect(DB_PATH) as conn:
                    conn.execute("ALTER TABLE articles RENAME COLUMN main_image TO m2")
            yield Article(url=f"https://example.com/{n}", headline=f"H{n}", article_body=BODY.format(n))

    DB_PATH, BREAK_AT_3 = sys.argv[1], sys.argv[2] == "break"
    process = CrawlerProcess({
        "DATABASE_URL": f"sqlite:///{DB_PATH}",
        "DATABASE_BATCH_SIZE": 1,
        "ITEM_PIPELINES": {
            "pipelines.validation.ValidationPipeline": 100,
            "pipelines.dedup.DeduplicationPipeline": 200,
            "pipelines.storage.StoragePipeline": 300,
        },
        "CONCURRENT_REQUESTS": 1,
        "LOG_LEVEL": "INFO",
    })
    crawler = process.create_crawler(ItemsSpider)
    process.crawl(crawler)
    process.start()
    print("FATAL=", crawler.stats.get_value("newscrawl/fatal"))
    print("REASON=", crawler.stats.get_value("finish_reason"))
    print("NEW=", crawler.stats.get_value("newscrawl/articles/new"))
    """
)


def crawl_in_subprocess(tmp_path: Path, db_path: Path, mode: str = "") -> str:
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_SCRIPT)
    done = subprocess.run(
        [sys.executable, "-W", "always", str(script), str(db_path), mode],
        cwd=PROJECT_DIR, env={"PYTHONPATH": str(PROJECT_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    return done.stdout + done.stderr


def test_real_crawl_stores_items_without_deprecation_warnings(tmp_path):
    output = crawl_in_subprocess(tmp_path, tmp_path / "news.db")
    assert "REASON= finished" in output and "NEW= 5" in output, output
    assert "FATAL= None" in output
    assert "Deprecat" not in output, output
    assert len(read(f"sqlite:///{tmp_path / 'news.db'}")) == 5


def test_real_crawl_with_missing_database_directory_stops_before_start(tmp_path):
    output = crawl_in_subprocess(tmp_path, tmp_path / "missing" / "news.db")
    assert "REASON= database_error" in output and "FATAL= database_open_failed" in output, output
    assert output.count("] ERROR:") == 1, output
    assert "NEW= None" in output


def test_real_crawl_stops_on_write_failure(tmp_path):
    output = crawl_in_subprocess(tmp_path, tmp_path / "news.db", "break")
    assert "REASON= database_error" in output and "FATAL= database_write_failed" in output, output
    assert output.count("] ERROR:") == 1, output
    engine = create_engine(f"sqlite:///{tmp_path / 'news.db'}")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(articles.c.id.table)).scalar() == 3
    engine.dispose()


# -- known_article: the incremental check's lookup ----------------------------------------------


def test_known_article_lookup(db):
    from pipelines.store import ArticleStore

    Run(db).crawl(
        article("https://example.com/news/budget?utm_source=rss", date_published="2021-12-07T18:24:00+00:00",
                date_modified="2021-12-08T09:00:00+00:00"),
        article("https://example.com/syndicated/42", BODY),  # an exact duplicate: article_urls
        article("https://m.example.com/n/7", OTHER_BODY, canonical_url="https://example.com/news/storm"),
    )
    [budget, storm] = read(db)
    run = Run(db, DATABASE_BATCH_SIZE=100).open()
    store = ArticleStore.for_crawler(run.crawler)

    found = store.known_article("https://example.com/news/budget?utm_source=rss")  # articles.url
    assert found.id == budget["id"]
    assert found.last_seen == budget["last_seen"]
    assert found.date_published == datetime(2021, 12, 7, 18, 24, tzinfo=UTC)
    assert found.date_modified == datetime(2021, 12, 8, 9, 0, tzinfo=UTC)
    assert store.known_article("https://m.example.com/news/budget/amp#top").id == budget["id"]  # canonical_url
    assert store.known_article("https://example.com/syndicated/42?fbclid=x").id == budget["id"]  # article_urls
    assert store.known_article("https://m.example.com/n/7").id == storm["id"]  # fetched URL, other canonical
    assert store.known_article("https://example.com/news/storm").id == storm["id"]
    assert store.known_article("https://example.com/news/unknown") is None

    # The unflushed batch counts too.
    run.feed(
        article("https://example.com/news/fresh", BODY + " Fresh.", date_published="2022-01-01T00:00:00+00:00"),
        article("https://example.com/news/budget"),  # unchanged: last_seen pending
        article("https://example.com/copy-of-storm", OTHER_BODY),  # duplicate, pending alias
    )
    fresh = store.known_article("https://example.com/news/fresh?utm_medium=email")
    assert fresh is not None and fresh.id is None
    assert fresh.date_published == datetime(2022, 1, 1, tzinfo=UTC)
    assert store.known_article("https://example.com/news/budget").last_seen > budget["last_seen"]
    assert store.known_article("https://example.com/copy-of-storm").id == storm["id"]
    run.close()
    assert "https://example.com/news/fresh" in {r["url"] for r in read(db)}


def test_known_page_answers_article_and_non_article_in_one_query(db):
    from sqlalchemy import event

    from pipelines.store import ArticleStore

    Run(db).crawl(
        article("https://example.com/news/budget"),
        article("https://example.com/syndicated/42", BODY),  # an exact duplicate: article_urls
    )
    [budget] = read(db)
    run = Run(db, DATABASE_BATCH_SIZE=100).open()
    store = ArticleStore.for_crawler(run.crawler)
    listed = datetime(2020, 1, 1, tzinfo=UTC)
    store.remember_non_article("https://example.com/news/index", reason="no body", source_date=listed)
    store.flush()
    store.remember_non_article("https://example.com/news/pending", reason="no body")  # still in the batch
    queries = []
    event.listen(store.engine, "before_cursor_execute", lambda *_args: queries.append(1))

    def ask(url: str):
        queries.clear()
        answer = store.known_page(url, also_non_article=True)
        asked = len(queries)
        known = store.known_article(url)
        assert answer == (known, store.known_non_article(url) if known is None else None)  # the same answers
        return answer, asked

    (known, not_article), asked = ask("https://example.com/news/budget")
    assert (known.id, not_article, asked) == (budget["id"], None, 1)
    (known, not_article), asked = ask("https://example.com/syndicated/42")
    assert (known.id, not_article, asked) == (budget["id"], None, 1)
    (known, not_article), asked = ask("https://example.com/news/index")
    assert (known, asked) == (None, 1)
    assert not_article.source_date == listed and not_article.last_checked > listed
    (known, not_article), asked = ask("https://example.com/news/pending")
    assert (known, not_article.source_date, asked) == (None, None, 1)
    assert not_article.last_checked is not None
    assert ask("https://example.com/news/unknown") == ((None, None), 1)
    assert store.known_page("https://example.com/news/index") == (None, None)  # articles only
    run.close()


def test_known_article_uses_indexes(tmp_path):
    from sqlalchemy import or_, text

    from pipelines.schema import metadata

    engine = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    metadata.create_all(engine)
    query = select(articles.c.id).where(or_(articles.c.url == "u", articles.c.canonical_url == "k"))
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        alias_plan = " ".join(row[-1] for row in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT article_id FROM article_urls WHERE url IN ('a', 'b')")))
    engine.dispose()
    assert "SCAN articles" not in plan and "INDEX" in plan, plan
    assert "SCAN article_urls" not in alias_plan, alias_plan


# -- the near-duplicate hook ---------------------------------------------------------------------


def test_near_duplicate_decision_links_to_the_earliest_version(db):
    from itemadapter import ItemAdapter

    from pipelines.dedup import classify
    from pipelines.storage import article_row
    from pipelines.decisions import NEAR_DUPLICATE, Decision, digest
    from pipelines.store import ArticleStore

    run = Run(db).open()
    store = ArticleStore.for_crawler(run.crawler)
    inserted = []
    store.add_insert_hook(lambda conn, rows: inserted.extend((i, row["url"], fp) for i, row, fp in rows))
    run.feed(article("https://example.com/original", BODY))
    store.flush()
    [original] = read(db)

    def near_copy(url, body, of):
        item = ItemAdapter(article(url, body))
        plain = classify(store, item)
        decision = Decision(NEAR_DUPLICATE, plain.url_key, plain.content_hash, duplicate_of=of, fingerprint=url)
        return store.stage(decision, article_row(item, decision))

    assert near_copy("https://other.example/copy", BODY + " Local paragraph.", original["id"]) == NEAR_DUPLICATE
    # A copy of the copy (still in the batch, known by its run key): linked to the original too.
    copy_key = digest("https://other.example/copy")
    assert near_copy("https://third.example/copy", BODY + " Another local paragraph.", copy_key) == NEAR_DUPLICATE
    run.close()
    rows = {r["url"]: r for r in read(db)}
    assert rows["https://other.example/copy"]["duplicate_of"] == original["id"]
    assert rows["https://third.example/copy"]["duplicate_of"] == original["id"]
    assert rows["https://example.com/original"]["duplicate_of"] is None
    from pipelines.nearduplicates import Fingerprint

    # The pipeline fingerprints what it stores (for the near-duplicate index); the staged
    # decisions above carry their own stand-in fingerprints through to the hook.
    assert [url for _, url, _ in inserted] == [
        "https://example.com/original", "https://other.example/copy", "https://third.example/copy"]
    assert isinstance(inserted[0][2], Fingerprint)
    assert [fp for _, _, fp in inserted[1:]] == ["https://other.example/copy", "https://third.example/copy"]
    assert run.stats["newscrawl/articles/new"] == 1


# -- concurrent writers --------------------------------------------------------------------------


def _write_articles(database: str, spider_name: str, numbers: list[int], barrier, start_together=False) -> None:
    """In a child process: one crawl's pipelines, batches of one, many transactions. With
    *start_together*, the processes open the database at the same moment."""
    run = _crawl_of(database, spider_name, DATABASE_BATCH_SIZE=1)
    if start_together:
        barrier.wait(timeout=60)
    run.open()
    if not start_together:
        barrier.wait(timeout=60)
    results = run.feed(*[article(f"https://example.com/n/{n}", f"{OTHER_BODY} Story {n}.") for n in numbers])
    run.close()
    assert results == ["kept"] * len(numbers) and "newscrawl/fatal" not in run.stats, run.stats


def test_concurrent_writers_lose_and_duplicate_nothing(db):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    # Two different crawls (no run lock between them), overlapping articles 40-59.
    jobs = [
        context.Process(target=_write_articles, args=(db, "writer-a", list(range(0, 60)), barrier)),
        context.Process(target=_write_articles, args=(db, "writer-b", list(range(40, 100)), barrier)),
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(timeout=120)
    assert [job.exitcode for job in jobs] == [0, 0]
    rows = read(db)
    assert sorted(r["url"] for r in rows) == sorted(f"https://example.com/n/{n}" for n in range(100))
    assert read(db, article_urls) == []
    if db.startswith("sqlite"):  # readers never wait for the writer; writers wait for each other
        with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_crawls_creating_one_sqlite_database_together_both_start(tmp_path):
    """SQLite answers "database is locked" at once, whatever busy_timeout says, to a switch to WAL
    while another process writes the file: here, creates the schema."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for attempt in range(8):
        database = f"sqlite:///{tmp_path}/news-{attempt}.db"
        barrier = context.Barrier(2)
        jobs = [context.Process(target=_write_articles, args=(database, f"writer-{n}", [n], barrier, True))
                for n in range(2)]
        for job in jobs:
            job.start()
        for job in jobs:
            job.join(timeout=120)
        assert [job.exitcode for job in jobs] == [0, 0], f"attempt {attempt}"
        assert sorted(r["url"] for r in read(database)) == ["https://example.com/n/0", "https://example.com/n/1"]


# -- syndicated copies point at the earliest published version -------------------------------------


def _story_group():
    """An original wire story and two syndicated copies published 3 and 5 hours later."""
    from tests.two_sites import original_stories, prose, syndicate

    story = original_stories(1)[0]
    versions = {"original": story}
    for n, (name, hours) in enumerate((("copy_3h", 3), ("copy_5h", 5)), start=1):
        copy = syndicate(story, prose(6000 + n, 1)[0], seed=n)
        versions[name] = replace(copy, slug=f"{name}-{copy.slug}",
                                 published=story.published + timedelta(hours=hours))
    return {
        name: article(f"https://{name}.example/{v.slug}", "\n".join(v.paragraphs), headline=v.headline,
                      date_published=v.published.isoformat())
        for name, v in versions.items()
    }


@pytest.mark.parametrize("order", list(itertools.permutations(("original", "copy_3h", "copy_5h"))))
@pytest.mark.parametrize("how", ["one batch", "one run, batches of 1", "three runs"])
def test_copies_point_at_the_earliest_published_version_in_any_order(db, order, how):
    items = _story_group()
    if how == "three runs":
        for name in order:
            Run(db).crawl(items[name])
    else:
        Run(db, DATABASE_BATCH_SIZE=1 if "1" in how else 100).crawl(*(items[name] for name in order))
    rows = {row["url"].split("/")[2].split(".")[0]: row for row in read(db)}
    assert set(rows) == {"original", "copy_3h", "copy_5h"}
    assert rows["original"]["duplicate_of"] is None
    assert rows["copy_3h"]["duplicate_of"] == rows["original"]["id"]
    assert rows["copy_5h"]["duplicate_of"] == rows["original"]["id"]


def _crawl_of(database: str, spider_name: str, **settings) -> Run:
    """A Run of its own crawl (its own run lock), like another worker's."""

    class Spider_(Spider):
        name = spider_name

    run = Run.__new__(Run)
    run.database = database
    run.crawler = get_crawler(Spider_, {"DATABASE_URL": database, **settings})
    run.crawler.spider = Spider_.from_crawler(run.crawler)
    run.pipelines = [cls.from_crawler(run.crawler) for cls in (ValidationPipeline, DeduplicationPipeline, StoragePipeline)]
    return run


@pytest.mark.parametrize("pair", [("original", "copy_3h"), ("copy_5h", "original"), ("copy_3h", "copy_5h")])
def test_two_writers_storing_copies_of_one_story_at_once_make_one_group(db, pair):
    """Each writer classifies its copy before the other stored its own (both look new), then
    both flush at the same moment: still one group, rooted at the earliest published member."""
    items = _story_group()
    runs = [_crawl_of(db, f"writer-{n}").open() for n in range(2)]
    for run, name in zip(runs, pair):
        assert run.feed(items[name]) == ["kept"]  # waiting in its batch
    barrier = threading.Barrier(2)

    def flush(run):
        barrier.wait(timeout=60)
        run.close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(flush, runs))
    rows = {row["url"].split("/")[2].split(".")[0]: row for row in read(db)}
    assert set(rows) == set(pair)
    earliest = min(pair, key=["original", "copy_3h", "copy_5h"].index)
    later = next(name for name in pair if name != earliest)
    assert rows[earliest]["duplicate_of"] is None
    assert rows[later]["duplicate_of"] == rows[earliest]["id"]


def test_members_without_a_date_count_as_published_when_first_seen(db):
    """Undated members are ordered by first_seen: an undated copy seen first stays the root
    only until a member dated before that arrives."""
    items = _story_group()
    dated = items["copy_3h"]
    undated = article(dated.url, dated.article_body, headline=dated.headline)
    Run(db).crawl(undated)  # first seen now, long after the wire story's date
    Run(db).crawl(items["copy_5h"])  # dated 2021: earlier than the undated copy's first sight
    rows = {row["url"].split("/")[2].split(".")[0]: row for row in read(db)}
    assert rows["copy_5h"]["duplicate_of"] is None
    assert rows["copy_3h"]["duplicate_of"] == rows["copy_5h"]["id"]


# -- the row contract: the Article item and the schema define what is stored and exported ---------


def test_every_public_article_field_is_stored_and_exported(tmp_path):
    from itemadapter import ItemAdapter

    from newscrawl.items import PUBLIC_FIELDS
    from newscrawl.settings import FEED_EXPORT_FIELDS
    from pipelines.schema import CONTENT_COLUMNS
    from pipelines.storage import article_row
    from pipelines.decisions import NEW, Decision

    assert FEED_EXPORT_FIELDS == list(PUBLIC_FIELDS) and "extraction_problem" not in PUBLIC_FIELDS
    item = article("https://example.com/a", authors=["A"], tags=["T"], date_published="2021-12-07T18:24:00+00:00",
                   date_downloaded="2021-12-08T00:00:00+00:00", in_language="en", site="example")
    row = article_row(ItemAdapter(item), Decision(NEW, "https://example.com/a", "hash"))
    assert set(row) == {"url", *CONTENT_COLUMNS}
    assert set(PUBLIC_FIELDS) <= set(row)
    assert row["date_published"] == datetime(2021, 12, 7, 18, 24, tzinfo=UTC)
    assert row["authors"] == ["A"] and row["content_hash"] == "hash"
