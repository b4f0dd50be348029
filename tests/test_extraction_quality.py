"""Quality gates: body extraction on committed samples of both development sets.

tests/extraction_gate.py holds the gate (figures recorded per page, floors = record less
noise); here it must pass, for the rules and for the shipped block model, and leaving out any
single cleanup rule that acts on the development sets, or any of the model's main features
that matters, must make it fail, so no rule or feature that matters can be lost unnoticed.
A main feature matters when leaving it out costs at least MATTERS F1 on either whole
development set, as benchmarks/train_block_model.py measured and recorded next to the model.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy
import pytest

from newscrawl.extraction import blockmodel, boilerplate
from tests import extraction_gate as gate
from tests.extraction_metric import score_page, summarize

# Rules that change no page of either development set; each has its own test instead.
GUARDED_ELSEWHERE = {
    "join_drop_caps": "test_body_robustness.py::test_drop_cap_is_joined_to_its_paragraph",
    "drop_repeated_lead": "test_body_robustness.py::test_standfirst_repeated_by_the_body_is_removed",
}
RULES = [(rules, rule.__name__) for rules in (boilerplate.TREE_RULES, boilerplate.BLOCK_RULES) for rule in rules]
FEATURE_EFFECTS = Path(__file__).parent / "fixtures" / "block-model-feature-effects.json"
MATTERS = 0.001  # F1 lost on a whole development set when a feature is left out; less is noise


def feature_effects() -> dict:
    return json.loads(FEATURE_EFFECTS.read_text(encoding="utf-8"))


def features_that_matter() -> list[str]:
    return [name for name, effect in feature_effects()["features"].items() if min(effect.values()) <= -MATTERS]


class _WithoutFeature:
    """The model's booster, with one feature missing (NaN) from every block it scores."""

    def __init__(self, booster, column: int) -> None:
        self.booster, self.column = booster, column

    def predict(self, features, **options):
        features = features.copy()
        features[:, self.column] = numpy.nan
        return self.booster.predict(features, **options)


@pytest.fixture(scope="module")
def shingle_scores():
    return gate.shingle_scores()


def test_samples_are_complete():
    shingles, snippets = gate.shingle_truth(), gate.snippet_truth()
    assert len(shingles) >= 30 and len(snippets) >= 30
    assert all((gate.SHINGLE_SAMPLE / "html" / f"{page_id}.html.gz").exists() for page_id in shingles)
    assert all((gate.SNIPPET_SAMPLE / "html" / f"{page_id}.html.gz").exists() for page_id in snippets)
    for extractor in ("rules", "block_model"):
        recorded = gate.record(extractor)
        assert set(recorded["shingle_pages"]) == set(shingles) and set(recorded["snippet_pages"]) == set(snippets)


def test_gate_passes(shingle_scores):
    assert gate.gate_failures(shingles=shingle_scores) == []


def test_gate_is_not_trivially_met(shingle_scores):
    # The record holds real figures: an empty extractor would fail every page.
    assert summarize(shingle_scores.values()).f1 > 0.95
    assert gate.gate_failures(shingles={k: score_page("a b c d e", "") for k in shingle_scores},
                              snippets={k: gate.score_snippets(v["with"], [], "")
                                        for k, v in gate.snippet_truth().items()})


@pytest.mark.parametrize("rules, name", RULES, ids=[name for _, name in RULES])
def test_leaving_out_a_cleanup_rule_fails_the_gate(rules, name):
    if name in GUARDED_ELSEWHERE:
        pytest.skip(f"acts on no development-set page; guarded by {GUARDED_ELSEWHERE[name]}")
    index = [rule.__name__ for rule in rules].index(name)
    rule = rules.pop(index)
    try:
        failures = gate.gate_failures()
    finally:
        rules.insert(index, rule)
    assert failures, f"the gate does not notice {name} missing"


def test_block_model_gate_passes():
    assert gate.gate_failures(model=blockmodel.shipped_model()) == []


def test_the_main_features_are_most_of_the_model():
    features = blockmodel.shipped_model().main_features()
    assert 5 <= len(features) < len(blockmodel.feature_names()) / 4
    assert "rules_kept" in features and "log_chars" in features


def test_the_recorded_feature_effects_are_of_the_shipped_model_and_its_main_features():
    shipped = gzip.decompress(blockmodel.MODEL_PATH.read_bytes())
    effects = feature_effects()
    assert effects["model_sha256"] == hashlib.sha256(shipped).hexdigest(), \
        "block-model-feature-effects.json is of another model: rerun benchmarks.train_block_model"
    assert list(effects["features"]) == blockmodel.shipped_model().main_features()
    assert 10 <= len(features_that_matter()) < len(effects["features"])


@pytest.mark.parametrize("feature", features_that_matter())
def test_leaving_out_a_main_model_feature_fails_the_gate(feature):
    model = blockmodel.shipped_model()
    without = blockmodel.BlockModel(_WithoutFeature(model.booster, model.names.index(feature)),
                                    model.names, model.threshold)
    assert gate.gate_failures(model=without), f"the gate does not notice the model without {feature}"


def test_bodies_are_one_paragraph_per_line():
    page_id = sorted(gate.shingle_truth())[0]
    lines = gate.body(gate.SHINGLE_SAMPLE, page_id, gate.shingle_truth()[page_id]["url"]).split("\n")
    assert len(lines) > 3
    assert all(line == line.strip() and line for line in lines)


# --- the metric itself (same rules as upstream evaluate.py) ---------------------------------

def test_metric_identical_texts():
    score = score_page("One two three four five.", "One two, three four five")
    assert (score.precision, score.recall, score.f1, score.exact) == (1.0, 1.0, 1.0, True)


def test_metric_empty_prediction_counts_as_zero_recall_and_is_left_out_of_precision():
    perfect = score_page("a b c d e", "a b c d e")
    empty = score_page("a b c d e", "")
    assert empty.recall == 0.0 and empty.precision is None
    summary = summarize([perfect, empty])
    assert summary.precision == 1.0 and summary.recall == 0.5
    assert round(summary.f1, 4) == round(2 * 1.0 * 0.5 / 1.5, 4)


def test_metric_counts_repeated_shingles_and_short_texts():
    # 4-word shingles as a multiset: the repeated sentence counts twice.
    twice = score_page("w x y z", "w x y z w x y z")
    assert twice.precision < 1.0 and twice.recall == 1.0
    # Fewer than four tokens form one short shingle.
    assert score_page("hello world", "hello world").f1 == 1.0
    assert score_page("hello world", "hello there").f1 == 0.0
