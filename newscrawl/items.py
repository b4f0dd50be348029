"""The Article item: field names follow zyte-common-items' Article, in snake_case."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class Article:
    url: str | None = None
    canonical_url: str | None = None
    headline: str | None = None
    description: str | None = None
    article_body: str | None = None
    authors: list[str] = field(default_factory=list)
    date_published: str | None = None  # UTC ISO 8601, e.g. 2021-12-07T18:24:00+00:00
    date_published_raw: str | None = None
    date_modified: str | None = None
    date_modified_raw: str | None = None
    in_language: str | None = None  # ISO 639-1
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    main_image: str | None = None
    site: str | None = None
    date_downloaded: str | None = None
    # Why article_body is empty, when it is (e.g. "not-html", "no-article"). Not stored or exported.
    extraction_problem: str | None = field(default=None, metadata={"internal": True})


ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
# What is stored (pipelines.storage.article_row) and exported (FEED_EXPORT_FIELDS): every field
# that is not internal. A new field needs only its line above and its column in pipelines/schema.py.
PUBLIC_FIELDS = tuple(f.name for f in fields(Article) if not f.metadata.get("internal"))
