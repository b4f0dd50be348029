"""A generated news site of 200+ pages for discovery tests.

150 articles in 3 sections; each article is reachable from some of: a nested sitemap index
(one child gzipped), a Google News sitemap, an RSS feed, and paginated section pages.
Navigation pages (home, sections, tags, authors, about) link to each other and must never be
stored. Links repeat with tracking parameters and fragments.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from newscrawl.demo.server import Route

SECTIONS = ("world", "politics", "business")
PER_SECTION = 60
PAGE_SIZE = 10
FIRST_DATE = datetime(2021, 11, 1, 8, 0, tzinfo=timezone.utc)
WORDS = ("minister government report council officials market prices talks agreement energy "
         "election court police city residents company workers union budget plan families "
         "hospital school weather storm border troops summit leaders trade bank rates inflation "
         "research scientists village harbour bridge railway festival museum river coast").split()


@dataclass
class GeneratedArticle:
    number: int
    section: str
    published: datetime
    via: frozenset  # where it is listed: sitemap, news, feed, section

    @property
    def slug(self) -> str:
        return f"story-number-{self.number}-about-the-{self.section}-desk"

    @property
    def path(self) -> str:
        return f"/{self.section}/{self.slug}/"

    @property
    def headline(self) -> str:
        return f"Story number {self.number} from the {self.section} desk"


def _paragraphs(number: int) -> list[str]:
    rng = random.Random(number)
    return [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(8)]


def articles() -> list[GeneratedArticle]:
    result = []
    for index in range(PER_SECTION * len(SECTIONS)):
        section = SECTIONS[index % len(SECTIONS)]
        via = {"sitemap"}
        if index % 5 == 0:
            via = {"section"}  # only on section pages
        elif index % 5 == 1:
            via = {"feed"} if index >= 160 else {"sitemap", "section"}
        elif index % 5 == 2:
            via = {"sitemap", "section", "feed"}
        if index >= 165:
            via.add("news")
        result.append(GeneratedArticle(index, section, FIRST_DATE + timedelta(hours=10 * index), frozenset(via)))
    return result


def _page(title: str, body: str, head: str = "") -> bytes:
    nav = "".join(f'<a href="/{s}/">{s.title()}</a> ' for s in SECTIONS)
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{title}</title>{head}</head>"
            f"<body><header><a href=\"/\">Generated News</a> <nav>{nav}<a href=\"/about/\">About</a> "
            f"<a href=\"/tag/weather/\">Weather</a></nav></header>{body}"
            f"<footer><a href=\"/about/\">About us</a> <a href=\"/contact/\">Contact</a></footer></body></html>").encode()


def article_page(article: GeneratedArticle) -> bytes:
    head = (f'<meta property="og:type" content="article"><meta property="og:title" content="{article.headline}">'
            f'<meta property="article:published_time" content="{article.published.isoformat()}">')
    paragraphs = "".join(f"<p>{p}</p>" for p in _paragraphs(article.number))
    body = (f'<article><h1>{article.headline}</h1><p class="byline">By Staff Reporter</p>'
            f'<time datetime="{article.published.isoformat()}">{article.published:%d %B %Y}</time>{paragraphs}</article>'
            f'<aside><h2>Related</h2><a href="/tag/{article.section}/">More {article.section}</a> '
            f'<a href="/author/staff-reporter/">Staff Reporter</a></aside>')
    return _page(article.headline, body, head)


JS_PAGES = 3  # articles whose text a script inserts after load (news sitemap only)


def js_article_paths() -> list[str]:
    return [f"/world/rendered-story-number-{n}-needs-a-browser/" for n in range(JS_PAGES)]


def js_article_page(number: int) -> bytes:
    """An application shell: an empty mount element, the story arrives from a script."""
    paragraphs = "".join(f"<p>{p}</p>" for p in _paragraphs(10_000 + number))
    article = f"<article><h1>Rendered story number {number}</h1>{paragraphs}</article>"
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Rendered story number {number}</title>"
            f'<meta property="og:type" content="article"></head><body><div id="root"></div>'
            f"<script>setTimeout(function () {{ document.getElementById('root').innerHTML = {article!r}; }}, 200);"
            f"</script></body></html>").encode()


def _sitemap(urls: list[str], base: str, lastmods: list[datetime] | None = None) -> bytes:
    items = "".join(
        f"<url><loc>{base}{u}</loc>" + (f"<lastmod>{lastmods[i].isoformat()}</lastmod>" if lastmods else "") + "</url>"
        for i, u in enumerate(urls))
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'.encode()


def _sitemap_index(paths: list[str], base: str) -> bytes:
    items = "".join(f"<sitemap><loc>{base}{p}</loc></sitemap>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'.encode()


def build_routes(base: str) -> dict[str, Route]:
    """Every page of the site, keyed by path. `base` is the server's base URL."""
    all_articles = articles()
    routes: dict[str, Route] = {}
    xml = "application/xml"
    for article in all_articles:
        routes[article.path] = Route(body=article_page(article))

    # robots.txt -> sitemap index -> (sub-index -> 2 sitemaps, one gzipped) + news sitemap
    routes["/robots.txt"] = Route(content_type="text/plain", body=(
        f"User-agent: *\nDisallow: /search/\nSitemap: {base}/sitemaps/index.xml\n").encode())
    in_sitemap = [a for a in all_articles if "sitemap" in a.via]
    half = len(in_sitemap) // 2
    routes["/sitemaps/index.xml"] = Route(content_type=xml, body=_sitemap_index(
        ["/sitemaps/archive-index.xml", "/sitemaps/news.xml"], base))
    routes["/sitemaps/archive-index.xml"] = Route(content_type=xml, body=_sitemap_index(
        ["/sitemaps/articles-1.xml", "/sitemaps/articles-2.xml.gz"], base))
    first, second = in_sitemap[:half], in_sitemap[half:]
    routes["/sitemaps/articles-1.xml"] = Route(content_type=xml, body=_sitemap(
        [a.path for a in first], base, [a.published for a in first]))
    routes["/sitemaps/articles-2.xml.gz"] = Route(content_type="application/gzip", body=gzip.compress(_sitemap(
        [a.path for a in second], base, [a.published for a in second])))
    news = [a for a in all_articles if "news" in a.via]
    for number, path in enumerate(js_article_paths()):
        routes[path] = Route(body=js_article_page(number))
    js_items = "".join(f"<url><loc>{base}{path}</loc><news:news><news:publication><news:name>Generated News"
                       f"</news:name><news:language>en</news:language></news:publication><news:publication_date>"
                       f"{FIRST_DATE.isoformat()}</news:publication_date><news:title>Rendered story</news:title>"
                       f"</news:news></url>" for path in js_article_paths())
    news_items = js_items + "".join(
        f"<url><loc>{base}{a.path}</loc><news:news><news:publication><news:name>Generated News</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>{a.published.isoformat()}"
        f"</news:publication_date><news:title>{a.headline}</news:title></news:news></url>" for a in news)
    routes["/sitemaps/news.xml"] = Route(content_type=xml, body=(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{news_items}</urlset>').encode())

    # RSS feed, with relative links and tracking parameters
    feed = [a for a in all_articles if "feed" in a.via]
    items = "".join(
        f"<item><title>{a.headline}</title><link>{a.path}?utm_source=rss</link>"
        f"<pubDate>{a.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>" for a in feed)
    routes["/feed.xml"] = Route(content_type="application/rss+xml", body=(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Generated News</title>'
        f"<link>{base}/</link>{items}</channel></rss>").encode())

    # Sections, paginated with rel=next and page-number links
    for section in SECTIONS:
        listed = [a for a in all_articles if a.section == section and "section" in a.via]
        pages = [listed[i:i + PAGE_SIZE] for i in range(0, len(listed), PAGE_SIZE)]
        for number, chunk in enumerate(pages, start=1):
            path = f"/{section}/" if number == 1 else f"/{section}/?page={number}"
            links = "".join(f'<li><a href="{a.path}">{a.headline}</a> <a href="{a.path}#comments">comments</a></li>'
                            for a in chunk)
            numbers = " ".join(f'<a href="/{section}/?page={n}">{n}</a>' for n in range(1, len(pages) + 1))
            head = f'<meta property="og:type" content="website">'
            if number < len(pages):
                head += f'<link rel="next" href="/{section}/?page={number + 1}">'
            routes[path] = Route(body=_page(f"{section.title()} news", f"<h1>{section.title()}</h1><ul>{links}</ul>"
                                            f"<div class=pagination>{numbers}</div>", head))
    home_links = "".join(f'<a href="{a.path}?utm_medium=home">{a.headline}</a> ' for a in all_articles[-12:])
    routes["/"] = Route(body=_page("Generated News", f"<h1>Top stories</h1>{home_links}",
                                   '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
                                   '<meta property="og:type" content="website">'))
    for path, title in (("/about/", "About Generated News"), ("/contact/", "Contact us"),
                        ("/tag/weather/", "Weather"), ("/author/staff-reporter/", "Staff Reporter")):
        routes[path] = Route(body=_page(title, f"<h1>{title}</h1><p>A page about {title.lower()}.</p>"))
    for section in SECTIONS:
        routes[f"/tag/{section}/"] = Route(body=_page(section, f"<h1>{section}</h1>"))
    return routes
