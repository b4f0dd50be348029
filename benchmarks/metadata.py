"""Per-field accuracy of metadata extraction on the hand-labelled golden set, next to trafilatura.

    python3 -m benchmarks.metadata            # ours vs trafilatura, table on stdout
    python3 -m benchmarks.metadata --misses   # also list every wrong field

Columns: ours on all pages; ours on the "holdout" pages (labelled after the rules were
frozen; see tests/fixtures/golden/README.md for their first-run scores); trafilatura's
extract_metadata; ours restricted to the 7 fields trafilatura produces. Times are CPU ms
per page including parsing the HTML (trafilatura parses too). Scoring rules:
tests/metadata_scoring.py.
"""

from __future__ import annotations

import argparse

from tests.metadata_scoring import FIELDS, GoldenPage, format_table, load_golden, score

TRAFILATURA_UNSUPPORTED = frozenset({"date_published", "date_modified", "in_language"})


def trafilatura_baseline(page: GoldenPage) -> dict:
    """trafilatura.extract_metadata on the raw page, mapped to our field names."""
    import trafilatura

    meta = trafilatura.extract_metadata(page.html, default_url=page.url)
    if meta is None:
        return {f: None for f in FIELDS}
    authors = [a.strip() for a in (meta.author or "").split(";") if a.strip()]
    categories = meta.categories or []
    return {
        "headline": meta.title,
        "description": meta.description,
        "authors": authors,
        "date_published": meta.date,
        "date_modified": None,
        "in_language": getattr(meta, "language", None),
        "section": categories[0] if categories else None,
        "tags": meta.tags or [],
        "main_image": meta.image,
        "canonical_url": meta.url,
    }



def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every wrong field of ours")
    parser.add_argument("--no-baseline", action="store_true", help="skip trafilatura")
    args = parser.parse_args(argv)
    pages = load_golden()
    columns = {"ours": score(pages)}
    # Pages labelled after the rules were frozen: an estimate less flattered by tuning.
    holdout = [page for page in pages if page.expected.get("holdout")]
    if holdout:
        columns["ours:holdout"] = score(holdout)
    if not args.no_baseline:
        columns["trafilatura"] = score(pages, trafilatura_baseline, TRAFILATURA_UNSUPPORTED)
        # Ours on the same fields trafilatura produces, for a like-for-like overall figure.
        columns["ours:same7"] = score(pages, unsupported=TRAFILATURA_UNSUPPORTED)
    print(format_table(columns))
    if args.misses:
        for page, name, got, expected in columns["ours"][0].misses:
            print(f"- {page} {name}: got {got!r} expected {expected!r}")


if __name__ == "__main__":
    main()
