"""Polite defaults: robots.txt, a descriptive User-Agent, retries that honour Retry-After."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from newscrawl.demo.server import Route
from newscrawl.middlewares import retry_after_seconds
from scrapy.utils.project import get_project_settings
from tests.crawling import FIXTURES, read_rows, run_crawl

ARTICLE = (FIXTURES / "lbc" / "biden-putin-a.html").read_bytes()
PATH = "/world/biden-and-putin-square-off-politely/"


def test_retry_after_parses_seconds_and_http_dates():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds(b"7") == 7
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_default_settings_are_polite():
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert 429 in settings.getlist("RETRY_HTTP_CODES")


@pytest.mark.parametrize("settings, expected", [
    ({}, "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"),
    ({"NEWSCRAWL_CONTACT_URL": "https://example.org/crawler"}, "newscrawl/0.1 (+https://example.org/crawler)"),
    ({"USER_AGENT": "my-newsroom-bot/2"}, "my-newsroom-bot/2"),
])
def test_user_agent_names_the_project_and_its_contact(serve, tmp_path, settings, expected):
    server = serve(routes={PATH: Route(body=ARTICLE)})
    result = run_crawl("news", urls=server.base_url + PATH, database=tmp_path / "x.db", settings=settings)
    assert result.returncode == 0, result.log[-2000:]
    assert set(server.user_agents) == {expected}


def test_429_is_retried_after_retry_after(serve, tmp_path):
    server = serve(routes={PATH: [Route(status=429, headers={"Retry-After": "2"}), Route(body=ARTICLE)]})
    result = run_crawl("news", urls=server.base_url + PATH, database=tmp_path / "x.db")
    assert result.returncode == 0, result.log[-2000:]
    times = [t for path, t in server.request_times if path == PATH]
    assert len(times) == 2 and times[1] - times[0] >= 1.9
    assert result.stats["newscrawl/retry/retry_after_honoured"] == 1
    assert len(read_rows(tmp_path / "x.db")) == 1


def test_retry_after_beyond_the_cap_gives_up(serve, tmp_path):
    server = serve(routes={PATH: Route(status=503, headers={"Retry-After": "86400"})})
    result = run_crawl("news", urls=server.base_url + PATH, database=tmp_path / "x.db")
    assert server.count(PATH) == 1
    assert result.stats["newscrawl/retry/retry_after_too_long"] == 1
    assert result.stats["newscrawl/errors/http_503"] == 1


def test_robots_txt_is_obeyed(serve, tmp_path):
    server = serve(routes={PATH: Route(body=ARTICLE),
                           "/robots.txt": Route(body=b"User-agent: *\nDisallow: /world/\n", content_type="text/plain")})
    result = run_crawl("news", urls=server.base_url + PATH, database=tmp_path / "x.db")
    assert server.count(PATH) == 0
    assert result.stats["newscrawl/skipped/robots_forbidden"] == 1
