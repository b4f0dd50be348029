"""The two development sets as one list of pages, each scored by its own metric.

- shingle set: ``html/<id>.html.gz`` + ``ground-truth.json`` ({id: {url, articleBody}}),
  the Scrapinghub article-extraction benchmark layout;
- snippet set: ``html/<id>.html.gz`` + ``evaldata.json`` ({id: {url, with, without,
  title, author, date}}), trafilatura's evaluation layout.

Every page has a ``host`` (www. dropped): cross-validation folds are grouped by it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.extraction_metric import score_page, score_snippets, sum_snippets, summarize


@dataclass
class Page:
    dataset: str
    id: str
    url: str
    raw: bytes
    truth: str | None = None  # shingle set: the article body
    with_snippets: list[str] = field(default_factory=list)  # snippet set
    without_snippets: list[str] = field(default_factory=list)
    annotations: dict = field(default_factory=dict)  # snippet set: title, author, date

    @property
    def host(self) -> str:
        host = (urlsplit(self.url).hostname or self.id).lower()
        return host.removeprefix("www.")


def load(directory: Path, limit_ids: set[str] | None = None) -> list[Page]:
    """Pages of either layout, sorted by id."""
    name = directory.name
    pages = []
    if (directory / "ground-truth.json").exists():
        truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
        for page_id in sorted(truth):
            if limit_ids is None or page_id in limit_ids:
                raw = gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())
                pages.append(Page(name, page_id, truth[page_id].get("url", ""), raw,
                                  truth=truth[page_id].get("articleBody", "")))
    elif (directory / "evaldata.json").exists():
        data = json.loads((directory / "evaldata.json").read_text(encoding="utf-8"))
        for page_id in sorted(data):
            if limit_ids is None or page_id in limit_ids:
                item = data[page_id]
                raw = gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())
                pages.append(Page(name, page_id, item.get("url", ""), raw, with_snippets=list(item["with"]),
                                  without_snippets=list(item["without"]),
                                  annotations={k: item.get(k) or "" for k in ("title", "author", "date")}))
    else:
        raise SystemExit(f"{directory}: neither ground-truth.json nor evaldata.json")
    return pages


def is_shingle_set(pages: list[Page]) -> bool:
    return bool(pages) and pages[0].truth is not None


def set_score(pages: list[Page], predictions: dict[str, str]) -> dict:
    """F1, precision, recall of ``predictions`` ({page id: body}) with the set's own metric."""
    if is_shingle_set(pages):
        summary = summarize(score_page(p.truth, predictions.get(p.id, "")) for p in pages)
        return {"f1": summary.f1, "precision": summary.precision, "recall": summary.recall}
    counts = sum_snippets(score_snippets(p.with_snippets, p.without_snippets, predictions.get(p.id, ""))
                          for p in pages)
    return {"f1": counts.f1, "precision": counts.precision, "recall": counts.recall}
