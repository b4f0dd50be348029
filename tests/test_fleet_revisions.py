"""Fleet mode across cron runs: revisions and the incremental skip through one PostgreSQL database.

Two workers crawl a site's sitemap (with lastmod) into PostgreSQL; then five stories are
rewritten with a later lastmod and two more published, and two workers crawl again: only the
changed and the new pages are fetched, each changed story keeps one revision, nothing is stored twice.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.crawling import read_rows, run_crawl
from tests.two_sites import START, NewsSite, Story, prose

STORIES = 30
CHANGED = range(5)
WORKERS = 2
FLEET = {"MAX_IDLE_TIME_BEFORE_CLOSE": "5"}


def story(n: int) -> Story:
    return Story(slug=f"harbour-story-{n}", headline=f"Harbour story number {n} about the new bridge",
                 paragraphs=prose(500 + n), published=START + timedelta(hours=n),
                 modified=START + timedelta(hours=n))


def crawl_with_workers(site: NewsSite, redis_url: str, database: str):
    settings = {**FLEET, "REDIS_URL": redis_url}
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(run_crawl, "news", urls=f"{site.server.base_url}/sitemap.xml",
                               database=database, settings=settings, timeout=300) for _ in range(WORKERS)]
        results = [future.result() for future in futures]
    for result in results:
        assert result.returncode == 0, result.log[-4000:]


def test_a_second_fleet_run_fetches_only_changed_and_new_stories_and_keeps_revisions(serve, redis_url, postgres_url):
    site = NewsSite(serve(routes={}))
    for n in range(STORIES):
        site.publish(story(n))
    crawl_with_workers(site, redis_url, postgres_url)
    first = {row["url"]: row for row in read_rows(postgres_url)}
    assert len(first) == STORIES
    assert sorted(site.article_requests()) == sorted(s.path for s in site.stories.values())

    site.server.requests.clear()
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)  # after the first crawl
    for n in CHANGED:
        old = site.stories[f"harbour-story-{n}"]
        site.publish(replace(old, paragraphs=[*prose(900 + n, 3), *old.paragraphs[3:]], modified=later))
    for n in range(STORIES, STORIES + 2):
        site.publish(story(n))
    crawl_with_workers(site, redis_url, postgres_url)

    changed = {f"/news/harbour-story-{n}/" for n in CHANGED}
    new = {f"/news/harbour-story-{n}/" for n in range(STORIES, STORIES + 2)}
    assert sorted(site.article_requests()) == sorted(changed | new)  # the rest skipped by lastmod
    rows = {row["url"]: row for row in read_rows(postgres_url)}
    assert len(rows) == STORIES + 2
    base = site.server.base_url
    for path in changed:
        assert rows[base + path]["id"] == first[base + path]["id"]  # updated in place
        assert rows[base + path]["article_body"] != first[base + path]["article_body"]
    revisions = read_rows(postgres_url, "article_revisions")
    assert sorted(r["article_id"] for r in revisions) == sorted(first[base + p]["id"] for p in changed)
    assert all(r["article_body"] == first[base + p]["article_body"]
               for p in changed for r in revisions if r["article_id"] == first[base + p]["id"])
    runs = read_rows(postgres_url, "crawl_runs")
    assert len(runs) == 2 * WORKERS and len({run["fleet_run"] for run in runs}) == 2
    assert sum(run["new"] for run in runs[WORKERS:]) == len(new)
