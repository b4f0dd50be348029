"""Tell article pages from navigation pages, by URL and by page signals."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from newscrawl.extraction.text import word_count

ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "report",
}
# Path parts that mark listing, media or utility pages on news sites.
NAVIGATION_PARTS = re.compile(
    r"/(?:tags?|topics?|authors?|profile|category|categories|section|sections|search|page|video|videos|"
    r"gallery|galleries|pictures|photos|podcasts?|live|newsletters?|subscribe|login|register|account|"
    r"about|contact|privacy|terms|cookies?|sitemap|feeds?|rss|weather|puzzles?|crosswords?)(?:/|$)",
    re.I,
)
_DATE_IN_PATH = re.compile(r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])(?:/|-)")
_NUMERIC_ID = re.compile(r"(?:[-_/.]|^)\d{5,}(?:[-_/.]|$)")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){3,}", re.I)
_PAGINATION = re.compile(r"(?:[?&](?:page|p|pg)=\d+|/page/\d+/?$|-page-?\d+|/\d{1,3}/?$)", re.I)
_NEXT_TEXT = re.compile(r"^\s*(?:next|next page|older|older posts|more|›|»|>)\s*[›»>]?\s*$", re.I)
_MEDIA_EXTENSIONS = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|mp3|mp4|m4a|mov|avi|pdf|zip|gz|css|js|json|ico|woff2?|ttf)$", re.I
)


def looks_like_article_url(url: str) -> bool:
    """A slug of four or more words, a date in the path, or a long numeric id, outside listings."""
    parts = urlsplit(url)
    path = parts.path
    if _MEDIA_EXTENSIONS.search(path) or NAVIGATION_PARTS.search(path) or path in ("", "/"):
        return False
    if _PAGINATION.search(path + ("?" + parts.query if parts.query else "")):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(_SLUG.search(last) or _DATE_IN_PATH.search(path) or _NUMERIC_ID.search(last))


def is_media_url(url: str) -> bool:
    return bool(_MEDIA_EXTENSIONS.search(urlsplit(url).path))


def is_pagination_link(url: str, text: str | None = None, rel: str | None = None) -> bool:
    if rel and "next" in rel.lower().split():
        return True
    if text and _NEXT_TEXT.match(text):
        return True
    parts = urlsplit(url)
    return bool(_PAGINATION.search(parts.path + ("?" + parts.query if parts.query else "")))


def jsonld_types(tree) -> set[str]:
    """All @type values in the page's JSON-LD, lower-cased."""
    types: set[str] = set()
    for script in tree.iterfind(".//script[@type]"):
        if "ld+json" not in script.get("type", "").lower() or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kind = node.get("@type")
                for value in kind if isinstance(kind, list) else [kind]:
                    if isinstance(value, str):
                        types.add(value.lower())
                stack.extend(v for k, v in node.items() if k == "@graph" or isinstance(v, (dict, list)))
    return types


def og_type(tree) -> str | None:
    for meta in tree.iterfind(".//meta[@property]"):
        if meta.get("property", "").lower() == "og:type":
            return (meta.get("content") or "").strip().lower() or None
    return None


def link_density(tree) -> float:
    """Share of the page's visible text that sits inside links (high on section pages)."""
    body = tree.find(".//body")
    if body is None:
        return 1.0
    total = word_count(" ".join(body.itertext()))
    if not total:
        return 1.0
    linked = sum(word_count(" ".join(a.itertext())) for a in body.iter("a"))
    return linked / total


def page_kind(tree, body_text: str | None) -> str | None:
    """'article' or 'navigation' when the page says so (JSON-LD, og:type) or its shape is
    unmistakable; None when undecided (the caller then weighs the URL)."""
    if tree is None:
        return "navigation"
    if jsonld_types(tree) & ARTICLE_TYPES:
        return "article"
    declared = og_type(tree)
    if declared == "article":
        return "article"
    words = word_count(body_text)
    density = link_density(tree)
    if density >= 0.5 or (declared in ("website", "profile") and words < 150):
        return "navigation"
    if declared is None and words >= 300 and density < 0.3:
        return "article"  # undeclared, but a long body in a page that is not mostly links
    return None
