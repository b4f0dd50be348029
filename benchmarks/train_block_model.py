"""Train the block model on both development sets and write the shipped newscrawl/extraction/block_model.txt.gz.

    python3 -m benchmarks.train_block_model SHINGLE_SET_DIR SNIPPET_SET_DIR [--cv] [--out FILE]

--cv also prints the site-grouped cross-validated F1 of the model next to the rule-based
body on each set (the same figures benchmarks/extraction.py reports). Reproducible:
fixed seed, deterministic LightGBM, pages and folds in a fixed order. --check trains without
writing and exits 1 unless the result is the shipped file, byte for byte (run it after any
change to the extraction code: the features come from it).

Next to the model it writes tests/fixtures/block-model-feature-effects.json: for each of the
model's main features (the fewest carrying 90% of its gain), how much each set's F1 changes when
the feature is missing. The quality gate's tests read it to know which features matter.

--cache keeps the featurized pages between runs. It is rebuilt when the code featurizing runs, the
datasets' paths or the versions of the libraries that shape the features change: a model
trained from stale features would not be the one this code trains.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata
import json
import pickle
import sys
import time
from pathlib import Path

from benchmarks import block_training, datasets
from newscrawl.extraction import blockmodel


_FEATURE_LIBRARIES = ("trafilatura", "lxml", "justext", "htmldate")
_PROJECT = Path(__file__).resolve().parent.parent
# The code featurizing runs: extraction and text normalization, labelling, the datasets' reader, the metric.
EFFECTS_PATH = _PROJECT / "tests" / "fixtures" / "block-model-feature-effects.json"
_FEATURE_CODE = (*sorted((_PROJECT / "newscrawl").rglob("*.py")), *sorted((_PROJECT / "benchmarks").rglob("*.py")),
                 _PROJECT / "tests" / "extraction_metric.py")


def features_fingerprint(directories: list[Path]) -> str:
    """What the featurized pages depend on: the code, the datasets and the libraries."""
    digest = hashlib.sha256()
    for source in _FEATURE_CODE:
        digest.update(source.relative_to(_PROJECT).as_posix().encode() + source.read_bytes())
    for directory in directories:
        digest.update(str(directory.resolve()).encode())
    for library in _FEATURE_LIBRARIES:
        digest.update(f"{library}=={importlib.metadata.version(library)}".encode())
    return digest.hexdigest()


def load_data(directories: list[Path], cache: Path | None = None) -> list[block_training.PageData]:
    fingerprint = features_fingerprint(directories)
    if cache and cache.exists():
        kept = pickle.loads(cache.read_bytes())
        if isinstance(kept, dict) and kept.get("fingerprint") == fingerprint:
            return kept["data"]
        print(f"{cache}: made by other code, datasets or libraries; featurizing again", file=sys.stderr)
    names = blockmodel.feature_names()
    data = []
    for directory in directories:
        for page in datasets.load(directory):
            data.append(block_training.featurize(page, names))
    if cache:
        cache.write_bytes(pickle.dumps({"fingerprint": fingerprint, "data": data}))
    return data


def report_cv(data: list[block_training.PageData], names: list[str]) -> None:
    bodies, thresholds = block_training.cross_validated_bodies(data, names)
    print(f"thresholds chosen in the folds: {thresholds}")
    rules_scores = block_training.scores_by_set(data, {(d.page.dataset, d.page.id): d.rules_body for d in data})
    for dataset, model in block_training.scores_by_set(data, bodies).items():
        rules = rules_scores[dataset]
        print(f"{dataset:<20} block model (grouped CV) F1 {model['f1']:.4f} P {model['precision']:.4f} "
              f"R {model['recall']:.4f} | rules F1 {rules['f1']:.4f} P {rules['precision']:.4f} R {rules['recall']:.4f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=blockmodel.MODEL_PATH)
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless training reproduces the shipped model file exactly")
    parser.add_argument("--cache", type=Path, help="pickle of the featurized pages (speeds up reruns)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = load_data(args.datasets, args.cache)
    names = blockmodel.feature_names()
    print(f"{len(data)} pages, {sum(len(d.texts) for d in data)} blocks, {len(names)} features "
          f"({time.perf_counter() - start:.0f} s)")
    if args.cv:
        report_cv(data, names)
    if args.no_write and not args.check:
        return
    threshold = block_training.choose_threshold(data, names, block_training.FOLDS)
    model = block_training.train(data, names)
    model_string = model.model_to_string()
    shipped = args.check or args.out.resolve() == blockmodel.MODEL_PATH.resolve()
    # The effects file belongs to the shipped model only.
    effects = feature_effects(data, blockmodel.BlockModel(model, names, threshold),
                              blockmodel.model_file_text(model_string, threshold)) if shipped else None
    if args.check:
        sys.exit(_check(blockmodel.model_file_text(model_string, threshold), effects))
    blockmodel.write_model(args.out, model_string, threshold)
    print(f"model written: {args.out} ({args.out.stat().st_size / 1024:.0f} KB), threshold {threshold}")
    if effects is not None:
        EFFECTS_PATH.write_text(json.dumps(effects, indent=1) + "\n", encoding="utf-8")
        print(f"feature effects written: {EFFECTS_PATH}")


def feature_effects(data: list[block_training.PageData], model: blockmodel.BlockModel, text: str) -> dict:
    """The effects file's content, tied to the model file by its text's SHA-256."""
    return {"model_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "features": block_training.blanking_effects(data, model, model.main_features())}


def _check(text: str, effects: dict) -> int:
    shipped = gzip.decompress(blockmodel.MODEL_PATH.read_bytes()).decode("utf-8")
    same_model = text == shipped
    same_effects = EFFECTS_PATH.exists() and json.loads(EFFECTS_PATH.read_text(encoding="utf-8")) == effects
    print(f"{blockmodel.MODEL_PATH}: {'reproduced exactly' if same_model else 'NOT what this code trains: retrain it'}")
    print(f"{EFFECTS_PATH}: {'reproduced exactly' if same_effects else 'NOT what this code measures: retrain'}")
    return 0 if same_model and same_effects else 1


if __name__ == "__main__":
    main()
