"""`scrapy export`: articles streamed to JSON Lines, CSV, Parquet and a SQLite slice, with filters,
from a database written by real crawls (an original site, a syndicating site, an edited story)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from newscrawl.browse.export import EXPORT_FIELDS
from newscrawl.items import ARTICLE_FIELDS
from tests.crawling import PROJECT_DIR, read_rows, run_crawl
from tests.two_sites import NewsSite, original_stories, prose, syndicate


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Two sites crawled twice into SQLite: 6 originals, 2 copies, 1 revision."""
    from newscrawl.demo.server import SiteServer

    database = tmp_path_factory.mktemp("export") / "news.db"
    with SiteServer() as original_server, SiteServer(host="127.0.0.2") as copy_server:
        original, copies = NewsSite(original_server), NewsSite(copy_server)
        stories = original_stories(6)
        for story in stories:
            original.publish(story)
        for n in (1, 4):
            copy = syndicate(stories[n], prose(700 + n, 1)[0], seed=n)
            copies.publish(replace(copy, published=copy.published + timedelta(hours=2)))
        for site in (original, copies):
            result = run_crawl("news", urls=f"{site.server.base_url}/sitemap.xml", database=database,
                               settings={"INCREMENTAL_ENABLED": "0"})
            assert result.returncode == 0, result.log[-2000:]
        original.publish(replace(stories[0], headline=stories[0].headline + " (updated)"))
        result = run_crawl("news", urls=f"{original.server.base_url}/sitemap.xml", database=database,
                           settings={"INCREMENTAL_ENABLED": "0"})
        assert result.returncode == 0, result.log[-2000:]
        hosts = {"original": "127.0.0.1", "copies": "127.0.0.2"}  # the news spider names sites by host
    rows = read_rows(database)
    assert len(rows) == 8 and sum(r["duplicate_of"] is not None for r in rows) == 2
    return database, hosts


def export(database, output, *options) -> str:
    done = subprocess.run([sys.executable, "-m", "scrapy", "export", str(output), *options,
                           "-s", f"DATABASE_URL=sqlite:///{database}"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_jsonl_has_the_article_fields_and_revisions(crawled, tmp_path):
    database, _ = crawled
    output = tmp_path / "articles.jsonl"
    assert "Exported 8 articles" in export(database, output, "--revisions")
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(rows) == 8
    assert list(rows[0]) == [*EXPORT_FIELDS, "revisions"]
    assert set(ARTICLE_FIELDS) - {"extraction_problem"} <= set(rows[0])
    edited = next(r for r in rows if r["headline"].endswith("(updated)"))
    assert [v["headline"] for v in edited["revisions"]] == [edited["headline"].removesuffix(" (updated)")]
    assert edited["date_published"].endswith("+00:00") and isinstance(edited["authors"], list)


def test_filters_site_copies_and_dates(crawled, tmp_path):
    database, hosts = crawled
    output = tmp_path / "a.jsonl"
    export(database, output, "--site", hosts["copies"])
    assert {json.loads(l)["site"] for l in output.read_text().splitlines()} == {hosts["copies"]}
    export(database, output, "--no-copies")
    assert [json.loads(l)["duplicate_of"] for l in output.read_text().splitlines()] == [None] * 6
    export(database, output, "--since", "2021-12-01T11:00:00Z", "--until", "2021-12-01T13:00:00Z")
    published = sorted(json.loads(l)["date_published"] for l in output.read_text().splitlines())
    # stories 2 and 3 (11:00, 12:00), and the copy of story 1 (10:00, republished 2 hours later)
    assert published == ["2021-12-01T11:00:00+00:00", "2021-12-01T12:00:00+00:00", "2021-12-01T12:00:00+00:00"]


def test_csv_and_parquet(crawled, tmp_path):
    database, _ = crawled
    export(database, tmp_path / "a.csv")
    with open(tmp_path / "a.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and list(rows[0]) == list(EXPORT_FIELDS)
    assert json.loads(rows[0]["authors"]) == ["Press Association"]
    export(database, tmp_path / "a.parquet", "--revisions")
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.num_rows == 8 and table.column_names == [*EXPORT_FIELDS, "revisions"]
    assert sum(len(r) for r in table.column("revisions").to_pylist()) == 1


def test_sqlite_slice_can_be_browsed(crawled, tmp_path):
    database, hosts = crawled
    output = tmp_path / "slice.db"
    export(database, output, "--site", hosts["copies"])
    rows = read_rows(output)
    assert len(rows) == 2 and all(r["duplicate_of"] is None for r in rows)  # their originals are outside
    assert len(read_rows(output, "crawl_runs")) == 3
    done = subprocess.run([sys.executable, "-m", "scrapy", "db", "current", "-s", f"DATABASE_URL=sqlite:///{output}"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert "revision 0003; this newscrawl needs 0003" in done.stdout


def test_bad_options_are_refused(crawled, tmp_path):
    database, _ = crawled
    for output, options, message in (("x.jsonl", ["--since", "someday"], "--since: not a date: 'someday'"),
                                     ("x.txt", [], "cannot tell the format of")):
        done = subprocess.run([sys.executable, "-m", "scrapy", "export", str(tmp_path / output), *options,
                               "-s", f"DATABASE_URL=sqlite:///{database}"],
                              cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert not (tmp_path / output).exists()
