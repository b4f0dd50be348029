"""Quality gate over the committed samples of both development sets (tests/fixtures).

``gate_failures()`` scores today's body extractor on both samples against the figures
recorded in fixtures/extraction-gate-scores.json and names every check that fails; the
gate tests and the rule- and feature-ablation checks share it. There are two records: the
rules (the default body) and the shipped block model (``gate_failures(model=...)``; in-sample,
since the model was trained on all development pages, so it guards the code, not generalization).
Extraction is deterministic, so "noise" is only rounding and pinned-library drift; a drop beyond
it fails:
- shingle sample (40 pages, page-averaged): mean F1, precision or recall more than 0.003
  below the record (one page losing a tenth of its text), or any page more than 0.002 below;
- snippet sample (40 pages, micro-averaged): any page losing a with-snippet or gaining a
  without-snippet.
After a deliberate change, re-record with ``python3 -m tests.extraction_gate --record``
and say why in the commit.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from newscrawl.extraction.blockmodel import BlockModel, shipped_model
from newscrawl.extraction.body import extract_body
from newscrawl.extraction.document import parse_document
from tests.extraction_metric import score_page, score_snippets, summarize  # noqa: F401 (score_snippets for tests)

FIXTURES = Path(__file__).parent / "fixtures"
SHINGLE_SAMPLE = FIXTURES / "extraction-sample"
SNIPPET_SAMPLE = FIXTURES / "extraction-sample-snippets"
RECORD = FIXTURES / "extraction-gate-scores.json"
MEAN_TOLERANCE = 0.003
PAGE_TOLERANCE = 0.002


def _page(directory: Path, page_id: str) -> bytes:
    return gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())


def shingle_truth() -> dict:
    return json.loads((SHINGLE_SAMPLE / "ground-truth.json").read_text(encoding="utf-8"))


def snippet_truth() -> dict:
    return json.loads((SNIPPET_SAMPLE / "evaldata.json").read_text(encoding="utf-8"))


def body(directory: Path, page_id: str, url: str, model: BlockModel | None = None) -> str:
    return extract_body(parse_document(_page(directory, page_id), url), model=model).text


def shingle_scores(model: BlockModel | None = None) -> dict:
    return {page_id: score_page(item["articleBody"], body(SHINGLE_SAMPLE, page_id, item["url"], model))
            for page_id, item in shingle_truth().items()}


def snippet_counts(model: BlockModel | None = None) -> dict:
    return {page_id: score_snippets(item["with"], item["without"], body(SNIPPET_SAMPLE, page_id, item["url"], model))
            for page_id, item in snippet_truth().items()}


def record(extractor: str = "rules") -> dict:
    """The recorded figures of "rules" or "block_model"."""
    return json.loads(RECORD.read_text(encoding="utf-8"))[extractor]


def gate_failures(shingles: dict | None = None, snippets: dict | None = None,
                  model: BlockModel | None = None) -> list[str]:
    """Every failed check, as text; [] when the extractor (the rules, or the block ``model``)
    passes the gate."""
    shingles = shingle_scores(model) if shingles is None else shingles
    snippets = snippet_counts(model) if snippets is None else snippets
    recorded = record("rules" if model is None else "block_model")
    failures = []
    summary = summarize(shingles.values())
    for name in ("f1", "precision", "recall"):
        value, floor = getattr(summary, name), recorded["shingle_mean"][name] - MEAN_TOLERANCE
        if value < floor:
            failures.append(f"shingle sample mean {name} {value:.4f} < {floor:.4f}")
    for page_id, score in sorted(shingles.items()):
        floor = recorded["shingle_pages"][page_id] - PAGE_TOLERANCE
        if score.f1 < floor:
            failures.append(f"shingle page {page_id[:12]} F1 {score.f1:.4f} < {floor:.4f}")
    for page_id, counts in sorted(snippets.items()):
        found, boilerplate = recorded["snippet_pages"][page_id]
        if counts.tp < found:
            failures.append(f"snippet page {page_id}: {counts.tp} with-snippets found, recorded {found}")
        if counts.fp > boilerplate:
            failures.append(f"snippet page {page_id}: {counts.fp} without-snippets found, recorded {boilerplate}")
    return failures


def _figures(model: BlockModel | None) -> dict:
    shingles, snippets = shingle_scores(model), snippet_counts(model)
    summary = summarize(shingles.values())
    return {
        "shingle_mean": {name: round(getattr(summary, name), 4) for name in ("f1", "precision", "recall")},
        "shingle_pages": {page_id: round(score.f1, 4) for page_id, score in sorted(shingles.items())},
        "snippet_pages": {page_id: [c.tp, c.fp] for page_id, c in sorted(snippets.items())},
    }


def write_record() -> None:
    data = {"rules": _figures(None), "block_model": _figures(shipped_model())}
    RECORD.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    for name, figures in data.items():
        print(f"recorded {RECORD} ({name}): shingle sample {figures['shingle_mean']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="write today's figures as the gate")
    if parser.parse_args().record:
        write_record()
    else:
        for extractor, model in (("rules", None), ("block model", shipped_model())):
            print(f"{extractor}: " + ("\n".join(gate_failures(model=model)) or "gate passes"))
