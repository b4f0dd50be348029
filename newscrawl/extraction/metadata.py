"""Article metadata from a parsed page: headline, authors, dates, language, tags...

One pass over the tree collects every source (JSON-LD, microdata, <meta>, <link>,
<time>, <h1>, <title>); then each field takes the first usable value from its
sources in a fixed order of trust, documented at each ``_pick_*`` function.
General rule: structured data the publisher maintains for search engines
(JSON-LD, then microdata, then OpenGraph/article:* meta, then other named meta)
beats markup we have to interpret (<time>, byline classes), which beats
free text ("By ..." lines) and the URL.

The tree is shared with body extraction and is never modified here.
``extract_metadata`` never raises: any failure gives the empty result.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.etree
from htmldate import find_date
from lxml.cssselect import CSSSelector

from newscrawl.extraction.authors import dedupe_names, looks_like_name, parse_byline
from newscrawl.extraction.dates import date_from_url, parse_date
from newscrawl.extraction.document import Document
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.textnorm import clean_page_value, comparison_key, comparison_words, declared_language_code

logger = logging.getLogger(__name__)

FIELDS = (
    "headline", "description", "authors", "date_published_raw", "date_modified_raw",
    "in_language", "section", "tags", "main_image", "canonical_url",
)
_LIST_FIELDS = ("authors", "tags")

# Sources found by tag name (a fast C-level iteration), then by attribute (one XPath scan).
_SOURCE_TAGS = ("meta", "link", "script", "time", "h1", "title")
_ATTRIBUTE_SOURCES_XPATH = lxml.etree.XPath("//*[@itemprop or @rel='author']")
# Elements whose class or id says they hold the byline or the date (checked lazily).
_BYLINE_XPATH = lxml.etree.XPath(
    "//body//*[contains(@class, 'byline') or contains(@class, 'author') or contains(@id, 'byline')"
    " or contains(@class, 'Byline') or contains(@class, 'Author') or contains(@class, 'contributor')]"
)
_DATE_ELEMENT_XPATH = lxml.etree.XPath(
    "//body//*[contains(@class, 'date') or contains(@class, 'Date') or contains(@class, 'publish')"
    " or contains(@class, 'timestamp') or contains(@class, 'dateline') or contains(@id, 'date')]"
)
# Short text nodes starting "By " (the seed's "By Press Association" closes the article).
# Also labelled lines: "Autorin: Uta Staschewski, …", "Written by: <a>Julie Mollins</a>".
_BY_LINE_XPATH = lxml.etree.XPath(
    "//body//text()[starts-with(normalize-space(.), 'By ') or starts-with(normalize-space(.), 'BY ')"
    " or starts-with(normalize-space(.), 'Autor:') or starts-with(normalize-space(.), 'Autorin:')"
    " or starts-with(normalize-space(.), 'Author:') or starts-with(normalize-space(.), 'Written by')]"
)

# JSON-LD @type values, best first: a news article beats a generic one beats a web page.
_ARTICLE_TYPE_RANK = {
    "newsarticle": 5, "reportagenewsarticle": 5, "analysisnewsarticle": 5, "opinionnewsarticle": 5,
    "reviewnewsarticle": 5, "backgroundnewsarticle": 5, "askpublicnewsarticle": 5, "liveblogposting": 4,
    "article": 4, "blogposting": 4, "scholarlyarticle": 3, "techarticle": 3, "report": 3,
    "socialmediaposting": 3, "claimreview": 2, "review": 2, "recipe": 2, "videoobject": 1,
    "webpage": 1, "itempage": 1, "aboutpage": 1, "collectionpage": 0, "medicalwebpage": 1,
}
# Containers whose <time>/byline belong to other stories (related lists, comments, footers).
_FOREIGN_CONTAINERS = frozenset({"aside", "nav", "footer", "li", "figcaption"})
_NOISE_CLASS = re.compile(r"related|recommend|comment|sidebar|promo|trending|popular|more-|teaser", re.I)
# Tag lists sit in "widget"/"sidebar" blocks below the story on some sites (AP hosted).
_TAG_NOISE_CLASS = re.compile(r"related|recommend|comment|trending|popular|teaser", re.I)
_UPDATED_LABEL = re.compile(r"updat|modif|edited|revised|aktualisiert|actualiz|atualiz|mis à jour", re.I)
_PUBLISHED_LABEL = re.compile(r"publi|posted|created|first|pubdate|issued|erschienen|veröffentlicht", re.I)
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+|\s+::\s+")
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
_TAG_LIST_XPATH = lxml.etree.XPath(
    "//body//*[contains(@class, 'tags') or contains(@class, 'tag-list') or contains(@class, 'Tags')"
    " or contains(@class, 'topics-list')][.//a]"
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# Site-wide share images: opengraph_default.png, placeholder.jpg, logo-600.png
_PLACEHOLDER_IMAGE = re.compile(
    r"(?:^|[/_\-])(?:default|placeholder|blank|no-?image)[^/]*$|/logo[^/]*$|[_\-]logo\.\w+$", re.I
)


def empty_metadata() -> dict:
    return {name: ([] if name in _LIST_FIELDS else None) for name in FIELDS}


def extract_metadata(doc: Document, rules: ExtractionRules | None = None) -> dict:
    """All metadata fields of one page; missing fields are None or []. Never raises."""
    if doc is None or doc.tree is None:
        return empty_metadata()
    try:
        return _Extractor(doc, rules).run()
    except Exception:  # a bad page must not stop the crawl
        logger.exception("metadata extraction failed for %s", getattr(doc, "url", ""))
        return empty_metadata()


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
_STOPWORD_SETS = {lang: frozenset(words) for lang, words in _STOPWORDS.items()}
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
    counts = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORD_SETS.items()}
    best = max(counts, key=counts.get)
    ranked = sorted(counts.values(), reverse=True)
    if sure:
        return best if ranked[0] >= 4 and ranked[0] >= 2 * ranked[1] else None
    return best if ranked[0] >= 2 and ranked[0] > ranked[1] else None


class _Extractor:
    def __init__(self, doc: Document, rules: ExtractionRules | None):
        self.doc = doc
        self.tree = doc.tree
        self.url = doc.url or ""
        self.rules = rules or ExtractionRules()
        self.meta: dict[str, list[str]] = {}  # lowercased name/property -> contents in order
        self.links: dict[str, list[str]] = {}  # rel -> hrefs
        self.jsonld_nodes: list[dict] = []
        self.itemprops: dict[str, list] = {}  # itemprop -> elements
        self.times: list = []
        self.h1s: list[str] = []
        self.title: str | None = None
        self.rel_authors: list = []
        self._date_elements_cache: list | None = None
        self.html_lang = self.tree.get("lang") or self.tree.get("xml:lang")
        self._collect()
        self.article = self._main_jsonld_node()
        self.jsonld_pages = self._find_jsonld_pages()
        self.site_names = self._site_names()

    # ---- collection: one walk over the tree -------------------------------------------------

    def _collect(self) -> None:
        for element in self.tree.iter(*_SOURCE_TAGS):  # document order
            tag = element.tag
            if tag == "meta":
                self._collect_meta(element)
            elif tag == "link":
                if element.get("href"):
                    for rel in (element.get("rel") or "").lower().split():
                        self.links.setdefault(rel, []).append(element.get("href"))
            elif tag == "script":
                if "ld+json" in (element.get("type") or ""):
                    self.jsonld_nodes.extend(_jsonld_nodes(element.text or ""))
            elif tag == "time":
                self.times.append(element)
            elif tag == "h1":
                text = clean_page_value(element.text_content())
                if text:
                    self.h1s.append(text)
            elif self.title is None:  # <title>
                self.title = clean_page_value(element.text_content())
        for element in _ATTRIBUTE_SOURCES_XPATH(self.tree):
            if element.get("rel") == "author" and element.tag != "link":
                self.rel_authors.append(element)
            for name in (element.get("itemprop") or "").split():
                self.itemprops.setdefault(name.lower(), []).append(element)

    def _collect_meta(self, element) -> None:
        content = element.get("content")
        if content is None:
            content = element.get("value")  # seen on some scraped copies and old CMSs
        if content is None:
            return
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = element.get(attribute)
            if key:
                self.meta.setdefault(key.strip().lower(), []).append(content)

    def _main_jsonld_node(self) -> dict | None:
        """The JSON-LD object describing this article: best @type rank, then first with a headline."""
        best, best_rank = None, -1
        for node in self.jsonld_nodes:
            rank = max((_ARTICLE_TYPE_RANK.get(t.lower(), -1) for t in _types(node)), default=-1)
            if rank < 0:
                continue
            if not (node.get("headline") or node.get("name")):
                rank -= 0.5
            if rank > best_rank:
                best, best_rank = node, rank
        return best

    def _find_jsonld_pages(self) -> list[dict]:
        """The main article node, then WebPage nodes (some sites put dates only there)."""
        nodes = [self.article] if self.article else []
        for node in self.jsonld_nodes:
            if node is not self.article and any(t.lower().endswith("page") for t in _types(node)):
                nodes.append(node)
        return nodes

    def _site_names(self) -> set[str]:
        names = set(self.meta.get("og:site_name", [])) | set(self.meta.get("application-name", []))
        names |= set(self.meta.get("twitter:site", []))
        for node in self.jsonld_pages + [
            n for n in self.jsonld_nodes if "Organization" in _types(n) or "NewsMediaOrganization" in _types(n)
        ]:
            publisher = node.get("publisher") if node.get("publisher") is not None else node
            for item in _as_list(publisher):
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    names.add(item["name"])
        host = urlsplit(self.url).hostname or ""
        labels = [label for label in host.split(".") if label not in ("www", "m", "amp", "edition")]
        if len(labels) >= 2:
            names.add(".".join(labels))
            # The registrable label: "express" in express.co.uk, "sky" in news.sky.com. Short ones
            # ("ap" in hosted.ap.org) are left out: they collide with agency names and words.
            public_suffix = labels[-2] in ("co", "com", "org", "net", "ac", "gov") and len(labels) >= 3
            registrable = labels[-3] if public_suffix else labels[-2]
            if len(registrable) >= 4:
                names.add(registrable)
        variants = set()
        for name in names:
            for part in _TITLE_SEPARATORS.split(name or ""):  # "The Jerusalem Post | JPost.com"
                part = part.strip().lstrip("@")
                if part:
                    variants.add(part)
                    variants.add(re.sub(r"^the\s+", "", part, flags=re.I))
        return variants

    # ---- helpers -----------------------------------------------------------------------------

    def meta_values(self, *keys: str) -> list[str]:
        values = []
        for key in keys:
            values.extend(self.meta.get(key, ()))
        return values

    def first_meta(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, ()):
                text = clean_page_value(value)
                if text:
                    return text
        return None

    def jsonld_value(self, key: str):
        for node in self.jsonld_pages:
            value = node.get(key)
            if value not in (None, "", []):
                return value
        return None

    def itemprop_values(self, name: str) -> list[str]:
        return [v for v in (_itemprop_value(e) for e in self.itemprops.get(name.lower(), ())) if v]

    def absolute(self, url: str | None) -> str | None:
        url = clean_page_value(url)
        if not url or url.startswith(("data:", "javascript:")):
            return None
        base = self.url or self.tree.base_url or ""
        return urljoin(base, url) if base else url

    # ---- fields ------------------------------------------------------------------------------

    def run(self) -> dict:
        result = empty_metadata()
        result["headline"] = self._pick_headline()
        result["description"] = self._pick_description()
        result["date_published_raw"], result["date_modified_raw"] = self._pick_dates()
        result["authors"] = self._pick_authors()
        result["in_language"] = self._pick_language()
        result["section"] = self._pick_section()
        result["tags"] = self._pick_tags()
        result["main_image"] = self._pick_main_image()
        result["canonical_url"] = self._pick_canonical_url()
        return result

    def _pick_headline(self) -> str | None:
        """The visible <h1> when the metadata confirms it, else JSON-LD > og:title > twitter:title >
        microdata headline > <title> without the site name.

        Metadata titles are often a shorter social/SEO rewrite (BBC, USA Today, NBC), cut to
        110 characters for Google (The Sun), or carry a " | Site" suffix, so a first <h1> that
        matches a candidate, extends a cut one, or shares many words with one is preferred.
        """
        candidates = []
        if self.article:
            candidates.append(_first_string(self.article.get("headline")) or _first_string(self.article.get("name")))
        candidates.append(self.first_meta("og:title"))
        candidates.append(self.first_meta("twitter:title"))
        candidates.extend(self.itemprop_values("headline")[:1])
        candidates.append(self.first_meta("sailthru.title", "dc.title", "parsely-title"))
        title = self._strip_site_suffix(self.title) if self.title else None
        candidates.append(title)
        candidates = [c for c in (clean_page_value(c) for c in candidates) if c]
        h1s = [h for h in self.h1s[:3] if not self._is_site_name(h)]
        for h1 in h1s:
            for candidate in candidates:
                if _has_kicker(h1, candidate):  # "Tunesien Große Aufgaben…": the metadata has the headline alone
                    return candidate
        for h1 in h1s:
            if any(self._h1_matches(h1, c) for c in candidates):
                return h1
        if h1s and candidates and len(h1s[0]) >= 20:
            if max(_word_overlap(h1s[0], c) for c in candidates) >= 0.3:
                return h1s[0]
        for candidate in candidates:
            stripped = self._strip_site_suffix(candidate)
            if stripped:
                return stripped
        return h1s[0] if h1s else None

    def _is_site_name(self, text: str) -> bool:
        key = comparison_key(text)
        return any(key == comparison_key(name) for name in self.site_names) or len(key) < 4

    def _h1_matches(self, h1: str, candidate: str) -> bool:
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

    def _strip_site_suffix(self, title: str | None) -> str | None:
        """'Headline - BBC News' -> 'Headline'; also a leading 'Site | '. Separators inside the
        headline are kept as written."""
        if not title:
            return None
        site_keys = {comparison_key(name) for name in self.site_names}

        def is_site(part: str) -> bool:
            key = comparison_key(part)
            return key in site_keys or any(k in key for k in site_keys if len(k) > 3)

        separators = list(_TITLE_SEPARATORS.finditer(title))
        end = len(title)
        for separator in reversed(separators):  # drop trailing site parts, right to left
            if is_site(title[separator.end():end]):
                end = separator.start()
            else:
                break
        start = 0
        for separator in separators:  # drop a leading site part
            if separator.end() <= end and comparison_key(title[:separator.start()]) in site_keys:
                start = separator.end()
            break
        return clean_page_value(title[start:end]) or clean_page_value(title)

    def _pick_description(self) -> str | None:
        """og:description > JSON-LD description > meta description > twitter > dc > microdata.

        og:description is the editor's share text and most often the visible dek (The Verge,
        NBC). A candidate cut with "..." loses to a longer one that continues it (Reuters).
        Texts over _MAX_DESCRIPTION characters are the article body, not a standfirst.
        """
        candidates = [
            self.first_meta("og:description"),
            _first_string(self.article.get("description")) if self.article else None,
            self.first_meta("description"),
            self.first_meta("twitter:description"),
            self.first_meta("dc.description", "dcterms.description", "sailthru.description"),
            next(iter(self.itemprop_values("description")), None),
        ]
        candidates = [c for c in (clean_page_value(c) for c in candidates) if c and len(c) <= _MAX_DESCRIPTION]
        for index, candidate in enumerate(candidates):
            if candidate.endswith(("...", "…", "[…]", "[...]")):
                stem = comparison_key(candidate.rstrip(".…[] "))
                longer = [c for c in candidates[index + 1:] if len(c) > len(candidate) and comparison_key(c).startswith(stem)]
                if longer:
                    return longer[0]
            return candidate
        return None

    def _pick_dates(self) -> tuple[str | None, str | None]:
        """(published, modified): raw texts of the chosen sources, which must parse as dates.

        Published, first usable of: site rule > JSON-LD datePublished (article, then WebPage) >
        microdata datePublished > article:published_time and other "published" meta >
        <time> marked published > first unmarked <time> outside related lists > element
        classed "date" (its part before any "Updated") > a short text around the byline >
        htmldate's original date (headers, scripts, free text; a day only) > URL.
        Modified: the LATEST of JSON-LD dateModified, microdata, article:modified_time,
        og:updated_time and other "modified" meta (JSON-LD often repeats datePublished while
        article:modified_time has the update); else a <time> labelled "updated".
        Modified sources never feed published: og:updated_time, dateModified and
        "Updated ..." elements are the classic trap.
        If published == modified to the second, a visible "<time> / Updated ..." dateline
        showing an earlier first publication wins (Reuters overwrote published_time).
        """
        url = self.url
        published_sources = [
            self._rule_date(),
            _jsonld_date(self.article, "datePublished") if self.article else None,
            *[_jsonld_date(n, "datePublished") for n in self.jsonld_pages[1:]],
            *self.itemprop_values("datePublished")[:1],
            *self.meta_values(
                "article:published_time", "og:article:published_time", "article:published",
                "og:published_time", "published_time", "datepublished", "parsely-pub-date",
                "sailthru.date", "pubdate", "publishdate", "publish-date", "publish_date", "pub_date",
                "article.published", "dc.date.issued", "dcterms.issued", "dcterms.created",
                "dc.date.created", "dc.date", "dcterms.date", "date", "cxenseparse:recs:publishtime",
                "article:post_date", "ptime", "timestamp", "original-publish-date",
            ),
            *self.itemprop_values("dateCreated")[:1],
        ]
        structured_modified = [
            _jsonld_date(self.article, "dateModified") if self.article else None,
            *self.itemprop_values("dateModified")[:1],
            *self.meta_values(
                "article:modified_time", "og:article:modified_time", "article:modified",
                "og:updated_time", "modified_time", "datemodified", "last-modified", "lastmod",
                "dc.date.modified", "dcterms.modified", "article.updated", "utime", "updated",
            ),
        ]
        marked_published, marked_modified, unmarked = self._classify_time_elements()
        published = _first_date(published_sources + marked_published + unmarked[:1], url)
        if published is None:
            published = _first_date((text for text, _ in self._date_elements()), url)
        if published is None:
            published = _first_date(self._byline_context_texts(), url)
        modified = _latest_date(structured_modified, url) or _first_date(marked_modified, url)
        if published and modified and parse_date(published, url) == parse_date(modified, url):
            dated_with_update = [text for text, had_update in self._date_elements() if had_update]
            published = _earlier_visible_date(published, dated_with_update, url) or published
        if published is None:
            published = _htmldate_published(self.tree, url, modified)
        if published is None and date_from_url(url):
            published = _url_date_text(url)
        return published, modified

    def _rule_date(self) -> str | None:
        if not self.rules.date_selector:
            return None
        for element in _css(self.rules.date_selector)(self.tree):
            value = element.get("datetime") or element.get("content") or clean_page_value(element.text_content())
            if value and parse_date(value, self.url):
                return value.strip()
        return None

    def _classify_time_elements(self) -> tuple[list[str], list[str], list[str]]:
        """<time> values sorted by what they say they are: published, updated, or unmarked."""
        published, modified, unmarked = [], [], []
        for element in self.times[:20]:
            value = element.get("datetime") or clean_page_value(element.text_content())
            if not value:
                continue
            if element.get("itemprop"):
                continue  # already used as microdata
            own_label = " ".join(filter(None, (element.get("class"), element.get("id"))))
            label = _element_label(element)
            if _PUBLISHED_LABEL.search(own_label):  # hAtom "entry-published updated" is published
                published.append(value.strip())
            elif _UPDATED_LABEL.search(label):
                modified.append(value.strip())
            elif _PUBLISHED_LABEL.search(label) or element.get("pubdate") is not None:
                published.append(value.strip())
            elif not _in_foreign_container(element):
                unmarked.append(value.strip())
        return published, modified, unmarked

    def _date_elements(self) -> list[tuple[str, bool]]:
        """(text, had an update label) of the first elements classed like a date. For
        "12:21 AM / Updated 14 hours ago" only the part before the label is kept; elements
        that start with it are skipped. Computed once, on first use."""
        if self._date_elements_cache is not None:
            return self._date_elements_cache
        values = []
        for element in _DATE_ELEMENT_XPATH(self.tree)[:15]:
            if element.tag in ("script", "style") or _in_foreign_container(element):
                continue
            text = clean_page_value(element.text_content())
            if not text or len(text) > 80 or _UPDATED_LABEL.search(_element_label(element)):
                continue
            update = _UPDATED_LABEL.search(text)
            if update:
                text = text[: update.start()].strip(" /|,;-–—")
                if not text:
                    continue
            values.append((text, update is not None))
        self._date_elements_cache = values
        return values

    def _byline_context_texts(self) -> list[str]:
        """Short texts around byline elements: "Von Moritz Bachmann publiziert am 25. September 2018".
        The byline element and up to two parents are tried; the first short one with a year is kept."""
        texts = []
        for element in (self.rel_authors + _BYLINE_XPATH(self.tree))[:6]:
            node = element
            for _ in range(3):
                if node is None or node.tag in ("body", "html"):
                    break
                text = clean_page_value(node.text_content())
                if text and len(text) <= 160 and _YEAR.search(text):
                    update = _UPDATED_LABEL.search(text)
                    texts.append(text[: update.start()] if update else text)
                    break
                node = node.getparent()
        return texts

    def _pick_authors(self) -> list[str]:
        """Site rule > JSON-LD author > microdata author > meta author tags > rel=author >
        byline-classed elements > a short "By ..." text line anywhere in the body."""
        sites = self.site_names
        if self.rules.author_selector:
            names = []
            for element in _css(self.rules.author_selector)(self.tree):
                names += parse_byline(element.text_content(), sites)
            if names:
                return dedupe_names(names)
        # Structured sources, in order of trust. A later one wins only when it names everyone the
        # first one names and more (the Evening Standard's JSON-LD drops the second author).
        structured = [self._jsonld_author_names(n.get("author") or n.get("creator")) for n in self.jsonld_pages]
        structured.append(self._microdata_author_names())
        for key in ("author", "article:author", "article:author_name", "parsely-author", "sailthru.author",
                    "dc.creator", "dcterms.creator", "byl", "author_name"):
            names = []
            for value in self.meta.get(key, ()):
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
            return best
        names = []
        for element in self.rel_authors[:5]:
            names += parse_byline(_byline_text(element), sites)
        if names:
            return dedupe_names(names)
        byline_elements = [
            e for e in _BYLINE_XPATH(self.tree)[:12]
            if e.tag not in ("script", "style", "img", "meta", "link") and not _in_foreign_container(e)
        ]
        for index, element in enumerate(byline_elements):
            names = self._byline_element_names(element)
            if names:
                # A more specific byline element inside this one may name fewer of them: the outer
                # text can add the paper ("... Trevor J. Mitchell | Sioux Falls Argus Leader").
                for inner in byline_elements[index + 1:]:
                    if element in inner.iterancestors():
                        inner_names = self._byline_element_names(inner)
                        if inner_names and set(inner_names) < set(names):
                            return inner_names
                return names
        for text_node in _BY_LINE_XPATH(self.tree)[:10]:
            text = clean_page_value(str(text_node))
            parent = text_node.getparent()
            if not text or len(text) > 80 or parent is None or parent.tag in ("script", "style", "figcaption"):
                continue
            names = [n for n in parse_byline(text, sites) if looks_like_name(n)]
            if not names and text.endswith(":"):  # the label alone; the name is in the next element
                whole = clean_page_value(parent.text_content())
                if whole and len(whole) <= 80:
                    names = [n for n in parse_byline(whole, sites) if looks_like_name(n)]
            if names:
                return names
        return []

    def _byline_element_names(self, element) -> list[str]:
        text = _byline_text(element)
        if not text or len(text) > 160:
            return []
        return [n for n in parse_byline(text, self.site_names) if looks_like_name(n)]

    def _microdata_author_names(self) -> list[str]:
        names = []
        for element in self.itemprops.get("author", [])[:5]:
            if not _in_foreign_container(element):
                for text in _itemprop_person_names(element):
                    names += parse_byline(text, self.site_names)
        return dedupe_names(names)

    def _jsonld_author_names(self, value) -> list[str]:
        names = []
        for item in _as_list(value):
            if isinstance(item, dict):
                item = self._resolve_reference(item)
                name = item.get("name")
                if isinstance(name, list):
                    name = " ".join(str(part) for part in name)
                if not name and (item.get("givenName") or item.get("familyName")):
                    name = f"{item.get('givenName', '')} {item.get('familyName', '')}"
            else:
                name = item
            if not isinstance(name, str) or name.startswith(("http://", "https://")):
                continue
            for part in parse_byline(clean_page_value(name), self.site_names):
                names.append(part)
        return dedupe_names(names)

    def _resolve_reference(self, item: dict) -> dict:
        """{"@id": "#author-1"} -> the @graph node with that @id."""
        if "name" in item or "@id" not in item:
            return item
        for node in self.jsonld_nodes:
            if node.get("@id") == item["@id"] and node is not item:
                return node
        return item

    def _pick_language(self) -> str | None:
        """JSON-LD inLanguage > <html lang> > content-language meta > og:locale > dc.language >
        microdata; when these disagree, or say nothing, a stopword/script guess on the headline
        and description decides (a German blog with <html lang="en">)."""
        declared = [
            _first_string(self.jsonld_value("inLanguage")),
            self.html_lang,
            self.first_meta("content-language", "language"),
            self.first_meta("og:locale"),
            self.first_meta("dc.language", "dcterms.language"),
            *self.itemprop_values("inLanguage")[:1],
        ]
        codes = list(dict.fromkeys(c for c in map(declared_language_code, declared) if c))
        sample = " ".join(filter(None, [self.h1s[0] if self.h1s else None, self.title,
                                        self.first_meta("og:description", "description")]))
        if len(codes) == 1:
            # One declaration: trusted unless the text clearly says otherwise (an English
            # Business Insider page served with <html lang="de">).
            sure_guess = guess_language(sample, sure=True)
            return sure_guess if sure_guess and codes[0] in _STOPWORD_SETS else codes[0]
        guess = guess_language(sample)
        if not codes:
            return guess
        return guess if guess in codes else codes[0]

    def _pick_section(self) -> str | None:
        """JSON-LD articleSection > article:section > microdata > parsely/prism/other meta >
        the middle part of a "Headline | Section | Site" <title>.
        Placements and post types ("Homepage", "Front Page", "post") are not sections."""
        value = self.jsonld_value("articleSection")
        for candidate in (
            _first_string(value),
            self.first_meta("article:section", "og:article:section", "og:section"),
            next(iter(self.itemprop_values("articleSection")), None),
            self.first_meta("parsely-section", "prism.section", "section", "article.section", "sailthru.section",
                            "category", "cxenseparse:recs:category"),
            self._section_from_title(),
        ):
            text = clean_page_value(candidate)
            if text and "," in text:
                text = text.split(",")[0].strip()  # "Commercial Real Estate,Home Page,Popular"
            if (text and text.casefold() not in _NOT_SECTIONS and len(text) <= 60
                    and comparison_key(text) not in self._site_keys()):
                return text
        return None

    def _site_keys(self) -> set[str]:
        return {comparison_key(name) for name in self.site_names}

    def _section_from_title(self) -> str | None:
        """'Headline | UK News | Sky News' -> 'UK News' (only when the last part is the site)."""
        if not self.title:
            return None
        parts = [p.strip() for p in _TITLE_SEPARATORS.split(self.title)]
        site_keys = {comparison_key(name) for name in self.site_names}
        if len(parts) >= 3 and comparison_key(parts[-1]) in site_keys | {k + "com" for k in site_keys} or (
            len(parts) >= 3 and any(k and k in comparison_key(parts[-1]) for k in site_keys if len(k) > 3)
        ):
            section = parts[-2]
            in_headline = any(comparison_key(section) in comparison_key(h) for h in self.h1s[:1])
            return section if 0 < len(section.split()) <= 3 and not in_headline else None
        return None

    def _pick_tags(self) -> list[str]:
        """article:tag > news_keywords > JSON-LD keywords > parsely/sailthru tags > keywords
        (only when short: long lists are site-wide SEO) > microdata > visible tag links.

        Several article:tag metas are one tag each ("Trump, Donald J"); a single value is a
        comma list. Internal flags (ctp_video, @post-id:1), placements ("Front Page"), the
        headline used as a tag and the site name are dropped.
        """
        sources = [
            self.meta_values("article:tag", "og:article:tag"),
            self.meta_values("news_keywords"),
            [k for k in _as_list(self.article.get("keywords")) if isinstance(k, str)] if self.article else [],
            self.meta_values("parsely-tags", "sailthru.tags"),
            self.meta_values("keywords"),
            self.itemprop_values("keywords"),
        ]
        for index, source in enumerate(sources):
            values = list(dict.fromkeys(v.strip() for v in source if isinstance(v, str) and v.strip()))
            # One value per tag (NYT: "Trump, Donald J"), unless every value is itself a list.
            if len(values) > 1 and not all(_SPLIT_TAGS.search(v) for v in values):
                raw = values
            else:
                raw = [t for v in values for t in _SPLIT_TAGS.split(v)]
            if index == 4 and len(raw) > _MAX_KEYWORDS:
                continue
            tags = self._clean_tags(raw)
            if tags:
                return tags
        return self._visible_tags()

    def _clean_tags(self, raw: list[str]) -> list[str]:
        headline_words = set(comparison_words(self.h1s[0] if self.h1s else self.title or ""))
        site_keys = {comparison_key(name) for name in self.site_names if len(comparison_key(name)) > 3}
        tags = []
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
            tags.append(tag)
        return dedupe_names(tags)

    def _visible_tags(self) -> list[str]:
        """Links of the tag lists on the page (class "tags..."): all lists with the class of the
        first one, since some pages show a short list on top and a longer one below (BBC)."""
        first_class, texts = None, []
        for container in _TAG_LIST_XPATH(self.tree)[:30]:
            if first_class is not None and container.get("class") != first_class:
                continue
            if _in_foreign_container(container, _TAG_NOISE_CLASS):
                continue
            links = [clean_page_value(a.text_content()) for a in container.iter("a")]
            links = [t for t in links if t]
            if not links or sum(len(t.split()) > 5 for t in links) * 2 > len(links):
                continue  # lists of headlines are related stories, not tags
            first_class = container.get("class")
            texts += links
        return self._clean_tags(texts)

    def _pick_main_image(self) -> str | None:
        """og:image > JSON-LD image > twitter:image > microdata image > <link rel=image_src>."""
        candidates = [
            self.first_meta("og:image", "og:image:url", "og:image:secure_url"),
            _jsonld_image(self.article.get("image")) if self.article else None,
            self.first_meta("twitter:image", "twitter:image:src"),
            *(self.itemprop_values("image")[:1]),
            *(self.links.get("image_src", [])[:1]),
        ]
        for candidate in candidates:
            url = self.absolute(candidate)
            if url and not _PLACEHOLDER_IMAGE.search(urlsplit(url).path):
                return url
        return None

    def _pick_canonical_url(self) -> str | None:
        """<link rel=canonical> > og:url > JSON-LD mainEntityOfPage/url of the article."""
        candidates = [*self.links.get("canonical", [])[:1], self.first_meta("og:url")]
        if self.article:
            main = self.article.get("mainEntityOfPage")
            candidates.append(main.get("@id") if isinstance(main, dict) else main)
        for candidate in candidates:
            if isinstance(candidate, str) and candidate.strip() and not candidate.strip().startswith("#"):
                return self.absolute(candidate)
        return None


# ---- module helpers ---------------------------------------------------------------------------


def _jsonld_nodes(text: str) -> list[dict]:
    """Every object in a JSON-LD script, with @graph, lists and nested main entities flattened."""
    data = _load_json(text)
    nodes: list[dict] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            nodes.append(item)
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement", "hasPart"):
                child = item.get(key)
                if isinstance(child, (list, dict)):
                    stack.append(child)
    return nodes


def _load_json(text: str):
    text = text.strip()
    if not text:
        return None
    if text.startswith("<!--") or "CDATA" in text[:20]:
        text = re.sub(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?://\s*\]\]>|\]\]>|-->)\s*$", "", text)
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    # Common publisher mistakes: trailing commas, a trailing ";", several objects in one script.
    repaired = re.sub(r",\s*([}\]])", r"\1", text.rstrip(";"))
    try:
        return json.loads(repaired, strict=False)
    except ValueError:
        pass
    decoder, objects, index = json.JSONDecoder(strict=False), [], 0
    while index < len(repaired):
        try:
            obj, index = decoder.raw_decode(repaired, index)
        except ValueError:
            break
        objects.append(obj)
        while index < len(repaired) and repaired[index] in " \t\r\n,;":
            index += 1
    return objects or None


def _types(node: dict) -> list[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return [value.rsplit("/", 1)[-1]]
    if isinstance(value, list):
        return [v.rsplit("/", 1)[-1] for v in value if isinstance(v, str)]
    return []


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first_string(value) -> str | None:
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return item
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            return item["name"]
    return None


def _jsonld_date(node: dict | None, key: str) -> str | None:
    value = _first_string(node.get(key)) if node else None
    return value.strip() if value else None


def _jsonld_image(value) -> str | None:
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return item
        if isinstance(item, dict):
            url = item.get("url") or item.get("contentUrl") or item.get("@id")
            if isinstance(url, list):
                url = url[0] if url else None
            if isinstance(url, str) and url.strip():
                return url
    return None


def _itemprop_value(element) -> str | None:
    tag = element.tag
    if tag == "meta":
        return element.get("content") or element.get("value")
    if tag == "time":
        return element.get("datetime") or clean_page_value(element.text_content())
    if tag in ("a", "link"):
        return element.get("href") if element.get("itemprop") in ("url", "image") else clean_page_value(element.text_content())
    if tag in ("img", "source"):
        return element.get("src") or element.get("data-src")
    if element.get("content"):
        return element.get("content")
    if element.get("itemscope") is not None and element.get("itemprop") == "image":
        for child in element.iter("meta", "img", "link"):
            if child.get("itemprop") == "url":
                return child.get("content") or child.get("src") or child.get("href")
        return None
    return clean_page_value(element.text_content())


def _itemprop_person_names(element) -> list[str]:
    """Names in an itemprop=author element: its itemprop=name children, else its text."""
    if element.tag == "meta":
        return [element.get("content") or element.get("value") or ""]
    if element.get("itemscope") is not None:
        names = [_itemprop_value(child) or "" for child in element.iter() if child.get("itemprop") == "name"]
        if names:
            return names
    return [element.text_content()]


def _byline_text(element) -> str:
    """Text of a byline element with a " | " between its parts, so that glued pieces
    ("By April Roach@aprilroach28Daniel O'Mahony01 October 2020") stay apart."""
    parts = [piece.strip() for piece in element.itertext() if piece.strip()]
    return clean_page_value(" | ".join(parts)) or ""


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
    return match.group(0) if match else None


def _element_label(element) -> str:
    """Words describing a date element: its attributes, its parent's class, and the text just before it."""
    parts = [element.get("class") or "", element.get("id") or "", element.get("itemprop") or ""]
    parent = element.getparent()
    if parent is not None:
        parts.append(parent.get("class") or "")
        parts.append((parent.text or "")[-40:])
        previous = element.getprevious()
        if previous is not None:
            parts.append((previous.tail or "")[-40:])
            if isinstance(previous.tag, str):
                parts.append(previous.text_content()[-40:])
    return " ".join(parts)


def _in_foreign_container(element, noise_class: re.Pattern = None) -> bool:
    """True inside a related-links list, nav, footer, comment or caption."""
    noise_class = noise_class or _NOISE_CLASS
    depth = 0
    for ancestor in element.iterancestors():
        depth += 1
        if ancestor.tag in ("body", "html"):  # their classes describe the page layout
            return False
        if ancestor.tag in _FOREIGN_CONTAINERS:
            return True
        if depth <= 8 and noise_class.search(ancestor.get("class") or ""):
            return True
    return False


def _has_kicker(h1: str, candidate: str) -> bool:
    """The <h1> is the metadata headline with a kicker or date glued in front of it."""
    h1_key, key = comparison_key(h1), comparison_key(candidate)
    return len(key) >= 20 and len(h1_key) > len(key) and h1_key.endswith(key) and len(h1.split()) - len(
        candidate.split()) <= 4


def _word_overlap(first: str, second: str) -> float:
    """Shared words / words of the shorter text."""
    a, b = set(comparison_words(first)), set(comparison_words(second))
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector:
    return CSSSelector(selector)
