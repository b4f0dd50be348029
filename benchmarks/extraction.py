"""Body and metadata extraction on both development sets, against trafilatura and readability, one run.

    python3 -m benchmarks.extraction SHINGLE_SET_DIR SNIPPET_SET_DIR [--out FILE.json] [--cache F] [--model F]

Per set, with the set's own metric (benchmarks/datasets.py, tests/extraction_metric.py):
- newscrawl: the body as the crawl stores it by default (rule-based; tuned on the shingle set);
- block model, in-sample: the shipped model file (or --model F), trained on all these pages;
- block model, grouped CV: each page scored by a model trained (threshold chosen by an
  inner CV) only on folds holding none of its site's pages (benchmarks/block_training.py);
- trafilatura 2.3.1 (its evaluation settings) and readability-lxml, untuned baselines.
On the snippet set also headline, authors and date next to trafilatura's, where annotated.
Time: median ms per page of the whole article (newscrawl.extract: parse, metadata, body),
with the rules and with the block model (-s EXTRACTION_BLOCK_MODEL=true), over trafilatura's
median in the same run, extractors alternating per page; model loading and imports are
excluded (a warm-up runs first).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

from benchmarks import block_training, datasets
from benchmarks.train_block_model import load_data
from newscrawl.extraction import blockmodel
from newscrawl.extraction.document import decode_html

HOLDOUT_PREFIXES = tuple("0123")


def run_newscrawl(html: str, url: str):
    from newscrawl.extraction import extract

    return extract(html, url)


def run_newscrawl_model(html: str, url: str, model: blockmodel.BlockModel):
    from newscrawl.extraction import extract_document, parse_document

    return extract_document(parse_document(html, url), block_model=model)


def run_trafilatura(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False, include_tables=True,
                               include_formatting=False) or ""


def run_trafilatura_metadata(html: str, url: str) -> dict:
    import trafilatura

    found = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    found = found.as_dict() if hasattr(found, "as_dict") else (found or {})
    return {"body": found.get("text") or "", "headline": found.get("title"), "date": found.get("date"),
            "authors": found.get("author")}


def run_readability(html: str, url: str) -> str:
    import lxml.html
    from readability import Document as ReadabilityDocument

    from newscrawl.extraction.text import element_text

    summary = ReadabilityDocument(html, url=url).summary(html_partial=True)
    return element_text(lxml.html.fragment_fromstring(summary, create_parent="div"))


TIMED = {
    "newscrawl": run_newscrawl,
    "trafilatura": run_trafilatura,
    "trafilatura+metadata": run_trafilatura_metadata,
    "readability": run_readability,
}


def run_all(pages: list[datasets.Page]) -> tuple[dict, dict]:
    """Outputs {name: {(dataset, id): output}} and times {name: [ms]}, extractors rotating per page."""
    names = list(TIMED)
    outputs = {name: {} for name in names}
    times = {name: [] for name in names}
    for index, page in enumerate(pages):
        html = decode_html(page.raw)
        for name in names[index % len(names):] + names[: index % len(names)]:
            start = time.perf_counter()
            try:
                result = TIMED[name](html, page.url)
            except Exception as error:  # a crashing extractor scores as empty
                print(f"{name} failed on {page.id}: {error!r}", file=sys.stderr)
                result = ""
            times[name].append((time.perf_counter() - start) * 1000)
            outputs[name][(page.dataset, page.id)] = result
    return outputs, times


def body_of(result) -> str:
    if isinstance(result, str):
        return result
    if isinstance(result, dict):
        return result.get("body", "")
    return result.article_body or ""


# --- metadata on the snippet set (same comparisons as the shared scorer) -------------------

def _norm(text) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text or "")).replace("\xad", "")).strip()


def _names(value) -> set[str]:
    if isinstance(value, (list, tuple)):
        value = "; ".join(map(str, value))
    return {x.strip().casefold() for x in re.split(r";|,| and | und ", value or "") if x.strip()}


def metadata_rates(pages: list[datasets.Page], ours: dict, theirs: dict) -> dict:
    rates = {}
    for field in ("title", "author", "date"):
        annotated = [p for p in pages if p.annotations.get(field)]
        hits = {"newscrawl": 0, "trafilatura": 0}
        for page in annotated:
            key, truth = (page.dataset, page.id), page.annotations[field]
            article = ours.get(key)
            mine = {"title": getattr(article, "headline", None), "author": getattr(article, "authors", None),
                    "date": str(getattr(article, "date_published", None) or "")}
            other = theirs.get(key) or {}
            other = {"title": other.get("headline"), "author": other.get("authors"), "date": other.get("date")}
            for name, got in (("newscrawl", mine[field]), ("trafilatura", other[field])):
                if field == "title":
                    hits[name] += _norm(got) == _norm(truth)
                elif field == "author":
                    hits[name] += _names(got) == _names(truth)
                else:
                    hits[name] += str(got or "")[:10] == truth[:10]
        rates[field] = {name: hit / len(annotated) for name, hit in hits.items()} | {"pages": len(annotated)}
    return rates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+", help="the shingle set and the snippet set")
    parser.add_argument("--out", type=Path, help="figures as JSON")
    parser.add_argument("--cache", type=Path, help="pickle of the featurized pages (speeds up reruns)")
    parser.add_argument("--model", type=Path, default=blockmodel.MODEL_PATH,
                        help="the model file of the newscrawl+model row (default: the shipped one)")
    args = parser.parse_args(argv)

    pages = [page for directory in args.datasets for page in datasets.load(directory)]
    # The whole article with the block model (trained on all pages: in-sample), for its cost.
    model = blockmodel.BlockModel.load(args.model)
    TIMED["newscrawl+model"] = functools.partial(run_newscrawl_model, model=model)
    run_all(pages[:5])  # warm-up: imports, model loading, lazy initialisation out of the timings
    outputs, times = run_all(pages)

    data = load_data(args.datasets, args.cache)
    cv_bodies, thresholds = block_training.cross_validated_bodies(data, blockmodel.feature_names())

    figures = {"sets": {}, "thresholds": thresholds}
    print(f"\n{len(pages)} pages; block model folds grouped by host ({block_training.FOLDS} folds), "
          f"thresholds chosen in the folds: {thresholds}")
    for dataset in dict.fromkeys(p.dataset for p in pages):
        mine = [p for p in pages if p.dataset == dataset]
        rows = {
            "newscrawl (rules, as shipped)": {p.id: body_of(outputs["newscrawl"][(dataset, p.id)]) for p in mine},
            "block model (grouped CV)": {p.id: cv_bodies[(dataset, p.id)] for p in mine},
            "trafilatura": {p.id: outputs["trafilatura"][(dataset, p.id)] for p in mine},
            "readability": {p.id: outputs["readability"][(dataset, p.id)] for p in mine},
        }
        rows["block model (in-sample)"] = {p.id: body_of(outputs["newscrawl+model"][(dataset, p.id)]) for p in mine}
        print(f"\n== {dataset}: {len(mine)} pages, {len({p.host for p in mine})} hosts ==")
        print(f"{'extractor':<28} {'F1':>6} {'prec':>6} {'recall':>6}")
        figures["sets"][dataset] = {}
        for name, predictions in rows.items():
            score = datasets.set_score(mine, predictions)
            figures["sets"][dataset][name] = score
            print(f"{name:<28} {score['f1']:6.3f} {score['precision']:6.3f} {score['recall']:6.3f}")
        if datasets.is_shingle_set(mine):
            # Pages whose id starts with 0-3 were kept out when the rules were tuned.
            holdout = [p for p in mine if p.id.startswith(HOLDOUT_PREFIXES)]
            print(f"-- hold-out part ({len(holdout)} pages, ids 0-3: no rule tuned on them)")
            for name, predictions in rows.items():
                score = datasets.set_score(holdout, predictions)
                figures["sets"][dataset][f"{name} [hold-out]"] = score
                print(f"{name:<28} {score['f1']:6.3f} {score['precision']:6.3f} {score['recall']:6.3f}")
        else:
            rates = metadata_rates(mine, outputs["newscrawl"], outputs["trafilatura+metadata"])
            figures["sets"][dataset]["metadata"] = rates
            print("metadata where annotated: " + "; ".join(
                f"{field} ({r['pages']} pages) newscrawl {r['newscrawl']:.3f} trafilatura {r['trafilatura']:.3f}"
                for field, r in rates.items()))

    medians = {name: statistics.median(ms) for name, ms in times.items()}
    figures["median_ms"] = medians
    print("\n== time per page, both sets (median ms) ==")
    for name, ms in medians.items():
        print(f"{name:<22} {ms:7.1f}  = {ms / medians['trafilatura']:.2f}x trafilatura")
    for name in (n for n in medians if n.startswith("newscrawl")):
        print(f"whole article ({name}) / trafilatura.extract: {medians[name] / medians['trafilatura']:.2f}x;"
              f" / trafilatura with metadata: {medians[name] / medians['trafilatura+metadata']:.2f}x")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
