"""Site-specific extraction overrides, as given by a site registry entry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExtractionRules:
    # CSS selector of the element that holds the article body.
    body_selector: str | None = None
    # CSS selectors of elements to remove before body extraction (captions, promos...).
    strip_selectors: tuple[str, ...] = ()
    # Headings (regular expressions, case-insensitive) that start a block to drop,
    # e.g. "Latest .* News": the heading and the list that follows it are removed.
    strip_headings: tuple[str, ...] = ()
    # CSS selectors that hold the publication date / author names, tried before the general rules.
    date_selector: str | None = None
    author_selector: str | None = None
    # IANA zone of dates the site prints without an offset ("7 December 2021, 18:24").
    timezone: str | None = None
    extra: dict = field(default_factory=dict, hash=False, compare=False)
