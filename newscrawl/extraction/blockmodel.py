"""Block-by-block body decisions: DOM text blocks, their features, a gradient-boosted model.

``segment`` cuts a (pruned) page into text blocks, each with features of its own text
(length, link density, punctuation), its place in the DOM (tag, ancestors, class/id
tokens, position) and its container. ``add_candidate_features`` adds whether the
candidate extractors (trafilatura, readability, the rule-based body) kept the block,
plus the same for its neighbours. ``BlockModel`` scores each block with a LightGBM
model trained by ``benchmarks/train_block_model.py``; blocks above the threshold are
the body, in page order.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from newscrawl.extraction.text import HEADING_TAGS, Block, owned_blocks
from newscrawl.textnorm import collapse_whitespace

MODEL_PATH = Path(__file__).with_name("block_model.txt.gz")
THRESHOLD = 0.5  # default; the model file carries the threshold chosen at training

# Class/id words that say what a container is. Generic web vocabulary, no site names.
CLASS_TOKENS = (
    "article", "content", "body", "text", "story", "post", "entry", "main", "blog",
    "comment", "sidebar", "side", "related", "footer", "header", "nav", "menu", "share", "social",
    "ad", "promo", "teaser", "caption", "credit", "meta", "byline", "author", "date", "tag",
    "newsletter", "widget", "recommend", "more", "breadcrumb", "copyright", "cookie", "title",
    "lead", "intro", "summary", "list", "card", "item", "footnote", "bio", "hidden", "subscribe",
    "login", "search", "button", "gallery", "image", "photo", "video", "embed", "quote", "paywall",
)
_CLASS_TOKEN_INDEX = {token: index for index, token in enumerate(CLASS_TOKENS)}
_CLASS_SPLIT = re.compile(r"[^a-z]+")
ANCESTOR_TAGS = ("article", "main", "aside", "nav", "footer", "header", "form", "figure", "table",
                 "li", "blockquote", "section", "a")
_ANCESTOR_INDEX = {tag: index for index, tag in enumerate(ANCESTOR_TAGS)}
OWN_TAGS = ("p", "div", "li", "td", "blockquote", "pre", "span", "section", "article", "dd", "figcaption")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…:\"”»)]$")


@dataclass
class PageBlock:
    """One text block of the page and its features (filled in two steps)."""

    text: str
    kind: str
    element: object = field(repr=False, default=None)
    link_chars: int = 0
    features: dict = field(default_factory=dict)


@dataclass
class _Context:
    """What a block inherits from its ancestors, computed once per element."""

    depth: int
    ancestor_tags: int  # bit set over ANCESTOR_TAGS
    class_tokens: int  # bit set over CLASS_TOKENS (the element and its ancestors)
    near_class_tokens: int  # the same for the element and its two closest ancestors
    heading_level: int


def _class_bits(element) -> int:
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    return _name_bits(names.lower()) if names.strip() else 0


@lru_cache(maxsize=8192)
def _name_bits(names: str) -> int:
    """Bit set over CLASS_TOKENS of one class/id string (pages repeat their class names)."""
    bits = 0
    for word in _CLASS_SPLIT.split(names):
        index = _CLASS_TOKEN_INDEX.get(word)
        if index is None and word:
            # compound words: "articlebody", "sidebar-left", "adslot"
            for token, token_index in _CLASS_TOKEN_INDEX.items():
                if len(token) > 3 and token in word:
                    bits |= 1 << token_index
            continue
        if index is not None:
            bits |= 1 << index
    return bits


def segment(root) -> list[PageBlock]:
    """Text blocks under ``root`` in document order, cut as text.blocks cuts them
    (block tags and line breaks), each knowing the element that holds it."""
    result = [PageBlock(block.text, block.kind, owner, links) for block, owner, links in owned_blocks(root)]
    _add_dom_features(result)
    return result


def _contexts(blocks: list[PageBlock]) -> dict:
    """Context of every owner element, computed top-down with a cache."""
    cache: dict = {}

    def context(element) -> _Context:
        found = cache.get(element)
        if found is not None:
            return found
        chain = []
        node = element
        while node is not None and node not in cache:
            chain.append(node)
            node = node.getparent()
        parent_context = cache.get(node) if node is not None else None
        for item in reversed(chain):
            tag = item.tag.lower() if isinstance(item.tag, str) else ""
            bits = _class_bits(item)
            if parent_context is None:
                ctx = _Context(0, 0, bits, bits, 0)
            else:
                ancestor = parent_context.ancestor_tags
                if tag in _ANCESTOR_INDEX:
                    ancestor |= 1 << _ANCESTOR_INDEX[tag]
                ctx = _Context(parent_context.depth + 1, ancestor, parent_context.class_tokens | bits,
                               bits, parent_context.heading_level)
            if tag in HEADING_TAGS and len(tag) == 2:
                ctx.heading_level = int(tag[1])
            cache[item] = ctx
            parent_context = ctx
        return cache[element]

    # near_class_tokens: the element and two ancestors
    result = {}
    for block in blocks:
        element = block.element
        if element in result:
            continue
        ctx = context(element)
        near = _class_bits(element)
        parent = element.getparent()
        for _ in range(2):
            if parent is None:
                break
            near |= _class_bits(parent)
            parent = parent.getparent()
        ctx.near_class_tokens = near
        result[element] = ctx
    return result


def _add_dom_features(blocks: list[PageBlock]) -> None:
    if not blocks:
        return
    contexts = _contexts(blocks)
    total_chars = sum(len(b.text) for b in blocks) or 1
    n = len(blocks)
    # Container statistics: text held by each owner's parent, over the blocks.
    parent_chars: dict = {}
    parent_links: dict = {}
    parent_blocks: dict = {}
    for block in blocks:
        parent = block.element.getparent()
        key = parent if parent is not None else block.element
        parent_chars[key] = parent_chars.get(key, 0) + len(block.text)
        parent_links[key] = parent_links.get(key, 0) + block.link_chars
        parent_blocks[key] = parent_blocks.get(key, 0) + 1
    before = 0
    for index, block in enumerate(blocks):
        text = block.text
        chars = len(text)
        words = _WORD.findall(text)
        ctx = contexts[block.element]
        tag = block.element.tag.lower() if isinstance(block.element.tag, str) else ""
        parent = block.element.getparent()
        key = parent if parent is not None else block.element
        f = block.features
        f["log_chars"] = math.log1p(chars)
        f["words"] = len(words)
        f["link_density"] = block.link_chars / chars
        f["sentence_end"] = float(bool(_SENTENCE_END.search(text)))
        f["commas_per_word"] = text.count(",") / (len(words) or 1)
        f["digit_share"] = sum(c.isdigit() for c in text) / chars
        f["capital_words"] = sum(w[:1].isupper() for w in words) / (len(words) or 1)
        f["kind"] = ("paragraph", "heading", "item").index(block.kind)
        f["heading_level"] = ctx.heading_level
        f["own_tag"] = OWN_TAGS.index(tag) if tag in OWN_TAGS else len(OWN_TAGS)
        f["depth"] = ctx.depth
        for name, bit in _ANCESTOR_INDEX.items():
            f[f"in_{name}"] = float(bool(ctx.ancestor_tags >> bit & 1))
        for name, bit in _CLASS_TOKEN_INDEX.items():
            f[f"class_{name}"] = float(bool(ctx.class_tokens >> bit & 1))
            f[f"near_{name}"] = float(bool(ctx.near_class_tokens >> bit & 1))
        f["position"] = index / n
        f["chars_before"] = before / total_chars
        f["parent_log_chars"] = math.log1p(parent_chars[key])
        f["parent_link_density"] = parent_links[key] / (parent_chars[key] or 1)
        f["parent_blocks"] = parent_blocks[key]
        f["parent_share"] = parent_chars[key] / total_chars
        before += chars


CANDIDATES = ("trafilatura", "readability", "rules")


def add_candidate_features(blocks: list[PageBlock], candidates: dict[str, list[Block] | None]) -> None:
    """Whether each candidate body holds each block (NaN when that candidate was not run),
    for the block and its two neighbours on each side."""
    for name in CANDIDATES:
        found = candidates.get(name)
        if found is None:
            for block in blocks:
                block.features[f"{name}_kept"] = math.nan
            continue
        joined = "\n".join(collapse_whitespace(b.text) for b in found)
        exact = {collapse_whitespace(b.text) for b in found}
        for block in blocks:
            if block.text in exact:
                kept = 1.0
            elif len(block.text) >= 15 and block.text in joined:
                kept = 0.75
            else:
                kept = 0.0
            block.features[f"{name}_kept"] = kept
    _add_container_shares(blocks)
    n = len(blocks)
    for index, block in enumerate(blocks):
        f = block.features
        for offset in (-2, -1, 1, 2):
            other = blocks[index + offset] if 0 <= index + offset < n else None
            label = f"{'prev' if offset < 0 else 'next'}{abs(offset)}"
            f[f"{label}_log_chars"] = other.features["log_chars"] if other else -1.0
            f[f"{label}_link_density"] = other.features["link_density"] if other else -1.0
            for name in CANDIDATES:
                f[f"{label}_{name}_kept"] = other.features[f"{name}_kept"] if other else -1.0
        window = blocks[max(0, index - 3): index + 4]
        for name in CANDIDATES:
            values = [b.features[f"{name}_kept"] for b in window if not math.isnan(b.features[f"{name}_kept"])]
            f[f"window_{name}_kept"] = sum(values) / len(values) if values else math.nan


def _add_container_shares(blocks: list[PageBlock]) -> None:
    """Share of the text under the block's parent, grandparent and great-grandparent that each
    candidate kept: a block in a container the candidates keep is likely body too."""
    for level in (1, 2, 3):
        ancestors = []
        for block in blocks:
            node = block.element
            for _ in range(level):
                parent = node.getparent()
                if parent is None:
                    break
                node = parent
            ancestors.append(node)
        for name in CANDIDATES:
            totals: dict = {}
            kept: dict = {}
            for block, ancestor in zip(blocks, ancestors):
                value = block.features[f"{name}_kept"]
                totals[ancestor] = totals.get(ancestor, 0) + len(block.text)
                if not math.isnan(value):
                    kept[ancestor] = kept.get(ancestor, 0) + value * len(block.text)
            for block, ancestor in zip(blocks, ancestors):
                if math.isnan(block.features[f"{name}_kept"]):
                    share = math.nan
                else:
                    share = kept.get(ancestor, 0) / (totals[ancestor] or 1)
                block.features[f"up{level}_{name}_share"] = share


def feature_names() -> list[str]:
    """Feature order of the model's input (fixed, so a model file stays valid)."""
    from lxml.html import fromstring

    sample = segment(fromstring("<html><body><div><p>a b c.</p><p>d</p></div></body></html>"))
    add_candidate_features(sample, {name: [] for name in CANDIDATES})
    return list(sample[0].features)


class BlockModel:
    """A trained LightGBM booster over block features."""

    def __init__(self, booster, names: list[str], threshold: float = THRESHOLD):
        self.booster = booster
        self.names = names
        self.threshold = threshold

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "BlockModel | None":
        if not path.exists():
            return None
        import lightgbm

        header, _, model = gzip.decompress(path.read_bytes()).decode("utf-8").partition("\n")
        booster = lightgbm.Booster(model_str=model)
        return cls(booster, booster.feature_name(), json.loads(header)["threshold"])

    def probabilities(self, blocks: list[PageBlock]) -> list[float]:
        if not blocks:
            return []
        import numpy

        matrix = numpy.array([[b.features.get(name, math.nan) for name in self.names] for b in blocks],
                             dtype=numpy.float64)
        return list(self.booster.predict(matrix, num_threads=1))

    def select(self, blocks: list[PageBlock]) -> list[Block]:
        return [Block(b.kind, b.text) for b, p in zip(blocks, self.probabilities(blocks)) if p >= self.threshold]


def write_model(path: Path, model: str, threshold: float) -> None:
    """One gzip file: a JSON header line (threshold), then LightGBM's text model."""
    header = json.dumps({"threshold": threshold})
    path.write_bytes(gzip.compress(f"{header}\n{model}".encode("utf-8"), mtime=0))


@lru_cache(maxsize=1)
def default_model() -> BlockModel | None:
    return BlockModel.load()
