"""Issue "each story once": syndicated copies, revisions, and cron runs that fetch only what is new."""

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from tests.crawling import read_rows, run_crawl
from newscrawl.demo.server import Route
from tests.two_sites import NewsSite, original_stories, page, prose, syndicate

SYNDICATED = (1, 4, 7)  # which originals the second site republishes


@pytest.fixture
def sites(serve):
    original = NewsSite(serve())
    for story in original_stories():
        original.publish(story)
    syndicator = NewsSite(serve(host="127.0.0.2"))
    for n in SYNDICATED:
        story = original.stories[f"wire-story-number-{n}-from-the-agency"]
        syndicator.publish(syndicate(story, prose(5000 + n, 1)[0], seed=n))
    for story in original_stories(3):
        syndicator.publish(replace(story, slug=f"own-story-{story.slug}", headline=f"Own story {story.headline}",
                                   paragraphs=prose(9000 + len(syndicator.stories))))
    return original, syndicator


def crawl(site, database, **args):
    result = run_crawl("news", urls=f"{site.server.base_url}/sitemap.xml", database=database, args=args)
    assert result.returncode == 0, result.log[-3000:]
    return result


def test_copies_are_linked_and_cron_runs_fetch_only_new_and_changed(sites, tmp_path):
    original, syndicator = sites
    database = tmp_path / "news.db"

    # Run 1: the original site, then the syndicating site.
    crawl(original, database)
    first = crawl(syndicator, database)
    rows = read_rows(database)
    assert len(rows) == len(original.stories) + len(syndicator.stories)
    by_url = {row["url"]: row for row in rows}
    originals = {s.slug: by_url[original.server.base_url + s.path] for s in original.stories.values()}
    for story in syndicator.stories.values():
        row = by_url[syndicator.server.base_url + story.path]
        if story.slug.startswith("syndicated-"):
            assert row["duplicate_of"] == originals[story.slug.removeprefix("syndicated-")]["id"]
        else:
            assert row["duplicate_of"] is None
    assert all(row["duplicate_of"] is None for row in originals.values())
    assert first.stats["newscrawl/articles/near_duplicate"] == len(SYNDICATED)

    # Between runs: two stories are edited, one only re-spaced, two are new.
    stories = list(original.stories.values())
    changed_at = datetime.now(timezone.utc)  # after run 1 fetched them: the sitemap's lastmod moves on
    edited = [replace(s, headline=s.headline + " (updated)", modified=changed_at,
                      paragraphs=s.paragraphs + ["A new paragraph added in an update, with new facts."])
              for s in stories[:2]]
    respaced = replace(stories[2], modified=changed_at,
                       paragraphs=[p.replace(" ", "  ") for p in stories[2].paragraphs])
    new = [replace(s, slug=f"fresh-{s.slug}", headline=f"Fresh {s.headline}", paragraphs=prose(7000 + i))
           for i, s in enumerate(original_stories(2))]
    for story in [*edited, respaced, *new]:
        original.publish(story)
    original.server.requests.clear()
    untouched_before = {r["id"]: r for r in read_rows(database) if r["url"].endswith(tuple(s.path for s in stories[3:]))}

    second = crawl(original, database)
    fetched = set(original.article_requests())
    assert fetched == {s.path for s in [*edited, respaced, *new]}
    assert second.stats["newscrawl/skipped/already_stored"] == len(stories) - 3
    assert second.stats["newscrawl/articles/new"] == 2
    assert second.stats["newscrawl/articles/updated"] == 2
    assert second.stats["newscrawl/articles/unchanged"] == 1

    revisions = read_rows(database, "article_revisions")
    assert sorted(r["article_id"] for r in revisions) == sorted(originals[s.slug]["id"] for s in edited)
    assert all("(updated)" not in r["headline"] for r in revisions)
    after = {r["id"]: r for r in read_rows(database)}
    for row_id, before in untouched_before.items():
        assert after[row_id] == before  # not even last_seen changed: never downloaded

    runs = read_rows(database, "crawl_runs")
    assert [r["status"] for r in runs] == ["ok", "ok", "ok"]
    assert json.loads(runs[-1]["arguments"])["urls"]


def test_a_second_url_of_a_stored_story_is_skipped_by_later_runs(serve, tmp_path):
    """An archive copy that declares the stored article's rel=canonical, met after the article
    was stored: the first run to fetch it records its URL, so the next run skips it."""
    site = NewsSite(serve())
    story = original_stories(1)[0]
    site.publish(story)
    base = site.server.base_url
    archive_path = f"/archive{story.path}"
    site.server.routes[archive_path] = Route(body=page(story).replace(
        b"</head>", f'<link rel="canonical" href="{base}{story.path}"></head>'.encode()))
    site.server.routes["/archive/"] = Route(body=(
        f'<html><body><h1>Archive</h1><a href="{archive_path}">{story.headline}</a></body></html>').encode())
    database = tmp_path / "news.db"

    crawl(site, database)  # stores the article from its sitemap URL
    assert [row["url"] for row in read_rows(database)] == [base + story.path]
    archive = run_crawl("news", urls=f"{base}/archive/", database=database)
    assert archive.returncode == 0, archive.log[-3000:]
    assert archive.stats["newscrawl/articles/unchanged"] == 1
    assert site.server.count(archive_path) == 1

    again = run_crawl("news", urls=f"{base}/archive/", database=database)
    assert again.returncode == 0, again.log[-3000:]
    assert site.server.count(archive_path) == 1  # not fetched again
    assert again.stats["newscrawl/skipped/already_stored"] == 1
    assert [row["url"] for row in read_rows(database, "article_urls")] == [base + archive_path]
    assert len(read_rows(database)) == 1
