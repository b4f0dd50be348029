"""Crawl control shared by every newscrawl spider.

Every response goes to `parse`, which tells seeds and discovered pages apart by content
(robots.txt, sitemap index, sitemap, news sitemap, feed, HTML) and routes them:
discovery functions live in newscrawl.discovery, extraction in newscrawl.extraction.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError as TwistedTimeoutError

from newscrawl import __version__
from newscrawl.discovery.feeds import feed_links, parse_feed
from newscrawl.discovery.heuristics import is_media_url, is_pagination_link, looks_like_article_url
from newscrawl.discovery.sitemaps import parse_sitemap, robots_sitemap_urls
from newscrawl.extraction.dates import from_utc_iso
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.middlewares import AlreadyStored
from newscrawl.pages import PageAnalyser
from newscrawl.rendering import browser_meta, may_render
from newscrawl.spiders.params import ArgumentError, SpiderParams
from newscrawl.urls import request_url

# Articles before sitemaps and feeds before section pages (Scrapy runs higher priorities first).
PRIORITY = {"article": 30, "sitemap": 20, "feed": 20, "navigation": 10, "seed": 0}
# Navigation pages further than this from a seed are not followed (pagination excepted).
MAX_NAVIGATION_DEPTH = 1
MAX_PAGINATION = 20
# Responses that may be a sitemap or a feed: gzip, or XML.
_XML_STARTS = (b"\x1f\x8b", b"<?xml", b"<urlset", b"<sitemapindex", b"<rss", b"<feed", b"<rdf")
# Pages whose body has fewer words than this are not stored as articles unless they declare it.
MIN_ARTICLE_WORDS = 80


class NewsSpiderBase(scrapy.Spider):
    """Seeds -> discovery -> article pages -> Article items."""

    # Set by subclasses: the seeds used when no `-a urls=` is given, URL rules and extraction rules.
    default_seeds: tuple[str, ...] = ()
    site_domains: tuple[str, ...] = ()
    article_patterns: tuple[re.Pattern, ...] = ()
    deny_patterns: tuple[re.Pattern, ...] = ()
    extraction_rules: ExtractionRules | None = None
    render_mode: str = "never"  # never, always or auto: which pages go through the browser

    def __init__(self, *args, **kwargs):
        self.params = self.validate_arguments(kwargs)
        super().__init__(*args)
        self.seeds = list(self.params.urls or self.default_seeds)
        self.render_mode = self.params.render or self.render_mode
        seed_hosts = {urlsplit(url).hostname for url in self.seeds}
        self.allowed_domains = sorted(set(self.site_domains) | seed_hosts)
        self._articles_requested = 0
        self._articles_yielded = 0
        self._navigation_pages = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        # Extraction in the crawl process, or in EXTRACTION_PROCESSES workers started with the spider.
        spider.analyser = PageAnalyser.from_settings(crawler.settings)
        crawler.signals.connect(spider.analyser.start, signal=signals.spider_opened)
        crawler.signals.connect(spider.analyser.stop, signal=signals.spider_closed)
        if not crawler.settings.frozen and not crawler.settings.get("USER_AGENT"):
            contact = crawler.settings.get("NEWSCRAWL_CONTACT_URL")
            crawler.settings.set("USER_AGENT", f"newscrawl/{__version__} (+{contact})", priority="spider")
        if spider.render_mode == "never" and not crawler.settings.frozen:
            # No page goes to the browser: keep Scrapy's own download handlers, so the crawl
            # does not start Playwright drivers it never uses.
            handlers = crawler.settings.getdict("DOWNLOAD_HANDLERS")
            crawler.settings.set("DOWNLOAD_HANDLERS", {
                scheme: path for scheme, path in handlers.items() if "scrapy_playwright" not in str(path)
            }, priority="spider")
        return spider

    @classmethod
    def validate_arguments(cls, arguments: dict) -> SpiderParams:
        """The -a arguments, validated; ArgumentError names a bad one. The crawl command calls
        this before any crawler is built."""
        params = SpiderParams.from_arguments(arguments)
        if not params.urls and not cls.default_seeds:
            raise ArgumentError(f"spider {cls.name!r} needs seeds: give -a urls=URL[,URL...]")
        return params

    # --- start -------------------------------------------------------------
    async def start(self):
        for url in self.seeds:
            yield self._request(url, "seed", depth=0)

    def _request(self, url: str, expect: str, depth: int = 0, page_no: int = 1, **meta) -> Request:
        url = request_url(url)  # one request per page, whatever tracking parameters a link carries
        if expect == "article":
            self._articles_requested += 1
        if expect == "article" or (expect == "seed" and self.is_article_url(url)):
            meta["article_request"] = True  # its failure counts towards "every article request failed"
            self.crawler.stats.inc_value("newscrawl/requests/article")
        if self.render_mode == "always" and expect in ("article", "navigation", "seed") and may_render(url):
            meta.update(browser_meta())
        return Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            priority=PRIORITY[expect],
            meta={"expect": expect, "depth_from_seed": depth, "page_no": page_no, **meta},
        )

    # --- routing -----------------------------------------------------------
    def parse(self, response: Response):
        """Requests and items of one response: a generator, or for HTML pages an async one
        (the page may be analysed in a worker process)."""
        body = response.body
        if not body.strip():
            self.crawler.stats.inc_value("newscrawl/pages/empty")
            self.logger.warning("Empty response from %s: nothing to extract", response.url)
            return ()
        path = urlsplit(response.url).path.lower()
        if path.endswith("/robots.txt") and isinstance(response, TextResponse):
            return self.parse_robots(response)
        if body[:512].lstrip().lower().startswith(_XML_STARTS):
            discovered = self.parse_xml(response)
            if discovered is not None:
                return discovered
        return self.parse_page(response)

    def parse_robots(self, response: TextResponse):
        sitemaps = robots_sitemap_urls(response.text, response.url)
        self.crawler.stats.inc_value("newscrawl/discovery/robots")
        self.logger.info("robots.txt %s lists %d sitemaps", response.url, len(sitemaps))
        for url in sitemaps:
            yield self._request(url, "sitemap")

    def parse_xml(self, response: Response):
        """The requests of a sitemap or a feed; None when the response is neither."""
        stats = self.crawler.stats
        sitemap = parse_sitemap(response.body, response.url)
        if sitemap is not None:
            stats.inc_value(f"newscrawl/discovery/{sitemap.kind}")
            return self._sitemap_requests(sitemap)
        entries = parse_feed(response.body, response.url)
        if entries is not None:
            stats.inc_value("newscrawl/discovery/feed")
            return self._feed_requests(entries)
        return None

    def _sitemap_requests(self, sitemap):
        for entry in sitemap.entries:
            if sitemap.kind == "sitemapindex":
                yield self._request(entry.url, "sitemap")
            else:
                yield from self.follow_article(entry.url, entry.date, source="sitemap", modified=entry.lastmod)

    def _feed_requests(self, entries):
        for entry in entries:
            yield from self.follow_article(entry.url, entry.date, source="feed", modified=entry.date)

    def follow_article(self, url: str, published: datetime | None, source: str, modified: datetime | None = None):
        """Request an article page found in a sitemap, feed or page. `published` applies the
        since/until window before download; `modified` lets a stored article be fetched again."""
        stats = self.crawler.stats
        if not self.is_allowed(url) or self.is_denied(url):
            stats.inc_value(f"newscrawl/discovery/{source}_links_skipped")
            return
        if not self.params.in_window(published):
            stats.inc_value("newscrawl/skipped/outside_date_window")
            return
        if self.params.max_articles and self._articles_requested >= self.params.max_articles:
            stats.inc_value("newscrawl/skipped/max_articles")
            return
        stats.inc_value(f"newscrawl/discovery/{source}_links")
        yield self._request(url, "article", source_date=modified.isoformat() if modified else None)

    async def parse_page(self, response: Response):
        stats = self.crawler.stats
        encoding = _declared_charset(response)
        page = await maybe_deferred_to_future(self.analyser.analyse(
            response.body, response.url, encoding, self.extraction_rules,
            check_app_shell=self.render_mode == "auto" and not response.meta.get("playwright")))
        if page.problem:
            stats.inc_value(f"newscrawl/pages/{page.problem}")
            self.logger.warning("Skipped %s: %s (Content-Type %s)", response.url, page.problem,
                                response.headers.get(b"Content-Type", b"").decode("latin-1") or "none")
            return
        article = page.article
        expect = response.meta.get("expect", "seed")
        if self.should_retry_in_browser(response, page, article):
            stats.inc_value("newscrawl/rendering/retried_in_browser")
            self.logger.info("No article in the static HTML of %s, which looks like an app shell: "
                             "fetching it again in the browser", response.url)
            yield response.request.replace(dont_filter=True, meta={**response.meta, **browser_meta()})
            return
        if self.is_article_page(response.url, page.kind, article, expect):
            stats.inc_value("newscrawl/pages/article")
            for item in self.emit_article(response, article):
                yield item
            return
        stats.inc_value("newscrawl/pages/navigation")
        if expect == "article":
            self.logger.info("No article found at %s (%s)", response.url,
                             article.extraction_problem or "looks like a navigation page")
        # A navigation page: its links, from a parse of its own (article pages need none).
        doc = parse_document(response.body, response.url, encoding=encoding)
        for request in self.follow_links(response, doc.tree):
            yield request

    def should_retry_in_browser(self, response: Response, page, article) -> bool:
        return (
            self.render_mode == "auto"
            and not response.meta.get("playwright")
            and not article.article_body
            and page.app_shell
        )

    def is_article_page(self, url: str, kind: str | None, article, expect: str) -> bool:
        """`kind` is page_kind(tree, body) of the page (newscrawl.pages.analyse_page)."""
        if not article.article_body or not article.headline:
            return False
        if kind is not None:
            return kind == "article"
        words = len(article.article_body.split())
        return words >= MIN_ARTICLE_WORDS and self.is_article_url(url)

    def emit_article(self, response: Response, article):
        if self.params.max_articles and self._articles_yielded >= self.params.max_articles:
            self.crawler.stats.inc_value("newscrawl/skipped/max_articles")
            return
        published = from_utc_iso(article.date_published)
        if not self.params.in_window(published):
            self.crawler.stats.inc_value("newscrawl/skipped/outside_date_window")
            return
        self._articles_yielded += 1
        article.site = self.site_name(response.url)
        article.date_downloaded = datetime.now(timezone.utc).isoformat(timespec="seconds")
        yield article

    def follow_links(self, response: Response, tree):
        """From a navigation page: articles first, then feeds and pagination, then sections."""
        depth = response.meta.get("depth_from_seed", 0)
        page_no = response.meta.get("page_no", 1)
        for url in feed_links(tree, response.url):
            if self.is_allowed(url):
                yield self._request(url, "feed")
        tree.make_links_absolute(response.url, resolve_base_href=True)
        seen: set[str] = set()
        for anchor in tree.iterfind(".//a[@href]"):
            url = anchor.get("href", "").split("#", 1)[0].strip()
            if not url.startswith(("http://", "https://")) or url in seen:
                continue
            seen.add(url)
            if not self.is_allowed(url) or self.is_denied(url) or is_media_url(url):
                continue
            if self.is_article_url(url):
                yield from self.follow_article(url, None, source="page")
            elif is_pagination_link(url, anchor.text_content(), anchor.get("rel")):
                if page_no < MAX_PAGINATION and self._may_fetch_navigation():
                    self.crawler.stats.inc_value("newscrawl/discovery/pagination_links")
                    yield self._request(url, "navigation", depth=depth, page_no=page_no + 1)
            elif depth < MAX_NAVIGATION_DEPTH and self._is_section_link(url, response.url):
                if self._may_fetch_navigation():
                    self.crawler.stats.inc_value("newscrawl/discovery/section_links")
                    yield self._request(url, "navigation", depth=depth + 1)

    def _may_fetch_navigation(self) -> bool:
        if self.params.max_pages and self._navigation_pages >= self.params.max_pages:
            self.crawler.stats.inc_value("newscrawl/skipped/max_pages")
            return False
        self._navigation_pages += 1
        return True

    @staticmethod
    def _is_section_link(url: str, from_url: str) -> bool:
        """Short paths on the same host: /world/, /news/uk/."""
        parts, origin = urlsplit(url), urlsplit(from_url)
        segments = [s for s in parts.path.split("/") if s]
        return parts.hostname == origin.hostname and 1 <= len(segments) <= 2 and not parts.query

    # --- URL rules -----------------------------------------------------------
    def is_allowed(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def is_denied(self, url: str) -> bool:
        target = _path_and_query(url)
        return any(p.search(target) for p in self.deny_patterns)

    def is_article_url(self, url: str) -> bool:
        if self.article_patterns:
            target = _path_and_query(url)
            return any(p.search(target) for p in self.article_patterns)
        return looks_like_article_url(url)

    def site_name(self, url: str) -> str:
        return self.name

    # --- errors --------------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        stats = self.crawler.stats
        if failure.check(AlreadyStored):
            return  # counted by the middleware as newscrawl/skipped/already_stored
        kind = _error_kind(failure)
        if kind == "robots_forbidden":
            stats.inc_value("newscrawl/skipped/robots_forbidden")
            return
        stats.inc_value("newscrawl/errors")
        stats.inc_value(f"newscrawl/errors/{kind}")
        if request.meta.get("article_request"):
            stats.inc_value("newscrawl/errors/article_requests")
        self.logger.warning("Failed %s (%s): %s", request.url, kind, failure.getErrorMessage())


    def on_request_dropped(self, request, spider=None):
        """The scheduler drops a redirect to an already-fetched URL: a loop when it points back."""
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        stats = self.crawler.stats
        if request.url in chain:
            stats.inc_value("newscrawl/errors")
            stats.inc_value("newscrawl/errors/redirect_loop")
            if request.meta.get("article_request"):
                stats.inc_value("newscrawl/errors/article_requests")
            self.logger.warning("Redirect loop: %s", " -> ".join([*chain, request.url]))
        else:
            stats.inc_value("newscrawl/skipped/redirect_to_seen_url")


def _error_kind(failure) -> str:
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        if "robots" in message:
            return "robots_forbidden"
        if "redirect" in message:
            return "redirect_loop"
        return "ignored"
    if failure.check(DNSLookupError):
        return "dns"
    if failure.check(TwistedTimeoutError, TCPTimedOutError, TimeoutError):
        return "timeout"
    name = type(failure.value).__name__
    if "Cancelled" in name:
        return "too_large"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _declared_charset(response: Response) -> str | None:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")

