"""General extractors that propose an article body as a list of text blocks."""

from __future__ import annotations

import copy
import logging

import lxml.html
import trafilatura
from lxml.html import HtmlElement
from trafilatura.core import _forum_thread_page
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.readability_lxml import Document as ReadabilityDocument
from trafilatura.settings import Extractor
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH, REMOVE_COMMENTS_XPATH

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
    fallbacks ourselves).

    The steps ``bare_extraction`` takes in fast precision mode (trafilatura 2.3.1's
    ``trafilatura_sequence``), on one copy of ``tree`` instead of three: it copies the tree
    it is given, again before cleaning, and once more as a backup that only its fallbacks
    read (~0.4 ms a page). tests/test_candidates.py holds it equal to ``bare_extraction``."""
    work = copy.copy(tree)
    is_forum = _forum_thread_page(work)
    try:
        prune_unwanted_nodes(work, RAW_TREE_PRUNE_XPATH)
        prune_unwanted_nodes(work, REMOVE_COMMENTS_AND_LISTS_XPATH)
        cleaned = convert_tags(tree_cleaning(work, _MAIN_ONLY), _MAIN_ONLY, url)
        if not is_forum:
            prune_unwanted_nodes(cleaned, REMOVE_COMMENTS_XPATH)
        body, text = extract_content(cleaned, _MAIN_ONLY)
    except (TypeError, ValueError):  # as bare_extraction: e.g. a control character in the text
        return []
    return blocks(body) if len(text) >= _MAIN_ONLY.min_output_size else []


def bare_trafilatura_blocks(tree: HtmlElement, url: str | None) -> list[Block]:
    """What trafilatura_blocks stands for: ``bare_extraction`` with the same settings."""
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
