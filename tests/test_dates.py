from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscrawl.extraction.dates import date_from_url, parse_date, to_utc_iso

UTC = timezone.utc


def iso(raw, url=None):
    parsed = parse_date(raw, url)
    return to_utc_iso(parsed) if parsed else None


@pytest.mark.parametrize(
    "raw, expected",
    [
        # ISO 8601 in its many shapes
        ("2021-12-07T18:24:00Z", "2021-12-07T18:24:00+00:00"),
        ("2021-12-07T18:24:00+00:00", "2021-12-07T18:24:00+00:00"),
        ("2019-11-19T19:53:52-05:00", "2019-11-20T00:53:52+00:00"),
        ("2019-11-20T10:18:01+05:30", "2019-11-20T04:48:01+00:00"),
        ("2019-11-20T09:22:35.000Z", "2019-11-20T09:22:35+00:00"),
        ("2019-11-19T21:57:01+0000", "2019-11-19T21:57:01+00:00"),
        ("2019-11-19T13:16+0000", "2019-11-19T13:16:00+00:00"),
        ("2018-10-15 10:33:49", "2018-10-15T10:33:49+00:00"),  # naive: UTC
        ("2019-11-20 12:32:13+08:00", "2019-11-20T04:32:13+00:00"),
        ("2019-11-19T01:19:34.8191234Z", "2019-11-19T01:19:34+00:00"),  # 7 fraction digits
        ("2019-11-18 17:19:53 GMT", "2019-11-18T17:19:53+00:00"),
        ("2019-11-19", "2019-11-19T00:00:00+00:00"),
        # RFC 2822
        ("Tue, 19 Nov 2019 10:00:00 GMT", "2019-11-19T10:00:00+00:00"),
        ("Tue, 19 Nov 2019 10:00:00 -0500", "2019-11-19T15:00:00+00:00"),
        # what pages print
        ("7 December 2021, 18:24", "2021-12-07T18:24:00+00:00"),  # the LBC seed
        ("Dec 7, 2021 6:24pm ET", "2021-12-07T23:24:00+00:00"),  # ET in winter = EST
        ("June 7, 2021 6:24pm ET", "2021-06-07T22:24:00+00:00"),  # ET in summer = EDT
        ("November 19, 2019 at 10:30 AM EST", "2019-11-19T15:30:00+00:00"),
        ("Published 7:07 PM EST Nov 19, 2019", "2019-11-20T00:07:00+00:00"),
        ("PUBLISHED: 10:48, Tue, Nov 19, 2019", "2019-11-19T10:48:00+00:00"),
        ("Mon 18 Nov 2019 18.54 GMT", "2019-11-18T18:54:00+00:00"),
        ("20 Nov 2019 08:02 GMT", "2019-11-20T08:02:00+00:00"),
        ("Nov. 20, 2019 5:52 AM EST", "2019-11-20T10:52:00+00:00"),
        ("Sept. 3, 2019", "2019-09-03T00:00:00+00:00"),
        ("19 November 2019 • 1:16pm", "2019-11-19T13:16:00+00:00"),
        ("Updated: 18 Nov 2019, 19:11", "2019-11-18T19:11:00+00:00"),
        ("publiziert am 25. September 2018", "2018-09-25T00:00:00+00:00"),
        ("By Carrie ArnoldNovember 15, 2019", "2019-11-15T00:00:00+00:00"),  # glued byline
        ("2019/11/19", "2019-11-19T00:00:00+00:00"),
        ("19/11/2019 10:30", "2019-11-19T10:30:00+00:00"),  # day first when unambiguous
        ("11/19/2019 10:30", "2019-11-19T10:30:00+00:00"),
        # unix timestamps, seconds and milliseconds
        ("1574168580", "2019-11-19T13:03:00+00:00"),
        ("1574168580000", "2019-11-19T13:03:00+00:00"),
        # other languages go to dateparser
        ("19 de novembro de 2019", "2019-11-19T00:00:00+00:00"),
    ],
)
def test_parse_date(raw, expected):
    assert iso(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "junk", "Updated 14 hours ago", "0001-01-01T00:00:00Z", "3000-01-01",
     "1850-05-01", "Decimal 5, 2019", "Call 555 1234", "x" * 500],
)
def test_rejects_garbage_and_absurd_years(raw):
    assert parse_date(raw) is None


def test_results_are_aware_utc():
    parsed = parse_date("2019-11-19T19:53:52-05:00")
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


def test_default_tz_applies_to_naive_times_only():
    # The Spokesman-Review declares naive Pacific times; a site registry can say so.
    assert to_utc_iso(parse_date("2019-11-19T18:18:25.828095", default_tz="America/Los_Angeles")) == (
        "2019-11-20T02:18:25+00:00")
    assert to_utc_iso(parse_date("7 July 2021, 18:24", default_tz="Europe/London")) == "2021-07-07T17:24:00+00:00"
    assert to_utc_iso(parse_date("7 December 2021, 18:24", default_tz="Europe/London")) == "2021-12-07T18:24:00+00:00"
    assert to_utc_iso(parse_date("2019-11-19T18:18:25Z", default_tz="America/Los_Angeles")) == (
        "2019-11-19T18:18:25+00:00")  # an explicit zone wins
    assert to_utc_iso(parse_date("Dec 7, 2021 6:24pm ET", default_tz="Asia/Seoul")) == "2021-12-07T23:24:00+00:00"
    assert to_utc_iso(parse_date("2018-08-25 15:24", default_tz="No/Such_Zone")) == "2018-08-25T15:24:00+00:00"


def test_url_hint_breaks_day_month_ties():
    assert iso("07/12/2021") == "2021-12-07T00:00:00+00:00"  # day first by default
    assert iso("07/12/2021", "https://example.com/2021/07/12/story") == "2021-07-12T00:00:00+00:00"


def test_date_from_url():
    assert date_from_url("https://x.com/2021/12/07/story") == datetime(2021, 12, 7, tzinfo=UTC)
    assert date_from_url("https://x.com/story/2019-11-19/gannett") == datetime(2019, 11, 19, tzinfo=UTC)
    assert date_from_url("https://x.com/20211207/story") == datetime(2021, 12, 7, tzinfo=UTC)
    assert date_from_url("https://x.com/news/2019/11/story") is None  # month only
    assert date_from_url("https://x.com/news/201911181077343476-id") is None  # an id, not a date
    assert date_from_url("https://x.com/news/12345") is None
    assert date_from_url(None) is None
    assert date_from_url("https://x.com/home/2017/7/12/story") == datetime(2017, 7, 12, tzinfo=UTC)
    assert date_from_url("https://x.com/id/2017/7/story") is None


def test_dotted_dates_with_spaces_are_day_first():
    assert iso("Von Jana Roth 4. 2. 2022.") == "2022-02-04T00:00:00+00:00"
    assert iso("4.2.2022") == "2022-02-04T00:00:00+00:00"


def test_to_utc_iso():
    assert to_utc_iso(datetime(2021, 12, 7, 18, 24)) == "2021-12-07T18:24:00+00:00"  # naive = UTC
    eastern = timezone(timedelta(hours=-5))
    assert to_utc_iso(datetime(2021, 12, 7, 13, 24, 5, 999, tzinfo=eastern)) == "2021-12-07T18:24:05+00:00"


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_never_raises_and_always_utc(text):
    parsed = parse_date(text)
    assert parsed is None or parsed.utcoffset() == timedelta(0)


@given(st.datetimes(min_value=datetime(1991, 1, 1), max_value=datetime(2025, 12, 31)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
@settings(max_examples=200, deadline=None)
def test_iso_round_trip(moment, offset_minutes):
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert parse_date(aware.isoformat()) == aware.astimezone(UTC)
    assert parse_date(to_utc_iso(aware)) == aware.astimezone(UTC)
