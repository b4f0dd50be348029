"""When is a re-crawled article a new *revision*? Pure functions, no database.

A stored article is re-crawled and found different. It is a revision (the old
version is kept in ``article_revisions`` and the article updated) only when
``significant_change(old, new)`` says so: the headline, the body or the
publication date differ once both versions are normalised:

* text: NFKC, casefolded, typographic quotes and dashes as ASCII, whitespace
  collapsed (``normalise_text``);
* body (``normalise_body``): also without a leading *dateline* on the first
  paragraph (``LONDON (AP) — ``, ``Dec 7 (Reuters) - ``, ``PARIS — ``,
  ``NEW DELHI: ``; ``strip_dateline``) and without paragraphs that are only a
  date line (``Updated 7 December 2021, 20:31 GMT``; ``is_date_line``), which
  many sites re-render on every visit;
* dates: ``date_published`` to the minute, in UTC. A date the new version
  lacks is unknown, not a change. ``date_modified`` alone is not significant
  (it is the page's "Updated ..." line, bumped by many CMSes without an edit);
  a revision keeps it with the rest of the old version.

Everything else (description, authors, tags, image) is refreshed only together
with a revision: an insignificant change writes nothing but ``last_seen``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pipelines.schema import parse_datetime

# Fields compared by significant_change (date_published compared to the minute).
SIGNIFICANT_FIELDS = ("headline", "article_body", "date_published")

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": None, "\u200b": None, "\ufeff": None,
})

_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|"
    "august|september|october|november|december"
)
_WEEKDAYS = "mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# Words of a date or time: months, weekdays, numbers (7, 7th, 2021, 20:31, 07.12.2021), am/pm, zones.
_DATE_WORD = re.compile(
    rf"(?:{_MONTHS}|{_WEEKDAYS})\.?|\d{{1,4}}(?:st|nd|rd|th)?|\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?(?:am|pm)?|"
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|a\.?m\.?|p\.?m\.?|gmt|bst|utc|cet|cest|est|edt|ct|cdt|pt|pdt|et|ist|"
    r"aest|aedt|jst|hkt|sgt|[+-]\d{2}:?\d{2}",
    re.I,
)
# Words that introduce a date line: "Updated", "First published on", "Last modified at".
_DATE_LINE_WORDS = frozenset({
    "updated", "update", "published", "posted", "modified", "last", "first", "on", "at", "date",
    "created", "originally", "and", "edited", "|", "-", "/", "·", "•",
})
# Em/en dashes as spaced hyphens first ("PARIS—The" too), then the separator
# after a dateline: a spaced dash, a double hyphen or a colon.
_DASHES = str.maketrans({"\u2014": " - ", "\u2013": " - ", "\u2015": " - "})
_DATELINE_SEPARATOR = re.compile(r"\s+-{1,2}\s+|\s*--\s*|:\s+")
_AGENCY = re.compile(r"\(([^()]{1,40})\)|/([^/]{2,30})/")
MAX_DATELINE_CHARS = 80


def normalise_text(text: str | None) -> str:
    """NFKC, casefolded, typographic quotes/dashes as ASCII, whitespace collapsed."""
    if not text:
        return ""
    if not text.isascii():  # ASCII is its own NFKC form, and _TRANSLATE maps only other characters
        text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return " ".join(text.casefold().split())


def strip_dateline(paragraph: str) -> str:
    """*paragraph* without a leading wire-style dateline, else unchanged.

    ``LONDON (AP) — The ...`` -> ``The ...``; also ``Dec 7 (Reuters) -``,
    ``LONDON, Dec 7 (Reuters) -``, ``PARIS —``, ``WASHINGTON, D.C. --``,
    ``Paris (AFP) -``, ``NEW YORK, Dec. 7, 2021 /PRNewswire/ --``, ``NEW DELHI:``.
    """
    text = unicodedata.normalize("NFKC", paragraph).translate(_DASHES).translate(_TRANSLATE).lstrip()
    match = _DATELINE_SEPARATOR.search(text, 0, MAX_DATELINE_CHARS + 5)
    if match is not None:
        prefix = text[: match.start()].strip()
        if prefix and len(prefix) <= MAX_DATELINE_CHARS and _is_dateline(prefix):
            return text[match.end():].lstrip()
    return paragraph


def _is_dateline(prefix: str) -> bool:
    """A place in capitals, a date, an agency in brackets or /slashes/, or a mix."""
    agency = bool(_AGENCY.search(prefix))
    tokens = [t for t in re.split(r"[\s,]+", _AGENCY.sub(" ", prefix)) if t.strip(".'")]
    words = [t for t in tokens if not _DATE_WORD.fullmatch(t)]
    had_date = len(words) < len(tokens)
    if not words:
        return agency or had_date
    if len(words) > 5 or not all(w[0].isalpha() for w in words):
        return False
    if all(w.isupper() for w in words):  # PARIS, NEW YORK, WASHINGTON D.C.
        return any(len(w.strip(".")) >= 2 for w in words)
    # Title-case places only with an agency: "Paris (Reuters)", "New York (AP)".
    return agency and all(w[0].isupper() for w in words) and len(words) <= 4


def is_date_line(paragraph: str) -> bool:
    """True for a paragraph that is only a date (and time), maybe "Updated"/"Published ..."."""
    return _is_normalised_date_line(normalise_text(paragraph))


def _is_normalised_date_line(text: str) -> bool:
    if not text or len(text) > 120 or not any(c.isdigit() for c in text):
        return False
    for word in re.split(r"[\s,;()]+", text):
        word = word.strip(".:")
        if not word or word in _DATE_LINE_WORDS or _DATE_WORD.fullmatch(word):
            continue
        return False
    return True


def normalise_body(body: str | None) -> str:
    """The body as compared for revisions: no dateline, no date-only lines, normalised text."""
    paragraphs = [p for p in (body or "").splitlines() if p.strip()]
    if paragraphs:
        paragraphs[0] = strip_dateline(paragraphs[0])
    normalised = (normalise_text(p) for p in paragraphs)
    return "\n".join(n for n in normalised if n and not _is_normalised_date_line(n))


def _minute(value: Any) -> datetime | None:
    moment = parse_datetime(value)
    return None if moment is None else moment.replace(second=0, microsecond=0)


def _get(version: Any, name: str) -> Any:
    if isinstance(version, Mapping):
        return version.get(name)
    return getattr(version, name, None)


def significant_change(old: Any, new: Any) -> bool:
    """True when *new* is a revision of *old*.

    Both are mappings (an articles row, an item adapter) or objects with
    ``headline``, ``article_body`` and ``date_published`` (datetime or ISO 8601
    string). See the module docstring for what is ignored.
    """
    if normalise_text(_get(old, "headline")) != normalise_text(_get(new, "headline")):
        return True
    if normalise_body(_get(old, "article_body")) != normalise_body(_get(new, "article_body")):
        return True
    new_date = _minute(_get(new, "date_published"))
    return new_date is not None and new_date != _minute(_get(old, "date_published"))


def version_hash(version: Any) -> str:
    """sha256 hex of the normalised significant fields: equal hashes mean no
    significant change. (Different hashes still need ``significant_change``:
    a missing new date is no change.)"""
    date = _minute(_get(version, "date_published"))
    parts = (
        normalise_text(_get(version, "headline")),
        normalise_body(_get(version, "article_body")),
        date.isoformat() if date else "",
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
