"""The candidate extractors: trafilatura_blocks runs trafilatura's fast precision steps itself,
and must give what trafilatura's own bare_extraction gives (a trafilatura upgrade that changes
those steps fails here)."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path

import lxml.html
import pytest

from newscrawl.extraction.candidates import bare_trafilatura_blocks, trafilatura_blocks
from newscrawl.extraction.document import parse_document

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL_PAGES = sorted(
    [*FIXTURES.glob("golden/*.html.gz"), *FIXTURES.glob("extraction-sample*/html/*.html.gz")]
)
PARAGRAPH = ("The council voted on Tuesday to rebuild the sea wall that failed during the winter storms, "
             "ending months of argument over who should pay for the work. ")


def _tree(html: str | bytes, url: str = "https://news.example.com/a/"):
    return parse_document(html, url).tree


def test_real_pages_are_many():
    assert len(REAL_PAGES) >= 100


@pytest.mark.parametrize("path", REAL_PAGES, ids=lambda p: p.name.removesuffix(".html.gz"))
def test_same_blocks_as_bare_extraction(path):
    tree = _tree(gzip.decompress(path.read_bytes()))
    assert tree is not None
    expected = bare_trafilatura_blocks(tree, "https://news.example.com/a/")
    assert trafilatura_blocks(tree, "https://news.example.com/a/") == expected


def test_leaves_the_tree_untouched():
    tree = _tree(gzip.decompress(REAL_PAGES[0].read_bytes()))
    before = lxml.html.tostring(tree)
    assert trafilatura_blocks(copy.copy(tree), None)  # a real page: something is found
    trafilatura_blocks(tree, None)
    assert lxml.html.tostring(tree) == before


def test_forum_thread_keeps_posts_in_a_comment_list():
    """Posts in a <dl class="comments">: trafilatura drops that list as comments, except on a
    DiscussionForumPosting page, where the posts are the content. So must we."""
    posts = "".join(f"<dd><p>Post {number}: {PARAGRAPH * 2}</p></dd>" for number in range(3))
    forum_data = '<script type="application/ld+json">{"@type": "DiscussionForumPosting"}</script>'

    def thread(data: str) -> list:
        tree = _tree(f'<html><body>{data}<article><h1>Sea wall thread</h1><p>{PARAGRAPH}</p>'
                     f'<dl class="comments">{posts}</dl></article></body></html>')
        found = trafilatura_blocks(tree, None)
        assert found == bare_trafilatura_blocks(tree, None)
        return [block.text for block in found if block.text.startswith("Post ")]

    assert len(thread(forum_data)) == 3
    assert thread("") == []


def test_text_lxml_refuses_gives_no_blocks_like_bare_extraction():
    """A control character in a paragraph with line breaks: trafilatura's paragraph handling makes
    a string lxml refuses, bare_extraction gives up on the page (no body), and so do we, without
    raising. Seen on a real page (a German blog's source list)."""
    page = (f"<html><body><article><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p>"
            "<p>Sources: WWF\x07 (2020):\x07 Living Planet Report<br><br>Second source</p></article></body></html>")
    tree = _tree(page)
    assert bare_trafilatura_blocks(tree, None) == []
    assert trafilatura_blocks(tree, None) == []
    assert trafilatura_blocks(_tree(page.replace("\x07", "")), None)  # the page itself has a body
