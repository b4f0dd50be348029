"""Text normalisation: every way the project evens out a string, each named for its use.

(newscrawl.extraction.text turns elements into text; this module only rewrites strings.)
Cleaning keeps the text readable (values read from pages, Article fields); keys, hashing
and diff forms are for comparing only and are never stored or shown. ``body_for_hashing``
feeds the stored content hashes: its output must never change.
"""

from __future__ import annotations

import html
import re
import unicodedata

from w3lib.html import remove_tags, replace_entities

_ANY_SPACE = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")  # spaces and tabs, no line breaks
# The whitespace an Article field loses (the loader's set: no \x1c-\x1f, \x85 or \u2028).
_FIELD_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_WORD = re.compile(r"\w+")
_NOT_KEY = re.compile(r"[\W_]+")
_NOT_NAME_KEY = re.compile(r"[^\w]+")
_LANGUAGE_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")
_LANGUAGE_NAMES = {
    "eng": "en", "english": "en", "fra": "fr", "fre": "fr", "french": "fr", "deu": "de", "ger": "de",
    "german": "de", "spa": "es", "spanish": "es", "por": "pt", "portuguese": "pt", "ita": "it",
    "italian": "it", "rus": "ru", "russian": "ru", "kor": "ko", "korean": "ko", "jpn": "ja",
    "japanese": "ja", "zho": "zh", "chi": "zh", "ara": "ar", "ind": "id", "nld": "nl", "dut": "nl",
}


# ---- readable text ---------------------------------------------------------------------------


def collapse_whitespace(text: str) -> str:
    """Runs of any Unicode whitespace as one space, ends stripped (same as ``\\s+`` -> " ")."""
    return " ".join(text.split())


def clean_page_value(value) -> str | None:
    """A value as read from a page (meta content, JSON-LD string, element text): entities
    decoded (also double-encoded ones), zero-width spaces dropped, whitespace collapsed;
    None when empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    if "&" in value:
        value = html.unescape(value)
    value = _ANY_SPACE.sub(" ", value.replace("\u00a0", " ").replace("\u200b", "")).strip()
    return value or None


def clean_field_text(value: str | None) -> str | None:
    """An Article field as stored: tags dropped, entities decoded, NFC, spaces collapsed; None
    when empty. Stricter than ``clean_page_value`` on purpose: a stored field holds no markup
    and one Unicode form, whichever extractor produced it."""
    if value is None:
        return None
    text = replace_entities(remove_tags(str(value)))
    text = unicodedata.normalize("NFC", text)
    text = _FIELD_SPACES.sub(" ", text.replace("\n", " ")).strip()
    return text or None


def clean_field_body(value: str | None) -> str | None:
    """An Article body as stored: paragraphs one per line, spaces collapsed inside each, NFC."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", replace_entities(str(value)))
    lines = (_FIELD_SPACES.sub(" ", line).strip() for line in text.splitlines())
    body = "\n".join(line for line in lines if line)
    return body or None


def paragraph_lines(lines) -> str:
    """Lines as paragraphs, one per line: spaces, tabs and no-break spaces inside each collapsed,
    blank ones dropped (the other Unicode spaces are left to ``clean_field_body``)."""
    collapsed = (_LINE_SPACES.sub(" ", line).strip() for line in lines)
    return "\n".join(line for line in collapsed if line)


# ---- language codes --------------------------------------------------------------------------


def declared_language_code(value: str | None) -> str | None:
    """A page's language declaration ('en-GB' / 'en_US' / 'eng' / 'English') -> 'en'; None when
    it is not a language. Lenient: pages write names and ISO 639-2 codes."""
    if not value:
        return None
    code = re.split(r"[-_\s,;]", value.strip().lower(), maxsplit=1)[0]
    code = _LANGUAGE_NAMES.get(code, code)
    return code if len(code) == 2 and code.isalpha() and code.isascii() else None


def language_tag_code(value: str | None) -> str | None:
    """An Article's in_language: 'en-GB' -> 'en'. Strict: anything not a BCP 47-like tag with a
    two-letter primary subtag is dropped (the field holds codes only)."""
    match = _LANGUAGE_TAG.match(value.strip()) if value else None
    if not match or len(match.group(1)) != 2:
        return None
    return match.group(1).lower()


# ---- comparison keys (never stored) -----------------------------------------------------------


def comparison_key(text: str | None) -> str:
    """Casefolded letters and digits only: 'The Guardian!' and 'theguardian' compare equal."""
    return _NOT_KEY.sub("", (text or "").casefold())


def name_key(name: str) -> str:
    """Author and site names as compared by the byline rules: like ``comparison_key`` but '_'
    is kept, so '@the_guardian' stays apart from 'theguardian' (merging would change matching)."""
    return _NOT_NAME_KEY.sub("", name.casefold())


def word_key(text: str) -> str:
    """Casefolded ``\\w+`` words joined by one space: 'Hello, World!' -> 'hello world'."""
    return " ".join(_WORD.findall(text.casefold()))


def comparison_words(text: str) -> list[str]:
    """Casefolded words with apostrophes dropped first ("Britain's" -> 'britains')."""
    return _WORD.findall(text.casefold().replace("'", "").replace("\u2019", ""))


def words_for_shingling(text: str | None) -> list[str]:
    """NFKC, casefolded ``\\w+`` words (punctuation and spacing ignored) for near-duplicates."""
    return _WORD.findall(unicodedata.normalize("NFKC", text or "").casefold())


def body_for_hashing(text: str) -> str:
    """Body as hashed for exact duplicates: NFKC, casefolded, whitespace collapsed.
    Stored content hashes depend on it byte for byte: never change it."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# ---- revision comparison (pipelines.revisions) -------------------------------------------------

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


def text_for_revision_diff(text: str | None) -> str:
    """Headline or paragraph as compared for revisions: NFKC, casefolded, typographic quotes
    and dashes as ASCII, whitespace collapsed. Folds more than ``body_for_hashing`` on purpose:
    a re-rendered quote style is no revision, but hashes must stay as stored."""
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
    return _is_normalised_date_line(text_for_revision_diff(paragraph))


def _is_normalised_date_line(text: str) -> bool:
    if not text or len(text) > 120 or not any(c.isdigit() for c in text):
        return False
    for word in re.split(r"[\s,;()]+", text):
        word = word.strip(".:")
        if not word or word in _DATE_LINE_WORDS or _DATE_WORD.fullmatch(word):
            continue
        return False
    return True


def body_for_revision_diff(body: str | None) -> str:
    """The body as compared for revisions: no dateline, no date-only lines, normalised text."""
    paragraphs = [p for p in (body or "").splitlines() if p.strip()]
    if paragraphs:
        paragraphs[0] = strip_dateline(paragraphs[0])
    normalised = (text_for_revision_diff(p) for p in paragraphs)
    return "\n".join(n for n in normalised if n and not _is_normalised_date_line(n))
