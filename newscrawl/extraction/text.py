"""Element to plain text: one paragraph per line, whitespace collapsed.

Works on both HTML and trafilatura's XML body (p, head, list/item, quote, row/cell, lb)
and keeps the kind of each block (heading, list item, paragraph) for the news cleanup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from newscrawl.textnorm import collapse_whitespace

HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6 head".split())  # "head" is trafilatura's heading
ITEM_TAGS = frozenset("li item dt dd".split())
BLOCK_TAGS = HEADING_TAGS | ITEM_TAGS | frozenset(
    "address article aside blockquote body center details dialog div dl fieldset figcaption figure footer "
    "form header hgroup hr html list main nav ol p pre quote section summary table tbody tfoot thead tr row "
    "ul code".split()
)
BREAK_TAGS = frozenset("br lb".split())
CELL_TAGS = frozenset("td th cell".split())  # inline, but separated by a space
SKIP_TAGS = frozenset("script style noscript template svg button select option textarea iframe object title".split())
_WORD_RE = re.compile(r"\w+")


@dataclass
class Block:
    kind: str  # "heading", "item" or "paragraph"
    text: str

    @cached_property
    def words(self) -> list[str]:
        """Lower-cased word tokens (``\\w+``), computed once."""
        return _WORD_RE.findall(self.text.lower())


def blocks(element) -> list[Block]:
    """Blocks of text under ``element``, in document order."""
    return [block for block, _, _ in owned_blocks(element)]


def owned_blocks(element) -> list[tuple[Block, object, int]]:
    """(block, the block element holding it, characters of its text inside links), in document order."""
    result: list[tuple[Block, object, int]] = []
    parts: list[str] = []
    kinds = ["paragraph"]
    owners = [element]
    links = [0, 0]  # open <a> depth, link characters in the current block

    def flush() -> None:
        text = collapse_whitespace("".join(parts))
        if text:
            result.append((Block(kinds[-1], text), owners[-1], min(links[1], len(text))))
        parts.clear()
        links[1] = 0

    def add(text: str | None) -> None:
        if text:
            parts.append(text)
            if links[0]:
                links[1] += len(text.strip())

    # Iterative walk: deeply nested markup must not hit the recursion limit.
    stack: list[tuple[object, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if closing:
            if tag in BLOCK_TAGS:
                flush()
                kinds.pop()
                owners.pop()
            elif tag in CELL_TAGS:
                parts.append(" ")
            if tag == "a":
                links[0] -= 1
            add(node.tail)
            continue
        if not tag or tag in SKIP_TAGS or tag in BREAK_TAGS:  # comments, scripts, line breaks
            if tag in BREAK_TAGS:
                flush()
            add(node.tail)
            continue
        if tag in BLOCK_TAGS:
            flush()
            kinds.append(_kind(tag, kinds[-1]))
            owners.append(node)
        if tag == "a":
            links[0] += 1
        add(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    flush()
    return result


def _kind(tag: str, enclosing: str) -> str:
    if tag in HEADING_TAGS:
        return "heading"
    if tag in ITEM_TAGS or enclosing == "item":  # a paragraph inside a list item stays an item
        return "item"
    return "paragraph"


def element_text(element) -> str:
    """Text of ``element`` with a line break at each block boundary."""
    return "\n".join(block.text for block in blocks(element))


def shingle_overlap(text: str, other: str, size: int = 4) -> float:
    """Share of ``text``'s word 4-grams that also occur in ``other`` (0 when text is empty)."""

    def grams(value: str) -> set[tuple[str, ...]]:
        tokens = _WORD_RE.findall(value.lower())
        return {tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1))}

    mine = grams(text)
    return len(mine & grams(other)) / len(mine) if mine else 0.0


# Han ideographs and Japanese kana: scripts written without spaces between words.
_UNSPACED_SCRIPT_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_PUNCTUATION_RE = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]")  # 。、「」！？ …


def word_count(text: str | None) -> int:
    """Words in ``text``: whitespace-separated tokens, and each Chinese or Japanese character
    as one word (as word processors count them), so that article-length tests hold for them."""
    if not text:
        return 0
    unspaced = len(_UNSPACED_SCRIPT_RE.findall(text))
    rest = _CJK_PUNCTUATION_RE.sub(" ", _UNSPACED_SCRIPT_RE.sub(" ", text)) if unspaced else text
    return unspaced + len(rest.split())
