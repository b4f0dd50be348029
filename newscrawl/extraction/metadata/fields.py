"""One function per metadata field: each reads a PageSources and returns its value.

Each field takes the first usable value from its sources in a fixed order of trust,
given in its docstring and visible as the order of its candidate list. General rule:
structured data the publisher maintains for search engines (JSON-LD, then microdata,
then OpenGraph/article:* meta, then other named meta) beats markup we have to
interpret (<time>, byline classes), which beats free text ("By ..." lines) and the URL.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from functools import lru_cache
from itertools import islice
from urllib.parse import urlsplit

import lxml.etree
from htmldate import find_date
from lxml.cssselect import CSSSelector

from newscrawl.extraction.authors import dedupe_names, looks_like_name, parse_byline
from newscrawl.extraction.dates import date_from_url, parse_date
from newscrawl.extraction.metadata.language_guess import STOPWORD_SETS, guess_language
from newscrawl.extraction.metadata.sources import (
    FOREIGN_CONTAINERS,
    TITLE_SEPARATORS,
    UPDATED_LABEL,
    PageSources,
    as_list,
    body_text_nodes,
    first_string,
    in_foreign_container,
    itemprop_value,
)
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.textnorm import clean_page_value, comparison_key, comparison_words, declared_language_code

logger = logging.getLogger(__name__)

# Short text lines starting "By " (the seed's "By Press Association" closes the article).
# Also labelled lines: "Autorin: Uta Staschewski, …", "Written by: <a>Julie Mollins</a>", "Auteur : X".
# A label ending in a space needs a word after it; the bare labels are a whole line.
_BY_LINE_LABELS = (
    "By ", "BY ", "Autor:", "Autorin:", "Author:", "Written by", "Auteur :", "Auteur:", "Von ", "VON ",
    "Text von ", "Text:", "Par ", "Por ", "Beitrag von ", "Ein Beitrag von ", "Gastbeitrag von ",
    "Blog Beitrag von ", "Blogbeitrag von ",
)
_BARE_BY_LABELS = ("By", "Von", "Par", "Por")
_MAX_BY_LINES = 10  # the first lines that start like a byline; the first with names wins
_SPACE = "[ \t\r\n\u00a0]"  # white space, and the no-break space of "By&nbsp;<a>Jane Doe</a>"
_NOT_SPACE = "[^ \t\r\n\u00a0]"


def _label_pattern(label: str) -> str:
    pattern = f"{_SPACE}+".join(re.escape(word) for word in label.split())
    return pattern + f"{_SPACE}+{_NOT_SPACE}" if label.endswith(" ") else pattern


_BY_LINE_START = re.compile(
    f"{_SPACE}*(?:" + "|".join(map(_label_pattern, _BY_LINE_LABELS))
    + f"|(?:{'|'.join(_BARE_BY_LABELS)}){_SPACE}*$)"
)
# A byline label alone, the name in the elements after it: "By <a>Jane Doe</a>", "Von <span>…".
_BARE_LABEL = re.compile(rf"^(?:{'|'.join(_BARE_BY_LABELS)}|text von|[\w ]{{2,20}}:)$", re.I)
_TAG_LIST_XPATH = lxml.etree.XPath(
    "//body//*[@class][contains(@class, 'tags') or contains(@class, 'tag-list') or contains(@class, 'Tags')"
    " or contains(@class, 'topics-list')][.//a]"
)
# Tag lists sit in "widget"/"sidebar" blocks below the story on some sites (AP hosted).
_TAG_NOISE_CLASS = re.compile(r"related|recommend|comment|trending|popular|teaser", re.I)
_SPLIT_TAGS = re.compile(r"\s*[,;]\s*")
_MAX_KEYWORDS = 15  # a plain keywords meta longer than this is the site's SEO list
_MAX_DESCRIPTION = 800  # longer "descriptions" are the article body
# Not topics: placeholders, placements ("Front Page") and the generic "news".
_NOT_TAGS = frozenset({"none", "null", "undefined", "tags", "tag", "topics", "share", "front page", "news"})
_NOT_SECTIONS = frozenset({"homepage", "home", "home page", "front page", "frontpage", "post", "page", "article",
                           "articles", "index", "none", "null", "undefined", "default", "story"})
# ctp_video, autoplay_video, @post-id:1913719, type:article
_TAG_LABEL = re.compile(r"^(?:topic|tag|category|keyword)s?\s*:\s+", re.I)
_INTERNAL_TAG = re.compile(r"^[@#/]|^[a-z0-9]+(?:_[a-z0-9]+)+$|^[\w-]+:\S")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# Site-wide share images: opengraph_default.png, placeholder.jpg, logo-600.png
_PLACEHOLDER_IMAGE = re.compile(
    r"(?:^|[/_\-])(?:default|placeholder|blank|no-?image)[^/]*$|/logo[^/]*$|[_\-]logo\.\w+$", re.I
)
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article:published",
    "og:published_time", "published_time", "datepublished", "parsely-pub-date",
    "sailthru.date", "pubdate", "publishdate", "publish-date", "publish_date", "pub_date",
    "article.published", "dc.date.issued", "dcterms.issued", "dcterms.created",
    "dc.date.created", "dc.date", "dcterms.date", "date", "cxenseparse:recs:publishtime",
    "article:post_date", "ptime", "timestamp", "original-publish-date",
)
_MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "article:modified",
    "og:updated_time", "modified_time", "datemodified", "last-modified", "lastmod",
    "dc.date.modified", "dcterms.modified", "article.updated", "utime", "updated",
)
_AUTHOR_META = ("author", "article:author", "article:author_name", "parsely-author", "sailthru.author",
                "dc.creator", "dcterms.creator", "byl", "author_name")


# ---- headline ------------------------------------------------------------------------------------


def headline(sources: PageSources) -> str | None:
    """The visible <h1> when the metadata confirms it, else JSON-LD > og:title > twitter:title >
    microdata headline > sailthru/dc/parsely title > <title> without the site name.

    Metadata titles are often a shorter social/SEO rewrite (BBC, USA Today, NBC), cut to
    110 characters for Google (The Sun), or carry a " | Site" suffix, so a first <h1> that
    matches a candidate, extends a cut one, or shares many words with one is preferred.
    """
    candidates = []
    if sources.article:
        candidates.append(first_string(sources.article.get("headline")) or first_string(sources.article.get("name")))
    candidates.append(sources.first_meta("og:title"))
    candidates.append(sources.first_meta("twitter:title"))
    candidates.extend(sources.itemprop_values("headline")[:1])
    candidates.append(sources.first_meta("sailthru.title", "dc.title", "parsely-title"))
    candidates.append(strip_site_suffix(sources, sources.title) if sources.title else None)
    candidates = [c for c in (clean_page_value(c) for c in candidates) if c]
    # A title that is only the site's name (the "name" of a JSON-LD page node) is the last resort.
    candidates.sort(key=lambda c: comparison_key(c) in sources.site_keys)
    for lines in sources.h1_lines[:3]:
        if len(lines) == 2 and any(_titles_kicker(c, lines) for c in candidates):
            return lines[1]  # "Interne Unterlagen im Netz / Daten von Rheinmetall gehackt"
    h1s = [h for h in sources.h1s[:3] if not _is_site_name(sources, h)]
    for h1 in h1s:
        for candidate in candidates:
            if _has_kicker(h1, candidate):  # "Tunesien Große Aufgaben…": the metadata has the headline alone
                return candidate
    for h1 in h1s:
        if any(_h1_matches(h1, c) for c in candidates):
            return h1
    if h1s and candidates and len(h1s[0]) >= 20:
        if max(_word_overlap(h1s[0], c) for c in candidates) >= 0.3:
            return h1s[0]
    for candidate in candidates:
        stripped = strip_site_suffix(sources, candidate)
        if stripped:
            return stripped
    return h1s[0] if h1s else None


_BLOG_ARCHIVE_KEYS = {"blogarchive", "blogarchiv"}  # WordPress's classic theme: "Site » Blog Archive » Post"


def strip_site_suffix(sources: PageSources, title: str | None) -> str | None:
    """'Headline - BBC News' -> 'Headline'; also a leading 'Site | '. Separators inside the
    headline are kept as written."""
    if not title:
        return None
    site_keys = sources.site_keys

    def is_site(part: str) -> bool:
        key = comparison_key(part)
        return key in site_keys or any(k in key for k in site_keys if len(k) > 3)

    separators = list(TITLE_SEPARATORS.finditer(title))
    end = len(title)
    for separator in reversed(separators):  # drop trailing site parts, right to left
        if is_site(title[separator.end():end]):
            end = separator.start()
        else:
            break
    start = 0
    for separator in separators:  # drop leading site parts ("Site » Blog Archive » Headline")
        if separator.end() > end:
            break
        part = comparison_key(title[start:separator.start()])
        if part not in site_keys and part not in _BLOG_ARCHIVE_KEYS:
            break
        start = separator.end()
    return clean_page_value(title[start:end]) or clean_page_value(title)


def _is_site_name(sources: PageSources, text: str) -> bool:
    key = comparison_key(text)
    return key in sources.site_keys or len(key) < 4


def _h1_matches(h1: str, candidate: str) -> bool:
    """Same text, or one is a cut/suffixed version of the other."""
    h1_key, key = comparison_key(h1), comparison_key(candidate)
    if not h1_key or not key:
        return False
    if h1_key == key:
        return True
    if len(key) >= 20 and len(h1_key) >= 20 and (h1_key.startswith(key) or key.startswith(h1_key)):
        return True
    # The SEO title wraps the visible headline: "Author: Headline", "Headline (40222) - Site".
    return len(h1.split()) >= 2 and len(h1_key) >= 8 and h1_key in key


def _has_kicker(h1: str, candidate: str) -> bool:
    """The <h1> is the metadata headline with a kicker or date glued in front of it."""
    h1_key, key = comparison_key(h1), comparison_key(candidate)
    return len(key) >= 20 and len(h1_key) > len(key) and h1_key.endswith(key) and len(h1.split()) - len(
        candidate.split()) <= 4


def _titles_kicker(candidate: str, lines: list[str]) -> bool:
    """A metadata title that gives the h1's two lines as separate parts ("Headline - Kicker",
    "Kicker | Headline - Site"): the first line is a kicker, the second the headline."""
    parts = {comparison_key(part) for part in TITLE_SEPARATORS.split(candidate)}
    return all(comparison_key(line) in parts for line in lines)


def _word_overlap(first: str, second: str) -> float:
    """Shared words / words of the shorter text."""
    a, b = set(comparison_words(first)), set(comparison_words(second))
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


# ---- description ---------------------------------------------------------------------------------


def description(sources: PageSources) -> str | None:
    """og:description > JSON-LD description > meta description > twitter > dc > microdata.

    og:description is the editor's share text and most often the visible dek (The Verge,
    NBC). A candidate cut with "..." loses to a longer one that continues it (Reuters).
    Texts over _MAX_DESCRIPTION characters are the article body, not a standfirst.
    """
    candidates = [
        sources.first_meta("og:description"),
        first_string(sources.article.get("description")) if sources.article else None,
        sources.first_meta("description"),
        sources.first_meta("twitter:description"),
        sources.first_meta("dc.description", "dcterms.description", "sailthru.description"),
        next(iter(sources.itemprop_values("description")), None),
    ]
    candidates = [c for c in (clean_page_value(c) for c in candidates) if c and len(c) <= _MAX_DESCRIPTION]
    for index, candidate in enumerate(candidates):
        if candidate.endswith(("...", "…", "[…]", "[...]")):
            stem = comparison_key(candidate.rstrip(".…[] "))
            longer = [c for c in candidates[index + 1:]
                      if len(c) > len(candidate) and comparison_key(c).startswith(stem)]
            if longer:
                return longer[0]
        return candidate
    return None


# ---- dates ----------------------------------------------------------------------------------------


def date_modified(sources: PageSources) -> str | None:
    """Raw text of the modification date: the LATEST of JSON-LD dateModified, microdata,
    article:modified_time, og:updated_time and other "modified" meta (JSON-LD often repeats
    datePublished while article:modified_time has the update); else a <time> labelled "updated"."""
    structured = [
        _jsonld_date(sources.article, "dateModified") if sources.article else None,
        *sources.itemprop_values("dateModified")[:1],
        *sources.meta_values(*_MODIFIED_META),
    ]
    _, marked_modified, _ = sources.time_values
    return _latest_date(structured, sources.url) or _first_date(marked_modified, sources.url)


def date_published(sources: PageSources, rules: ExtractionRules, modified: str | None) -> str | None:
    """Raw text of the publication date, first usable (parseable) of: site rule > JSON-LD
    datePublished (article, then WebPage) > microdata datePublished > article:published_time
    and other "published" meta > microdata dateCreated > <time> marked published > first
    unmarked <time> outside related lists > element classed "date" (its part before any
    "Updated") > a short text around the byline > htmldate's original date (headers, scripts,
    free text; a day only) > URL.

    Modified sources never feed published: og:updated_time, dateModified and "Updated ..."
    elements are the classic trap. If published == ``modified`` to the second, a visible
    "<time> / Updated ..." dateline showing an earlier first publication wins (Reuters
    overwrote published_time).
    """
    url = sources.url
    structured = [
        _rule_date(sources, rules),
        _jsonld_date(sources.article, "datePublished") if sources.article else None,
        *[_jsonld_date(n, "datePublished") for n in sources.jsonld_pages[1:]],
        *sources.itemprop_values("datePublished")[:1],
        *sources.meta_values(*_PUBLISHED_META),
        *sources.itemprop_values("dateCreated")[:1],
    ]
    marked_published, _, unmarked = sources.time_values
    published = _first_date(structured + marked_published + unmarked[:1], url)
    if published is None:
        published = _first_date((text for text, _ in sources.date_elements), url)
    if published is None:
        published = _first_date(_byline_context_texts(sources), url)
    if published and modified and parse_date(published, url) == parse_date(modified, url):
        dated_with_update = [text for text, had_update in sources.date_elements if had_update]
        published = _earlier_visible_date(published, dated_with_update, url) or published
    if published is None:
        published = _htmldate_published(sources.tree, url, modified)
    url_day = date_from_url(url)
    if url_day and published is None:
        published = _url_date_text(url)
    elif url_day:
        # The CMS wrote the URL's day when the story was made. More than two days before it, the date
        # found belongs to something else (if the page shows the URL's day too); more than a week
        # after it, the story was re-published (a moved blog, a refreshed page): the URL keeps the day.
        offset = parse_date(published, url) - url_day
        if offset < -timedelta(days=2) or offset > timedelta(days=7):
            shown = structured + marked_published + unmarked + [text for text, _ in sources.date_elements]
            on_url_day = _first_date((v for v in shown if _same_day(v, url_day, url)), url)
            published = on_url_day or (published if offset < timedelta(0) else _url_date_text(url))
    return published


def _same_day(value, day, url: str) -> bool:
    parsed = parse_date(value, url) if isinstance(value, str) else None
    return parsed is not None and parsed.date() == day.date()


def _rule_date(sources: PageSources, rules: ExtractionRules) -> str | None:
    if not rules.date_selector:
        return None
    for element in _css(rules.date_selector)(sources.tree):
        value = element.get("datetime") or element.get("content") or clean_page_value(element.text_content())
        if value and parse_date(value, sources.url):
            return value.strip()
    return None


def _byline_context_texts(sources: PageSources) -> list[str]:
    """Short texts around byline elements: "Von Moritz Bachmann publiziert am 25. September 2018".
    The byline element and up to two parents are tried; the first short one with a year is kept."""
    texts = []
    for element in (sources.rel_authors + sources.byline_elements)[:6]:
        node = element
        for _ in range(3):
            if node is None or node.tag in ("body", "html"):
                break
            text = clean_page_value(node.text_content())
            if text and len(text) <= 160 and _YEAR.search(text):
                update = UPDATED_LABEL.search(text)
                texts.append(text[: update.start()] if update else text)
                break
            node = node.getparent()
    return texts


def _jsonld_date(node: dict | None, key: str) -> str | None:
    value = first_string(node.get(key)) if node else None
    return value.strip() if value else None


def _first_date(values, url: str) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip() and parse_date(value, url):
            return value.strip()
    return None


def _latest_date(values, url: str) -> str | None:
    """The raw text of the latest parseable date (the first of equals)."""
    best, best_at = None, None
    for value in values:
        if isinstance(value, str) and value.strip():
            parsed = parse_date(value, url)
            if parsed and (best_at is None or parsed > best_at):
                best, best_at = value.strip(), parsed
    return best


def _earlier_visible_date(published: str, visible: list[str], url: str) -> str | None:
    """A visible date with a time of day up to 48 h before ``published`` that is not the same
    instant printed in another time zone (same minutes past the half hour)."""
    published_at = parse_date(published, url)
    for text in visible:
        if not re.search(r"\d:\d\d", text):
            continue
        shown_at = parse_date(text, url)
        if shown_at is None or not timedelta(0) < published_at - shown_at <= timedelta(hours=48):
            continue
        minutes = (published_at - shown_at).total_seconds() / 60
        if round(minutes) % 30 == 0 or abs(minutes - round(minutes / 30) * 30) < 1:
            continue  # e.g. 17:53 local vs 01:53Z: one instant, two zones
        return text
    return None


def _htmldate_published(tree, url: str | None, modified: str | None) -> str | None:
    """htmldate's original publication date (a day, "YYYY-MM-DD") for pages whose markup
    names none we trust: it searches headers, scripts, URL and free text (htmldate copies the
    tree before pruning it). htmldate falls back to modification dates when it finds no
    original one, so its day is refused when it is the day of the modified date we found.
    None when it finds nothing or fails."""
    try:
        found = find_date(tree, url=url or None, original_date=True, extensive_search=True)
    except Exception:  # noqa: BLE001 - a fallback must never break extraction
        logger.debug("htmldate failed on %s", url, exc_info=True)
        return None
    found_at = parse_date(found, url) if found else None
    if found_at is None:
        return None
    modified_at = parse_date(modified, url) if modified else None
    if modified_at is not None and modified_at.date() == found_at.date():
        return None
    return found


def _url_date_text(url: str) -> str | None:
    match = re.search(r"(?:19|20)\d{2}[/\-]?(?:0[1-9]|1[0-2])[/\-]?(?:0[1-9]|[12]\d|3[01])", url)
    if match and parse_date(match.group(0), url) == date_from_url(url):
        return match.group(0)
    found = date_from_url(url)
    return found.date().isoformat() if found else None


# ---- authors --------------------------------------------------------------------------------------


def authors(sources: PageSources, rules: ExtractionRules) -> list[str]:
    """Site rule > JSON-LD author (article, then WebPage) > microdata author > meta author tags >
    rel=author > byline-classed elements > a short "By ..." text line anywhere in the body.

    Among the structured sources a later one wins only when it names everyone the first one
    names and more (the Evening Standard's JSON-LD drops the second author); so does the
    visible byline, when its extra names are full names.
    """
    sites = sources.site_names
    if rules.author_selector:
        names = []
        for element in _css(rules.author_selector)(sources.tree):
            names += parse_byline(element.text_content(), sites)
        if names:
            return dedupe_names(names)
    structured = [_jsonld_author_names(sources, n.get("author") or n.get("creator")) for n in sources.jsonld_pages]
    structured.append(_microdata_author_names(sources))
    for key in _AUTHOR_META:
        names = []
        for value in sources.meta.get(key, ()):
            if not value.startswith(("http://", "https://", "/")):
                names += parse_byline(clean_page_value(value), sites)
        structured.append(dedupe_names(names))
    structured = [names for names in structured if names]
    if structured:
        best = structured[0]
        best_keys = {n.casefold() for n in best}
        for names in structured[1:]:
            keys = {n.casefold() for n in names}
            if keys > best_keys:
                best, best_keys = names, keys
        return _with_visible_coauthors(best, _byline_elements_names(sources))
    names = []
    for element in sources.rel_authors[:5]:
        names += parse_byline(_byline_text(element), sites)
    if names:
        return dedupe_names(names)
    return _byline_elements_names(sources) or _by_line_names(sources)


def _with_visible_coauthors(structured: list[str], visible: list[str]) -> list[str]:
    """The visible byline when it names everyone the structured data names, and more people
    (full names: a lone extra word is a place or a desk, "Montréal"): the data dropped a co-author."""
    given = {name.casefold() for name in structured}
    extra = [name for name in visible if name.casefold() not in given]
    if extra and given <= {name.casefold() for name in visible} and all(len(n.split()) >= 2 for n in extra):
        return visible
    return structured


def _byline_elements_names(sources: PageSources) -> list[str]:
    """Names in the first byline-classed element that has any, outside related lists."""
    byline_elements = [
        e for e in sources.byline_elements
        if e.tag not in ("script", "style", "img", "meta", "link") and not in_foreign_container(e)
    ]
    for index, element in enumerate(byline_elements):
        names = _byline_element_names(sources, element)
        if names:
            # A more specific byline element inside this one may name fewer of them: the outer
            # text can add the paper ("... Trevor J. Mitchell | Sioux Falls Argus Leader").
            for inner in byline_elements[index + 1:]:
                if element in inner.iterancestors():
                    inner_names = _byline_element_names(sources, inner)
                    if inner_names and set(inner_names) < set(names):
                        return inner_names
            return names
    return []


def _by_line_names(sources: PageSources) -> list[str]:
    """Names in the first short "By ..." / "Author:" text line of the body that has any."""
    for text, parent in islice(body_text_nodes(sources.tree, _BY_LINE_START), _MAX_BY_LINES):
        text = clean_page_value(text)
        if not text or len(text) > 80 or parent is None or parent.tag in ("script", "style", "figcaption"):
            continue
        if _BARE_LABEL.match(text):  # the label alone: the name is in the next element
            if parent.tag in FOREIGN_CONTAINERS or in_foreign_container(parent):
                continue  # "By <span>REUTERS</span>" in a news ticker's list
            names = _names_after_label(parent, sources.site_names)
        else:
            names = [n for n in parse_byline(text, sources.site_names) if looks_like_name(n)]
        if names:
            return names
    return []


def _names_after_label(element, sites) -> list[str]:
    """Names in the short text of a label's element, or else of its parent's."""
    for holder in (element, element.getparent()):
        whole = clean_page_value(holder.text_content()) if holder is not None else None
        if not whole or len(whole) > 80:
            break
        names = [n for n in parse_byline(whole, sites) if looks_like_name(n)]
        if names:
            return names
    return []


def _byline_element_names(sources: PageSources, element) -> list[str]:
    text = _byline_text(element)
    if not text or len(text) > 160:
        return []
    names = [n for n in parse_byline(text, sources.site_names) if looks_like_name(n)]
    if len(names) >= 3 and all(len(n.split()) == 1 for n in names):
        return []  # "CSP / International / Photovoltaik": a topic list in the byline box
    return names


def _byline_text(element) -> str:
    """Text of a byline element with a " | " between its parts, so that glued pieces
    ("By April Roach@aprilroach28Daniel O'Mahony01 October 2020") stay apart."""
    parts = [piece.strip() for piece in element.itertext() if piece.strip()]
    return clean_page_value(" | ".join(parts)) or ""


def _microdata_author_names(sources: PageSources) -> list[str]:
    names = []
    for element in sources.itemprops.get("author", [])[:5]:
        if _of_article_item(element) or not in_foreign_container(element):
            for text in _itemprop_person_names(element):
                names += parse_byline(text, sources.site_names)
    return dedupe_names(names)


_ARTICLE_ITEMTYPE = re.compile(r"schema\.org/\w*(?:Article|Posting)\b", re.I)


def _of_article_item(element) -> bool:
    """The itemprop belongs to an Article/BlogPosting item: trusted even in that item's <footer>."""
    for ancestor in element.iterancestors():
        if ancestor.get("itemscope") is not None:
            return bool(_ARTICLE_ITEMTYPE.search(ancestor.get("itemtype") or ""))
    return False


def _itemprop_person_names(element) -> list[str]:
    """Names in an itemprop=author element: its itemprop=name children, else its text."""
    if element.tag == "meta":
        return [element.get("content") or element.get("value") or ""]
    if element.get("itemscope") is not None:
        names = [itemprop_value(child) or "" for child in element.iter() if child.get("itemprop") == "name"]
        if names:
            return names
    return [element.text_content()]


def _jsonld_author_names(sources: PageSources, value) -> list[str]:
    names = []
    for item in as_list(value):
        if isinstance(item, dict):
            item = sources.resolve_reference(item)
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(str(part) for part in name)
            if not name and (item.get("givenName") or item.get("familyName")):
                name = f"{item.get('givenName', '')} {item.get('familyName', '')}"
        else:
            name = item
        if not isinstance(name, str) or name.startswith(("http://", "https://")):
            continue
        for part in parse_byline(clean_page_value(name), sources.site_names):
            names.append(part)
    return dedupe_names(names)


# ---- language, section, tags ------------------------------------------------------------------------


def language(sources: PageSources) -> str | None:
    """JSON-LD inLanguage > <html lang> > content-language meta > og:locale > dc.language >
    microdata; when these disagree, or say nothing, a stopword/script guess on the headline
    and description decides (a German blog with <html lang="en">)."""
    declared = [
        first_string(sources.jsonld_value("inLanguage")),
        sources.html_lang,
        sources.first_meta("content-language", "language"),
        sources.first_meta("og:locale"),
        sources.first_meta("dc.language", "dcterms.language"),
        *sources.itemprop_values("inLanguage")[:1],
    ]
    codes = list(dict.fromkeys(c for c in map(declared_language_code, declared) if c))
    sample = " ".join(filter(None, [sources.h1s[0] if sources.h1s else None, sources.title,
                                    sources.first_meta("og:description", "description")]))
    if len(codes) == 1:
        # One declaration: trusted unless the text clearly says otherwise (an English
        # Business Insider page served with <html lang="de">).
        sure_guess = guess_language(sample, sure=True)
        return sure_guess if sure_guess and codes[0] in STOPWORD_SETS else codes[0]
    guess = guess_language(sample)
    if not codes:
        return guess
    return guess if guess in codes else codes[0]


def section(sources: PageSources) -> str | None:
    """JSON-LD articleSection > article:section > microdata > parsely/prism/other meta >
    the middle part of a "Headline | Section | Site" <title>.
    Placements and post types ("Homepage", "Front Page", "post") are not sections."""
    for candidate in (
        first_string(sources.jsonld_value("articleSection")),
        sources.first_meta("article:section", "og:article:section", "og:section"),
        next(iter(sources.itemprop_values("articleSection")), None),
        sources.first_meta("parsely-section", "prism.section", "section", "article.section", "sailthru.section",
                           "category", "cxenseparse:recs:category"),
        _section_from_title(sources),
    ):
        text = clean_page_value(candidate)
        if text and "," in text:
            text = text.split(",")[0].strip()  # "Commercial Real Estate,Home Page,Popular"
        if (text and text.casefold() not in _NOT_SECTIONS and len(text) <= 60
                and comparison_key(text) not in sources.site_keys):
            return text
    return None


def _section_from_title(sources: PageSources) -> str | None:
    """'Headline | UK News | Sky News' -> 'UK News' (only when the last part is the site)."""
    if not sources.title:
        return None
    parts = [p.strip() for p in TITLE_SEPARATORS.split(sources.title)]
    site_keys = sources.site_keys
    if len(parts) >= 3 and comparison_key(parts[-1]) in site_keys | {k + "com" for k in site_keys} or (
        len(parts) >= 3 and any(k and k in comparison_key(parts[-1]) for k in site_keys if len(k) > 3)
    ):
        part = parts[-2]
        in_headline = any(comparison_key(part) in comparison_key(h) for h in sources.h1s[:1])
        return part if 0 < len(part.split()) <= 3 and not in_headline else None
    return None


def tags(sources: PageSources) -> list[str]:
    """article:tag > news_keywords > JSON-LD keywords > parsely/sailthru tags > keywords
    (only when short: long lists are site-wide SEO) > microdata > visible tag links.

    Several article:tag metas are one tag each ("Trump, Donald J"); a single value is a
    comma list. Internal flags (ctp_video, @post-id:1), placements ("Front Page"), the
    headline used as a tag and the site name are dropped.
    """
    article = sources.article
    candidates = [
        sources.meta_values("article:tag", "og:article:tag"),
        sources.meta_values("news_keywords"),
        [k for k in as_list(article.get("keywords")) if isinstance(k, str)] if article else [],
        sources.meta_values("parsely-tags", "sailthru.tags"),
        sources.meta_values("keywords"),
        sources.itemprop_values("keywords"),
    ]
    plain_keywords = 4
    for index, candidate in enumerate(candidates):
        values = list(dict.fromkeys(v.strip() for v in candidate if isinstance(v, str) and v.strip()))
        # One value per tag (NYT: "Trump, Donald J"), unless every value is itself a list.
        if len(values) > 1 and not all(_SPLIT_TAGS.search(v) for v in values):
            raw = values
        else:
            raw = [t for v in values for t in _SPLIT_TAGS.split(v)]
        if index == plain_keywords and len(raw) > _MAX_KEYWORDS:
            continue
        found = _clean_tags(sources, raw)
        if found:
            return found
    return _visible_tags(sources)


def _clean_tags(sources: PageSources, raw: list[str]) -> list[str]:
    headline_words = set(comparison_words(sources.h1s[0] if sources.h1s else sources.title or ""))
    site_keys = {key for key in sources.site_keys if len(key) > 3}
    kept = []
    for tag in raw:
        tag = clean_page_value(_TAG_LABEL.sub("", tag or ""))  # "topic: Politics & Policy"
        if not tag or len(tag) > 80 or tag.casefold() in _NOT_TAGS or _INTERNAL_TAG.match(tag):
            continue
        if comparison_key(tag) in site_keys:
            continue
        words = set(comparison_words(tag))
        if len(words) >= 5 and len(words & headline_words) >= 0.75 * max(len(headline_words), len(words)):
            continue  # the headline (or its slug) used as a tag
        if tag.islower() and len(tag) <= 2:
            continue  # "tc"
        kept.append(tag)
    return dedupe_names(kept)


def _visible_tags(sources: PageSources) -> list[str]:
    """Links of the tag lists on the page (class "tags..."): all lists with the class of the
    first one, since some pages show a short list on top and a longer one below (BBC)."""
    first_class, texts = None, []
    for container in _TAG_LIST_XPATH(sources.tree)[:30]:
        if first_class is not None and container.get("class") != first_class:
            continue
        if in_foreign_container(container, _TAG_NOISE_CLASS):
            continue
        links = [clean_page_value(a.text_content()) for a in container.iter("a")]
        links = [t for t in links if t]
        if not links or sum(len(t.split()) > 5 for t in links) * 2 > len(links):
            continue  # lists of headlines are related stories, not tags
        first_class = container.get("class")
        texts += links
    return _clean_tags(sources, texts)


# ---- image, canonical URL ---------------------------------------------------------------------------


def main_image(sources: PageSources) -> str | None:
    """og:image > JSON-LD image > twitter:image > microdata image > <link rel=image_src>."""
    candidates = [
        sources.first_meta("og:image", "og:image:url", "og:image:secure_url"),
        _jsonld_image(sources.article.get("image")) if sources.article else None,
        sources.first_meta("twitter:image", "twitter:image:src"),
        *(sources.itemprop_values("image")[:1]),
        *(sources.links.get("image_src", [])[:1]),
    ]
    for candidate in candidates:
        url = sources.absolute(candidate)
        if url and not _PLACEHOLDER_IMAGE.search(urlsplit(url).path):
            return url
    return None


def _jsonld_image(value) -> str | None:
    for item in as_list(value):
        if isinstance(item, str) and item.strip():
            return item
        if isinstance(item, dict):
            url = item.get("url") or item.get("contentUrl") or item.get("@id")
            if isinstance(url, list):
                url = url[0] if url else None
            if isinstance(url, str) and url.strip():
                return url
    return None


def canonical_url(sources: PageSources) -> str | None:
    """<link rel=canonical> > og:url > JSON-LD mainEntityOfPage/url of the article."""
    candidates = [*sources.links.get("canonical", [])[:1], sources.first_meta("og:url")]
    if sources.article:
        main = sources.article.get("mainEntityOfPage")
        candidates.append(main.get("@id") if isinstance(main, dict) else main)
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip() and not candidate.strip().startswith("#"):
            return sources.absolute(candidate)
    return None


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector:
    return CSSSelector(selector)
