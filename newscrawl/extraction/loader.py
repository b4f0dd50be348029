"""ArticleLoader: the one place where extracted values are cleaned into an Article."""

from __future__ import annotations

import re
import unicodedata

from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader
from w3lib.html import remove_tags, replace_entities

from newscrawl.extraction.dates import parse_date, to_utc_iso
from newscrawl.items import Article

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_LANGUAGE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")


def clean_text(value: str | None) -> str | None:
    """Decode entities, drop tags, normalise Unicode and collapse all whitespace."""
    if value is None:
        return None
    text = replace_entities(remove_tags(str(value)))
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    return text or None


def clean_body(value: str | None) -> str | None:
    """Keep paragraphs, one per line; collapse whitespace inside each."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", replace_entities(str(value)))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    body = "\n".join(line for line in lines if line)
    return body or None


def utc_iso_date(value: str | None, loader_context: dict) -> str | None:
    """Any date text to UTC ISO 8601, read as metadata extraction read it: the loader's `url`
    breaks day/month ties in numeric dates (11/12/2019), and times without an offset are in
    the loader's `timezone` (the site's, from its registry entry), else UTC."""
    if not value:
        return None
    parsed = parse_date(value, url_hint=loader_context.get("url"), default_tz=loader_context.get("timezone"))
    return to_utc_iso(parsed) if parsed else None


def language_code(value: str | None) -> str | None:
    """'en-GB' -> 'en'. Anything that is not a language tag is dropped."""
    match = _LANGUAGE.match(value.strip()) if value else None
    if not match or len(match.group(1)) != 2:
        return None
    return match.group(1).lower()


def unique_casefolded(values: list[str]) -> list[str]:
    """Keep the first spelling of each value, comparing case-insensitively."""
    seen: set[str] = set()
    kept = []
    for value in values:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(clean_text)
    default_output_processor = TakeFirst()

    article_body_in = MapCompose(clean_body)
    authors_out = unique_casefolded
    tags_out = unique_casefolded
    in_language_in = MapCompose(clean_text, language_code)
    date_published_in = MapCompose(clean_text, utc_iso_date)
    date_modified_in = MapCompose(clean_text, utc_iso_date)
    date_published_raw_in = MapCompose(clean_text)
    date_modified_raw_in = MapCompose(clean_text)
    extraction_problem_in = Identity()
