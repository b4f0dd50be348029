"""A local news site of N distinct article pages built from the real pages the project ships.

Templates: every article page under tests/fixtures/ (gzip or not) and newscrawl/demo/site/articles/.
Page k is template k % T, rewritten so that each page is its own story and dedup cannot
short-circuit: every text node of 5+ words has its words mapped through a permutation of
the template's own vocabulary, seeded by k (markup, layout, sidebars, scripts, JSON-LD and
short labels such as "Most read", numbers, month/day names and date labels stay as they are); the headline (<h1>, <title>, og:title,
JSON-LD) becomes the template's headline through the same permutation; rel=canonical and
og:url point at the page's own URL (/news/YYYY/MM/DD/<slug>-<k>). Served with robots.txt,
a sitemap index and sitemaps of 250 URLs with lastmod.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import html
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html

from newscrawl.demo.server import Route

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_GLOBS = ("tests/fixtures/**/*.html", "tests/fixtures/**/*.html.gz", "newscrawl/demo/site/articles/*.html")
# Fixture pages that are not articles.
NOT_ARTICLES = ("section", "/sections/")
SITEMAP_SIZE = 250
FIRST_DATE = datetime(2024, 1, 1, 6, 0, tzinfo=timezone.utc)
_WORD = re.compile(r"\w+")
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "title"})
MIN_WORDS_CHANGED = 5  # shorter text nodes (labels, headings like "Most read") are kept
# Month and day names and the words that label dates are kept everywhere, so that datelines
# ("Published 19 November 2019, 09:02") stay real: scrambled dates would be neither real nor
# cheap to parse. Numbers are kept too.
_KEPT_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday mon tue wed thu fri sat sun am pm gmt bst utc est edt pst pdt et "
    "published updated posted modified created first last on at by".split())


@dataclass
class Template:
    path: str
    html: str
    headline: str | None
    vocabulary: list[str]


@dataclass
class Page:
    path: str
    headline: str
    published: datetime
    body: bytes


def load_templates() -> list[Template]:
    """The distinct article pages among the fixtures, in a stable order."""
    import newscrawl

    seen, templates = set(), []
    for pattern in TEMPLATE_GLOBS:
        for name in sorted(glob.glob(str(ROOT / pattern), recursive=True)):
            if any(part in name for part in NOT_ARTICLES):
                continue
            data = Path(name).read_bytes()
            if name.endswith(".gz"):
                data = gzip.decompress(data)
            digest = hashlib.sha256(data).digest()
            if digest in seen:
                continue
            seen.add(digest)
            text = data.decode("utf-8", errors="replace").replace("{BASE}", "http://127.0.0.1")
            headline = newscrawl.extract(data, "http://127.0.0.1/article").headline
            tree = lxml.html.document_fromstring(text)
            words = sorted({w.lower() for node in _text_nodes(tree) for w in _WORD.findall(node)
                            if not w.isdigit() and w.lower() not in _KEPT_WORDS})
            if len(words) < 50:
                continue
            templates.append(Template(str(Path(name).relative_to(ROOT)), text, headline, words))
    return templates


def _text_nodes(tree):
    body = tree.find(".//body")
    if body is None:
        return
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag in _SKIP_TAGS:
            continue
        if element.text:
            yield element.text
        if element.tail:
            yield element.tail


def _changeable(text: str | None) -> bool:
    return bool(text) and len(_WORD.findall(text)) >= MIN_WORDS_CHANGED


def _mapper(template: Template, seed: int):
    shuffled = template.vocabulary[:]
    random.Random(seed).shuffle(shuffled)
    table = dict(zip(template.vocabulary, shuffled))

    def word(match: re.Match) -> str:
        original = match.group(0)
        new = table.get(original.lower(), original)
        if original.isupper() and len(original) > 1:
            return new.upper()
        return new[:1].upper() + new[1:] if original[:1].isupper() else new

    def text(value: str) -> str:
        return _WORD.sub(word, value)

    return text


def _slug(text: str, number: int) -> str:
    words = [w for w in _WORD.findall(text.lower()) if w.isascii()][:8]
    return "-".join(words + [str(number)]) if len(words) >= 3 else f"story-{number}-of-the-day"


def make_page(template: Template, number: int, base: str) -> Page:
    change = _mapper(template, number)
    published = FIRST_DATE + timedelta(minutes=37 * number)
    headline = change(template.headline) if template.headline else f"Story number {number}"
    path = f"/news/{published:%Y/%m/%d}/{_slug(headline, number)}"
    url = base + path
    text = template.html
    if template.headline:
        for form in {template.headline, html.escape(template.headline, quote=False), html.escape(template.headline)}:
            text = text.replace(form, headline)
    tree = lxml.html.document_fromstring(text)
    body = tree.find(".//body")
    if body is not None:
        for element in body.iter():
            if not isinstance(element.tag, str) or element.tag in _SKIP_TAGS:
                continue
            if _changeable(element.text) and element.text.strip() != headline:
                element.text = change(element.text)
            if _changeable(element.tail):
                element.tail = change(element.tail)
    for element in tree.xpath("//link[@rel='canonical'] | //meta[@property='og:url'] | //base"):
        element.drop_tree()
    head = tree.find(".//head")
    if head is not None:
        head.insert(0, lxml.html.Element("link", rel="canonical", href=url))
    return Page(path, headline, published, lxml.html.tostring(tree, doctype="<!DOCTYPE html>", encoding="utf-8"))


def build_site(count: int, base: str, templates: list[Template] | None = None) -> tuple[dict[str, Route], list[str]]:
    """(routes for newscrawl.demo.server.SiteServer, article URLs in sitemap order)."""
    templates = templates or load_templates()
    pages = [make_page(templates[n % len(templates)], n, base) for n in range(count)]
    routes = {page.path: Route(body=page.body) for page in pages}
    xml = "application/xml"
    chunks = [pages[i:i + SITEMAP_SIZE] for i in range(0, len(pages), SITEMAP_SIZE)]
    names = [f"/sitemaps/articles-{i + 1}.xml" for i in range(len(chunks))]
    for name, chunk in zip(names, chunks):
        items = "".join(f"<url><loc>{base}{p.path}</loc><lastmod>{p.published.isoformat()}</lastmod></url>"
                        for p in chunk)
        routes[name] = Route(content_type=xml, body=(
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{items}</urlset>").encode())
    index = "".join(f"<sitemap><loc>{base}{name}</loc></sitemap>" for name in names)
    routes["/sitemaps/index.xml"] = Route(content_type=xml, body=(
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{index}</sitemapindex>").encode())
    routes["/robots.txt"] = Route(content_type="text/plain", body=(
        f"User-agent: *\nDisallow: /search/\nSitemap: {base}/sitemaps/index.xml\n").encode())
    return routes, [base + p.path for p in pages]
