"""Element to plain text: one paragraph per line, whitespace collapsed.

Works on both HTML and trafilatura's XML body (p, head, list/item, quote, row/cell, lb),
and keeps per-block facts the news cleanup needs: the kind of block and how much
of its text sits inside links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6 head".split())
ITEM_TAGS = frozenset("li item dt dd".split())
LINK_TAGS = frozenset("a ref".split())
BLOCK_TAGS = HEADING_TAGS | ITEM_TAGS | frozenset(
    "address article aside blockquote body center details dialog div dl fieldset figcaption figure footer "
    "form header hgroup hr html list main nav ol p pre quote section summary table tbody tfoot thead tr row "
    "ul code".split()
)
BREAK_TAGS = frozenset("br lb".split())
CELL_TAGS = frozenset("td th cell".split())  # inline, but separated by a space
SKIP_TAGS = frozenset("script style noscript template svg button select option textarea iframe object head-meta".split())
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+")


@dataclass
class Block:
    kind: str  # "heading", "item" or "paragraph"
    text: str
    link_chars: int = 0  # characters of text inside links

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0

    @cached_property
    def words(self) -> list[str]:
        """Lower-cased word tokens (``\\w+``), computed once."""
        return _WORD_RE.findall(self.text.lower())


def _kind(tag: str) -> str:
    return "heading" if tag in HEADING_TAGS else "item"


def blocks(element) -> list[Block]:
    """Blocks of text under ``element``, in document order."""
    result: list[Block] = []
    parts: list[str] = []
    link_parts: list[str] = []
    kinds = ["paragraph"]
    links = 0  # depth of open links

    def flush() -> None:
        text = _SPACE_RE.sub(" ", "".join(parts)).strip()
        if text:
            link_text = _SPACE_RE.sub(" ", "".join(link_parts)).strip()
            result.append(Block(kinds[-1], text, min(len(link_text), len(text))))
        parts.clear()
        link_parts.clear()

    def add(text: str | None) -> None:
        if text:
            parts.append(text)
            if links:
                link_parts.append(text)

    # Iterative walk: deeply nested markup must not hit the recursion limit.
    stack: list[tuple[object, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if closing:
            if tag in BLOCK_TAGS:
                flush()
                kinds.pop()
            elif tag in LINK_TAGS:
                links -= 1
            elif tag in CELL_TAGS:
                add(" ")
            add(node.tail)
            continue
        if not tag or tag in SKIP_TAGS:  # comments, processing instructions, scripts
            add(node.tail)
            continue
        if tag in BREAK_TAGS:
            flush()
            add(node.tail)
            continue
        if tag in BLOCK_TAGS:
            flush()
            # A paragraph inside a list item stays an item.
            inherited = "item" if kinds[-1] == "item" else "paragraph"
            kinds.append(_kind(tag) if tag in HEADING_TAGS or tag in ITEM_TAGS else inherited)
        elif tag in LINK_TAGS:
            links += 1
        add(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    flush()
    return result


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
