"""Article extraction: one page in, one clean Article out.

The spiders call the same function, so `newscrawl.extract(html, url)` gives exactly
what a crawl would store (less the crawl-time fields site and date_downloaded).
"""

from __future__ import annotations

import logging

from newscrawl.extraction.blockmodel import BlockModel, BlockModelUnavailable, shipped_model
from newscrawl.extraction.body import extract_body
from newscrawl.extraction.document import Document, parse_document
from newscrawl.extraction.embedded import embedded_article_text
from newscrawl.extraction.loader import ArticleLoader
from newscrawl.extraction.metadata import extract_metadata
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.items import Article

__all__ = ["extract", "extract_document", "BlockModelUnavailable", "ExtractionRules", "parse_document"]

# trafilatura logs a WARNING for every page it finds no article in; our spiders count those.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def extract(
    html: bytes | str | None,
    url: str = "",
    *,
    encoding: str | None = None,
    rules: ExtractionRules | None = None,
    block_model: bool = False,
) -> Article:
    """Extract an Article from a page's HTML. Never raises on a page; a page without an article
    gives an Article with an empty body and `extraction_problem` saying why. ``block_model``:
    the body is chosen block by block by the shipped model (BlockModelUnavailable without LightGBM)."""
    model = shipped_model() if block_model else None
    return extract_document(parse_document(html, url, encoding), rules, model)


def extract_document(doc: Document, rules: ExtractionRules | None = None,
                     block_model: BlockModel | None = None) -> Article:
    metadata = extract_metadata(doc, rules)
    body = extract_body(doc, rules, headline=metadata.get("headline"), model=block_model)
    loader = ArticleLoader(timezone=rules.timezone if rules else None, url=doc.url or None)
    loader.add_value("url", doc.url or None)
    loader.add_value("canonical_url", metadata.get("canonical_url"))
    for name in ("headline", "description", "in_language", "section", "main_image"):
        loader.add_value(name, metadata.get(name))
    loader.add_value("authors", metadata.get("authors") or [])
    loader.add_value("tags", metadata.get("tags") or [])
    for name in ("date_published", "date_modified"):
        raw = metadata.get(f"{name}_raw")
        loader.add_value(name, raw)
        loader.add_value(f"{name}_raw", raw)
    if body.text:
        loader.add_value("article_body", body.text)
        loader.add_value("extraction_problem", body.problem)
    elif embedded := embedded_article_text(doc.tree) if doc.tree is not None else None:
        # No body in the markup, but the page carries it as data (JSON-LD articleBody, app state):
        # better than starting a browser.
        loader.add_value("article_body", embedded)
    else:
        loader.add_value("extraction_problem", body.problem)
    return loader.load_item()
