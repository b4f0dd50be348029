"""When is a re-crawled article a new *revision*? Pure functions, no database.

A stored article is re-crawled and found different. It is a revision (the old
version is kept in ``article_revisions`` and the article updated) only when
``significant_change(old, new)`` says so: the headline, the body or the
publication date differ once both versions are normalised:

* text: NFKC, casefolded, typographic quotes and dashes as ASCII, whitespace
  collapsed (``newscrawl.textnorm.text_for_revision_diff``);
* body (``newscrawl.textnorm.body_for_revision_diff``): also without a leading *dateline* on the first
  paragraph (``LONDON (AP) — ``, ``Dec 7 (Reuters) - ``, ``PARIS — ``,
  ``NEW DELHI: ``; ``textnorm.strip_dateline``) and without paragraphs that are only a
  date line (``Updated 7 December 2021, 20:31 GMT``; ``textnorm.is_date_line``), which
  many sites re-render on every visit;
* dates: ``date_published`` to the minute, in UTC. A date the new version
  lacks is unknown, not a change. ``date_modified`` alone is not significant
  (it is the page's "Updated ..." line, bumped by many CMSes without an edit);
  a revision keeps it with the rest of the old version.

Everything else (description, authors, tags, image) is refreshed only together
with a revision: an insignificant change writes nothing but ``last_seen``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from newscrawl.textnorm import body_for_revision_diff, text_for_revision_diff
from pipelines.schema import parse_datetime

# Fields compared by significant_change (date_published compared to the minute).
SIGNIFICANT_FIELDS = ("headline", "article_body", "date_published")


def _minute(value: Any) -> datetime | None:
    moment = parse_datetime(value)
    return None if moment is None else moment.replace(second=0, microsecond=0)


def _get(version: Any, name: str) -> Any:
    if isinstance(version, Mapping):
        return version.get(name)
    return getattr(version, name, None)


def significant_change(old: Any, new: Any) -> bool:
    """True when *new* is a revision of *old*.

    Both are mappings (an articles row, an item adapter) or objects with
    ``headline``, ``article_body`` and ``date_published`` (datetime or ISO 8601
    string). See the module docstring for what is ignored.
    """
    if text_for_revision_diff(_get(old, "headline")) != text_for_revision_diff(_get(new, "headline")):
        return True
    if body_for_revision_diff(_get(old, "article_body")) != body_for_revision_diff(_get(new, "article_body")):
        return True
    new_date = _minute(_get(new, "date_published"))
    return new_date is not None and new_date != _minute(_get(old, "date_published"))


def version_hash(version: Any) -> str:
    """sha256 hex of the normalised significant fields: equal hashes mean no
    significant change. (Different hashes still need ``significant_change``:
    a missing new date is no change.)"""
    date = _minute(_get(version, "date_published"))
    parts = (
        text_for_revision_diff(_get(version, "headline")),
        body_for_revision_diff(_get(version, "article_body")),
        date.isoformat() if date else "",
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
