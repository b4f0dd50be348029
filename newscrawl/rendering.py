"""Which pages need a browser, and how a request asks scrapy-playwright for one.

Used by the spider (newscrawl.spiders.base) and by the settings:

* ``browser_meta()``: the request meta that sends a request through the browser and makes
  it wait for the page's *content* (not a fixed sleep) before the HTML is taken.
* ``looks_like_app_shell(doc)``: True for a page whose static HTML is an application shell
  (an empty mount element, app-state JSON, a near-empty body with scripts), i.e. a page
  worth a second try in the browser. Cheap: one walk over the body (about 1 ms a page).
* ``should_abort_request(request)``: for the ``PLAYWRIGHT_ABORT_REQUEST`` setting; the
  browser does not download images, fonts or media.
* ``may_render(url)``: False for feeds, sitemaps and robots.txt, which must not go through
  the browser (it would hand back its XML viewer's HTML).
* ``render_outcome(response)``: how the content wait of a rendered response ended.
* ``missing_browser(settings)``: the configured browser executable when it is not there.

How scrapy-playwright 0.0.48 runs such a request: it calls the page init callback
(``track_network``: follow the page's requests) before ``page.goto``, then awaits each
PageMethod followed by ``page.wait_for_load_state()``. An exception raised by a page method
fails the whole request (scrapy-playwright then closes the page, as it does after every
request without ``playwright_include_page``). So the content wait is a callable PageMethod
(``wait_for_content``) that never raises on a timeout: a page whose content never comes is
still returned, with whatever the browser rendered by then. The browser itself starts at
the first such request; contexts and pages are bounded by PLAYWRIGHT_MAX_CONTEXTS and
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import weakref
from urllib.parse import urlsplit

from lxml import etree
from scrapy_playwright.page import PageMethod

logger = logging.getLogger(__name__)

# --- waiting for content --------------------------------------------------------------
# Every CONTENT_POLL_MS the wait measures the page. It ends with
#   "content": an article-sized block of text (paragraphs or an <article>) that stopped growing;
#   "idle":    no such block, but the page is loaded, its network quiet and its text unchanged
#              (section pages, short pages; a shell still fetching its story keeps waiting);
#   "timeout": CONTENT_TIMEOUT_MS passed; the page is taken as it is, the request does not fail.
CONTENT_MIN_CHARS = 500
CONTENT_QUIET_MS = 250  # article text unchanged for this long: done
IDLE_MS = 1000  # no request in flight, none finished and no text change for this long: done
CONTENT_POLL_MS = 100
CONTENT_TIMEOUT_MS = 8000
# Requests that may still bring the page's text (images, fonts, media are aborted anyway).
_TRACKED_TYPES = frozenset({"document", "script", "fetch", "xhr", "other"})

_SNAPSHOT_JS = """
() => {
  const body = document.body;
  if (!body) return {content: 0, page: 0, ready: document.readyState};
  let paragraphs = 0;
  for (const p of document.querySelectorAll('p')) {
    const n = p.textContent.trim().length;
    if (n >= 20) paragraphs += n;
  }
  let article = 0;
  for (const a of document.querySelectorAll('article, [itemprop~="articleBody"]')) {
    article = Math.max(article, a.textContent.trim().length);
  }
  return {content: Math.max(paragraphs, article), page: (body.innerText || '').length, ready: document.readyState};
}
"""


class _Network:
    """Requests of one page in flight, and when the last one started or ended."""

    def __init__(self):
        self.pending: set = set()
        self.last = asyncio.get_running_loop().time()

    def started(self, request) -> None:
        if request.resource_type in _TRACKED_TYPES:
            self.pending.add(request)
            self.last = asyncio.get_running_loop().time()

    def ended(self, request) -> None:
        if request in self.pending:
            self.pending.discard(request)
            self.last = asyncio.get_running_loop().time()


_NETWORK: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


async def track_network(page, request) -> None:
    """``playwright_page_init_callback``: follow the page's requests from before navigation,
    so that the content wait knows when the network has gone quiet."""
    network = _NETWORK[page] = _Network()
    page.on("request", network.started)
    page.on("requestfinished", network.ended)
    page.on("requestfailed", network.ended)


async def wait_for_content(page, min_chars: int = CONTENT_MIN_CHARS, timeout_ms: int = CONTENT_TIMEOUT_MS) -> str:
    """Wait until the page's article text is there and stable; never fails the request on timeout.

    Used as ``PageMethod(wait_for_content)``: scrapy-playwright calls it with the page (an
    exception here would fail the request) and keeps the return value in ``PageMethod.result``:
    "content", "idle" or "timeout" (see above), readable with ``render_outcome(response)``.
    """
    from playwright.async_api import Error as PlaywrightError

    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + timeout_ms / 1000
    network = _NETWORK.get(page)
    content = text = -1
    content_since = text_since = start
    while True:
        try:
            snapshot = await page.evaluate(_SNAPSHOT_JS)
        except PlaywrightError:
            if page.is_closed():
                raise  # the page or the browser is gone: scrapy-playwright fails (and retries) the request
            snapshot = None  # navigating (a client-side redirect): measure again
        now = loop.time()
        if snapshot is not None:
            if snapshot["content"] != content:
                content, content_since = snapshot["content"], now
            if snapshot["page"] != text:
                text, text_since = snapshot["page"], now
            if content >= min_chars and now - content_since >= CONTENT_QUIET_MS / 1000:
                return "content"
            quiet_network = network is None or (not network.pending and now - network.last >= IDLE_MS / 1000)
            if (content < min_chars and snapshot["ready"] == "complete" and quiet_network
                    and now - text_since >= IDLE_MS / 1000):
                return "idle"
        if now >= deadline:
            logger.debug("No article-sized text in %s after %d ms: taking the page as it is", page.url, timeout_ms)
            return "timeout"
        await asyncio.sleep(min(CONTENT_POLL_MS / 1000, max(deadline - now, 0)))


def browser_meta() -> dict:
    """Meta keys that make a request go through the browser and wait for its content.

    A fresh dict (and PageMethod) per call: scrapy-playwright writes the result into it.
    No ``playwright_include_page``: scrapy-playwright closes every page itself, also on errors.
    """
    return {
        "playwright": True,
        # The content wait starts at DOMContentLoaded; scrapy-playwright still waits for
        # the load event after it (images and fonts are aborted, so that comes quickly).
        "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
        "playwright_page_init_callback": "newscrawl.rendering.track_network",
        "playwright_page_methods": [PageMethod(wait_for_content)],
    }


_NOT_PAGES_RE = re.compile(
    r"(?:\.(?:xml|rss|atom|rdf|xml\.gz|gz|txt|json|pdf)$|/robots\.txt$|sitemap|/feeds?/?$|/rss/?$|/atom/?$)", re.I)


def may_render(url: str) -> bool:
    """False for URLs that name robots.txt, sitemaps, feeds and other non-pages.

    The browser shows XML through its viewer: ``page.content()`` of a feed or a sitemap is
    Chromium's viewer HTML, not the XML, so such seeds must not go through the browser."""
    parts = urlsplit(url)
    return not _NOT_PAGES_RE.search(parts.path) and "format=rss" not in parts.query.lower()


def missing_browser(settings) -> str | None:
    """PLAYWRIGHT_LAUNCH_OPTIONS' executable_path when no such file exists (Chromium not installed),
    else None. Without an executable_path, Playwright's own download is used and not checked here."""
    path = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
    return str(path) if path and not os.path.exists(path) else None


def render_outcome(response) -> str | None:
    """How the content wait of a rendered response ended: "content", "idle" or "timeout";
    None for a response that did not come from the browser."""
    if not response.meta.get("playwright"):
        return None
    for method in response.meta.get("playwright_page_methods") or ():
        if getattr(method, "method", None) is wait_for_content:
            return method.result
    return None


# --- what the browser does not download -----------------------------------------------
BLOCKED_RESOURCE_TYPES = frozenset({"image", "media", "font"})
_BLOCKED_EXTENSIONS = frozenset(
    "jpg jpeg png gif webp avif bmp ico svg tif tiff heic "
    "woff woff2 ttf otf eot "
    "mp4 webm mkv mov avi m4v mp3 m4a aac ogg oga wav flac m3u8 mpd ts".split()
)
_NEVER_BY_EXTENSION = frozenset({"document", "script", "stylesheet", "fetch", "xhr", "websocket", "manifest"})


def should_abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: abort images, fonts and media (by resource type or file
    extension). The page's own document is never aborted."""
    try:
        if request.is_navigation_request():
            return False
    except Exception:  # pragma: no cover - a request without a frame (service workers)
        pass
    if request.resource_type in BLOCKED_RESOURCE_TYPES:
        return True
    if request.resource_type in _NEVER_BY_EXTENSION:
        return False  # e.g. a script named *.ts, an API answering at *.svg
    path = urlsplit(request.url).path
    extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return extension in _BLOCKED_EXTENSIONS


# --- app shells -------------------------------------------------------------------------
# The element a client-side framework mounts the page into (React, Vue, Next.js, Nuxt,
# Gatsby, Angular, Svelte...).
_MOUNT_XPATH = etree.XPath(
    "//body//*[@id='root' or @id='app' or @id='__next' or @id='__nuxt' or @id='___gatsby'"
    " or @id='svelte' or @id='q-app' or @id='react-root' or @id='app-root' or @id='main-app']"
    " | //body//app-root | //body//*[@ng-version] | //body//*[@data-reactroot]"
)
_SCRIPTS_XPATH = etree.XPath("//script")
# App state that a framework embeds for the client to render the page from.
_STATE_RE = re.compile(r"__NEXT_DATA__|__NUXT__|__NUXT_DATA__|__INITIAL_STATE__|__PRELOADED_STATE__|"
                       r"__APOLLO_STATE__|__INITIAL_PROPS__|__remixContext|self\.__next_f|__sveltekit|"
                       r"__APP_STATE__|__INITIAL_DATA__")
_SKIP = frozenset({"script", "style", "noscript", "template", "svg"})

NEAR_EMPTY_CHARS = 200  # a body with less visible text than this, plus scripts, is a shell
MOUNT_TEXT_CHARS = 200  # a mount element with less text than this is empty
SHELL_MAX_PROSE_CHARS = 1000  # a page with this much text outside links is a document, not a shell
STATE_MAX_PROSE_CHARS = 500  # app state plus less prose than this: the client renders the text
HEAVY_SCRIPT_CHARS = 20_000  # inline script this large, 20 times the visible text: a shell


def _visible_text(body) -> tuple[int, int]:
    """(visible characters, of which inside links) under ``body``, skipping scripts and styles."""
    visible = linked = 0
    stack = [(body, False)]
    while stack:
        element, in_link = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else ""
        if element is not body and element.tail:
            n = len(element.tail.strip())  # the tail is text of the parent
            visible += n
            linked += n if in_link else 0
        if tag in _SKIP or not tag:
            continue
        inside = in_link or tag == "a"
        if element.text:
            n = len(element.text.strip())
            visible += n
            linked += n if inside else 0
        stack.extend((child, inside) for child in element)
    return visible, linked


def looks_like_app_shell(doc) -> bool:
    """True when the static HTML is an application shell that a browser would fill in:
    a near-empty body with scripts, an empty framework mount element (#root, #app,
    #__next...), or framework app-state JSON with hardly any prose. False for article
    pages (much text outside links) and for plain link-list pages (no scripts or state)."""
    tree = getattr(doc, "tree", None)
    if tree is None:
        return False
    try:
        bodies = tree.xpath("//body")
        visible, linked = _visible_text(bodies[0]) if bodies else (0, 0)
        prose = visible - linked
        if prose >= SHELL_MAX_PROSE_CHARS:
            return False
        scripts = _SCRIPTS_XPATH(tree)
        external = sum(1 for s in scripts if s.get("src"))
        inline = [s for s in scripts if not s.get("src") and "ld+json" not in (s.get("type") or "")]
        script_chars = sum(len(s.text or "") for s in inline)
        if not external and not script_chars:
            return False  # nothing would render anything
        if visible < NEAR_EMPTY_CHARS:
            return True
        if any(len(m.text_content().strip()) < MOUNT_TEXT_CHARS for m in _MOUNT_XPATH(tree)):
            return True
        if prose < STATE_MAX_PROSE_CHARS:
            if any(_STATE_RE.search(s.get("id") or "") or _STATE_RE.search((s.text or "")[:2000]) for s in inline):
                return True
            if script_chars >= HEAVY_SCRIPT_CHARS and script_chars > 20 * visible:
                return True
        return False
    except Exception:  # a heuristic never stops the crawl
        logger.debug("app-shell check failed for %s", getattr(doc, "url", ""), exc_info=True)
        return False
