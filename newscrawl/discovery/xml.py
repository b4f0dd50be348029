"""Lenient, safe XML parsing shared by the sitemap and feed readers."""

from __future__ import annotations

import lxml.etree


def local_name(tag) -> str:
    """'{http://www.sitemaps.org/schemas/sitemap/0.9}loc' -> 'loc'; comments and PIs -> ''."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def parse_xml(data: bytes, huge: bool = False):
    """The root element, or None for data that is not XML. No entities, no network."""
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=huge, remove_comments=True
    )
    try:
        return lxml.etree.fromstring(data.lstrip(), parser=parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return None
