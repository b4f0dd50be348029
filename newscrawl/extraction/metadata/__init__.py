"""Article metadata from a parsed page: headline, authors, dates, language, tags...

``sources.PageSources`` collects every source once (JSON-LD, microdata, <meta>, <link>,
<time>, <h1>, <title>, bylines); each field is then one function in ``fields`` that
reads those sources in its own fixed order of trust.
``extract_metadata`` never raises: any failure gives the empty result.
"""

from __future__ import annotations

import logging

from newscrawl.extraction.document import Document
from newscrawl.extraction.metadata import fields
from newscrawl.extraction.metadata.language_guess import guess_language
from newscrawl.extraction.metadata.sources import PageSources
from newscrawl.extraction.rules import ExtractionRules

__all__ = ["FIELDS", "PageSources", "empty_metadata", "extract_metadata", "guess_language"]

logger = logging.getLogger(__name__)

FIELDS = (
    "headline", "description", "authors", "date_published_raw", "date_modified_raw",
    "in_language", "section", "tags", "main_image", "canonical_url",
)
_LIST_FIELDS = ("authors", "tags")


def empty_metadata() -> dict:
    return {name: ([] if name in _LIST_FIELDS else None) for name in FIELDS}


def extract_metadata(doc: Document, rules: ExtractionRules | None = None) -> dict:
    """All metadata fields of one page; missing fields are None or []. Never raises."""
    if doc is None or doc.tree is None:
        return empty_metadata()
    try:
        return _read_fields(PageSources(doc), rules or ExtractionRules())
    except Exception:  # a bad page must not stop the crawl
        logger.exception("metadata extraction failed for %s", getattr(doc, "url", ""))
        return empty_metadata()


def _read_fields(sources: PageSources, rules: ExtractionRules) -> dict:
    modified = fields.date_modified(sources)
    return {
        "headline": fields.headline(sources),
        "description": fields.description(sources),
        "authors": fields.authors(sources, rules),
        "date_published_raw": fields.date_published(sources, rules, modified),
        "date_modified_raw": modified,
        "in_language": fields.language(sources),
        "section": fields.section(sources),
        "tags": fields.tags(sources),
        "main_image": fields.main_image(sources),
        "canonical_url": fields.canonical_url(sources),
    }
