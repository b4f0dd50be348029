"""Headline, authors and publication date on the trafilatura-eval pages, split by site into a "tune" and a "held-out" half.

    python3 -m benchmarks.metadata_split SNIPPET_SET_DIR [--misses tune] [--trafilatura-cache F.json]

The hosts are shuffled with a fixed seed and cut in two, so no site has pages in both halves.
Rules are written while reading misses of the tune half only (``--misses tune``); the held-out
half is scored, never read. Each half is reported next to trafilatura (bare_extraction with
metadata) on the same pages, with the comparisons of benchmarks/extraction.py (headline exact,
authors as a set of names, date the same day), the headline once more ignoring case ("title_case":
some annotators copied a headline as the page shows it, uppercased by CSS), and our date once more on
the publisher's own day ("date_local": the stored date is UTC). trafilatura's answers do not change between runs: a
cache file keeps them.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime
from pathlib import Path

from benchmarks import datasets
from benchmarks.extraction import _names, _norm, run_newscrawl, run_trafilatura_metadata
from newscrawl.extraction.dates import parse_date
from newscrawl.extraction.document import decode_html

SEED = 20261202
# "date_local": our date on the publisher's own day, scored against the date annotation (trafilatura's
# date is a local day already).
# "title_case": the title ignoring case (some annotations copy a headline as shown, uppercased by CSS).
_ANNOTATION = {"date_local": "date", "title_case": "title"}
HALVES = ("tune", "held-out")
FIELDS = ("title", "title_case", "author", "date", "date_local")


def split_hosts(pages: list[datasets.Page], seed: int = SEED) -> dict[str, str]:
    """{host: "tune" | "held-out"}: the sorted hosts shuffled with ``seed``, the first half "tune"."""
    hosts = sorted({page.host for page in pages})
    random.Random(seed).shuffle(hosts)
    cut = len(hosts) // 2
    return {host: HALVES[0] if index < cut else HALVES[1] for index, host in enumerate(hosts)}


def half_pages(pages: list[datasets.Page], half: str, seed: int = SEED) -> list[datasets.Page]:
    halves = split_hosts(pages, seed)
    return [page for page in pages if halves[page.host] == half]


def is_hit(field: str, got, truth: str) -> bool:
    if field == "title":
        return _norm(got) == _norm(truth)
    if field == "title_case":
        return _norm(got).casefold() == _norm(truth).casefold()
    if field == "author":
        return _names(got) == _names(truth)
    return str(got or "")[:10] == truth[:10]


def ours(page: datasets.Page) -> dict:
    article = run_newscrawl(datasets_html(page), page.url)
    return {"title": article.headline, "author": article.authors, "date": str(article.date_published or ""),
            "date_local": publisher_day(article.date_published_raw, page.url) or ""}


def publisher_day(raw: str | None, url: str) -> str | None:
    """The day of the raw date in the publisher's own offset, where it gives one: the stored date
    is UTC ("2019-01-01T00:11+01:00" is stored as 2018-12-31), the annotation the local day."""
    parsed = parse_date(raw, url)
    if parsed is None:
        return None
    try:
        local = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return parsed.date().isoformat()
    return local.date().isoformat()


def datasets_html(page: datasets.Page) -> str:
    return decode_html(page.raw)


def theirs(pages: list[datasets.Page], cache: Path | None) -> dict[str, dict]:
    known = json.loads(cache.read_text()) if cache and cache.exists() else {}
    for page in pages:
        if "title" not in known.get(page.id, {}):
            found = run_trafilatura_metadata(datasets_html(page), page.url)
            known[page.id] = {"title": found.get("headline"), "author": found.get("authors"), "date": found.get("date")}
    if cache:
        cache.write_text(json.dumps(known))
    return known


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path, help="the trafilatura-eval directory")
    parser.add_argument("--misses", choices=[HALVES[0]], help="list our wrong fields on the tune half only")
    parser.add_argument("--trafilatura-cache", type=Path, help="JSON file keeping trafilatura's answers")
    parser.add_argument("--out", type=Path, help="figures as JSON")
    args = parser.parse_args(argv)

    pages = datasets.load(args.dataset)
    other = theirs(pages, args.trafilatura_cache)
    figures = {}
    for half in HALVES:
        mine = half_pages(pages, half)
        print(f"== {half}: {len(mine)} pages, {len({p.host for p in mine})} hosts ==")
        figures |= score_half(half, mine, other, show_misses=args.misses == half)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1))


def score_half(half: str, pages: list[datasets.Page], other: dict, show_misses: bool) -> dict:
    """{"half/field": {pages, newscrawl, trafilatura}}, printed; with the misses when asked."""
    results = {page.id: ours(page) for page in pages}
    figures = {}
    for field in FIELDS:
        annotated = [p for p in pages if p.annotations.get(_ANNOTATION.get(field, field))]
        rates = {name: sum(is_hit(field, found[p.id].get(field, found[p.id][_ANNOTATION.get(field, field)]),
                                  p.annotations[_ANNOTATION.get(field, field)]) for p in annotated)
                 / len(annotated) for name, found in (("newscrawl", results), ("trafilatura", other))}
        figures[f"{half}/{field}"] = {"pages": len(annotated)} | rates
        print(f"{field:<8} ({len(annotated)} pages) newscrawl {rates['newscrawl']:.3f}"
              f"  trafilatura {rates['trafilatura']:.3f}")
        for page in annotated if show_misses and field not in _ANNOTATION else ():
            got, truth = results[page.id][field], page.annotations[_ANNOTATION.get(field, field)]
            if not is_hit(field, got, truth):
                print(f"  - {page.id} {page.url} got {got!r} expected {truth!r}"
                      f" (trafilatura {other[page.id][field]!r})")
    return figures


if __name__ == "__main__":
    main()
