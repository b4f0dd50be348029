"""The block model: segmentation, features, training, the model file, selection, and crawls with
-s EXTRACTION_BLOCK_MODEL=true.

Trains a small model on part of the committed shingle sample and checks it on the rest, so the
training code and the code a crawl runs (newscrawl/extraction/blockmodel.py) are exercised; the
shipped model file is checked on the committed samples and in a real crawl of the demo site.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from benchmarks import block_training, datasets
from newscrawl.extraction import blockmodel, body, extract
from tests.crawling import copy_project, read_rows, run_crawl
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.text import Block, blocks
from tests.extraction_gate import SHINGLE_SAMPLE
from tests.extraction_metric import score_page, summarize

DEMO_SITE = Path(__file__).resolve().parents[1] / "newscrawl" / "demo" / "site"


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


def test_model_trained_on_some_sites_finds_bodies_on_others(sample, tmp_path):
    names, data = sample
    folds = block_training.host_folds(data, 2)
    model = block_training.train([d for d, f in zip(data, folds) if f == 0], names)
    path = tmp_path / "model.txt.gz"
    blockmodel.write_model(path, model.model_to_string(), 0.5)
    loaded = blockmodel.BlockModel.load(path)
    assert loaded.names == names and loaded.threshold == 0.5

    unseen = [d.page for d, f in zip(data, folds) if f == 1]
    scores = [score_page(p.truth, body.extract_body(parse_document(p.raw, p.url), model=loaded).text) for p in unseen]
    assert len(unseen) >= 10
    assert summarize(scores).f1 > 0.9  # a working model on sites it never saw; an empty one scores 0


def test_labels_follow_the_ground_truth(sample):
    _, data = sample
    item = data[0]
    kept = [text for text, label in zip(item.texts, item.labels) if label == 1]
    assert score_page(item.page.truth, "\n".join(kept)).f1 > 0.95


def test_the_shipped_model_chooses_the_body_block_by_block(sample):
    """In-sample (the shipped model was trained on all development pages, these among them): this
    checks that the file loads, fits the features this code computes, and is the one a crawl uses."""
    _, data = sample
    model = blockmodel.shipped_model()
    assert model.names == blockmodel.feature_names() and 0 < model.threshold < 1
    results = [body.extract_body(parse_document(d.page.raw, d.page.url), model=model) for d in data]
    assert {r.method for r in results} == {"block-model"}
    assert summarize([score_page(d.page.truth, r.text) for d, r in zip(data, results)]).f1 > 0.95
    first = data[0].page
    assert extract(first.raw, first.url, block_model=True).article_body == results[0].text


@pytest.mark.parametrize("content", [None, b"not gzip", gzip.compress(b'{"threshold": 0.5}\nnot a model')])
def test_a_missing_or_unreadable_model_file_is_unavailable_naming_it(tmp_path, content):
    path = tmp_path / "model.txt.gz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(blockmodel.BlockModelUnavailable, match=str(path)):
        blockmodel.BlockModel.load(path)


def test_a_crawl_whose_block_model_cannot_load_stops_before_its_first_request(serve, tmp_path):
    """A project copy whose model file is damaged: the crawl is refused (exit 2), naming the setting and the file."""
    project = copy_project(tmp_path)
    model_file = project / "newscrawl" / "extraction" / "block_model.txt.gz"
    model_file.write_bytes(model_file.read_bytes()[:1000])  # cut short, as by a failed copy
    server = serve(root=DEMO_SITE)
    result = run_crawl("news", urls=f"{server.base_url}/", database=tmp_path / "news.db", project=project,
                       settings={"EXTRACTION_BLOCK_MODEL": "true"})
    assert result.returncode == 2, result.log[-3000:]
    assert "invalid setting: EXTRACTION_BLOCK_MODEL must be off here, because cannot read the block model" in result.log
    assert "Traceback" not in result.log
    assert str(model_file) in result.log
    assert not server.requests

    result = run_crawl("news", urls=f"{server.base_url}/", database=tmp_path / "rules.db", project=project)
    assert result.returncode == 0, result.log[-3000:]  # without the setting the model is never read
    assert read_rows(tmp_path / "rules.db")


@pytest.mark.parametrize("processes", ["0", "1"])
def test_a_crawl_with_the_block_model_stores_its_bodies(serve, tmp_path, processes):
    """In the crawl process and in a worker: every stored body is the model's, and the setting
    changes what is stored (the rules keep a "Published" label or an "Embargoed until" line)."""
    server = serve(root=DEMO_SITE)
    database = tmp_path / "model.db"
    result = run_crawl("news", urls=f"{server.base_url}/robots.txt,{server.base_url}/", database=database,
                       settings={"EXTRACTION_BLOCK_MODEL": "true", "EXTRACTION_PROCESSES": processes})
    assert result.returncode == 0, result.log[-3000:]
    assert "chosen block by block by the block model" in result.log
    rows = [row for row in read_rows(database) if row["article_body"]]
    assert len(rows) >= 7
    changed = 0
    for row in rows:
        html = (DEMO_SITE / urlsplit(row["url"]).path.lstrip("/")).read_bytes()
        assert row["article_body"] == extract(html, row["url"], block_model=True).article_body, row["url"]
        changed += row["article_body"] != extract(html, row["url"]).article_body
    assert changed >= 2


def test_a_bad_block_model_setting_is_refused_naming_it(serve, tmp_path):
    server = serve(root=DEMO_SITE)
    result = run_crawl("news", urls=f"{server.base_url}/", database=tmp_path / "bad.db",
                       settings={"EXTRACTION_BLOCK_MODEL": "sometimes"})
    assert result.returncode == 2
    assert "EXTRACTION_BLOCK_MODEL must be True or False (or 1/0), got 'sometimes'" in result.log
    assert not server.requests
