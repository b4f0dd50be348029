"""robots.txt Sitemap: lines, sitemap indexes, sitemaps and Google News sitemaps."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from newscrawl.discovery.xml import local_name, parse_xml
from newscrawl.extraction.dates import parse_date

# Decompressed sitemaps larger than this are refused (the sitemap protocol caps them at 50 MB).
MAX_SITEMAP_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    news_date: datetime | None = None  # <news:publication_date>
    title: str | None = None  # <news:title>

    @property
    def date(self) -> datetime | None:
        return self.news_date or self.lastmod


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "urlset" or "sitemapindex"
    entries: list[SitemapEntry]


def robots_sitemap_urls(robots_txt: str, base_url: str) -> list[str]:
    urls = []
    for line in robots_txt.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            urls.append(urljoin(base_url, value.strip()))
    return urls


def maybe_gunzip(body: bytes) -> bytes | None:
    """Sitemaps may arrive gzipped (.xml.gz). None when the data is corrupt or too big."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            data = stream.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError):
        return None
    return data if len(data) <= MAX_SITEMAP_BYTES else None


def _child_text(elem, name: str) -> str | None:
    for child in elem.iter():
        if local_name(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_sitemap(body: bytes, base_url: str = "") -> Sitemap | None:
    """Parse a sitemap or sitemap index; None when the body is neither."""
    data = maybe_gunzip(body)
    if not data:
        return None
    root = parse_xml(data, huge=True)
    if root is None or local_name(root.tag) not in ("urlset", "sitemapindex"):
        return None
    kind = local_name(root.tag)
    entries = []
    for elem in root:
        if local_name(elem.tag) not in ("url", "sitemap"):
            continue
        loc = _child_text(elem, "loc")
        if not loc:
            continue
        lastmod = _child_text(elem, "lastmod")
        news_date = _child_text(elem, "publication_date")
        entries.append(
            SitemapEntry(
                url=urljoin(base_url, loc),
                lastmod=parse_date(lastmod) if lastmod else None,
                news_date=parse_date(news_date) if news_date else None,
                title=_child_text(elem, "title"),
            )
        )
    return Sitemap(kind, entries)
