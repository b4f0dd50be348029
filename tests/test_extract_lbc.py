"""The seed article, from two reconstructed LBC markups, through `newscrawl.extract`."""

import json

import pytest

import newscrawl
from newscrawl.sites import load_registry
from tests.crawling import FIXTURES

LBC = FIXTURES / "lbc"
EXPECTED = json.loads((LBC / "expected.json").read_text(encoding="utf-8"))
LBC_RULES = load_registry()["lbc"].extraction.to_rules()


@pytest.fixture(params=EXPECTED["fixtures"])
def lbc_page(request):
    return (LBC / request.param).read_bytes()


@pytest.mark.parametrize("rules", [LBC_RULES, None], ids=["site-rules", "general"])
def test_seed_article_fields(lbc_page, rules):
    article = newscrawl.extract(lbc_page, EXPECTED["url"], rules=rules)
    assert article.headline == EXPECTED["headline"]
    assert article.date_published == EXPECTED["date_published"]
    assert article.authors == EXPECTED["authors"]
    assert article.description == EXPECTED["description"]
    lines = article.article_body.splitlines()
    assert lines[0] == EXPECTED["body_first_line"]
    assert lines[-1] == EXPECTED["body_last_line"]
    assert lines == EXPECTED["body_paragraphs"]


@pytest.mark.parametrize("rules", [LBC_RULES, None], ids=["site-rules", "general"])
def test_seed_article_body_has_no_boilerplate(lbc_page, rules):
    body = newscrawl.extract(lbc_page, EXPECTED["url"], rules=rules).article_body
    assert len(body.split()) > 500
    leaked = [text for text in EXPECTED["forbidden_in_body"] if text in body]
    assert leaked == []


def test_seed_article_tags(lbc_page):
    article = newscrawl.extract(lbc_page, EXPECTED["url"], rules=LBC_RULES)
    assert sorted(article.tags) == sorted(EXPECTED["tags"])


def test_local_times_use_the_sites_time_zone():
    """LBC prints UK local time: 18:24 in July is 17:24 UTC (BST), in December 18:24 UTC."""
    summer = (LBC / "biden-putin-b.html").read_text(encoding="utf-8").replace("7 December 2021", "7 July 2021")
    assert newscrawl.extract(summer, EXPECTED["url"], rules=LBC_RULES).date_published == "2021-07-07T17:24:00+00:00"
    assert newscrawl.extract(summer, EXPECTED["url"]).date_published == "2021-07-07T18:24:00+00:00"


@pytest.mark.parametrize("rules", [LBC_RULES, None], ids=["site-rules", "general"])
def test_plain_markup_captions_are_not_body(rules):
    """biden-putin-c.html: captions are bare <p>s beside bare <img>s, with no caption class or figure."""
    article = newscrawl.extract((LBC / "biden-putin-c.html").read_bytes(), EXPECTED["url"], rules=rules)
    lines = article.article_body.splitlines()
    assert "Russia US. Picture: PA" not in lines
    assert not any("via AP)" in line for line in lines)
    assert lines == EXPECTED["body_paragraphs"]
