"""A language guess from a few words of text: the script's letters, else stopword counts.

Used by the language field to check a page's declaration against its headline and
description (a German blog served with <html lang="en">).
"""

from __future__ import annotations

import re

# A few very frequent words per language: enough to tell the main Latin-script languages
# apart on a headline plus a description. Other scripts are recognised by their letters.
_STOPWORDS = {
    "en": "the of and to in is for on that with as was at by from are this be it an has have will after".split(),
    "de": "der die und das ist nicht mit den von zu ein eine für auf im dem des sich auch wird sie".split(),
    "fr": "le la les des et est une un du pour dans que qui sur pas au avec ce il sont par".split(),
    "es": "el la los las de que y en un una es por para con del se al como más su".split(),
    "pt": "o a os as de que e do da em um uma para com não no na dos das é se por".split(),
    "it": "il lo la gli le di che e un una per con non del della è sono si da al nel".split(),
    "nl": "de het een en van in is dat op te met voor niet zijn er aan ook als".split(),
    "id": "yang dan di ini itu dengan untuk dari dalam tidak akan pada adalah ke juga".split(),
}
STOPWORD_SETS = {lang: frozenset(words) for lang, words in _STOPWORDS.items()}
_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7af]")), ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")), ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")), ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")), ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)


def guess_language(text: str | None, sure: bool = False) -> str | None:
    """ISO 639-1 guess from letters and stopwords, or None when the text says too little.
    ``sure`` asks for a clear majority (enough to overrule a page's own declaration)."""
    if not text:
        return None
    for code, letters in _SCRIPTS:
        if len(letters.findall(text)) >= 5:
            return code
    words = re.findall(r"[^\W\d_]+", text.casefold())
    if len(words) < 5:
        return None
    counts = {lang: sum(w in stop for w in words) for lang, stop in STOPWORD_SETS.items()}
    best = max(counts, key=counts.get)
    ranked = sorted(counts.values(), reverse=True)
    if sure:
        return best if ranked[0] >= 4 and ranked[0] >= 2 * ranked[1] else None
    return best if ranked[0] >= 2 and ranked[0] > ranked[1] else None
