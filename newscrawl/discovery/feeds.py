"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds, and feed discovery on HTML pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from newscrawl.discovery.xml import local_name, parse_xml
from newscrawl.extraction.dates import parse_date

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
_DATE_TAGS = ("pubdate", "published", "date", "issued", "updated", "modified")
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


@dataclass(frozen=True)
class FeedEntry:
    url: str
    date: datetime | None = None
    title: str | None = None


def _entry_link(entry, base_url: str) -> str | None:
    fallback = None
    for child in entry:
        name = local_name(child.tag)
        if name == "link":
            href = child.get("href")
            if href is None:  # RSS: <link>URL</link>
                href = (child.text or "").strip()
            if not href:
                continue
            rel = child.get("rel", "alternate")
            if rel == "alternate":
                return urljoin(base_url, href)
        elif name == "guid" and child.get("isPermaLink", "true").lower() == "true" and child.text:
            fallback = fallback or urljoin(base_url, child.text.strip())
    return fallback


def _entry_date(entry) -> datetime | None:
    found = {}
    for child in entry:
        name = local_name(child.tag)
        if name in _DATE_TAGS and child.text and name not in found:
            found[name] = child.text.strip()
    for name in _DATE_TAGS:  # publication dates before update dates
        if name in found and (parsed := parse_date(found[name])):
            return parsed
    return None


def parse_feed(body: bytes, base_url: str = "") -> list[FeedEntry] | None:
    """Entries of an RSS or Atom feed; None when the body is not a feed."""
    root = parse_xml(body)
    if root is None or local_name(root.tag) not in ("rss", "feed", "rdf"):
        return None
    base = urljoin(base_url, root.get(_XML_BASE, ""))
    entries = []
    for entry in root.iter():
        if local_name(entry.tag) not in ("item", "entry"):
            continue
        link = _entry_link(entry, urljoin(base, entry.get(_XML_BASE, "")))
        if link:
            title = next((c.text for c in entry if local_name(c.tag) == "title" and c.text), None)
            entries.append(FeedEntry(link, _entry_date(entry), title.strip() if title else None))
    return entries


def feed_links(tree, base_url: str) -> list[str]:
    """<link rel="alternate" type="application/rss+xml" href=...> on an HTML page."""
    if tree is None:
        return []
    links = []
    for link in tree.iterfind(".//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        if "alternate" in rel and (link.get("type") or "").lower() in FEED_TYPES:
            links.append(urljoin(base_url, link.get("href").strip()))
    return links
