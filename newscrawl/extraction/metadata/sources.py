"""PageSources: everything a page says about its article, collected once per page.

One walk over the tree gathers the <meta> and <link> tags, JSON-LD objects, microdata
(itemprop), <time>, <h1>, <title> and rel=author elements; elements classed like a
byline or a date are found on first use. The field functions (``fields``) only read
this view. The tree is shared with body extraction and is never modified here.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from urllib.parse import urljoin, urlsplit

import lxml.etree

from newscrawl.extraction.document import Document
from newscrawl.extraction.text import blocks
from newscrawl.textnorm import clean_page_value, comparison_key

# Sources found by tag name (a fast C-level iteration), then by attribute (one XPath scan).
_SOURCE_TAGS = ("meta", "link", "script", "time", "h1", "title")
_ATTRIBUTE_SOURCES_XPATH = lxml.etree.XPath("//*[@itemprop or @rel='author']")
# Elements whose class or id says they hold the byline or the date: the fields read only
# the first few, so a walk that stops there (body_elements_named) beats an XPath scan.
_BYLINE_NAMES = {
    "class": re.compile("byline|author|Byline|Author|contributor|auteur|autor"),
    "id": re.compile("byline"),
    "data-testid": re.compile("byline"),
}
_DATE_NAMES = {"class": re.compile("date|Date|publish|timestamp"), "id": re.compile("date")}
MAX_BYLINE_ELEMENTS = 12
MAX_DATE_ELEMENTS = 15
# JSON-LD @type values, best first: a news article beats a generic one beats a web page.
_ARTICLE_TYPE_RANK = {
    "newsarticle": 5, "reportagenewsarticle": 5, "analysisnewsarticle": 5, "opinionnewsarticle": 5,
    "reviewnewsarticle": 5, "backgroundnewsarticle": 5, "askpublicnewsarticle": 5, "liveblogposting": 4,
    "article": 4, "blogposting": 4, "scholarlyarticle": 3, "techarticle": 3, "report": 3,
    "socialmediaposting": 3, "claimreview": 2, "review": 2, "recipe": 2, "videoobject": 1,
    "webpage": 1, "itempage": 1, "aboutpage": 1, "collectionpage": 0, "medicalwebpage": 1,
}
# Containers whose <time>/byline belong to other stories (related lists, comments, footers).
FOREIGN_CONTAINERS = frozenset({"aside", "nav", "footer", "li", "figcaption"})
_NOISE_CLASS = re.compile(r"related|recommend|comment|sidebar|promo|trending|popular|more-|teaser", re.I)
_PUBLISHED_LABEL = re.compile(r"publi|posted|created|first|pubdate|issued|erschienen|veröffentlicht", re.I)
UPDATED_LABEL = re.compile(r"updat|modif|edited|revised|aktualisiert|actualiz|atualiz|mis à jour", re.I)
# A Wayback Machine snapshot: web.archive.org/web/20140226054445/http://example.com/a (or …id_/…).
_SNAPSHOT_URL = re.compile(r"^https?://web\.archive\.org/web/\d{1,14}[a-z_]*/(.+)$", re.I)
TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»›]\s+|\s+::\s+")


class PageSources:
    """The page's metadata sources, in document order, and lookups over them."""

    def __init__(self, doc: Document):
        self.tree = doc.tree
        self.url = doc.url or ""
        self.site_url = original_url(self.url)  # the site the page is from (an archived copy's original)
        self.meta: dict[str, list[str]] = {}  # lowercased name/property -> contents in order
        self.links: dict[str, list[str]] = {}  # rel -> hrefs
        self.jsonld_nodes: list[dict] = []
        self.itemprops: dict[str, list] = {}  # itemprop -> elements
        self.times: list = []
        self.h1_lines: list[list[str]] = []  # per h1 with text: its lines (kicker and headline), see h1_lines()
        self.logo_names: list[str] = []  # text of <h1> logos (is_logo_heading): site names, not headlines
        self.title: str | None = None
        self.rel_authors: list = []
        self.html_lang = self.tree.get("lang") or self.tree.get("xml:lang")
        self._collect()
        self.article = self._main_jsonld_node()
        self.jsonld_pages = self._find_jsonld_pages()
        self.site_names = self._site_names()
        self.site_keys = {comparison_key(name) for name in self.site_names}

    @cached_property
    def h1s(self) -> list[str]:
        """The text of each <h1> that has any, its lines joined by a space."""
        return [clean_page_value(" ".join(lines)) for lines in self.h1_lines]

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
                    self.jsonld_nodes.extend(jsonld_nodes(element.text or ""))
            elif tag == "time":
                self.times.append(element)
            elif tag == "h1":
                if is_logo_heading(element, self.url):
                    self.logo_names.append(clean_page_value(element.text_content()))
                    continue
                lines = h1_lines(element)
                if lines:
                    self.h1_lines.append(lines)
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
            rank = max((_ARTICLE_TYPE_RANK.get(t.lower(), -1) for t in jsonld_types(node)), default=-1)
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
            if node is not self.article and any(t.lower().endswith("page") for t in jsonld_types(node)):
                nodes.append(node)
        return nodes

    def _site_names(self) -> set[str]:
        names = set(self.meta.get("og:site_name", [])) | set(self.meta.get("application-name", []))
        names |= set(self.meta.get("twitter:site", [])) | set(self.logo_names)
        publishers = [node.get("publisher") for node in self.jsonld_pages if node.get("publisher") is not None]
        publishers += [
            node for node in self.jsonld_nodes
            if "Organization" in jsonld_types(node) or "NewsMediaOrganization" in jsonld_types(node)
        ]  # (an article or page without a publisher names itself, not its site)
        for publisher in publishers:
            for item in as_list(publisher):
                # A blog published by its author names a person, who stays an author.
                if isinstance(item, dict) and isinstance(item.get("name"), str) and not _is_person(item):
                    names.add(item["name"])
        host = urlsplit(self.site_url).hostname or ""
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
            for part in TITLE_SEPARATORS.split(name or ""):  # "The Jerusalem Post | JPost.com"
                part = part.strip().lstrip("@")
                if part:
                    variants.add(part)
                    variants.add(re.sub(r"^the\s+", "", part, flags=re.I))
        return variants

    # ---- sources found on first use ----------------------------------------------------------

    @cached_property
    def byline_elements(self) -> list:
        """The first elements in the body whose class or id says byline, author or contributor."""
        return body_elements_named(self.tree, _BYLINE_NAMES, MAX_BYLINE_ELEMENTS)

    @cached_property
    def time_values(self) -> tuple[list[str], list[str], list[str]]:
        """Values of the first 20 <time> elements (not microdata), sorted by what they say
        they are: (published, updated, unmarked outside related lists)."""
        published, modified, unmarked = [], [], []
        for element in self.times[:20]:
            value = element.get("datetime") or clean_page_value(element.text_content())
            if not value:
                continue
            if element.get("itemprop"):
                continue  # already used as microdata
            own_label = " ".join(filter(None, (element.get("class"), element.get("id"))))
            label = element_label(element)
            if _PUBLISHED_LABEL.search(own_label):  # hAtom "entry-published updated" is published
                published.append(value.strip())
            elif UPDATED_LABEL.search(label):
                modified.append(value.strip())
            elif _PUBLISHED_LABEL.search(label) or element.get("pubdate") is not None:
                published.append(value.strip())
            elif not in_foreign_container(element):
                unmarked.append(value.strip())
        return published, modified, unmarked

    @cached_property
    def date_elements(self) -> list[tuple[str, bool]]:
        """(text, had an update label) of the first elements classed like a date. For
        "12:21 AM / Updated 14 hours ago" only the part before the label is kept; elements
        that start with it are skipped."""
        values = []
        for element in body_elements_named(self.tree, _DATE_NAMES, MAX_DATE_ELEMENTS):
            if element.tag in ("script", "style") or in_foreign_container(element):
                continue
            text = clean_page_value(element.text_content())
            if not text or len(text) > 80 or UPDATED_LABEL.search(element_label(element)):
                continue
            update = UPDATED_LABEL.search(text)
            if update:
                text = text[: update.start()].strip(" /|,;-–—")
                if not text:
                    continue
            values.append((text, update is not None))
        return values

    # ---- lookups -----------------------------------------------------------------------------

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
        """The first non-empty value of ``key`` on the article node, then on WebPage nodes."""
        for node in self.jsonld_pages:
            value = node.get(key)
            if value not in (None, "", []):
                return value
        return None

    def itemprop_values(self, name: str) -> list[str]:
        return [v for v in (itemprop_value(e) for e in self.itemprops.get(name.lower(), ())) if v]

    def resolve_reference(self, item: dict) -> dict:
        """{"@id": "#author-1"} -> the JSON-LD node with that @id."""
        if "name" in item or "@id" not in item:
            return item
        for node in self.jsonld_nodes:
            if node.get("@id") == item["@id"] and node is not item:
                return node
        return item

    def absolute(self, url: str | None) -> str | None:
        url = clean_page_value(url)
        if not url or url.startswith(("data:", "javascript:")):
            return None
        base = self.url or self.tree.base_url or ""
        return urljoin(base, url) if base else url


# ---- walks over the body ------------------------------------------------------------------------


def body_elements_named(tree, names: dict[str, re.Pattern], limit: int) -> list:
    """The first ``limit`` elements under <body>, in document order, that have an attribute
    matching its pattern in ``names`` ({"class": pattern, ...})."""
    found = []
    body = _body(tree)
    if body is None:
        return found
    attributes = tuple(names.items())
    for element in body.iterdescendants(lxml.etree.Element):
        for attribute, pattern in attributes:
            value = element.get(attribute)
            if value and pattern.search(value):
                found.append(element)
                break
        if len(found) == limit:
            break
    return found


def body_text_nodes(tree, start: re.Pattern):
    """(text, element) for each text node under <body>, in document order, that ``start``
    matches at its beginning. The element is the one the text is in, or for a tail text the
    element it follows (as lxml's ``getparent()`` of a text result gives it)."""
    body = _body(tree)
    if body is None:
        return
    for event, element in lxml.etree.iterwalk(body, events=("start", "end", "comment", "pi")):
        text = element.text if event == "start" else element.tail if element is not body else None
        if text and start.match(text):
            yield text, element


def _body(tree):
    body = tree.find("body")  # the parser puts it under <html>
    return body if body is not None else next(tree.iter("body"), None)


# ---- reading JSON-LD and microdata ---------------------------------------------------------------


def jsonld_nodes(text: str) -> list[dict]:
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


def jsonld_types(node: dict) -> list[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return [value.rsplit("/", 1)[-1]]
    if isinstance(value, list):
        return [v.rsplit("/", 1)[-1] for v in value if isinstance(v, str)]
    return []


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first_string(value) -> str | None:
    """The first non-blank string in a JSON-LD value, or the name of the first named object."""
    for item in as_list(value):
        if isinstance(item, str) and item.strip():
            return item
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            return item["name"]
    return None


def itemprop_value(element) -> str | None:
    tag = element.tag
    if tag == "meta":
        return element.get("content") or element.get("value")
    if tag == "time":
        return element.get("datetime") or clean_page_value(element.text_content())
    if tag in ("a", "link"):
        if element.get("itemprop") in ("url", "image"):
            return element.get("href")
        return clean_page_value(element.text_content())
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


# ---- where an element sits ---------------------------------------------------------------------


def element_label(element) -> str:
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


def _is_person(node: dict) -> bool:
    return "Person" in jsonld_types(node)


def in_foreign_container(element, noise_class: re.Pattern = None) -> bool:
    """True inside a related-links list, nav, footer, comment or caption. A container holding
    an <h1> is the story itself: its layout classes ("sticky-sidebar-parent") are not noise."""
    noise_class = noise_class or _NOISE_CLASS
    depth = 0
    for ancestor in element.iterancestors():
        depth += 1
        if ancestor.tag in ("body", "html"):  # their classes describe the page layout
            return False
        if ancestor.tag in FOREIGN_CONTAINERS:
            return True
        if depth <= 8 and noise_class.search(ancestor.get("class") or ""):
            return ancestor.find(".//h1") is None
    return False


_LOGO_NAME = re.compile(r"(?:^|[\s_-])(?:logo|masthead|branding|brand|site-?title|site-?name)(?:$|[\s_-])", re.I)


def original_url(url: str) -> str:
    """The URL itself, or for a Wayback Machine snapshot the URL it archived."""
    snapshot = _SNAPSHOT_URL.match(url or "")
    if not snapshot:
        return url
    original = snapshot.group(1)
    return original if re.match(r"^https?://", original, re.I) else f"http://{original}"


def is_logo_heading(element, url: str) -> bool:
    """An <h1> that is the site's logo: all its text is one link, and that link goes to the
    site's home page (an archived copy's: its original site's) or the h1 (or a near ancestor)
    is named logo, masthead, branding…"""
    links = element.findall(".//a")
    text = element.text_content().strip()
    if len(links) != 1 or not text or links[0].text_content().strip() != text:
        return False
    target = urlsplit(original_url(urljoin(url, links[0].get("href") or "")))
    site_host = urlsplit(original_url(url)).hostname
    if target.path in ("", "/") and not target.query and target.hostname == site_host:
        return True
    node = element
    for _ in range(3):
        if node is None:
            break
        if _LOGO_NAME.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
        node = node.getparent()
    return False


def h1_lines(element) -> list[str]:
    """The lines of an <h1>: split at <br>, or its child elements when nothing but space lies
    between them (``<span class="kicker">…</span><span>…</span>``). One line for a plain h1."""
    while len(element) == 1 and not (element.text or "").strip() and not (element[0].tail or "").strip():
        element = element[0]  # <h1><span>…</span></h1>: look inside
    children = [child for child in element if isinstance(child.tag, str)]
    if len(children) >= 2 and not (element.text or "").strip() and all(
            not (child.tail or "").strip() for child in children) and not any(c.tag == "br" for c in children):
        lines = [clean_page_value(child.text_content()) for child in children]
    else:
        lines = [clean_page_value(block.text) for block in blocks(element)]
    return [line for line in lines if line]
