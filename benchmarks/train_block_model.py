"""Train the block model on both development sets and write the shipped newscrawl/extraction/block_model.txt.gz.

    python3 -m benchmarks.train_block_model SHINGLE_SET_DIR SNIPPET_SET_DIR [--cv] [--out FILE]

--cv also prints the site-grouped cross-validated F1 of the model next to the rule-based
body on each set (the same figures benchmarks/extraction.py reports). Reproducible:
fixed seed, deterministic LightGBM, pages and folds in a fixed order.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

from benchmarks import block_training, datasets
from newscrawl.extraction import blockmodel


def load_data(directories: list[Path], cache: Path | None = None) -> list[block_training.PageData]:
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    names = blockmodel.feature_names()
    data = []
    for directory in directories:
        for page in datasets.load(directory):
            data.append(block_training.featurize(page, names))
    if cache:
        cache.write_bytes(pickle.dumps(data))
    return data


def report_cv(data: list[block_training.PageData], names: list[str]) -> None:
    bodies, thresholds = block_training.cross_validated_bodies(data, names)
    print(f"thresholds chosen in the folds: {thresholds}")
    for dataset in sorted({d.page.dataset for d in data}):
        items = [d for d in data if d.page.dataset == dataset]
        pages = [d.page for d in items]
        model = datasets.set_score(pages, {d.page.id: bodies[(dataset, d.page.id)] for d in items})
        rules = datasets.set_score(pages, {d.page.id: d.rules_body for d in items})
        print(f"{dataset:<20} block model (grouped CV) F1 {model['f1']:.4f} P {model['precision']:.4f} "
              f"R {model['recall']:.4f} | rules F1 {rules['f1']:.4f} P {rules['precision']:.4f} R {rules['recall']:.4f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=blockmodel.MODEL_PATH)
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--cache", type=Path, help="pickle of the featurized pages (speeds up reruns)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = load_data(args.datasets, args.cache)
    names = blockmodel.feature_names()
    print(f"{len(data)} pages, {sum(len(d.texts) for d in data)} blocks, {len(names)} features "
          f"({time.perf_counter() - start:.0f} s)")
    if args.cv:
        report_cv(data, names)
    if not args.no_write:
        threshold = block_training.choose_threshold(data, names, block_training.FOLDS)
        model = block_training.train(data, names)
        blockmodel.write_model(args.out, model.model_to_string(), threshold)
        print(f"model written: {args.out} ({args.out.stat().st_size / 1024:.0f} KB), threshold {threshold}")


if __name__ == "__main__":
    main()
