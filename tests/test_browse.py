"""Browsing a crawl with Datasette: the shipped configuration, full-text search kept current by
triggers, and the real thing in headless Chromium (Playwright)."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from newscrawl.browse import datasette
from newscrawl.demo.__main__ import SITE_DIR
from pipelines.schema import metadata
from tests.crawling import PROJECT_DIR, run_crawl
from tests.two_sites import NewsSite, original_stories

CHROMIUM = "/usr/bin/chromium"
SEARCH_PHRASE = "stacking wooden coffins"  # from the body of the demo site's New York story


def crawl_demo_site(serve, database: Path) -> None:
    server = serve(root=SITE_DIR)
    result = run_crawl("news", urls=f"{server.base_url}/", database=database)
    assert result.returncode == 0, result.log[-3000:]


def test_configuration_describes_every_table_and_column():
    config = yaml.safe_load(datasette.CONFIG.read_text())
    for table in [*metadata.tables.values()]:
        described = config["tables"][table.name]
        assert described["title"] and described["description"], table.name
        assert set(described["columns"]) == set(table.columns.keys()), table.name
        assert all(described["columns"].values()), table.name
    assert {"syndicated_groups", "article_history", "recent_runs", "articles_per_site_per_day"} <= set(config["queries"])


def search(database: Path, phrase: str) -> list[str]:
    with sqlite3.connect(database) as conn:
        return [row[0] for row in conn.execute(
            "SELECT articles.headline FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid "
            "WHERE articles_fts MATCH ?", (f'"{phrase}"',))]


def test_search_index_follows_later_crawls(serve, tmp_path):
    database = tmp_path / "news.db"
    crawl_demo_site(serve, database)
    assert datasette.enable_search(database) is True
    assert datasette.enable_search(database) is False  # already there
    assert search(database, SEARCH_PHRASE) == ["Coronavirus: New York ramps up mass burials amid outbreak"]

    later = NewsSite(serve(host="127.0.0.2"))  # a later crawl adds articles: the triggers index them
    for story in original_stories(2):
        later.publish(story)
    result = run_crawl("news", urls=f"{later.server.base_url}/sitemap.xml", database=database)
    assert result.returncode == 0, result.log[-3000:]
    assert search(database, "Wire story number 1 from the agency") == ["Wire story number 1 from the agency"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def browse_server(serve, tmp_path):
    """`scrapy browse` on a crawl of the demo site; yields (base URL, database name)."""
    database = tmp_path / "news.db"
    crawl_demo_site(serve, database)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "browse", "--port", str(port), "-s", f"DATABASE_URL=sqlite:///{database}"],
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"scrapy browse did not start:\n{process.stdout.read()}") from None
                time.sleep(0.2)
        yield base, database.stem
    finally:
        process.terminate()  # scrapy browse stops its Datasette server too
        process.wait(timeout=30)
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2)
        except OSError:
            pass
        else:
            raise AssertionError("Datasette still serving after scrapy browse was stopped")


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")
def test_datasette_in_a_real_browser_finds_an_article_and_a_syndicated_group(browse_server, tmp_path):
    from playwright.sync_api import sync_playwright

    base, name = browse_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/{name}/articles")
        page.fill("input[name=_search]", SEARCH_PHRASE)
        page.press("input[name=_search]", "Enter")
        page.wait_for_load_state("networkidle")
        assert "_search=" in page.url
        rows = page.locator("table.rows-and-columns tbody tr")
        assert rows.count() == 1
        assert "New York ramps up mass burials" in rows.first.inner_text()
        page.screenshot(path=str(tmp_path / "search.png"))

        page.goto(f"{base}/{name}/syndicated_groups")
        table = page.locator("table.rows-and-columns").inner_text()
        assert "Biden and Putin square off for two-hour call as Ukraine tensions mount" in table
        assert "Biden warns Putin of ‘enormous harm’" in table
        roles = page.locator("table.rows-and-columns tbody td.col-role").all_inner_texts()
        assert roles == ["original", "copy"]
        browser.close()
