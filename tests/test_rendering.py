"""Pages that need a browser: the app-shell check, article text embedded as data, and real
crawls through scrapy-playwright with Debian's Chromium against a local server.

The end-to-end tests run `scrapy crawl news` in a subprocess (tests/crawling.py) and read the
stored articles back from SQLite. They are skipped only when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newscrawl.demo.server import Route
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.embedded import embedded_article_text
from newscrawl.rendering import (browser_meta, looks_like_app_shell, may_render, should_abort_request, track_network,
                                 wait_for_content)
from tests.crawling import read_rows, run_crawl

CHROMIUM = Path("/usr/bin/chromium")
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium "
                                   "(apt-get install -y chromium); scrapy-playwright cannot run without it")

HEADLINE = "City council approves the new tram line after a long night of debate"
PARAGRAPHS = [
    f"Paragraph {i + 1}: the council's vote on the tram line came after {i + 3} hours of debate, "
    f"and residents of the northern districts said the decision would change how they travel to work."
    for i in range(12)
]
PARAGRAPHS[0] = "The city council approved the new tram line on Tuesday night, ending a dispute that lasted years."
PARAGRAPHS[-1] = "Construction is expected to begin next spring, the transport department said in a statement."


def doc(html: str, url: str = "https://news.example/page"):
    return parse_document(html.encode(), url)


# --- looks_like_app_shell -------------------------------------------------------------------

SHELL = """<!doctype html><html><head><title>Gazette</title>
<script src="/static/js/main.3f2a.js" defer></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>
<script>{script}</script></body></html>""".replace("{script}", "var a=1;" * 400)

ARTICLE = f"""<!doctype html><html><head><title>{HEADLINE} | Gazette</title>
<meta property="og:type" content="article"><script src="/analytics.js"></script></head>
<body><header><nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/uk/">UK</a></nav></header>
<div id="app"><article><h1>{HEADLINE}</h1>{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}</article></div>
</body></html>"""

SECTION = """<!doctype html><html><head><title>World news | Gazette</title>
<script src="/analytics.js"></script></head><body><h1>World</h1><ul>{items}</ul>
<footer><a href="/about">About us</a> <a href="/contact">Contact</a></footer></body></html>""".replace(
    "{items}", "".join(f'<li><a href="/world/2024/story-{i}">Story {i}: ministers meet to discuss '
                       f'the budget and the rail strike</a></li>' for i in range(40)))


def test_empty_root_with_big_script_is_a_shell():
    assert looks_like_app_shell(doc(SHELL))


def test_next_data_page_with_empty_mount_is_a_shell():
    state = {"props": {"pageProps": {"id": 1}}, "page": "/[slug]"}
    html = (f'<html><head><title>T</title></head><body><div id="__next"><header><a href="/">Home</a></header>'
            f'</div><script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script></body></html>')
    assert looks_like_app_shell(doc(html))


def test_state_assignment_with_navigation_only_is_a_shell():
    nav = "".join(f'<a href="/s{i}">Section number {i}</a> ' for i in range(30))
    html = (f"<html><body><nav>{nav}</nav><main></main><script>window.__INITIAL_STATE__ = "
            f'{{"article": {{"id": 7}}}};</script><script src="/bundle.js"></script></body></html>')
    assert looks_like_app_shell(doc(html))


def test_article_page_is_not_a_shell():
    assert not looks_like_app_shell(doc(ARTICLE))


def test_link_list_section_page_is_not_a_shell():
    assert not looks_like_app_shell(doc(SECTION))


def test_tiny_page_without_scripts_and_unparsed_documents_are_not_shells():
    assert not looks_like_app_shell(doc("<html><body><p>Moved.</p></body></html>"))
    assert not looks_like_app_shell(parse_document(b"%PDF-1.4 binary", "https://news.example/x.pdf"))


# --- embedded_article_text --------------------------------------------------------------------

def next_page(article_body_html: str) -> str:
    state = {
        "props": {"pageProps": {
            "article": {"headline": HEADLINE, "slug": "tram-line", "body": article_body_html,
                        "byline": "Jane Doe", "image": {"url": "https://cdn.example/t.jpg"}},
            "related": [{"title": "Bus fares to rise in spring", "text": "Fares go up by five percent from April."}],
        }},
        "page": "/news/[slug]", "buildId": "abc123",
    }
    return (f'<!doctype html><html><head><title>{HEADLINE} | Gazette</title>'
            f'<meta property="og:type" content="article"></head><body><div id="__next"></div>'
            f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script>'
            f'<script src="/_next/static/chunks/main.js"></script></body></html>')


def test_next_data_holds_the_full_article():
    html = next_page("".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    page = doc(html)
    assert looks_like_app_shell(page)
    assert embedded_article_text(page.tree) == "\n".join(PARAGRAPHS)


def test_jsonld_article_body():
    node = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE,
            "articleBody": "\n\n".join(PARAGRAPHS),
            "comment": [{"@type": "Comment", "text": "I disagree with this decision entirely. " * 20}]}
    html = (f'<html><head><script type="application/ld+json">{json.dumps(node)}</script></head>'
            f'<body><div id="root"></div></body></html>')
    assert embedded_article_text(doc(html).tree) == "\n".join(PARAGRAPHS)


def test_state_assignment_with_a_list_of_paragraph_blocks():
    blocks = [{"type": "paragraph", "text": p} for p in PARAGRAPHS]
    blocks.insert(3, {"type": "image", "url": "https://cdn.example/x.jpg", "caption": "The tram"})
    state = {"story": {"title": HEADLINE, "content_elements": blocks}}
    html = (f"<html><head><title>{HEADLINE}</title></head><body><div id='app'></div>"
            f"<script>window.__INITIAL_STATE__ = {json.dumps(state)};</script></body></html>")
    assert embedded_article_text(doc(html).tree) == "\n".join(PARAGRAPHS)


def test_nuxt_javascript_state():
    body = json.dumps("".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    script = f"window.__NUXT__=(function(a,b){{return {{data:[{{story:{{title:a,body:{body}}}}}]}}}}(\"T\",1));"
    html = f"<html><body><div id='__nuxt'></div><script>{script}</script></body></html>"
    assert embedded_article_text(doc(html).tree) == "\n".join(PARAGRAPHS)


def test_no_embedded_text_in_teasers_pages_or_when_the_body_is_split_up():
    assert embedded_article_text(doc(SECTION).tree) is None
    assert embedded_article_text(doc(ARTICLE).tree) is None
    assert embedded_article_text(doc(next_page("<p>Only a short teaser of the story.</p>")).tree) is None
    # a normalized cache keeping each paragraph apart: the longest piece is not the article
    pieces = {f"Paragraph:{i}": {"text": p * 3} for i, p in enumerate(PARAGRAPHS)}
    html = f"<html><body><script>window.__APOLLO_STATE__ = {json.dumps(pieces)};</script></body></html>"
    assert embedded_article_text(doc(html).tree) is None
    assert embedded_article_text(None) is None


# --- browser settings pieces ----------------------------------------------------------------

def test_browser_meta_waits_for_content_with_a_fresh_page_method():
    first, second = browser_meta(), browser_meta()
    assert first["playwright"] is True
    assert "playwright_include_page" not in first  # scrapy-playwright closes the page itself
    assert first["playwright_page_init_callback"] == "newscrawl.rendering.track_network"
    [method] = first["playwright_page_methods"]
    assert method.method is wait_for_content
    assert method is not second["playwright_page_methods"][0]


class FakeRequest:
    """Only the three attributes should_abort_request reads (a Playwright Request needs a browser)."""

    def __init__(self, url, resource_type, navigation=False):
        self.url, self.resource_type, self._navigation = url, resource_type, navigation

    def is_navigation_request(self):
        return self._navigation


def test_should_abort_request_blocks_images_fonts_and_media_only():
    assert should_abort_request(FakeRequest("https://n.example/a.png", "image"))
    assert should_abort_request(FakeRequest("https://n.example/f.woff2?v=3", "font"))
    assert should_abort_request(FakeRequest("https://n.example/v", "media"))
    assert should_abort_request(FakeRequest("https://n.example/pic.JPG", "other"))  # preloads
    assert not should_abort_request(FakeRequest("https://n.example/app.js", "script"))
    assert not should_abort_request(FakeRequest("https://n.example/src/main.ts", "script"))  # not a video segment
    assert not should_abort_request(FakeRequest("https://n.example/s.css", "stylesheet"))
    assert not should_abort_request(FakeRequest("https://n.example/api/story", "fetch"))
    assert not should_abort_request(FakeRequest("https://n.example/photo.jpg", "document", navigation=True))


def test_may_render_keeps_feeds_sitemaps_and_robots_out_of_the_browser():
    for url in ("https://n.example/feed.xml", "https://n.example/feed/", "https://n.example/rss",
                "https://n.example/sitemap-news.xml", "https://n.example/sitemaps/2024-05",
                "https://n.example/robots.txt"):
        assert not may_render(url), url
    for url in ("https://n.example/", "https://n.example/world/", "https://n.example/news/2024/feeding-the-city"):
        assert may_render(url), url


# --- end-to-end crawls in Chromium ----------------------------------------------------------

# The settings the lead adds to newscrawl/settings.py; repeated here so the tests do not depend
# on when that happens.
BROWSER_SETTINGS = {"PLAYWRIGHT_ABORT_REQUEST": "newscrawl.rendering.should_abort_request"}

STYLE = b"""@font-face { font-family: "Gazette Text"; src: url(/fonts/serif.woff2) format("woff2"); }
body { font-family: "Gazette Text", serif; } .hero { background-image: url(/img/hero-bg.png); height: 40px; }"""

# Inserts the article ~300 ms after the load event.
LATE_ARTICLE_SCRIPT = """
window.addEventListener('load', function () {
  setTimeout(function () {
    var article = document.createElement('article');
    var h1 = document.createElement('h1'); h1.textContent = %(headline)s; article.appendChild(h1);
    %(paragraphs)s.forEach(function (text) {
      var p = document.createElement('p'); p.textContent = text; article.appendChild(p);
    });
    document.getElementById('root').appendChild(article);
  }, 300);
});
"""


def late_article_page(headline: str, paragraphs: list[str]) -> bytes:
    script = LATE_ARTICLE_SCRIPT % {"headline": json.dumps(headline), "paragraphs": json.dumps(paragraphs)}
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{headline} | Gazette</title>
<meta property="og:type" content="article"><meta property="og:title" content="{headline}">
<meta property="article:published_time" content="2024-05-14T08:00:00Z">
<link rel="stylesheet" href="/static/style.css"><script>{script}</script></head>
<body><header class="hero">The Gazette</header><img src="/img/photo.jpg" alt="The tram">
<video src="/media/clip.mp4"></video><div id="root"></div></body></html>""".encode()


# A client-side app: the static HTML is a shell; the app fetches the story as JSON and renders it.
APP_JS = b"""
fetch('/api/story.json').then(function (r) { return r.json(); }).then(function (story) {
  setTimeout(function () {
    var article = document.createElement('article');
    var h1 = document.createElement('h1'); h1.textContent = story.headline; article.appendChild(h1);
    story.paragraphs.forEach(function (text) {
      var p = document.createElement('p'); p.textContent = text; article.appendChild(p);
    });
    document.getElementById('root').appendChild(article);
  }, 300);
});
"""

SHELL_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gazette</title>
<meta property="og:type" content="article"><script src="/static/app.js" defer></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>"""

PLAIN_HEADLINE = "Harbour reopens to ferries after storm repairs are finished ahead of schedule"
PLAIN_PARAGRAPHS = [
    f"Plain paragraph {i + 1}: the harbour master said ferries would run on the normal timetable "
    f"from Monday, and that the repairs to the north pier had cost less than feared."
    for i in range(10)
]
PLAIN_PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{PLAIN_HEADLINE}</title>
<meta property="og:type" content="article"><meta property="article:published_time" content="2024-05-14T09:00:00Z">
</head><body><article><h1>{PLAIN_HEADLINE}</h1>{"".join(f"<p>{p}</p>" for p in PLAIN_PARAGRAPHS)}</article>
</body></html>""".encode()


def render_in_chromium(url: str, timeout_ms: int) -> tuple[str, str, float]:
    """(how wait_for_content ended, the page's HTML after it, seconds waited) in a real Chromium,
    set up the way browser_meta() asks scrapy-playwright to."""
    import asyncio
    import time

    from playwright.async_api import async_playwright

    async def run():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            try:
                page = await browser.new_page()
                await track_network(page, None)
                await page.goto(url, wait_until="domcontentloaded")
                started = time.monotonic()
                outcome = await wait_for_content(page, timeout_ms=timeout_ms)
                waited = time.monotonic() - started
                return outcome, await page.content(), waited
            finally:
                await browser.close()

    return asyncio.run(run())


# "Loading" with ever more dots: the text never settles.
TICKER = b"""<html><body><div id="root"><span id="clock">Loading</span></div><script>
setInterval(function () { document.getElementById('clock').textContent += '.'; }, 150);
</script></body></html>"""


@needs_browser
def test_wait_for_content_ends_on_content_on_a_quiet_page_or_at_its_timeout(serve):
    server = serve(routes={
        "/late": Route(body=late_article_page(HEADLINE, PARAGRAPHS)),
        "/section": Route(body=SECTION.encode()),
        "/ticker": Route(body=TICKER),
    })
    outcome, html, _ = render_in_chromium(f"{server.base_url}/late", timeout_ms=5000)
    assert outcome == "content"
    assert PARAGRAPHS[-1] in html
    # a page without an article: done once loaded, quiet and unchanged, long before the timeout
    outcome, html, waited = render_in_chromium(f"{server.base_url}/section", timeout_ms=5000)
    assert outcome == "idle" and waited < 4
    assert "Story 39" in html
    # never settles: no exception (it would fail the request), the page is taken as it is
    outcome, html, waited = render_in_chromium(f"{server.base_url}/ticker", timeout_ms=1500)
    assert outcome == "timeout" and 1.4 < waited < 3
    assert 'id="clock"' in html


def crawled_lines(log: str) -> dict[str, str]:
    """URL -> Scrapy's "Crawled (200) <GET url> ..." DEBUG line (the flags list shows 'playwright')."""
    return {m.group(1): m.group(0) for m in re.finditer(r"Crawled \(\d+\) <GET (\S+)>[^\n]*", log)}


def body_of(rows: list[dict], url: str) -> str:
    found = [r for r in rows if r["url"] == url]
    assert len(found) == 1, f"{url} stored {len(found)} times; stored: {[r['url'] for r in rows]}"
    return found[0]["article_body"] or ""


@needs_browser
def test_render_always_waits_for_script_inserted_article_and_aborts_images_fonts_media(serve, tmp_path):
    server = serve(routes={
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/news/2024/05/14/tram-line": Route(body=late_article_page(HEADLINE, PARAGRAPHS)),
        "/static/style.css": Route(body=STYLE, content_type="text/css"),
        "/img/photo.jpg": Route(body=b"\xff\xd8\xff\xe0", content_type="image/jpeg"),
        "/img/hero-bg.png": Route(body=b"\x89PNG\r\n", content_type="image/png"),
        "/fonts/serif.woff2": Route(body=b"wOF2", content_type="font/woff2"),
        "/media/clip.mp4": Route(body=b"\x00\x00\x00\x18ftypmp42", content_type="video/mp4"),
    })
    url = f"{server.base_url}/news/2024/05/14/tram-line"
    database = tmp_path / "rendered.db"
    result = run_crawl("news", urls=url, database=database, args={"render": "always"},
                       settings={**BROWSER_SETTINGS, "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-4000:]
    stats = result.stats

    rows = read_rows(database)
    body = body_of(rows, url)
    for paragraph in PARAGRAPHS:  # all of the text the script inserted, in order
        assert paragraph in body
    assert body.index(PARAGRAPHS[0]) < body.index(PARAGRAPHS[-1])
    assert rows[0]["headline"] == HEADLINE

    assert "'playwright'" in crawled_lines(result.log)[url]
    assert stats["playwright/request_count/navigation"] == 1
    # The page asked for images, a font and a video: the browser aborted them all (it logs each
    # aborted request at DEBUG) and the server never saw them; the stylesheet went through.
    assert "/static/style.css" in server.requests
    blocked = ("/img/photo.jpg", "/img/hero-bg.png", "/fonts/serif.woff2", "/media/clip.mp4")
    for path in blocked:
        assert f"Aborted Playwright request <GET {server.base_url}{path}>" in result.log
        assert path not in server.requests, f"the browser downloaded {path}"
    assert stats["playwright/request_count/aborted"] == len(blocked)
    assert stats["playwright/request_count/resource_type/font"] == 1
    assert stats.get("playwright/page_count/closed") == stats.get("playwright/page_count")


@needs_browser
def test_render_auto_by_default_renders_only_the_app_shell(serve, tmp_path):
    story = {"headline": HEADLINE, "paragraphs": PARAGRAPHS}
    server = serve(routes={
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/news/2024/05/14/tram-line": Route(body=SHELL_PAGE),
        "/static/app.js": Route(body=APP_JS, content_type="application/javascript"),
        "/api/story.json": Route(body=json.dumps(story).encode(), content_type="application/json"),
        "/news/2024/05/14/harbour-reopens": Route(body=PLAIN_PAGE),
    })
    shell_url = f"{server.base_url}/news/2024/05/14/tram-line"
    plain_url = f"{server.base_url}/news/2024/05/14/harbour-reopens"
    database = tmp_path / "auto.db"
    # No -a render: auto is the default.
    result = run_crawl("news", urls=f"{shell_url},{plain_url}", database=database,
                       settings={**BROWSER_SETTINGS, "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-4000:]
    stats = result.stats

    rows = read_rows(database)
    assert {r["url"] for r in rows} == {shell_url, plain_url}
    shell_body = body_of(rows, shell_url)
    for paragraph in PARAGRAPHS:
        assert paragraph in shell_body
    assert body_of(rows, plain_url) == "\n".join(PLAIN_PARAGRAPHS)

    # The shell: fetched statically, found to be a shell, fetched again in the browser.
    assert stats["newscrawl/rendering/retried_in_browser"] == 1
    assert server.count("/news/2024/05/14/tram-line") == 2
    assert "/static/app.js" in server.requests and "/api/story.json" in server.requests
    # The plain article: one static fetch and never a browser request.
    crawled = crawled_lines(result.log)
    assert "'playwright'" in crawled[shell_url]
    assert "'playwright'" not in crawled[plain_url]
    assert server.count("/news/2024/05/14/harbour-reopens") == 1
    assert stats["playwright/request_count/navigation"] == 1
    assert stats["playwright/page_count"] == 1
    # The browser request carries only our own meta, not the first download's (MetaCopyDetection).
    assert "internal meta keys" not in result.log


@needs_browser
@pytest.mark.parametrize("render", ["auto", "never"])
def test_no_browser_starts_when_no_page_needs_one(serve, tmp_path, render):
    server = serve(routes={
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/news/2024/05/14/harbour-reopens": Route(body=PLAIN_PAGE),
        "/news/2024/05/14/tram-line": Route(body=ARTICLE.encode()),  # scripts, but the text is there
    })
    urls = [f"{server.base_url}/news/2024/05/14/harbour-reopens", f"{server.base_url}/news/2024/05/14/tram-line"]
    database = tmp_path / "plain.db"
    result = run_crawl("news", urls=",".join(urls), database=database, args={"render": render},
                       settings={**BROWSER_SETTINGS, "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-4000:]
    rows = read_rows(database)
    assert body_of(rows, urls[0]) == "\n".join(PLAIN_PARAGRAPHS)
    assert body_of(rows, urls[1]) == "\n".join(PARAGRAPHS)
    assert "playwright/browser_count" not in result.stats  # the browser starts lazily
    assert "Browser chromium launched" not in result.log
    assert not any("'playwright'" in line for line in crawled_lines(result.log).values())
    # never: not even scrapy-playwright's handler (and its Playwright driver) is loaded
    assert ("Starting download handler" in result.log) == (render == "auto")


def test_without_chromium_auto_warns_once_naming_the_pages_and_goes_on(serve, tmp_path):
    server = serve(routes={
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/news/2024/05/14/tram-line": Route(body=SHELL_PAGE),
        "/news/2024/05/15/tram-line-opens": Route(body=SHELL_PAGE),
        "/news/2024/05/14/harbour-reopens": Route(body=PLAIN_PAGE),
    })
    shells = [f"{server.base_url}/news/2024/05/14/tram-line", f"{server.base_url}/news/2024/05/15/tram-line-opens"]
    plain_url = f"{server.base_url}/news/2024/05/14/harbour-reopens"
    missing = tmp_path / "no-such-chromium"
    database = tmp_path / "unrendered.db"
    result = run_crawl("news", urls=",".join([*shells, plain_url]), database=database, settings={
        **BROWSER_SETTINGS, "PLAYWRIGHT_LAUNCH_OPTIONS": json.dumps({"executable_path": str(missing), "headless": True})})
    assert result.returncode == 0, result.log[-4000:]
    assert [r["url"] for r in read_rows(database)] == [plain_url]  # the crawl went on
    warnings = [line for line in result.log.splitlines() if "needed a browser" in line]
    assert len(warnings) == 1, warnings
    assert "] WARNING:" in warnings[0] and "2 page(s)" in warnings[0] and str(missing) in warnings[0]
    assert all(url in warnings[0] for url in shells) and plain_url not in warnings[0]
    assert result.stats["newscrawl/rendering/unavailable"] == 2
    assert "newscrawl/rendering/retried_in_browser" not in result.stats
    assert not any(name.startswith("playwright/") for name in result.stats)
    assert server.count("/news/2024/05/14/tram-line") == 1  # not requested again


@needs_browser
def test_render_auto_takes_the_article_from_next_data_without_a_browser(serve, tmp_path):
    """Data already in the page beats a browser: the shell holds the full story in __NEXT_DATA__."""
    server = serve(routes={
        "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/news/2024/05/14/tram-line": Route(body=next_page("".join(f"<p>{p}</p>" for p in PARAGRAPHS)).encode()),
    })
    url = f"{server.base_url}/news/2024/05/14/tram-line"
    database = tmp_path / "embedded.db"
    result = run_crawl("news", urls=url, database=database, args={"render": "auto"}, settings=BROWSER_SETTINGS)
    assert result.returncode == 0, result.log[-4000:]
    assert body_of(read_rows(database), url) == "\n".join(PARAGRAPHS)
    assert "newscrawl/rendering/retried_in_browser" not in result.stats
    assert "playwright/browser_count" not in result.stats
    assert server.requests.count("/news/2024/05/14/tram-line") == 1
