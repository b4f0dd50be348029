"""General extractors that propose an article body as a list of text blocks."""

from __future__ import annotations

import copy
import logging

import lxml.html
import trafilatura
from lxml.html import HtmlElement
from trafilatura.readability_lxml import Document as ReadabilityDocument
from trafilatura.settings import Extractor

from newscrawl.extraction.text import Block, blocks

logger = logging.getLogger(__name__)


def _options(**settings) -> Extractor:
    """trafilatura's settings, built once (building them costs ~0.4 ms a page). Output "txt"
    keeps the body tree without rendering it as text: we make our own blocks from it."""
    return Extractor(output_format="txt", comments=False, tables=True, with_metadata=False, dedup=False,
                     **settings)


_MAIN_ONLY = _options(fast=True, precision=True)
_WHOLE_CASCADE = _options(fast=False)


def _body_blocks(tree: HtmlElement, url: str | None, settings: Extractor) -> list[Block]:
    options = copy.copy(settings)
    options.url = options.source = url
    result = trafilatura.bare_extraction(tree, options=options)
    if result is None or result.body is None:
        return []
    return blocks(result.body)


def trafilatura_blocks(tree: HtmlElement, url: str | None) -> list[Block]:
    """trafilatura's main extractor in precision mode, without its fallbacks (we choose
    fallbacks ourselves)."""
    return _body_blocks(tree, url, _MAIN_ONLY)


def trafilatura_recovery_blocks(tree: HtmlElement, url: str | None) -> list[Block]:
    """trafilatura's whole cascade (balanced mode, its own fallbacks): the last resort
    when the precise extractor and readability both found next to nothing."""
    return _body_blocks(tree, url, _WHOLE_CASCADE)


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
