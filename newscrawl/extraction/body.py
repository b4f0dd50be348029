"""Article body extraction: site rule when one matches, else the general extractor.

The general path works on a private copy of the parsed page without its <head> (``doc.tree`` is shared
with metadata extraction and must stay intact):
1. news cleanup (boilerplate.TREE_RULES) prunes dialogs, captions and teaser sidebars;
2. trafilatura's main extractor (precision mode, no fallbacks) proposes the body;
3. when that body is short, or holds little of the page's <p> text, readability gives a
   second opinion (_choose): a clear miss is replaced, a moderate extension accepted,
   and two long disjoint bodies are the two parts of one article, kept in page order;
   when both miss, trafilatura's whole cascade (its own fallbacks) is the last resort;
4. block cleanup (boilerplate.BLOCK_RULES) drops headline, bylines, promos, sign-offs.
With a block model (blockmodel.py, setting EXTRACTION_BLOCK_MODEL), the candidates of steps 2-3
become features of every text block of the pruned page, and the blocks the model scores as body
go to step 4 instead of the rule-based choice.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass

from newscrawl.extraction import blockmodel, boilerplate
from newscrawl.extraction.candidates import readability_blocks, trafilatura_blocks, trafilatura_recovery_blocks
from newscrawl.extraction.document import Document
from newscrawl.extraction.headlines import headline_candidates
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.extraction.text import Block, blocks, shingle_overlap
from newscrawl.textnorm import collapse_whitespace

logger = logging.getLogger(__name__)

SHORT_BODY_CHARS = 1500  # below this, ask readability for a second opinion
MIN_BODY_CHARS = 250  # below this, trafilatura's body is taken as a miss
MAX_EXTENSION = 2.5  # readability may extend trafilatura's body up to this factor
MIN_PARAGRAPH_SHARE = 0.4  # a body with less of the page's <p> text than this gets a second opinion
MAX_PARTS_OVERLAP = 0.1  # two bodies sharing less than this are different parts (or one is wrong)
MIN_PART_CHARS = 1000
MAX_LINK_TEXT_SHARE = 0.5  # a last-resort body with more of its text in links than this is a link list
MIN_BODY_WORDS = 5  # fewer words than this is a label ("Advertisement"), not an article
_WORDS = re.compile(r"\w+")


@dataclass
class BodyResult:
    text: str  # one paragraph per line, "" when nothing found
    problem: str | None  # why text is empty; None when text was found
    method: str  # "site-rule", "general", "block-model" or "none"


def extract_body(doc: Document, rules: ExtractionRules | None = None, headline: str | None = None,
                 model: blockmodel.BlockModel | None = None) -> BodyResult:
    """The article text of ``doc``. Never raises. With a block ``model``, the general path keeps
    the blocks the model scores as body instead of the rule-based choice."""
    if doc is None or getattr(doc, "tree", None) is None:
        return BodyResult("", getattr(doc, "problem", None) or "empty", "none")
    try:
        headlines = headline_candidates(doc.tree, headline)
        if rules is not None and rules.body_selector:
            found = boilerplate.clean_blocks(_site_rule_blocks(doc, rules), headlines)
            if found:  # else the selector missed (changed layout?): fall back to the general path
                return _result(found, "site-rule")
        if model is None:
            return _result(general_candidates(doc, rules, headlines)[1]["rules"], "general")
        return _result(_model_blocks(doc, rules, headlines, model), "block-model")
    except Exception:  # never raise: a bad page must not stop the crawl
        logger.exception("body extraction failed: %s", doc.url)
        return BodyResult("", "error", "none")


def _result(found: list[Block], method: str) -> BodyResult:
    text = "\n".join(block.text for block in found)
    if not text.strip():
        return BodyResult("", "no-article", method)
    if len(_WORDS.findall(text)) < MIN_BODY_WORDS:
        return BodyResult("", "too-short", method)
    return BodyResult(text, None, method)


def _site_rule_blocks(doc: Document, rules: ExtractionRules) -> list[Block]:
    """Blocks of the element matched by ``rules.body_selector``; [] when nothing matches."""
    matches = _select(doc.tree, rules.body_selector)
    if not matches:
        return []
    element = copy.deepcopy(matches[0])
    _apply_site_cleanup(element, rules)
    boilerplate.prune_tree(element)
    return blocks(element)


def _model_blocks(doc: Document, rules: ExtractionRules | None, headlines: list[str],
                  model: blockmodel.BlockModel) -> list[Block]:
    if model.needs_candidates:
        page = general_candidates(doc, rules, headlines, with_page_blocks=True)[0]
    else:  # a DOM-only model: no candidate extractor runs
        page = blockmodel.segment(pruned_copy(doc, rules))
    return boilerplate.clean_blocks(model.select(page), headlines)


def pruned_copy(doc: Document, rules: ExtractionRules | None):
    """A private copy of the page with the site's and the news cleanup applied."""
    tree = _body_copy(doc.tree)
    if rules is not None:
        _apply_site_cleanup(tree, rules)
    boilerplate.prune_tree(tree)
    return tree


def _body_copy(tree):
    """A copy of the page's <html> and <body> only: the <head> (scripts, styles, metadata) holds
    nothing the body extractors read, and leaving it out makes every copy and scan cheaper."""
    body = tree.find("body")
    if body is None or tree.tag != "html":
        return copy.deepcopy(tree)
    root = tree.makeelement(tree.tag, tree.attrib)
    root.append(copy.deepcopy(body))
    return root


def general_candidates(doc: Document, rules: ExtractionRules | None, headlines: list[str],
                       with_page_blocks: bool = False) -> tuple:
    """The pruned page segmented for the block model (None unless asked) and the candidate
    bodies: trafilatura's, readability's (None when not asked) and the rule-based choice."""
    tree = pruned_copy(doc, rules)
    page = blockmodel.segment(tree) if with_page_blocks else None
    found = trafilatura_blocks(tree, doc.url or None)  # works on its own copy
    candidates = {"trafilatura": found, "readability": None}
    length = _length(found)
    short = length < SHORT_BODY_CHARS or length < MIN_PARAGRAPH_SHARE * _paragraph_chars(tree)
    # readability consumes its tree: a miss keeps a copy for the last resort.
    spare = copy.deepcopy(tree) if length < MIN_BODY_CHARS else None
    if short:  # (readability on every page, as a block-model feature, measured no better)
        candidates["readability"] = readability_blocks(tree)  # last user of the copy
        found = _choose(found, candidates["readability"], doc.tree)
    if spare is not None and _length(found) < MIN_BODY_CHARS:
        recovery = _recovery(spare, doc.url or None)
        if _length(recovery) > MIN_BODY_CHARS:
            found = recovery  # both missed: trafilatura's own fallbacks may still find it
    candidates["rules"] = boilerplate.clean_blocks(found, headlines)
    if page is not None:
        blockmodel.add_candidate_features(page, candidates)
    return page, candidates


def _recovery(tree, url: str | None) -> list[Block]:
    """trafilatura's whole cascade, unless what it finds is mostly link text (a navigation page)."""
    found = trafilatura_recovery_blocks(tree, url)
    if found:
        links = " ".join(a.text_content() for a in tree.iter("a"))
        if shingle_overlap(_text(found), links) > MAX_LINK_TEXT_SHARE:
            return []
    return found


def _paragraph_chars(tree) -> int:
    return sum(len(p.text_content()) for p in tree.iter("p"))


def _apply_site_cleanup(element, rules: ExtractionRules) -> None:
    """The site's strip_selectors and strip_headings, on a private copy."""
    for selector in rules.strip_selectors:
        for unwanted in _select(element, selector):
            boilerplate.remove_element(unwanted)
    patterns = []
    for pattern in rules.strip_headings:
        try:
            patterns.append(re.compile(pattern, re.IGNORECASE))
        except re.error:
            logger.warning("invalid strip_headings pattern %r", pattern)
    if patterns:
        boilerplate.drop_teaser_blocks(element, tuple(patterns))


def _select(element, selector: str) -> list:
    try:
        return element.cssselect(selector)
    except Exception:  # invalid selector in a site entry
        logger.warning("invalid CSS selector %r", selector)
        return []


def _choose(main: list[Block], fallback: list[Block], page) -> list[Block]:
    """Prefer readability's body when trafilatura's is short and readability finds clearly more."""
    main_len, fallback_len = _length(main), _length(fallback)
    if main_len < MIN_BODY_CHARS:
        return fallback if fallback_len > main_len else main
    overlap = shingle_overlap(_text(main), _text(fallback))
    if overlap < MAX_PARTS_OVERLAP and min(main_len, fallback_len) >= MIN_PART_CHARS:
        # Disjoint and both long: an article split in two containers; each found one part.
        return _in_page_order(main, fallback, page)
    if fallback_len <= main_len:
        return main
    if overlap < 0.5:
        # They disagree on where the article is: the longer one is the better bet.
        return fallback if fallback_len > 2 * main_len else main
    # Readability extends trafilatura's text: take it unless it grew suspiciously large.
    return fallback if fallback_len <= MAX_EXTENSION * main_len else main


def _in_page_order(first: list[Block], second: list[Block], page) -> list[Block]:
    page_text = collapse_whitespace(" ".join(page.itertext()))  # like block text

    def position(part: list[Block]) -> int:
        found = page_text.find(part[0].text[:40])
        return found if found >= 0 else len(page_text)

    return first + second if position(first) <= position(second) else second + first


def _text(found: list[Block]) -> str:
    return "\n".join(block.text for block in found)


def _length(found: list[Block]) -> int:
    return sum(len(block.text) for block in found)
