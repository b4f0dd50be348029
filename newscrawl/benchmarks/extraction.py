"""Body-extraction benchmark: newscrawl vs trafilatura and readability-lxml, same run.

    python -m newscrawl.benchmarks.extraction --dataset DIR [--out FILE] [--split all|dev|holdout]

DIR holds ``html/<id>.html.gz`` and ``ground-truth.json`` ({id: {url, articleBody}}), as in
scrapinghub/article-extraction-benchmark.  Pages whose id starts with 0-3 form the hold-out
split (deterministic; ids are sha256 hex), the rest the dev split used for tuning.
Every extractor gets the same decoded text; timing covers parsing and extraction.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

from newscrawl.benchmarks.metric import score_page, summarize
from newscrawl.extraction.body import extract_body
from newscrawl.extraction.document import decode_html, parse_document

HOLDOUT_PREFIXES = tuple("0123")
SIZE_BUCKETS_KB = ((0, 100), (100, 250), (250, 500), (500, 10**9))


def in_split(page_id: str, split: str) -> bool:
    holdout = page_id.startswith(HOLDOUT_PREFIXES)
    return split == "all" or (split == "holdout") == holdout


def load_dataset(directory: Path, split: str = "all") -> list[dict]:
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        if not in_split(page_id, split):
            continue
        raw = gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append({"id": page_id, "url": truth[page_id].get("url", ""), "raw": raw,
                      "truth": truth[page_id].get("articleBody", "")})
    return pages


# --- extractors: (html text, url) -> body text ---------------------------------------

def run_newscrawl(html: str, url: str) -> str:
    return extract_body(parse_document(html, url)).text


def run_newscrawl_article(html: str, url: str) -> str:
    """The whole Article as a crawl stores it: parse, metadata, body, loader."""
    from newscrawl.extraction import extract

    return extract(html, url).article_body or ""


def run_trafilatura(html: str, url: str, **options) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False, **options) or ""


def run_readability(html: str, url: str) -> str:
    import lxml.html
    from readability import Document as ReadabilityDocument

    from newscrawl.extraction.text import element_text

    summary = ReadabilityDocument(html, url=url).summary(html_partial=True)
    return element_text(lxml.html.fragment_fromstring(summary, create_parent="div"))


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "newscrawl": run_newscrawl,
    "newscrawl-article": run_newscrawl_article,
    "trafilatura": run_trafilatura,
    "trafilatura-precision": lambda html, url: run_trafilatura(html, url, favor_precision=True),
    "readability-lxml": run_readability,
    # Baselines for the whole-article cost: trafilatura also reading title, author and date.
    "trafilatura-metadata": lambda html, url: run_trafilatura(html, url, with_metadata=True),
}


def run(pages: list[dict], names: Iterable[str]) -> list[dict]:
    """One row per (page, extractor). Extractors alternate per page so machine noise is shared."""
    rows = []
    for page in pages:
        html = decode_html(page["raw"])
        size_kb = len(page["raw"]) / 1024
        for name in names:
            start = time.perf_counter()
            try:
                prediction = EXTRACTORS[name](html, page["url"])
            except Exception as error:  # a crashing baseline scores as empty
                prediction = ""
                print(f"{name} failed on {page['id']}: {error!r}", file=sys.stderr)
            ms = (time.perf_counter() - start) * 1000
            score = score_page(page["truth"], prediction)
            rows.append({"id": page["id"], "extractor": name, "holdout": page["id"].startswith(HOLDOUT_PREFIXES),
                         "f1": round(score.f1, 4), "precision": score.precision, "recall": score.recall,
                         "exact": score.exact, "ms": round(ms, 2), "size_kb": round(size_kb, 1),
                         "_score": score, "prediction": prediction})
    return rows


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def report(rows: list[dict], names: list[str], label: str) -> None:
    print(f"\n== {label}: {len({r['id'] for r in rows})} pages ==")
    print(f"{'extractor':<22} {'F1':>6} {'prec':>6} {'recall':>6} {'acc':>6} {'<0.5':>5} "
          f"{'ms med':>7} {'ms p95':>7} {'ms/100KB':>8}")
    for name in names:
        mine = [r for r in rows if r["extractor"] == name]
        if not mine:
            continue
        summary = summarize(r["_score"] for r in mine)
        ms = [r["ms"] for r in mine]
        per_100kb = statistics.median(r["ms"] / max(r["size_kb"], 1) * 100 for r in mine)
        low = sum(r["f1"] < 0.5 for r in mine)
        print(f"{name:<22} {summary.f1:6.3f} {summary.precision:6.3f} {summary.recall:6.3f} {summary.accuracy:6.3f} "
              f"{low:5d} {statistics.median(ms):7.1f} {percentile(ms, 0.95):7.1f} {per_100kb:8.1f}")


def report_cost_by_size(rows: list[dict], names: list[str]) -> None:
    """Median ms per 100 KB by page-size bucket (flat or falling = at most linear cost),
    and a least-squares line ms = fixed + slope * size."""
    print("\n== cost vs page size: median ms per 100 KB by size bucket; fitted line ==")
    labels = [f"{lo}-{hi}KB" if hi < 10**9 else f">{lo}KB" for lo, hi in SIZE_BUCKETS_KB]
    header = "".join(f"{label:>13}" for label in labels)
    print(f"{'extractor':<22}{header}   fit: ms = a + b*(KB/100)")
    for name in names:
        mine = [r for r in rows if r["extractor"] == name]
        cells = []
        for lo, hi in SIZE_BUCKETS_KB:
            bucket = [r["ms"] / max(r["size_kb"], 1) * 100 for r in mine if lo <= r["size_kb"] < hi]
            cells.append(f"{statistics.median(bucket):7.1f} n={len(bucket):<3}" if bucket else f"{'-':>13}")
        fit = ""
        if len(mine) > 2:
            slope, intercept = statistics.linear_regression([r["size_kb"] / 100 for r in mine], [r["ms"] for r in mine])
            fit = f"   a={intercept:.1f} b={slope:.1f}"
        print(f"{name:<22}{''.join(cells)}{fit}")


def ablate(pages: list[dict]) -> None:
    """F1 per split with each news-cleanup rule left out in turn: what each rule pays."""
    from newscrawl.extraction import boilerplate

    docs = [(page, parse_document(decode_html(page["raw"]), page["url"])) for page in pages]

    def line(label: str) -> str:
        scores = [(page["id"], score_page(page["truth"], extract_body(doc).text)) for page, doc in docs]
        cells = []
        for split in ("dev", "holdout"):
            summary = summarize(score for page_id, score in scores if in_split(page_id, split))
            cells.append(f"{split} F1 {summary.f1:.4f} P {summary.precision:.4f} R {summary.recall:.4f}")
        return f"{label:<26} " + " | ".join(cells)

    print("\n== ablation: scores without each rule ==")
    print(line("all rules"))
    for rules in (boilerplate.TREE_RULES, boilerplate.BLOCK_RULES):
        for index, rule in enumerate(list(rules)):
            del rules[index]
            try:
                print(line(f"- {rule.__name__}"))
            finally:
                rules.insert(index, rule)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="per-page scores as JSONL")
    parser.add_argument("--split", choices=("all", "dev", "holdout"), default="all")
    parser.add_argument("--extractors", default=",".join(EXTRACTORS), help="comma-separated subset")
    parser.add_argument("--with-text", action="store_true", help="include predictions in --out")
    parser.add_argument("--ablate", action="store_true", help="also score newscrawl without each cleanup rule")
    args = parser.parse_args(argv)

    names = [n for n in args.extractors.split(",") if n]
    unknown = set(names) - set(EXTRACTORS)
    if unknown:
        parser.error(f"unknown extractors: {sorted(unknown)}")
    pages = load_dataset(args.dataset, args.split)
    run(pages[:3], names)  # warm-up: imports and lazy initialisation out of the timings
    rows = run(pages, names)

    report(rows, names, args.split)
    if args.split == "all":
        report([r for r in rows if not r["holdout"]], names, "dev")
        report([r for r in rows if r["holdout"]], names, "holdout")
    report_cost_by_size(rows, names)
    if args.out:
        with args.out.open("w", encoding="utf-8") as out:
            for row in rows:
                row = {k: v for k, v in row.items() if not k.startswith("_")}
                if not args.with_text:
                    row.pop("prediction")
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"\nper-page scores: {args.out}")
    if args.ablate:
        ablate(pages)


if __name__ == "__main__":
    main()
