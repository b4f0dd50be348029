"""Extraction in a worker process (EXTRACTION_PROCESSES) stores the same stories as extraction in
the crawl process, on real crawls of a local site; a bad setting is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawling import read_rows, run_crawl
from tests.generated_site import build_routes

DEMO_SITE = Path(__file__).resolve().parents[1] / "newscrawl" / "demo" / "site"
# What identifies each stored story. Which of two URLs of one story becomes its row, and so that
# row's page-specific fields, depends on which response is processed first: with a worker the
# crawl goes on downloading while pages are extracted, so that order follows the network, as it
# does on any real site.
COMPARED = ("canonical_url", "site", "headline", "content_hash")


def _stored(database: Path) -> tuple[list[tuple], int]:
    rows = read_rows(database)
    linked = sum(1 for row in rows if row["duplicate_of"] is not None)
    return sorted(tuple(row[name] for name in COMPARED) for row in rows), linked


@pytest.mark.parametrize("site", ["demo", "generated"])
def test_a_worker_process_stores_what_the_crawl_process_stores(serve, tmp_path, site):
    if site == "demo":
        server = serve(root=DEMO_SITE)
        seeds = f"{server.base_url}/robots.txt,{server.base_url}/"
    else:
        server = serve()
        server.routes.update(build_routes(server.base_url))
        seeds = f"{server.base_url}/robots.txt,{server.base_url}/"
    stored = {}
    for processes in ("0", "1"):
        database = tmp_path / f"workers-{processes}.db"
        result = run_crawl("news", urls=seeds, database=database, settings={"EXTRACTION_PROCESSES": processes})
        assert result.returncode == 0, result.log[-3000:]
        assert "extraction worker process failed" not in result.log
        stored[processes] = _stored(database)
    assert len(stored["1"][0]) >= (7 if site == "demo" else 150)
    assert stored["1"] == stored["0"]
    if site == "demo":
        assert stored["1"][1] == 1  # the syndicated copy, linked


def test_a_bad_extraction_processes_setting_is_refused_naming_it(serve, tmp_path):
    server = serve(root=DEMO_SITE)
    result = run_crawl("news", urls=f"{server.base_url}/", database=tmp_path / "bad.db",
                       settings={"EXTRACTION_PROCESSES": "many"})
    assert result.returncode != 0
    assert "EXTRACTION_PROCESSES must be a non-negative integer, got 'many'" in result.log
    assert not server.requests
