"""ArticleLoader: the one place where extracted values are cleaned into an Article."""

from __future__ import annotations

from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from newscrawl.extraction.dates import parse_date, to_utc_iso
from newscrawl.items import Article
from newscrawl.textnorm import clean_field_body, clean_field_text, language_tag_code


def utc_iso_date(value: str | None, loader_context: dict) -> str | None:
    """Any date text to UTC ISO 8601, read as metadata extraction read it: the loader's `url`
    breaks day/month ties in numeric dates (11/12/2019), and times without an offset are in
    the loader's `timezone` (the site's, from its registry entry), else UTC."""
    if not value:
        return None
    parsed = parse_date(value, url_hint=loader_context.get("url"), default_tz=loader_context.get("timezone"))
    return to_utc_iso(parsed) if parsed else None


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
    default_input_processor = MapCompose(clean_field_text)
    default_output_processor = TakeFirst()

    article_body_in = MapCompose(clean_field_body)
    authors_out = unique_casefolded
    tags_out = unique_casefolded
    in_language_in = MapCompose(clean_field_text, language_tag_code)
    date_published_in = MapCompose(clean_field_text, utc_iso_date)
    date_modified_in = MapCompose(clean_field_text, utc_iso_date)
    date_published_raw_in = MapCompose(clean_field_text)
    date_modified_raw_in = MapCompose(clean_field_text)
    extraction_problem_in = Identity()
