"""What a user meets on the command line: argument checks, exit statuses, exports."""

import json

import pytest

from newscrawl.demo.server import Route
from tests.crawling import FIXTURES, read_rows, run_crawl, run_scrapy

ARTICLE = (FIXTURES / "lbc" / "biden-putin-a.html").read_bytes()


def scrapy(*args):
    return run_scrapy(*args)


def test_scrapy_list_shows_the_general_and_site_spiders():
    listed = scrapy("list").stdout.split()
    assert "news" in listed and "lbc" in listed


@pytest.mark.parametrize("argument, named", [
    ("urls=ftp://example.com/feed", "urls"),
    ("max_pages=0", "max_pages"),
    ("max_articles=many", "max_articles"),
    ("since=2021-13-45", "since"),
    ("colour=blue", "colour"),
    ("render=sometimes", "render"),
])
def test_bad_spider_argument_is_refused_by_name(argument, named):
    done = scrapy("crawl", "lbc", "-a", argument)
    assert done.returncode == 2
    assert f"'{named}'" in done.stderr
    assert "Traceback" not in done.stderr


def test_news_spider_without_seeds_is_refused():
    done = scrapy("crawl", "news")
    assert done.returncode == 2
    assert "-a urls=" in done.stderr


def test_unreachable_database_exits_non_zero_before_crawling(serve, tmp_path):
    server = serve(routes={"/world/an-article-that-is-never-fetched/": Route(body=ARTICLE)})
    database = tmp_path / "missing-dir" / "x.db"
    result = run_crawl("news", urls=f"{server.base_url}/world/an-article-that-is-never-fetched/", database=database)
    assert result.returncode == 1
    assert "missing-dir" in result.log and "ERROR" in result.log
    assert server.requests == []


def test_bad_setting_is_refused_by_name(serve, tmp_path):
    server = serve(routes={"/world/an-article-for-a-bad-setting/": Route(body=ARTICLE)})
    result = run_crawl("news", urls=f"{server.base_url}/world/an-article-for-a-bad-setting/",
                       database=tmp_path / "x.db", settings={"DATABASE_BATCH_SIZE": "lots"})
    assert result.returncode == 2  # a usage error, as a bad -a argument
    assert "DATABASE_BATCH_SIZE must be a positive integer, got 'lots'" in result.log
    assert server.requests == []


def test_every_article_request_failing_exits_non_zero(serve, tmp_path):
    server = serve(routes={f"/world/broken-article-number-{i}/": Route(status=500) for i in range(3)})
    urls = ",".join(f"{server.base_url}/world/broken-article-number-{i}/" for i in range(3))
    result = run_crawl("news", urls=urls, database=tmp_path / "x.db")
    assert result.returncode == 1
    assert "FAILED" in result.log


def test_unreachable_seed_host_exits_non_zero(tmp_path):
    result = run_crawl("news", urls="http://127.0.0.1:9/", database=tmp_path / "x.db")
    assert result.returncode == 1
    assert "no page could be fetched" in result.log


def test_items_export_with_dash_o(serve, tmp_path):
    server = serve(routes={"/world/biden-and-putin-square-off-again/": Route(body=ARTICLE)})
    out = tmp_path / "articles.jsonl"
    result = run_crawl("news", urls=f"{server.base_url}/world/biden-and-putin-square-off-again/",
                       database=tmp_path / "x.db", settings={"FEEDS": json.dumps({str(out): {"format": "jsonlines"}})})
    assert result.returncode == 0, result.log[-2000:]
    [item] = [json.loads(line) for line in out.read_text().splitlines()]
    assert item["headline"].startswith("Biden and Putin")
    assert item["date_published"] == "2021-12-07T18:24:00+00:00"
    assert "extraction_problem" not in item and item["authors"] == ["Press Association"]
    assert len(read_rows(tmp_path / "x.db")) == 1


def test_a_run_bounded_by_closespider_timeout_ends_ok(serve, tmp_path):
    """The README's way to bound a cron run: it ends ok (exit 0), not interrupted."""
    routes = {"/world/the-quick-article-of-the-day/": Route(body=ARTICLE)}
    routes.update({f"/world/a-slow-article-number-{i}/": Route(body=ARTICLE, delay=8) for i in range(3)})
    server = serve(routes=routes)
    urls = ",".join(server.base_url + path for path in routes)
    database = tmp_path / "x.db"
    result = run_crawl("news", urls=urls, database=database, settings={"CLOSESPIDER_TIMEOUT": "2"})
    assert result.returncode == 0, result.log[-3000:]
    assert "finish_reason=closespider_timeout status=ok" in result.log
    [run] = read_rows(database, "crawl_runs")
    assert (run["status"], run["finish_reason"]) == ("ok", "closespider_timeout")
    assert len(read_rows(database)) == 1
