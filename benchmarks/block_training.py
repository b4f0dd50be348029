"""Training data, training and site-grouped cross-validation for the block model.

Each page is cut into blocks with the crawl's own code (body.general_candidates), so
training sees exactly the features a crawl computes. Labels:
- shingle set: a block is body when most of its word 4-grams are in the true article
  body (a block under four words: when its words occur in that order in the body);
- snippet set: a block holding a ``with`` snippet (or held by one) is body, one holding a
  ``without`` snippet is not; other blocks carry no label and are left out.
Folds group pages by host across both sets, so no site is scored by a model fitted on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy

from benchmarks import datasets
from benchmarks.datasets import Page
from newscrawl.extraction import blockmodel, boilerplate
from newscrawl.extraction.body import general_candidates
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.headlines import headline_candidates
from newscrawl.extraction.metadata import extract_metadata
from newscrawl.extraction.text import Block
from tests.extraction_metric import collapse

SEED = 20260
FOLDS = 5
SNIPPET_WEIGHT = 5.0  # a snippet page has few labelled blocks; this balances the two sets
PARAMS = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 20,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
    "seed": SEED, "deterministic": True, "force_col_wise": True, "num_threads": 2, "verbose": -1,
}
ROUNDS = 200
THRESHOLDS = (0.4, 0.5, 0.6, 0.7)  # chosen per training set by an inner grouped CV
_WORD = re.compile(r"\w+")


@dataclass
class PageData:
    page: Page
    texts: list[str]
    kinds: list[str]
    features: numpy.ndarray  # blocks x features
    labels: numpy.ndarray  # 1, 0, or NaN (no label)
    headlines: list[str]
    rules_body: str


def featurize(page: Page, names: list[str]) -> PageData:
    doc = parse_document(page.raw, page.url)
    headline = extract_metadata(doc).get("headline") if doc.tree is not None else None
    headlines = headline_candidates(doc.tree, headline)
    if doc.tree is None:
        texts, kinds, matrix, rules = [], [], numpy.zeros((0, len(names)), dtype=numpy.float32), []
    else:
        segmented, candidates = general_candidates(doc, None, headlines, with_page_blocks=True)
        rules = candidates["rules"]
        texts, kinds = [b.text for b in segmented.blocks], [b.kind for b in segmented.blocks]
        matrix = segmented.features[:, blockmodel.feature_columns(names)].astype(numpy.float32)
    return PageData(page, texts, kinds, matrix, label_blocks(page, texts), headlines,
                    "\n".join(b.text for b in rules))


def label_blocks(page: Page, texts: list[str]) -> numpy.ndarray:
    labels = numpy.full(len(texts), numpy.nan, dtype=numpy.float32)
    if page.truth is not None:
        truth_tokens = _WORD.findall(page.truth)
        grams = {tuple(truth_tokens[i:i + 4]) for i in range(max(1, len(truth_tokens) - 3))}
        joined = " " + " ".join(truth_tokens) + " "
        for index, text in enumerate(texts):
            tokens = _WORD.findall(text)
            if not tokens:
                continue
            if len(tokens) < 4:
                labels[index] = float(f" {' '.join(tokens)} " in joined)
            else:
                mine = [tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)]
                labels[index] = float(sum(g in grams for g in mine) >= 0.5 * len(mine))
        return labels
    wanted = [collapse(s) for s in page.with_snippets if collapse(s)]
    unwanted = [collapse(s) for s in page.without_snippets if collapse(s)]
    for index, text in enumerate(texts):
        text = collapse(text)
        if any(s in text for s in unwanted) or (len(text) >= 25 and any(text in s for s in unwanted)):
            labels[index] = 0.0
        elif any(s in text for s in wanted) or (len(text) >= 25 and any(text in s for s in wanted)):
            labels[index] = 1.0
    return labels


def train(data: list[PageData], names: list[str]):
    import lightgbm

    rows, labels, weights = [], [], []
    for item in data:
        known = ~numpy.isnan(item.labels)
        if not known.any():
            continue
        rows.append(item.features[known])
        labels.append(item.labels[known])
        weight = 1.0 if item.page.truth is not None else SNIPPET_WEIGHT
        weights.append(numpy.full(int(known.sum()), weight, dtype=numpy.float32))
    dataset = lightgbm.Dataset(numpy.vstack(rows), numpy.concatenate(labels), weight=numpy.concatenate(weights),
                               feature_name=names, free_raw_data=True)
    return lightgbm.train(PARAMS, dataset, num_boost_round=ROUNDS)


def body_from_probabilities(item: PageData, probabilities, threshold: float = blockmodel.THRESHOLD) -> str:
    chosen = [Block(kind, text) for kind, text, p in zip(item.kinds, item.texts, probabilities) if p >= threshold]
    return "\n".join(b.text for b in boilerplate.clean_blocks(chosen, item.headlines))


def host_folds(data: list[PageData], folds: int = FOLDS) -> list[int]:
    """Fold of each page: hosts sorted by page count, dealt round-robin (deterministic)."""
    counts: dict[str, int] = {}
    for item in data:
        counts[item.page.host] = counts.get(item.page.host, 0) + 1
    order = sorted(counts, key=lambda host: (-counts[host], host))
    fold_of_host = {host: index % folds for index, host in enumerate(order)}
    return [fold_of_host[item.page.host] for item in data]


def _probabilities(model, item: PageData, missing: int | None = None):
    """Body probability of each block of ``item``; with the feature in column ``missing`` unknown (NaN)."""
    if not len(item.texts):
        return []
    features = item.features
    if missing is not None:
        features = features.copy()
        features[:, missing] = numpy.nan
    return model.predict(features)


def scores_by_set(data: list[PageData], bodies: dict) -> dict[str, dict]:
    """{dataset: its set_score} of ``bodies`` ({(dataset, page id): body})."""
    scores = {}
    for dataset in sorted({d.page.dataset for d in data}):
        pages = [d.page for d in data if d.page.dataset == dataset]
        scores[dataset] = datasets.set_score(pages, {page.id: bodies[(dataset, page.id)] for page in pages})
    return scores


def choose_threshold(data: list[PageData], names: list[str], folds: int = FOLDS - 1) -> float:
    """The threshold with the best mean F1 over the sets in a grouped CV inside ``data``."""
    fold_of = host_folds(data, folds)
    probabilities = {}
    for fold in range(folds):
        model = train([d for d, f in zip(data, fold_of) if f != fold], names)
        for item, item_fold in zip(data, fold_of):
            if item_fold == fold:
                probabilities[id(item)] = _probabilities(model, item)

    def mean_f1(threshold: float) -> float:
        bodies = {(d.page.dataset, d.page.id): body_from_probabilities(d, probabilities[id(d)], threshold)
                  for d in data}
        scores = [score["f1"] for score in scores_by_set(data, bodies).values()]
        return sum(scores) / len(scores)

    return max(THRESHOLDS, key=lambda t: (mean_f1(t), -abs(t - blockmodel.THRESHOLD)))


def blanking_effects(data: list[PageData], model: blockmodel.BlockModel, features: list[str]) -> dict:
    """{feature: {dataset: F1 change}}: how each set's F1 (in-sample) changes when ``model``
    scores every block with that feature missing (NaN), as LightGBM treats an unknown value."""
    def f1_by_set(missing: int | None) -> dict[str, float]:
        bodies = {(item.page.dataset, item.page.id): body_from_probabilities(
            item, _probabilities(model.booster, item, missing), model.threshold) for item in data}
        return {dataset: score["f1"] for dataset, score in scores_by_set(data, bodies).items()}

    base = f1_by_set(None)
    effects = {}
    for feature in features:
        blanked = f1_by_set(model.names.index(feature))
        effects[feature] = {dataset: round(blanked[dataset] - base[dataset], 4) for dataset in base}
    return effects


def cross_validated_bodies(data: list[PageData], names: list[str], folds: int = FOLDS) -> tuple[dict, list]:
    """{(dataset, page id): body} where each page's body comes from a model trained, and
    its threshold chosen (by an inner grouped CV), on the other folds only: no host of the
    page's fold is in its training data. Also the threshold chosen in each fold."""
    fold_of = host_folds(data, folds)
    bodies, thresholds = {}, []
    for fold in range(folds):
        training = [d for d, f in zip(data, fold_of) if f != fold]
        threshold = choose_threshold(training, names)
        thresholds.append(threshold)
        model = train(training, names)
        for item, item_fold in zip(data, fold_of):
            if item_fold == fold:
                bodies[(item.page.dataset, item.page.id)] = body_from_probabilities(
                    item, _probabilities(model, item), threshold)
    return bodies, thresholds
