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
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy

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


CANDIDATES = ("trafilatura", "readability", "rules")
NEIGHBOURS = (("prev2", -2), ("prev1", -1), ("next1", 1), ("next2", 2))
CONTAINER_LEVELS = (1, 2, 3)  # parent, grandparent, great-grandparent
_TEXT_FEATURES = ("log_chars", "words", "link_density", "sentence_end", "commas_per_word", "digit_share",
                  "capital_words", "kind", "heading_level", "own_tag", "depth")
_PARENT_FEATURES = ("log_chars", "link_density", "blocks", "share")
DOM_FEATURES = (
    _TEXT_FEATURES
    + tuple(f"in_{tag}" for tag in ANCESTOR_TAGS)
    + tuple(f"{scope}_{token}" for token in CLASS_TOKENS for scope in ("class", "near"))
    + ("position", "chars_before")
    + tuple(f"parent_{name}" for name in _PARENT_FEATURES)
    + tuple(f"{label}_{name}" for label, _ in NEIGHBOURS for name in ("log_chars", "link_density")))
CANDIDATE_FEATURES = (
    tuple(f"{name}_kept" for name in CANDIDATES)
    + tuple(f"up{level}_{name}_share" for level in CONTAINER_LEVELS for name in CANDIDATES)
    + tuple(f"{label}_{name}_kept" for label, _ in NEIGHBOURS for name in CANDIDATES)
    + tuple(f"window_{name}_kept" for name in CANDIDATES))
FEATURE_NAMES = DOM_FEATURES + CANDIDATE_FEATURES


@dataclass
class PageBlock:
    """One text block of the page: its text, kind, the element holding it, its link text."""

    text: str
    kind: str
    element: object = field(repr=False, default=None)
    link_chars: int = 0


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


def _name_bits(names: str) -> int:
    """Bit set over CLASS_TOKENS of one class/id string."""
    bits = 0
    for word in _CLASS_SPLIT.split(names):
        if word:
            bits |= _word_bits(word)
    return bits


@lru_cache(maxsize=65536)
def _word_bits(word: str) -> int:
    """Bits of one class/id word: the token it is, or the tokens inside a compound word
    ("articlebody", "adslot"). Pages and sites share their words, so the cache holds."""
    index = _CLASS_TOKEN_INDEX.get(word)
    if index is not None:
        return 1 << index
    bits = 0
    for token, token_index in _CLASS_TOKEN_INDEX.items():
        if len(token) > 3 and token in word:
            bits |= 1 << token_index
    return bits


@dataclass
class SegmentedPage:
    """A page's text blocks and their feature matrix (blocks x FEATURE_NAMES; candidate
    columns stay NaN until add_candidate_features, and for a candidate that was not run)."""

    blocks: list[PageBlock]
    features: object = field(repr=False, default=None)  # numpy array
    chars: object = field(repr=False, default=None)  # characters of each block (numpy array)
    containers: list = field(repr=False, default_factory=list)  # (ids, chars) per CONTAINER_LEVELS

    def __len__(self) -> int:
        return len(self.blocks)

    def column(self, name: str):
        return self.features[:, _INDEX[name]]


def segment(root) -> SegmentedPage:
    """Text blocks under ``root`` in document order, cut as text.blocks cuts them (block tags
    and line breaks), with their DOM features, computed now: later changes to the tree (readability
    rearranges its input) do not reach them."""
    blocks = [PageBlock(block.text, block.kind, owner, links) for block, owner, links in owned_blocks(root)]
    page = SegmentedPage(blocks)
    _add_dom_features(page)
    return page


def _contexts(blocks: list[PageBlock]) -> list[_Context]:
    """Context of each block's element, computed top-down with a cache."""
    cache: dict = {}
    bits_of: dict = {}

    def class_bits(element) -> int:
        found = bits_of.get(element)
        if found is None:
            found = bits_of[element] = _class_bits(element)
        return found

    def context(element) -> _Context:
        chain = []
        node = element
        while node is not None and node not in cache:
            chain.append(node)
            node = node.getparent()
        parent_context = cache.get(node) if node is not None else None
        for item in reversed(chain):
            tag = item.tag.lower() if isinstance(item.tag, str) else ""
            bits = class_bits(item)
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

    result = {}
    for block in blocks:
        element = block.element
        if element in result:
            continue
        ctx = context(element)
        near = class_bits(element)  # the element and two ancestors
        parent = element.getparent()
        for _ in range(2):
            if parent is None:
                break
            near |= class_bits(parent)
            parent = parent.getparent()
        result[element] = _Context(ctx.depth, ctx.ancestor_tags, ctx.class_tokens, near, ctx.heading_level)
    return [result[block.element] for block in blocks]


_INDEX = {name: index for index, name in enumerate(FEATURE_NAMES)}
# Columns of the bit-set features, in bit order.
_ANCESTOR_COLUMNS = [_INDEX[f"in_{tag}"] for tag in ANCESTOR_TAGS]
_CLASS_COLUMNS = [_INDEX[f"class_{token}"] for token in CLASS_TOKENS]
_NEAR_COLUMNS = [_INDEX[f"near_{token}"] for token in CLASS_TOKENS]
_KINDS = ("paragraph", "heading", "item")


def _add_dom_features(page: SegmentedPage) -> None:
    blocks = page.blocks
    n = len(blocks)
    matrix = page.features = numpy.full((n, len(FEATURE_NAMES)), numpy.nan)
    if not n:
        return

    def put(name, values):
        matrix[:, _INDEX[name]] = values

    chars = page.chars = numpy.array([len(b.text) for b in blocks], dtype=numpy.float64)
    links = numpy.array([b.link_chars for b in blocks], dtype=numpy.float64)
    word_lists = [_WORD.findall(b.text) for b in blocks]
    words = numpy.array([len(w) for w in word_lists], dtype=numpy.float64)
    per_word = numpy.maximum(words, 1)
    log_chars = numpy.log1p(chars)
    link_density = links / chars
    put("log_chars", log_chars)
    put("words", words)
    put("link_density", link_density)
    put("sentence_end", [float(bool(_SENTENCE_END.search(b.text))) for b in blocks])
    put("commas_per_word", numpy.array([b.text.count(",") for b in blocks]) / per_word)
    put("digit_share", numpy.array([sum(map(str.isdigit, b.text)) for b in blocks]) / chars)
    put("capital_words", numpy.array([sum(1 for w in ws if w[0].isupper()) for ws in word_lists]) / per_word)
    put("kind", [_KINDS.index(b.kind) for b in blocks])
    tags = [b.element.tag.lower() if isinstance(b.element.tag, str) else "" for b in blocks]
    put("own_tag", [OWN_TAGS.index(tag) if tag in OWN_TAGS else len(OWN_TAGS) for tag in tags])

    contexts = _contexts(blocks)
    put("heading_level", [c.heading_level for c in contexts])
    put("depth", [c.depth for c in contexts])
    for columns, bits in ((_ANCESTOR_COLUMNS, [c.ancestor_tags for c in contexts]),
                          (_CLASS_COLUMNS, [c.class_tokens for c in contexts]),
                          (_NEAR_COLUMNS, [c.near_class_tokens for c in contexts])):
        matrix[:, columns] = (numpy.array(bits, dtype=numpy.int64)[:, None] >> numpy.arange(len(columns))) & 1

    total = chars.sum() or 1.0
    put("position", numpy.arange(n) / n)
    put("chars_before", (numpy.cumsum(chars) - chars) / total)

    chains = [_ancestors(b.element, max(CONTAINER_LEVELS)) for b in blocks]
    containers = page.containers
    for level in CONTAINER_LEVELS:
        ids, index = [], {}
        for chain in chains:
            ids.append(index.setdefault(chain[min(level, len(chain) - 1)], len(index)))
        ids = numpy.array(ids)
        container_chars = numpy.bincount(ids, chars)
        container_links = numpy.bincount(ids, links)
        containers.append((ids, container_chars))
        if level == 1:  # the block's container (its parent)
            put("parent_log_chars", numpy.log1p(container_chars[ids]))
            put("parent_link_density", container_links[ids] / numpy.maximum(container_chars[ids], 1))
            put("parent_blocks", numpy.bincount(ids)[ids])
            put("parent_share", container_chars[ids] / total)
    for label, offset in NEIGHBOURS:
        put(f"{label}_log_chars", _shifted(log_chars, offset))
        put(f"{label}_link_density", _shifted(link_density, offset))


def _ancestors(element, levels: int) -> list:
    """The element and up to ``levels`` of its ancestors, closest first."""
    chain = [element]
    parent = element.getparent()
    while parent is not None and len(chain) <= levels:
        chain.append(parent)
        parent = parent.getparent()
    return chain


def _shifted(values, offset: int):
    """values[i + offset] for each i, -1 beyond the ends."""
    result = numpy.full(len(values), -1.0)
    if offset < 0:
        result[-offset:] = values[:offset]
    else:
        result[:-offset] = values[offset:]
    return result


def add_candidate_features(page: SegmentedPage, candidates: dict) -> None:
    """Whether each candidate body holds each block, its neighbours and its containers."""
    blocks, n = page.blocks, len(page.blocks)
    if not n:
        return
    chars, containers = page.chars, page.containers

    def put(name, values):
        page.features[:, _INDEX[name]] = values

    for name in CANDIDATES:
        found = candidates.get(name)
        if found is None:
            continue  # stays NaN
        joined = "\n".join(collapse_whitespace(b.text) for b in found)
        exact = {collapse_whitespace(b.text) for b in found}
        kept = numpy.array([1.0 if b.text in exact else 0.75 if len(b.text) >= 15 and b.text in joined else 0.0
                            for b in blocks])
        put(f"{name}_kept", kept)
        for level, (ids, container_chars) in zip(CONTAINER_LEVELS, containers):
            put(f"up{level}_{name}_share", numpy.bincount(ids, kept * chars)[ids] / numpy.maximum(container_chars[ids], 1))
        for label, offset in NEIGHBOURS:
            put(f"{label}_{name}_kept", _shifted(kept, offset))
        sums = numpy.concatenate(([0.0], numpy.cumsum(kept)))
        low = numpy.maximum(numpy.arange(n) - 3, 0)
        high = numpy.minimum(numpy.arange(n) + 4, n)
        put(f"window_{name}_kept", (sums[high] - sums[low]) / (high - low))


def feature_names() -> list[str]:
    """Feature order of the model's input (fixed, so a model file stays valid)."""
    return list(FEATURE_NAMES)


def feature_columns(names: list[str]) -> list[int]:
    """Columns of SegmentedPage.features holding ``names``; ValueError for a feature not computed."""
    unknown = [name for name in names if name not in _INDEX]
    if unknown:
        raise ValueError(f"model file needs features this code does not compute: {unknown[:5]}")
    return [_INDEX[name] for name in names]


class BlockModelUnavailable(RuntimeError):
    """The block model cannot be used: LightGBM (or its OpenMP library) is missing, or the model
    file is missing or unreadable."""


class BlockModel:
    """A trained LightGBM booster over block features."""

    def __init__(self, booster, names: list[str], threshold: float = THRESHOLD):
        self.columns = feature_columns(names)
        self.booster = booster
        self.names = names
        self.threshold = threshold
        # A model over DOM features only spares the page the candidate extractors.
        self.needs_candidates = any(name in CANDIDATE_FEATURES for name in names)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "BlockModel":
        """The model in ``path``; BlockModelUnavailable says why it cannot be used."""
        try:
            import lightgbm
        except (ImportError, OSError) as error:  # OSError: its OpenMP library (libgomp1) is missing
            raise BlockModelUnavailable(f"the block model needs LightGBM ({error})") from None
        try:
            header, _, model = gzip.decompress(path.read_bytes()).decode("utf-8").partition("\n")
            booster = lightgbm.Booster(model_str=model)
            return cls(booster, booster.feature_name(), json.loads(header)["threshold"])
        except (OSError, EOFError, ValueError, KeyError, lightgbm.basic.LightGBMError) as error:
            raise BlockModelUnavailable(f"cannot read the block model {path}: {error}") from None

    def probabilities(self, page: SegmentedPage) -> list[float]:
        """Body probability of each block of ``page``."""
        if not len(page):
            return []
        return list(self.booster.predict(page.features[:, self.columns], num_threads=1))

    def select(self, page: SegmentedPage) -> list[Block]:
        chosen = zip(page.blocks, self.probabilities(page))
        return [Block(b.kind, b.text) for b, p in chosen if p >= self.threshold]

    def main_features(self, share: float = 0.9) -> list[str]:
        """The fewest features that carry ``share`` of the model's total gain, the biggest first."""
        gain = self.booster.feature_importance("gain")
        order = numpy.argsort(-gain, kind="stable")
        needed = int(numpy.searchsorted(numpy.cumsum(gain[order]) / gain.sum(), share)) + 1
        return [self.names[index] for index in order[:needed]]


def model_file_text(model: str, threshold: float) -> str:
    """The model file's content: a JSON header line (threshold), then LightGBM's text model."""
    return json.dumps({"threshold": threshold}) + "\n" + model


def write_model(path: Path, model: str, threshold: float) -> None:
    path.write_bytes(gzip.compress(model_file_text(model, threshold).encode("utf-8"), mtime=0))


@lru_cache(maxsize=1)
def shipped_model() -> BlockModel:
    """The model file that ships with newscrawl, loaded once per process."""
    return BlockModel.load(MODEL_PATH)
