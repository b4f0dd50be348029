"""General extractors that propose an article body as a list of text blocks."""

from __future__ import annotations

import logging

import lxml.html
import trafilatura
from lxml.html import HtmlElement
from trafilatura.readability_lxml import Document as ReadabilityDocument

from newscrawl.extraction.text import Block, blocks

logger = logging.getLogger(__name__)


def trafilatura_blocks(tree: HtmlElement, url: str | None, precision: bool = True) -> list[Block]:
    """trafilatura's main extractor, without its fallbacks (we choose fallbacks ourselves)."""
    result = trafilatura.bare_extraction(
        tree, url=url, fast=True, favor_precision=precision, favor_recall=False,
        include_comments=False, include_tables=True, with_metadata=False, deduplicate=False,
    )
    if result is None or result.body is None:
        return []
    return blocks(result.body)


def trafilatura_recovery_blocks(tree: HtmlElement, url: str | None) -> list[Block]:
    """trafilatura's whole cascade (balanced mode, its own fallbacks): the last resort
    when the precise extractor and readability both found next to nothing."""
    result = trafilatura.bare_extraction(
        tree, url=url, fast=False, include_comments=False, include_tables=True,
        with_metadata=False, deduplicate=False,
    )
    if result is None or result.body is None:
        return []
    return blocks(result.body)


def readability_blocks(tree: HtmlElement) -> list[Block]:
    """readability (trafilatura's fork, which takes a tree). It CONSUMES ``tree``: pass a copy.

    No class-based pre-pruning here: that removes whole articles on paywalled pages.
    A failure gives [] (it is only a second opinion)."""
    try:
        summary = ReadabilityDocument(tree, min_text_length=25).summary()
        return blocks(lxml.html.fromstring(summary)) if summary and summary.strip() else []
    except Exception as error:  # lxml.etree.ParserError on an empty summary, and the like
        logger.debug("readability failed: %r", error)
        return []
