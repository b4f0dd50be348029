"""Turn the date strings found on news pages into timezone-aware UTC datetimes.

Fast paths first, in the order they are tried:

1. unix timestamps (seconds or milliseconds),
2. ISO 8601 (``datetime.fromisoformat`` handles nearly all of it in Python 3.11),
3. RFC 2822 (``Tue, 19 Nov 2019 10:00:00 GMT``),
4. a hand-written parser for the English forms pages print
   ("7 December 2021, 18:24", "Dec 7, 2021 6:24pm ET", "11/19/2019 10:00 AM EST"),
5. only then dateparser, for other languages ("19 de novembro de 2019", "2019년 11월 19일").
   It costs ~1 ms a call, so it only runs on strings with a 4-digit year.

Naive times (no offset, no zone name) are taken as UTC, or as ``default_tz`` when the
caller knows the site's zone (a site registry entry): the Spokesman-Review prints and
declares Pacific time without saying so. Years outside MIN_YEAR..MAX_YEAR are rejected,
which also rejects garbage such as phone numbers.
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newscrawl.textnorm import collapse_whitespace

UTC = timezone.utc
MIN_YEAR = 1990
MAX_YEAR = datetime.now(UTC).year + 1

# Zone abbreviations pages print after a time. US zones use the standard/daylight
# letters as written; a bare "ET"/"PT" is resolved from the month (rough DST rule).
_ZONE_OFFSETS_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0,
    "BST": 1, "IST": 5.5, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2, "EET": 2, "EEST": 3,
    "WET": 0, "WEST": 1, "MSK": 3,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
    "AEST": 10, "AEDT": 11, "ACST": 9.5, "AWST": 8, "NZST": 12, "NZDT": 13,
    "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "WIB": 7, "PHT": 8,
}
# Generic US zones: (standard offset) - daylight time is one hour later.
_US_GENERIC_ZONES = {"ET": -5, "CT": -6, "MT": -7, "PT": -8}

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

# Labels that precede the date itself ("Published: ", "Updated on").
_LABEL_PREFIX = re.compile(
    r"^\s*(?:(?:first\s+)?published|last\s+updated|updated|modified|last\s+modified|posted|"
    r"created|date|on|at)\b\s*(?:on|at)?\s*[:\-–]?\s*",
    re.I,
)
_UNIX_TIMESTAMP = re.compile(r"^\d{9,10}(?:\.\d+)?$|^\d{12,13}$")
_ISO_LIKE = re.compile(r"^\d{4}-?\d{2}-?\d{2}(?:$|[T\s]\d)")
_RFC2822_LIKE = re.compile(r"^(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")
_WEEKDAY = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?\b\.?,?", re.I
)
_MONTH_WORD = (
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?:uary|ruary|ch|il|e|y|ust|t|tember|ember|ober)?\b\.?"
)
# "7 December 2021" / "December 7, 2021" / "Dec. 7th 2021"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?{_MONTH_WORD},?\s+(\d{{4}})\b", re.I)
# No \b before the month: bylines glue it to the name ("By Carrie ArnoldNovember 15, 2019").
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH_WORD}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
# "2019/11/19", "2019.11.19"
_YEAR_MONTH_DAY = re.compile(r"\b(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b")
# "19/11/2019", "11-19-2019", "19.11.2019", "4. 2. 2022"
_NUMERIC_DMY = re.compile(r"\b(\d{1,2})(?:[/\-]|\.\s?)(\d{1,2})(?:[/\-]|\.\s?)(\d{4})\b")
_TIME = re.compile(
    r"\b(\d{1,2})(?::|\.|h)(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?![\w])|\b(\d{1,2})\s*([ap]\.?m\.?)(?![\w])", re.I
)
_ZONE = re.compile(r"(?<![\w])(?:([A-Z]{1,5})\b|(?:GMT|UTC)?\s*([+-])(\d{1,2}):?(\d{2})?\b)")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/\-]?(0[1-9]|1[0-2])[/\-]?(0[1-9]|[12]\d|3[01])(?:/|[^\d]|$)")
# "/2017/7/12/": one-digit month or day, between slashes only.
_URL_SHORT_DATE = re.compile(r"/((?:19|20)\d{2})/([1-9]|1[0-2])/([1-9]|[12]\d|3[01])/")
_URL_YEAR_MONTH = re.compile(r"/((?:19|20)\d{2})/(0[1-9]|1[0-2])/")


def parse_date(
    raw: str | None, url_hint: str | None = None, default_tz: tzinfo | str | None = None
) -> datetime | None:
    """Parse a date string from a page into an aware UTC datetime, or None.

    ``url_hint`` (the page URL) breaks day/month ties in all-numeric dates.
    ``default_tz`` (a tzinfo or an IANA name such as "Europe/London") is the zone of
    naive times; without it they are UTC.
    """
    if not raw or not isinstance(raw, str):
        return None
    text = collapse_whitespace(raw)
    if not text or len(text) > 200:
        return None
    try:
        result = (
            _from_unix_timestamp(text)
            or _from_iso(text)
            or _from_rfc2822(text)
            or _from_words(text, url_hint)
            or _from_dateparser(text)
        )
        if result is not None:
            result = _localise(result, default_tz)
    except (ValueError, OverflowError, OSError):
        result = None
    if result is None or not MIN_YEAR <= result.year <= MAX_YEAR:
        return None
    return result


def to_utc_iso(dt: datetime) -> str:
    """'2021-12-07T18:24:00+00:00'; naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def from_utc_iso(value: datetime | str | None) -> datetime | None:
    """The inverse of to_utc_iso, for dates this project wrote (items, stored rows, request meta):
    an ISO 8601 string or a datetime as an aware UTC datetime (naive = UTC); None if unparsable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def date_from_url(url: str | None) -> datetime | None:
    """The date in paths like /2021/12/07/, /20211207/ or /2021/7/12/, as midnight UTC."""
    if not url:
        return None
    match = _URL_DATE.search(url) or _URL_SHORT_DATE.search(url)
    if not match:
        return None
    try:
        found = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None
    return found if MIN_YEAR <= found.year <= MAX_YEAR else None


def _localise(dt: datetime, default_tz: tzinfo | str | None) -> datetime:
    """Aware UTC: naive times are read in ``default_tz`` (UTC when None or unknown)."""
    if dt.tzinfo is None:
        zone = _zone(default_tz) if default_tz else UTC
        dt = dt.replace(tzinfo=zone)  # zoneinfo picks the offset (DST) for that local time
    return dt.astimezone(UTC)


def _zone(name: tzinfo | str) -> tzinfo:
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _from_unix_timestamp(text: str) -> datetime | None:
    if not _UNIX_TIMESTAMP.match(text):
        return None
    seconds = float(text)
    if len(text) >= 12 and "." not in text:  # milliseconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, UTC)


def _from_iso(text: str) -> datetime | None:
    if not _ISO_LIKE.match(text):
        return None
    candidate = text.replace(" ", "T", 1) if len(text) > 10 and text[10] == " " else text
    # fromisoformat rejects "+00:00 " trailers, "UTC" suffixes and 7+ fraction digits.
    candidate = re.sub(r"\s*(?:UTC|GMT)$", "Z", candidate)
    candidate = re.sub(r"(\.\d{6})\d+", r"\1", candidate)
    try:
        return datetime.fromisoformat(candidate)  # naive when the text has no offset
    except ValueError:
        return None


def _from_rfc2822(text: str) -> datetime | None:
    if not _RFC2822_LIKE.match(text):
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(UTC) if parsed and parsed.tzinfo else parsed


def _from_words(text: str, url_hint: str | None) -> datetime | None:
    """English month names and numeric dates, optionally with a time and a zone."""
    text = _LABEL_PREFIX.sub("", text)
    text = _WEEKDAY.sub(" ", text)
    year = month = day = None
    date_match = None
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        date_match = pattern.search(text)
        if date_match:
            if order == "dmy":
                day, month, year = int(date_match[1]), _MONTHS[date_match[2].lower()[:3]], int(date_match[3])
            else:
                month, day, year = _MONTHS[date_match[1].lower()[:3]], int(date_match[2]), int(date_match[3])
            break
    if date_match is None:
        date_match = _YEAR_MONTH_DAY.search(text)
        if date_match:
            year, month, day = int(date_match[1]), int(date_match[2]), int(date_match[3])
    if date_match is None:
        date_match = _NUMERIC_DMY.search(text)
        if date_match:
            first, second, year = int(date_match[1]), int(date_match[2]), int(date_match[3])
            day, month = _day_month_order(first, second, year, url_hint)
    if date_match is None or year is None:
        return None

    rest = text[: date_match.start()] + " " + text[date_match.end():]
    hour = minute = second = 0
    time_match = _TIME.search(rest)
    zone_text = rest
    if time_match:
        if time_match[1] is not None:
            hour, minute, second = int(time_match[1]), int(time_match[2]), int(time_match[3] or 0)
            meridiem = time_match[4]
        else:
            hour, meridiem = int(time_match[5]), time_match[6]
        if meridiem:
            is_pm = meridiem.lower().startswith("p")
            hour = hour % 12 + (12 if is_pm else 0)
        zone_text = rest[time_match.end():]
    local = datetime(year, month, day, hour, minute, second)
    return _apply_zone(local, zone_text)


def _day_month_order(first: int, second: int, year: int, url_hint: str | None) -> tuple[int, int]:
    """(day, month) for 'a/b/yyyy': unambiguous when one part > 12, else the URL decides, else day first."""
    if first > 12:
        return first, second
    if second > 12:
        return second, first
    url_date = date_from_url(url_hint)
    if url_date and url_date.year == year and (url_date.month, url_date.day) == (first, second):
        return second, first
    return first, second


def _apply_zone(local: datetime, zone_text: str) -> datetime:
    for match in _ZONE.finditer(zone_text):
        name = match[1]
        if name:
            if name in _ZONE_OFFSETS_HOURS:
                offset = timedelta(hours=_ZONE_OFFSETS_HOURS[name])
                return (local - offset).replace(tzinfo=UTC)
            if name in _US_GENERIC_ZONES:
                hours = _US_GENERIC_ZONES[name] + (1 if _us_daylight_time(local) else 0)
                return (local - timedelta(hours=hours)).replace(tzinfo=UTC)
            continue
        sign = 1 if match[2] == "+" else -1
        offset = timedelta(hours=int(match[3]), minutes=int(match[4] or 0)) * sign
        if offset <= timedelta(hours=14):
            return (local - offset).replace(tzinfo=UTC)
    return local  # naive: the caller decides the zone


def _us_daylight_time(local: datetime) -> bool:
    """US daylight time: second Sunday of March to first Sunday of November."""
    march_first = datetime(local.year, 3, 1)
    start = march_first + timedelta(days=(6 - march_first.weekday()) % 7 + 7, hours=2)
    november_first = datetime(local.year, 11, 1)
    end = november_first + timedelta(days=(6 - november_first.weekday()) % 7, hours=2)
    return start <= local < end


_dateparser = None
_DATEPARSER_MAX_CHARS = 40


def _from_dateparser(text: str) -> datetime | None:
    """Last resort for non-English dates; slow, so only for strings with a 4-digit year."""
    global _dateparser
    # dateparser can take seconds on long mixed strings: only short ones with a year.
    if len(text) > _DATEPARSER_MAX_CHARS or not re.search(r"(?<!\d)(?:19|20)\d{2}(?!\d)", text):
        return None
    if _dateparser is None:
        import dateparser

        _dateparser = dateparser
    parsed = _dateparser.parse(
        text,
        settings={
            "TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DAY_OF_MONTH": "first",
            "STRICT_PARSING": False,
            "REQUIRE_PARTS": ["day", "month", "year"],
        },
    )
    return parsed.astimezone(UTC) if parsed else None
