"""Text normalisation (newscrawl.textnorm): each variant does what its name says, and the
content hash of stored articles stays what earlier versions computed."""

from __future__ import annotations

import pytest

from newscrawl.textnorm import (
    body_for_hashing,
    body_for_revision_diff,
    clean_field_body,
    clean_field_text,
    clean_page_value,
    collapse_whitespace,
    comparison_key,
    comparison_words,
    declared_language_code,
    language_tag_code,
    name_key,
    paragraph_lines,
    text_for_revision_diff,
    word_key,
    words_for_shingling,
)
from pipelines.dedup import content_hash

# Computed with the code before newscrawl.textnorm existed: databases store these hashes.
PINNED_HASHES = [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("Hello  World", "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
    ("The \ufb01rst \u201cquote\u201d \u2014 \u00c9COLE\u00a0caf\u00e9\n\nSecond   paragraph\tX",
     "64536fbf30a5a5bd471f02bbf2d763ecabc22137f05d68908cc5998c8488ecd5"),
    ("\u01c4 stra\u00dfe \uff21\uff22\uff23 \u00bd \u2028line\u3000end",
     "5e06b5b1651dd815fb0b24511315bc38d6bc716055b894aa17b9cf6d91dc5dc6"),
    ("xxx\r\n\u200bz", "b4649d72a75bbabdac16797414e8c015998d6c6fc9a1191cf010fa0e007f4d75"),
]


@pytest.mark.parametrize(("body", "expected"), PINNED_HASHES)
def test_content_hash_is_unchanged(body, expected):
    assert content_hash(body) == expected


def test_content_hash_of_a_missing_body_is_that_of_the_empty_one():
    assert content_hash(None) == PINNED_HASHES[0][1]


def test_body_for_hashing_folds_case_width_and_spacing_only():
    assert body_for_hashing("\uff21B  c\n\nD\u00e9j\u00e0") == "ab c d\u00e9j\u00e0"
    assert body_for_hashing("\u201cQuoted\u201d") == "\u201cquoted\u201d"  # quotes kept, unlike revision diffs


def test_collapse_whitespace_takes_every_unicode_space():
    assert collapse_whitespace("  a\u00a0\u2028b\t\nc \u3000") == "a b c"


def test_clean_page_value_decodes_entities_and_drops_zero_width_spaces():
    assert clean_page_value("  Tom &amp; Jerry\u200b\u00a0 ") == "Tom & Jerry"
    assert clean_page_value("<b>kept</b>") == "<b>kept</b>"
    assert clean_page_value(2021) == "2021"
    assert clean_page_value(" \u200b ") is None and clean_page_value(None) is None


def test_clean_field_text_drops_markup_and_composes_unicode():
    assert clean_field_text("<b>Cafe\u0301</b>\n  &amp; bar") == "Caf\u00e9 & bar"
    assert clean_field_text("<br>") is None


def test_clean_field_body_keeps_one_paragraph_a_line():
    assert clean_field_body("  One   two \n\n\n Three\u00a0four ") == "One two\nThree four"


def test_language_codes_lenient_for_pages_strict_for_fields():
    assert declared_language_code("English") == "en" and declared_language_code("de_AT") == "de"
    assert language_tag_code("en-GB") == "en" and language_tag_code("English") is None
    assert language_tag_code("eng") is None


def test_keys_compare_letters_and_digits():
    assert comparison_key("The Guardian!") == comparison_key("the_guardian") == "theguardian"
    assert name_key("@the_guardian") == "the_guardian"  # '_' kept
    assert word_key("Hello, World!") == "hello world"
    assert comparison_words("Britain\u2019s PM's") == ["britains", "pms"]
    assert words_for_shingling("\uff21\uff22 c-d") == ["ab", "c", "d"]


def test_revision_diff_ignores_quote_style_datelines_and_date_lines():
    assert text_for_revision_diff("\u201cHello\u201d \u2014 World") == '"hello" - world'
    body = "LONDON (AP) \u2014 The vote passed.\nUpdated 7 December 2021, 20:31 GMT\nMore text."
    assert body_for_revision_diff(body) == "the vote passed.\nmore text."


def test_paragraph_lines_collapses_spaces_inside_lines_only():
    assert paragraph_lines(["  One \t two\u00a0 ", "", "   ", "Three"]) == "One two\nThree"
    assert paragraph_lines(["a\u2003 b"]) == "a\u2003 b"  # other Unicode spaces: clean_field_body's job
