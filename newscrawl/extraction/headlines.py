"""Strings the page uses as its headline, to stop the headline leaking into the body."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_TITLE_SEPARATORS = re.compile(r"\s+[|–—:-]{1,2}\s+|\s+::\s+")
_META_TITLE = re.compile(r"(?:^|[:._-])(?:title|headline)$", re.IGNORECASE)  # og:title, mol:headline...
_MAX_H1 = 3


def headline_candidates(tree: HtmlElement | None, headline: str | None = None) -> list[str]:
    """The given headline plus titles found in the page: meta titles, <h1>s and <title> parts."""
    found: list[str] = [headline] if headline else []
    if tree is None:
        return found
    for meta in tree.iterfind(".//meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if _META_TITLE.search(name) and meta.get("content"):
            found.append(meta.get("content"))
    for index, h1 in enumerate(tree.iter("h1")):
        if index >= _MAX_H1:
            break
        found.append(h1.text_content())
    title = tree.find(".//title")
    if title is not None and title.text:
        found.append(title.text)
        found.extend(part for part in _TITLE_SEPARATORS.split(title.text) if len(part.split()) >= 3)
    return [text.strip() for text in found if text and text.strip()]
