"""The site registry: every supported site is a TOML file in this folder, validated at load.

A site entry becomes a spider of the same name (see newscrawl/spiders/sites.py).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml.cssselect import CSSSelector
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from newscrawl.extraction.rules import ExtractionRules

SITES_DIR = Path(__file__).parent


class SiteError(ValueError):
    """A registry entry is invalid; the message names the site and the field."""


def check_regexes(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return patterns


def check_selectors(selectors: list[str]) -> list[str]:
    """Each must compile the way extraction compiles it (lxml's cssselect), else ValueError."""
    for selector in selectors:
        try:
            CSSSelector(selector)
        except Exception as exc:  # cssselect's SelectorSyntaxError, ExpressionError (pseudo-elements...)
            raise ValueError(f"invalid CSS selector {selector!r}: {exc}") from None
    return selectors


class ExtractionOverrides(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body_selector: str | None = None
    strip_selectors: list[str] = []
    strip_headings: list[str] = []
    date_selector: str | None = None
    author_selector: str | None = None
    timezone: str | None = None  # e.g. "Europe/London": the zone of dates printed without offset

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}") from None
        return name

    @field_validator("strip_headings")
    @classmethod
    def _valid_regexes(cls, patterns: list[str]) -> list[str]:
        return check_regexes(patterns)

    @field_validator("strip_selectors")
    @classmethod
    def _valid_selector_list(cls, selectors: list[str]) -> list[str]:
        return check_selectors(selectors)

    @field_validator("body_selector", "date_selector", "author_selector")
    @classmethod
    def _valid_selector(cls, selector: str | None) -> str | None:
        if selector is not None:
            check_selectors([selector])
        return selector

    def to_rules(self) -> ExtractionRules:
        return ExtractionRules(
            body_selector=self.body_selector,
            strip_selectors=tuple(self.strip_selectors),
            strip_headings=tuple(self.strip_headings),
            date_selector=self.date_selector,
            author_selector=self.author_selector,
            timezone=self.timezone,
        )


class SiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    allowed_domains: list[str] = Field(min_length=1)
    # robots.txt, sitemap indexes, news sitemaps, feeds and section pages: told apart by content.
    seeds: list[str] = Field(min_length=1)
    article_patterns: list[str] = []  # regexes on the URL path (+query); empty: general heuristics
    deny_patterns: list[str] = []  # video, live blogs, galleries, tags, authors, podcasts...
    # auto: the browser only for pages whose HTML is an empty app shell; never: no browser at all.
    render: Literal["never", "always", "auto"] = "auto"
    extraction: ExtractionOverrides = ExtractionOverrides()

    @field_validator("article_patterns", "deny_patterns")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        return check_regexes(patterns)

    @field_validator("seeds")
    @classmethod
    def _absolute_urls_on_site(cls, seeds: list[str], info: ValidationInfo) -> list[str]:
        domains = info.data.get("allowed_domains") or []
        for seed in seeds:
            parts = urlsplit(seed)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"seed {seed!r} is not an absolute http(s) URL")
            host = parts.hostname or ""
            if domains and not any(host == d or host.endswith("." + d) for d in domains):
                raise ValueError(f"seed {seed!r} is outside allowed_domains {domains}")
        return seeds


def load_site(path: Path) -> SiteSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteError(f"site file {path.name}: {exc}") from exc
    try:
        spec = SiteSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(p) for p in err['loc']) or '(entry)'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise SiteError(f"site {data.get('name') or path.stem!r} ({path.name}): {problems}") from None
    if spec.name != path.stem:
        raise SiteError(f"site {spec.name!r} ({path.name}): field name must match the file name {path.stem!r}")
    return spec


def load_sites(directory: Path = SITES_DIR) -> tuple[dict[str, SiteSpec], dict[str, SiteError]]:
    """Every entry of the folder: (valid specs, errors), both keyed by file stem (the spider name)."""
    specs: dict[str, SiteSpec] = {}
    errors: dict[str, SiteError] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            specs[path.stem] = load_site(path)
        except SiteError as exc:
            errors[path.stem] = exc
    return specs, errors


def load_registry(directory: Path = SITES_DIR) -> dict[str, SiteSpec]:
    """Every entry of the folder; SiteError for the first invalid one."""
    specs, errors = load_sites(directory)
    if errors:
        raise next(iter(errors.values()))
    return specs
