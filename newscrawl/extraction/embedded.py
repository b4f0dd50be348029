"""Article text that a page carries as data rather than as HTML.

Many pages built with client-side frameworks ship the full article inside the static
HTML, as JSON-LD ``articleBody`` or as the app state the client renders from
(``<script id="__NEXT_DATA__" type="application/json">``, ``window.__INITIAL_STATE__ =
{...}``, ``window.__NUXT__``, Nuxt 3's ``__NUXT_DATA__``). Reading it there is much
cheaper than starting a browser.

``embedded_article_text(tree)`` is a general heuristic, with no site names: among the
string fields named like a body (articleBody, body, content, text, ...) whose value is
prose, and block lists under such fields (``"body": [{"type": "paragraph", "text": ...}]``),
it returns the longest, HTML stripped to one paragraph per line, when it is long enough
to be a full article. When the page's headline is known, bodies whose object carries a
matching title win over others (a state that also holds related stories).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Iterator

import lxml.html
from lxml import etree

from newscrawl.extraction.text import blocks
from newscrawl.textnorm import paragraph_lines, word_key

logger = logging.getLogger(__name__)

# Field names (lowercased, without - and _) that hold an article's text.
BODY_KEYS = frozenset({
    "articlebody", "body", "bodytext", "bodyhtml", "content", "contenthtml", "contentencoded",
    "text", "html", "fulltext", "articletext", "storytext", "maintext", "richtext", "copy",
    "value", "paragraph", "paragraphs", "blocks", "contents", "rendered",
})
# Names that only count below a body field (too generic on their own).
_GENERIC_KEYS = frozenset({"value", "paragraph", "paragraphs", "blocks", "contents", "rendered", "html", "copy"})
TITLE_KEYS = frozenset({"headline", "title", "name", "seotitle", "socialtitle"})

MIN_ARTICLE_CHARS = 500  # shorter than this: a teaser or a description, not the article
MIN_ARTICLE_WORDS = 80
FRAGMENT_CHARS = 200  # state texts this long outside the chosen body make it a fragment
MAX_SCRIPT_CHARS = 8_000_000  # larger inline scripts are not worth parsing
MAX_DEPTH = 60

_SCRIPTS = etree.XPath("//script[not(@src)]")
_ASSIGNMENT_RE = re.compile(r"(?:window|self|globalThis)\s*\.\s*(__[A-Za-z0-9_]+__|[A-Z][A-Z0-9_]{3,})\s*=\s*")
_JS_STRING_FIELD_RE = re.compile(
    r"""["']?(articleBody|body|bodyText|bodyHtml|content|text|html|fullText)["']?\s*:\s*"((?:[^"\\]|\\.){200,})\"""",
)
_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def embedded_article_text(tree) -> str | None:
    """The article text embedded in the page as JSON-LD or app-state data, or None.

    ``tree`` is the page's lxml.html tree (``Document.tree``). Never raises.
    """
    if tree is None:
        return None
    try:
        candidates = list(_candidates(tree))
    except Exception:  # a heuristic never stops the crawl
        logger.debug("embedded text search failed", exc_info=True)
        return None
    good = [c for c in candidates if _long_enough(c[0])]
    if not good:
        return None
    titles = _page_titles(tree)
    if titles:
        matching = [c for c in good if c[1] and word_key(c[1]) in titles]
        if matching:
            good = matching
    # JSON-LD articleBody is declared to be the article; app state is guessed: prefer the
    # declaration unless the state holds clearly more (JSON-LD bodies are often cut short).
    best = max(good, key=lambda c: len(c[0]) * (1.3 if c[2] == "jsonld" else 1.0))
    if best[2] == "state" and _fragmented(best, candidates):
        return None  # the state splits the body into pieces: the browser puts them together
    return best[0]


def _fragmented(best: tuple[str, str | None, str], candidates: list) -> bool:
    """Other paragraph-sized texts of the same story lie outside the best one: it is only a part."""
    outside: set[str] = set()
    for text, title, source in candidates:
        if source != "state" or len(text) < FRAGMENT_CHARS or (title and title != best[1]):
            continue
        if text[:100] not in best[0] and best[0][:100] not in text:
            outside.add(text)
            if len(outside) >= 2:
                return True
    return False


# --- finding candidates ---------------------------------------------------------------------

def _candidates(tree) -> Iterator[tuple[str, str | None, str]]:
    """(text, title of the object holding it, source) for every body-like field."""
    for script in _SCRIPTS(tree):
        raw = script.text or ""
        if not raw.strip() or len(raw) > MAX_SCRIPT_CHARS:
            continue
        kind = (script.get("type") or "").strip().lower()
        script_id = script.get("id") or ""
        if "ld+json" in kind:
            for data in _json_values(raw):
                yield from _walk(data, source="jsonld")
        elif kind == "application/json" or script_id in ("__NEXT_DATA__", "__NUXT_DATA__"):
            for data in _json_values(raw):
                if isinstance(data, list) and data and _looks_like_devalue(data):
                    data = _revive_devalue(data)
                yield from _walk(data, source="state")
        elif kind in ("", "text/javascript", "application/javascript", "module"):
            found = False
            for data in _assigned_values(raw):
                found = True
                yield from _walk(data, source="state")
            if not found and ("__" in raw[:3000] or "window." in raw[:3000]):
                # JavaScript, not JSON (Nuxt 2's window.__NUXT__=(function(a,b){...})): string fields
                for match in _JS_STRING_FIELD_RE.finditer(raw):
                    try:
                        value = json.loads(f'"{match.group(2)}"')
                    except ValueError:
                        continue
                    text = _to_paragraphs(value)
                    if text:
                        yield text, None, "state"


def _json_values(raw: str) -> list[Any]:
    raw = raw.strip()
    if raw.startswith("<!--"):
        raw = raw[4:].rsplit("-->", 1)[0]
    try:
        return [json.loads(raw)]
    except ValueError:
        pass
    try:  # trailing semicolons or several objects in one script
        value, _ = json.JSONDecoder(strict=False).raw_decode(raw)
        return [value]
    except ValueError:
        return []


def _assigned_values(raw: str) -> Iterator[Any]:
    """JSON values assigned in ``window.__STATE__ = {...}`` or ``= JSON.parse("...")``."""
    decoder = json.JSONDecoder(strict=False)
    for match in _ASSIGNMENT_RE.finditer(raw):
        rest = raw[match.end():match.end() + MAX_SCRIPT_CHARS].lstrip()
        try:
            if rest.startswith("JSON.parse("):
                inner = rest[len("JSON.parse("):].lstrip()
                if inner[:1] == "'":  # single-quoted JS string: turn into a JSON string
                    end = re.match(r"'((?:[^'\\]|\\.)*)'", inner, re.S)
                    if not end:
                        continue
                    inner = '"' + end.group(1).replace('\\\'', "'").replace('"', '\\"') + '"'
                text, _ = decoder.raw_decode(inner)
                if isinstance(text, str):
                    yield json.loads(text, strict=False)
            elif rest[:1] in "{[":
                value, _ = decoder.raw_decode(rest)
                yield value
        except ValueError:
            continue


def _walk(data: Any, source: str) -> Iterator[tuple[str, str | None, str]]:
    """Body-like fields anywhere in ``data``, with the title of the nearest object holding them."""
    stack: list[tuple[Any, int, str | None]] = [(data, 0, None)]
    while stack:
        node, depth, title = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, list):
            if source != "jsonld" and _is_block_list(node):
                # a body stored as a list of paragraph objects ("content_elements": [{"type": "text", ...}])
                text = _flatten_blocks(node)
                if text:
                    yield text, title, source
            stack.extend((item, depth + 1, title) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        title = _title_of(node) or title
        for key, value in node.items():
            name = _key(key)
            if name in BODY_KEYS and name not in _GENERIC_KEYS:
                if source == "jsonld" and name != "articlebody":
                    pass  # JSON-LD: only articleBody is the article (not the text of comments, reviews...)
                elif isinstance(value, str):
                    text = _to_paragraphs(value)
                    if text:
                        yield text, title, source
                elif isinstance(value, (list, dict)) and not (isinstance(value, list) and _is_block_list(value)):
                    text = _flatten_blocks(value)
                    if text:
                        yield text, title, source
            if isinstance(value, (list, dict)):
                stack.append((value, depth + 1, title))


def _is_block_list(items: list) -> bool:
    """Two or more objects in the list carry a paragraph of text in a body-like field."""
    found = 0
    for item in items[:500]:
        if isinstance(item, dict) and not _title_of(item) and any(
            _key(k) in BODY_KEYS and isinstance(v, str) and len(v) >= 15 for k, v in item.items()
        ):
            found += 1
            if found >= 2:
                return True
    return False


def _flatten_blocks(value: Any) -> str | None:
    """A structured body (a list of blocks with text fields) as paragraphs, in order.
    Nested objects with a title of their own (related stories, embeds) are left out."""
    parts: list[str] = []

    def visit(node: Any, depth: int) -> None:
        if depth > MAX_DEPTH or len(parts) > 5000:
            return
        if isinstance(node, str):
            text = _to_paragraphs(node, check=_is_prose_line)
            if text:
                parts.append(text)
        elif isinstance(node, list):
            for item in node:
                visit(item, depth + 1)
        elif isinstance(node, dict):
            if depth > 0 and _title_of(node):
                return
            for key, item in node.items():
                if _key(key) in BODY_KEYS or isinstance(item, (list, dict)):
                    visit(item, depth + 1)

    visit(value, 0)
    return "\n".join(parts) if parts else None


# --- text -------------------------------------------------------------------------------------

def _to_paragraphs(value: str, check=None) -> str | None:
    """Text as one paragraph per line, HTML stripped; None when ``check`` (default: long
    prose) refuses it."""
    check = check or _is_prose
    value = value.strip()
    if not value or value.startswith(("http://", "https://", "{", "[", "data:", "/")):
        return None
    if _TAG_RE.search(value) or "&" in value:
        try:
            fragment = lxml.html.fragment_fromstring(value, create_parent="div")
            lines = [block.text for block in blocks(fragment)]
        except (etree.ParserError, ValueError):
            lines = _TAG_RE.sub(" ", value).splitlines()
    else:
        lines = value.splitlines()
    text = paragraph_lines(lines)
    if not text or not check(text):
        return None
    return text


def _is_prose(text: str) -> bool:
    """At least a long sentence of mostly words and spaces: not code, CSS, URLs or identifiers."""
    if len(text) < 40:
        return False
    return _is_wordy(text)


def _is_prose_line(text: str) -> bool:
    """A paragraph of a structured body: sentence-like text, short ones included."""
    if len(text) < 15 or (" " not in text and _cjk_share(text) < 0.3):
        return False
    return _is_wordy(text)


def _is_wordy(text: str) -> bool:
    letters = sum(1 for ch in text if ch.isalpha() or ch.isspace())
    if letters < 0.75 * len(text):
        return False
    spaces = text.count(" ") + text.count("\n")
    # CJK text has few spaces; other prose has a space every few characters
    if _cjk_share(text) < 0.3 and spaces < len(text) / 12:
        return False
    code_marks = text.count("{") + text.count("}") + text.count(";") + text.count("=>") + text.count("function(")
    return code_marks < max(3, len(text) / 200)


def _long_enough(text: str) -> bool:
    return len(text) >= MIN_ARTICLE_CHARS and len(_WORD_RE.findall(text)) >= MIN_ARTICLE_WORDS or (
        len(text) >= MIN_ARTICLE_CHARS and _cjk_share(text) > 0.3)


def _cjk_share(text: str) -> float:
    sample = text[:2000]
    return sum(1 for ch in sample if "\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af") / max(len(sample), 1)


# --- helpers ---------------------------------------------------------------------------------

def _key(key: Any) -> str:
    return str(key).lower().replace("_", "").replace("-", "")


def _title_of(node: dict) -> str | None:
    for key, value in node.items():
        if _key(key) in TITLE_KEYS and isinstance(value, str) and 10 <= len(value) <= 400:
            return value
    return None


def _page_titles(tree) -> set[str]:
    """The page's headline in its usual places, normalised: h1, og:title, <title> (and its parts)."""
    found: set[str] = set()
    values = tree.xpath("//h1//text() | //meta[@property='og:title']/@content | //meta[@name='twitter:title']/@content"
                        " | //title/text()")
    for value in values[:20]:
        value = str(value).strip()
        if not value:
            continue
        found.add(word_key(value))
        for part in re.split(r"\s+[|\-–—:·]\s+", value):  # "Headline | Site"
            if len(part) >= 10:
                found.add(word_key(part))
    found.discard("")
    return found


def _looks_like_devalue(data: list) -> bool:
    """Nuxt 3's payload: a flat array whose objects refer to other items by index."""
    head = data[:3]
    return any(isinstance(item, (dict, list)) and item and all(
        isinstance(v, int) and not isinstance(v, bool) for v in (item.values() if isinstance(item, dict) else item[1:])
    ) for item in head)


def _revive_devalue(data: list) -> Any:
    """Resolve index references of a devalue payload (bounded; cycles are cut)."""
    cache: dict[int, Any] = {}

    def revive(index: Any, depth: int) -> Any:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(data) or depth > MAX_DEPTH:
            return None
        if index in cache:
            return cache[index]
        item = data[index]
        cache[index] = None  # cuts cycles
        if isinstance(item, dict):
            value: Any = {k: revive(v, depth + 1) for k, v in item.items()}
        elif isinstance(item, list):
            if item and isinstance(item[0], str) and item[0] in ("Reactive", "ShallowReactive", "Ref", "ShallowRef",
                                                                   "EmptyRef", "EmptyShallowRef", "NuxtError"):
                value = revive(item[1], depth + 1) if len(item) > 1 else None
            else:
                value = [revive(v, depth + 1) for v in item]
        else:
            value = item
        cache[index] = value
        return value

    return revive(0, 0)
