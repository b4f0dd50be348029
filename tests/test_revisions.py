"""Revisions: what counts as a changed article, and the old versions kept in article_revisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newscrawl.textnorm import body_for_revision_diff, is_date_line, strip_dateline
from pipelines.revisions import significant_change, version_hash
from pipelines.schema import article_revisions
from tests.test_pipelines import Run, article, db, outcomes, read  # noqa: F401  (db: fixture)

BODY = (
    "LONDON (AP) — The council approved the new budget on Tuesday after a long debate.\n"
    "Updated 7 December 2021, 20:31 GMT\n"
    "Opposition members said the plan would raise local taxes next year."
)
OLD = {"headline": "Council approves budget", "article_body": BODY, "date_published": "2021-12-07T18:24:00+00:00"}


def changed(**fields) -> dict:
    return {**OLD, **fields}


# -- significant_change ------------------------------------------------------------------


@pytest.mark.parametrize("paragraph, expected", [
    ("LONDON (AP) — The talks began.", "The talks began."),
    ("LONDON, Dec 7 (Reuters) - The talks began.", "The talks began."),
    ("Dec 7 (Reuters) - The talks began.", "The talks began."),
    ("PARIS — The talks began.", "The talks began."),
    ("PARIS—The talks began.", "The talks began."),
    ("WASHINGTON, D.C. -- The talks began.", "The talks began."),
    ("Paris (AFP) - The talks began.", "The talks began."),
    ("NEW YORK, Dec. 7, 2021 /PRNewswire/ -- The talks began.", "The talks began."),
    ("NEW DELHI: The talks began.", "The talks began."),
    # not datelines
    ("The talks - which began on Monday - stalled.", None),
    ("Boris Johnson: the talks have stalled.", None),
    ("In Paris - the talks stalled.", None),
    ("UK ministers - and their advisers - met.", None),
])
def test_strip_dateline(paragraph, expected):
    assert strip_dateline(paragraph) == (expected if expected is not None else paragraph)


@pytest.mark.parametrize("line, expected", [
    ("Updated 7 December 2021, 20:31 GMT", True),
    ("Published: Dec 7, 2021 8:24 p.m. ET", True),
    ("Monday 6 December 2021 17:03", True),
    ("07/12/2021", True),
    ("Sales rose 7% in 2021.", False),
    ("The vote is on 7 December.", False),
    ("Updated", False),  # no date in it
])
def test_is_date_line(line, expected):
    assert is_date_line(line) is expected


@pytest.mark.parametrize("new", [
    changed(),
    changed(article_body=BODY.replace(" ", "  ").replace("\n", "\n\n")),  # whitespace
    changed(article_body=BODY.replace("LONDON (AP) — ", "")),  # dateline dropped
    changed(article_body=BODY.replace("LONDON (AP) — ", "LONDON, Dec 8 (Reuters) - ")),  # another dateline
    changed(article_body=BODY.replace("20:31", "21:05")),  # the page's date line only
    changed(article_body=BODY.replace("Updated 7 December 2021, 20:31 GMT\n", "")),
    changed(headline="  Council  approves budget "),
    changed(headline="Council approves budget".upper()),  # case only
    changed(article_body=BODY.replace("budget", "budget").replace("’", "'")),
    changed(date_published="2021-12-07T20:24:30+02:00"),  # same minute in UTC
    changed(date_published=None),  # a date the new version lacks is unknown, not changed
    changed(date_modified="2021-12-08T09:00:00+00:00"),  # dateModified alone
])
def test_insignificant_changes(new):
    assert not significant_change(OLD, new)


@pytest.mark.parametrize("new", [
    changed(headline="Council rejects budget"),
    changed(article_body=BODY.replace("Tuesday", "Wednesday")),
    changed(article_body=BODY + "\nCorrection: an earlier version misnamed the council leader."),
    changed(article_body=BODY.split("\n", 1)[1]),  # first paragraph removed
    changed(date_published="2021-12-08T18:24:00+00:00"),
])
def test_significant_changes(new):
    assert significant_change(OLD, new)


def test_missing_old_date_found_later_is_a_change():
    assert significant_change(changed(date_published=None), OLD)


def test_version_hash_agrees_with_normalisation():
    assert version_hash(OLD) == version_hash(changed(article_body=BODY.replace("LONDON (AP) — ", "PARIS — ")))
    assert version_hash(OLD) != version_hash(changed(headline="Council rejects budget"))
    assert body_for_revision_diff(BODY).startswith("the council approved")


def test_works_on_rows_with_datetimes():
    row = {**OLD, "date_published": datetime(2021, 12, 7, 18, 24, tzinfo=UTC)}
    assert not significant_change(row, OLD)


# -- the store ---------------------------------------------------------------------------


def test_changed_article_keeps_its_old_version(db):
    url = "https://example.com/news/budget"
    first = Run(db).crawl(article(url, BODY, headline="Council approves budget",
                                  date_published="2021-12-07T18:24:00+00:00"))
    assert outcomes(first.stats) == {"new": 1}
    [before] = read(db)

    # A re-crawl with only dateline / date-line / whitespace changes: nothing but last_seen.
    same = Run(db).crawl(article(url, BODY.replace("LONDON (AP) — ", "").replace("20:31", "22:10") + "\n",
                                 headline="Council approves budget ", date_published="2021-12-07T18:24:00Z"))
    assert outcomes(same.stats) == {"unchanged": 1}
    assert "newscrawl/articles/revisions" not in same.stats
    [row] = read(db)
    assert {k: v for k, v in row.items() if k != "last_seen"} == {k: v for k, v in before.items() if k != "last_seen"}
    assert row["last_seen"] > before["last_seen"]
    assert read(db, article_revisions) == []

    # A real change: the old version goes to article_revisions, the article is updated.
    new_body = BODY + "\nCorrection: the vote was on Wednesday."
    second = Run(db).crawl(article(url, new_body, headline="Council approves budget after all",
                                   date_published="2021-12-07T18:24:00+00:00"))
    assert outcomes(second.stats) == {"updated": 1}
    assert second.stats["newscrawl/articles/revisions"] == 1
    [updated] = read(db)
    assert updated["id"] == before["id"] and updated["first_seen"] == before["first_seen"]
    assert updated["headline"] == "Council approves budget after all"
    assert updated["article_body"] == new_body
    [revision] = read(db, article_revisions)
    assert revision["article_id"] == before["id"]
    assert revision["headline"] == "Council approves budget"
    assert revision["article_body"] == BODY
    assert revision["content_hash"] == before["content_hash"]
    assert revision["date_published"] == datetime(2021, 12, 7, 18, 24, tzinfo=UTC)
    assert revision["seen_from"] == before["first_seen"]
    assert revision["last_seen"] == row["last_seen"]  # the unchanged re-crawl still saw it
    assert revision["seen_until"] == updated["last_seen"]

    # A third version: the second one's seen_from is when the first was replaced.
    Run(db).crawl(article(url, new_body, headline="Council budget: final vote",
                          date_published="2021-12-07T18:24:00+00:00"))
    first_rev, second_rev = read(db, article_revisions)
    assert second_rev["headline"] == "Council approves budget after all"
    assert second_rev["seen_from"] == first_rev["seen_until"]
    assert second_rev["seen_until"] > second_rev["seen_from"]


@pytest.mark.parametrize("batch_size", [1, 100])
def test_change_within_one_run_keeps_the_first_version(db, batch_size):
    url = "https://example.com/news/storm"
    run = Run(db, DATABASE_BATCH_SIZE=batch_size).crawl(
        article(url, BODY),  # new
        article(url + "?utm_source=x", "PARIS — " + BODY.split(" — ", 1)[1]),  # dateline only: unchanged
        article(url + "#comments", BODY + "\nMore follows."),  # updated
        article(url, BODY + "\nMore follows."),  # unchanged since
    )
    assert outcomes(run.stats) == {"new": 1, "unchanged": 2, "updated": 1}
    assert run.stats["newscrawl/articles/revisions"] == 1
    [row] = read(db)
    assert row["article_body"].endswith("More follows.")
    [revision] = read(db, article_revisions)
    assert revision["article_body"] == BODY and revision["article_id"] == row["id"]


def test_date_published_change_is_a_revision(db):
    url = "https://example.com/news/dated"
    Run(db).crawl(article(url, BODY, date_published="2021-12-07T18:24:00+00:00"))
    run = Run(db).crawl(article(url, BODY, date_published="2021-12-09T08:00:00+00:00"))
    assert outcomes(run.stats) == {"updated": 1}
    [revision] = read(db, article_revisions)
    assert revision["date_published"] == datetime(2021, 12, 7, 18, 24, tzinfo=UTC)
    assert read(db)[0]["date_published"] == datetime(2021, 12, 9, 8, 0, tzinfo=UTC)
