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
from newscrawl.extraction.text import blocks
from tests.extraction_gate import SHINGLE_SAMPLE
from tests.extraction_metric import score_page, summarize


def test_segment_cuts_the_page_as_the_text_blocks_do():
    html = ("<html><body><div class='article-body'><h2>Title</h2><p>One <a href='/x'>linked words</a> here.</p>"
            "<p>Two<br>lines</p></div><ul class='related'><li><a href='/y'>Other story</a></li></ul></body></html>")
    tree = lxml.html.fromstring(html)
    found = blockmodel.segment(tree)
    assert [(b.kind, b.text) for b in found] == [(b.kind, b.text) for b in blocks(tree)]
    linked = found[1]
    assert linked.features["link_density"] == pytest.approx(len("linked words") / len(linked.text))
    assert linked.features["class_article"] == 1.0 and linked.features["class_related"] == 0.0
    assert found[-1].features["class_related"] == 1.0 and found[-1].features["in_li"] == 1.0


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
