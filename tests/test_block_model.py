"""The block model's code path: segmentation, features, training, the model file, selection.

Trains a small model on part of the committed shingle sample and checks it on the rest, so the
code a crawl would run with a model file (newscrawl/extraction/blockmodel.py) is exercised.
"""

from __future__ import annotations

import lxml.html
import pytest

from benchmarks import block_training, datasets
from newscrawl.extraction import blockmodel, body
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.text import Block, blocks
from tests.extraction_gate import SHINGLE_SAMPLE
from tests.extraction_metric import score_page, summarize


def test_segment_cuts_the_page_as_the_text_blocks_do():
    html = ("<html><body><div class='article-body'><h2>Title</h2><p>One <a href='/x'>linked words</a> here.</p>"
            "<p>Two<br>lines</p></div><ul class='related'><li><a href='/y'>Other story</a></li></ul></body></html>")
    tree = lxml.html.fromstring(html)
    page = blockmodel.segment(tree)
    assert [(b.kind, b.text) for b in page.blocks] == [(b.kind, b.text) for b in blocks(tree)]
    linked = page.blocks[1]
    assert page.column("link_density")[1] == pytest.approx(len("linked words") / len(linked.text))
    assert page.column("class_article")[1] == 1.0 and page.column("class_related")[1] == 0.0
    assert page.column("class_related")[-1] == 1.0 and page.column("in_li")[-1] == 1.0
    assert page.column("parent_blocks")[0] == 4  # h2, one <p> and the two lines of the other


def test_candidate_features_mark_the_blocks_each_extractor_kept():
    tree = lxml.html.fromstring("<html><body><p>First paragraph of the story.</p><p>Second one.</p>"
                                "<p>Footer text</p></body></html>")
    page = blockmodel.segment(tree)
    kept = [Block("paragraph", "First paragraph of the story."), Block("paragraph", "Second one.")]
    blockmodel.add_candidate_features(page, {"trafilatura": kept, "readability": None, "rules": kept[:1]})
    assert list(page.column("trafilatura_kept")) == [1.0, 1.0, 0.0]
    assert list(page.column("rules_kept")) == [1.0, 0.0, 0.0]
    assert list(page.column("next1_trafilatura_kept")) == [1.0, 0.0, -1.0]
    assert all(value != value for value in page.column("readability_kept"))  # not run: NaN


def test_a_model_file_asking_for_unknown_features_is_refused():
    with pytest.raises(ValueError, match="no_such_feature"):
        blockmodel.BlockModel(booster=None, names=["log_chars", "no_such_feature"])


@pytest.fixture(scope="module")
def sample():
    names = blockmodel.feature_names()
    return names, [block_training.featurize(page, names) for page in datasets.load(SHINGLE_SAMPLE)]


def test_model_trained_on_some_sites_finds_bodies_on_others(sample, tmp_path, monkeypatch):
    names, data = sample
    folds = block_training.host_folds(data, 2)
    model = block_training.train([d for d, f in zip(data, folds) if f == 0], names)
    path = tmp_path / "model.txt.gz"
    blockmodel.write_model(path, model.model_to_string(), 0.5)
    loaded = blockmodel.BlockModel.load(path)
    assert loaded.names == names and loaded.threshold == 0.5

    monkeypatch.setattr(body, "USE_BLOCK_MODEL", True)
    monkeypatch.setattr(blockmodel, "default_model", lambda: loaded)
    unseen = [d.page for d, f in zip(data, folds) if f == 1]
    scores = [score_page(p.truth, body.extract_body(parse_document(p.raw, p.url)).text) for p in unseen]
    assert len(unseen) >= 10
    assert summarize(scores).f1 > 0.9  # a working model on sites it never saw; an empty one scores 0


def test_labels_follow_the_ground_truth(sample):
    _, data = sample
    item = data[0]
    kept = [text for text, label in zip(item.texts, item.labels) if label == 1]
    assert score_page(item.page.truth, "\n".join(kept)).f1 > 0.95
