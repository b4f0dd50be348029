"""Article length (newscrawl.extraction.text.word_count) and the article-or-not decision for
listed and linked pages (NewsSpider.is_article_page)."""

from types import SimpleNamespace

import pytest

from newscrawl.extraction.text import word_count
from newscrawl.spiders.news import NewsSpider


def test_words_are_counted_in_spaced_and_unspaced_scripts():
    assert word_count("The harbour reopened on Friday.") == 5
    assert word_count("港が三日ぶりに再開した。") == 11  # each Han or kana character is a word
    assert word_count("Tokyo 東京 port") == 4
    assert word_count("") == word_count(None) == 0


@pytest.fixture
def spider():
    return NewsSpider(urls="https://example.com/")


def article(words: int, headline: str = "Ferry services resume"):
    return SimpleNamespace(headline=headline, article_body=" ".join(["word"] * words))


@pytest.mark.parametrize("kind, words, stored", [
    ("article", 40, True),  # a brief that says it is an article
    ("navigation", 40, False),
    ("navigation", 200, True),  # listed and article-length, whatever its markup says
    (None, 79, False),
    (None, 80, True),
])
def test_a_listed_page_is_an_article_when_it_says_so_or_is_article_length(spider, kind, words, stored):
    assert spider.is_article_page("https://example.com/x", kind, article(words), listed=True) is stored


def test_a_linked_page_follows_its_page_kind(spider):
    assert spider.is_article_page("https://example.com/a", "navigation", article(500)) is False
    assert spider.is_article_page("https://example.com/a", "article", article(30)) is True
    assert spider.is_article_page("https://example.com/a", "article", article(300, headline=None)) is False
