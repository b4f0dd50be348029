from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newscrawl.urls import article_url_key, canonicalize_url, same_site


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # case, default ports, fragments, empty path
        ("HTTPS://WWW.Example.COM:443/News/Story#comments", "https://www.example.com/News/Story"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        # tracking parameters dropped, the rest sorted
        ("https://example.com/a?utm_source=tw&utm_medium=social&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?fbclid=X&gclid=Y&mc_cid=1&mc_eid=2&ocid=3&cmpid=4", "https://example.com/a"),
        ("https://example.com/a?CMP=share_btn_tw&ito=1&at_medium=RSS&at_campaign=x", "https://example.com/a"),
        ("https://example.com/a?_ga=2.1&ref_src=twsrc&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?ref=rss", "https://example.com/a"),
        ("https://example.com/a?ref=A12", "https://example.com/a?ref=A12"),  # not a traffic source
        # AMP variants
        ("https://example.com/amp/news/story", "https://example.com/news/story"),
        ("https://example.com/news/amp/story/", "https://example.com/news/story/"),
        ("https://example.com/news/story/amp", "https://example.com/news/story"),
        ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
        ("https://example.com/news/story.amp", "https://example.com/news/story"),
        ("https://example.com/news/story?amp=1", "https://example.com/news/story"),
        ("https://example.com/news/story?amp", "https://example.com/news/story"),
        ("https://example.com/news/story?outputType=amp", "https://example.com/news/story"),
        ("https://amp.example.com/news/story", "https://example.com/news/story"),
        ("https://m.example.co.uk/news/story", "https://example.co.uk/news/story"),
        ("https://mobile.example.com/news/story", "https://example.com/news/story"),
        # print variants
        ("https://example.com/print/news/story", "https://example.com/news/story"),
        ("https://example.com/news/story?print=1", "https://example.com/news/story"),
        ("https://example.com/news/story?view=print&page=2", "https://example.com/news/story?page=2"),
        # index pages
        ("https://example.com/news/index.html", "https://example.com/news/"),
        ("https://example.com/index.htm?utm_source=x", "https://example.com/"),
        # user info is never part of a key
        ("https://user:secret@example.com/a", "https://example.com/a"),
        # percent-encoding normalised
        ("https://example.com/caf%c3%a9?q=%7e", "https://example.com/caf%C3%A9?q=~"),
    ],
)
def test_canonicalize_url(url, expected):
    assert canonicalize_url(url) == expected


def test_canonicalize_url_keeps_short_hosts_and_non_variant_words():
    assert canonicalize_url("https://m.com/amplifier") == "https://m.com/amplifier"
    assert canonicalize_url("https://example.com/stamp.html") == "https://example.com/stamp.html"
    assert canonicalize_url("https://example.com/news/printing-press") == "https://example.com/news/printing-press"


def test_canonicalize_url_is_idempotent():
    url = "https://M.Example.com/amp/news/story.amp.html?utm_source=x&b=2&a=1#top"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_canonicalize_url_leaves_other_schemes_alone():
    assert canonicalize_url(" mailto:someone@example.com ") == "mailto:someone@example.com"
    assert canonicalize_url("not a url") == "not a url"


def test_variants_share_a_key():
    variants = [
        "https://www.example.com/news/story",
        "https://www.example.com/news/story?utm_source=rss#top",
        "https://www.example.com/news/story/amp",
        "https://www.example.com/amp/news/story",
        "https://www.example.com/news/story?amp=1&fbclid=abc",
        "HTTPS://WWW.EXAMPLE.COM:443/news/story",
    ]
    assert {canonicalize_url(u) for u in variants} == {"https://www.example.com/news/story"}


def test_article_url_key_prefers_on_site_canonical():
    url = "https://m.example.com/news/12345?utm_source=tw"
    assert article_url_key(url, "https://www.example.com/news/story-12345") == (
        "https://www.example.com/news/story-12345"
    )
    # relative canonical
    assert article_url_key(url, "/news/story-12345") == "https://example.com/news/story-12345"


def test_article_url_key_ignores_unusable_canonicals():
    url = "https://example.com/news/story?utm_source=x"
    expected = "https://example.com/news/story"
    assert article_url_key(url, None) == expected
    assert article_url_key(url, "  ") == expected
    assert article_url_key(url, "https://syndication.other.com/story") == expected  # other site
    assert article_url_key(url, "https://example.com/") == expected  # home page: CMS bug
    assert article_url_key(url, "javascript:void(0)") == expected
    # ...but a home page's canonical may be the home page
    assert article_url_key("https://example.com/?ref=rss", "https://www.example.com/") == "https://www.example.com/"


def test_same_site():
    assert same_site("https://www.example.com/a", "https://example.com/b")
    assert same_site("https://m.example.com/a", "http://amp.example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("https://example.com/a", "not a url")


# -- properties ----------------------------------------------------------------------

_segment = st.sampled_from(["news", "amp", "print", "story.amp.html", "a.amp", "index.html", "index.amp.html", "", "caf%C3%A9", "x y", "2024"])
_param = st.tuples(
    st.sampled_from(["utm_source", "id", "amp", "print", "ref", "page", "CMP", "q", "outputType"]),
    st.sampled_from(["", "1", "rss", "amp", "a b", "%7e", "x&y"]),
)
_host = st.sampled_from(["example.com", "WWW.Example.com", "m.example.com", "amp.m.example.com", "example.com:443", "m.com"])


@given(
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    host=_host,
    segments=st.lists(_segment, max_size=5),
    params=st.lists(_param, max_size=4),
    fragment=st.sampled_from(["", "#top"]),
)
def test_canonicalize_url_is_idempotent_for_generated_urls(scheme, host, segments, params, fragment):
    url = f"{scheme}://{host}/{'/'.join(segments)}"
    if params:
        url += "?" + urlencode(params)
    once = canonicalize_url(url + fragment)
    assert canonicalize_url(once) == once
    assert "#" not in once and "utm_" not in once
