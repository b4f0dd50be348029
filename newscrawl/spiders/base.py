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
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.exceptions import (CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError,
                               IgnoreRequest)
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError as TwistedTimeoutError

from newscrawl import __version__
from newscrawl.discovery.feeds import feed_links, parse_feed
from newscrawl.discovery.heuristics import is_media_url, is_pagination_link, looks_like_article_url
from newscrawl.discovery.sitemaps import parse_sitemap, robots_sitemap_urls
from newscrawl.extraction.dates import from_utc_iso
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.extraction.text import word_count
from newscrawl.middlewares import AlreadyStored
from newscrawl.pages import PageAnalyser
from newscrawl.rendering import browser_meta, may_render, missing_browser
from newscrawl.signals import page_not_article
from newscrawl.spiders.params import ArgumentError, SpiderParams
from newscrawl.urls import request_url
from newscrawl import stats as keys

# Articles before sitemaps and feeds before section pages (Scrapy runs higher priorities first).
PRIORITY = {"article": 30, "sitemap": 20, "feed": 20, "navigation": 10, "seed": 0}
# Navigation pages further than this from a seed are not followed (pagination excepted).
MAX_NAVIGATION_DEPTH = 1
MAX_PAGINATION = 20
# Responses that may be a sitemap or a feed: gzip, or XML.
_XML_STARTS = (b"\x1f\x8b", b"<?xml", b"<urlset", b"<sitemapindex", b"<rss", b"<feed", b"<rdf")
# Pages whose body has fewer words than this are not stored as articles unless they declare it.
MIN_ARTICLE_WORDS = 80
# Pages that needed a browser none was installed for: at most this many are named in the warning.
MAX_NAMED_UNRENDERED = 20
# The request meta this spider sets itself: the only keys a re-request (in the browser) carries
# over. Scrapy's own (download_latency, retry_times, redirect_urls...) belong to one download.
OWN_META_KEYS = ("expect", "depth_from_seed", "page_no", "article_request", "source_date", "incremental_checked",
                 "listed_as_article", "relisted")


class NewsSpiderBase(scrapy.Spider):
    """Seeds -> discovery -> article pages -> Article items."""

    # Set by subclasses: the seeds used when no `-a urls=` is given, URL rules and extraction rules.
    default_seeds: tuple[str, ...] = ()
    site_domains: tuple[str, ...] = ()
    article_patterns: tuple[re.Pattern, ...] = ()
    deny_patterns: tuple[re.Pattern, ...] = ()
    extraction_rules: ExtractionRules | None = None
    render_mode: str = "auto"  # never, always or auto: which pages go through the browser
    browser_missing: str | None = None  # the browser executable, when render=auto and it is not installed

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
        # URL -> the newest sitemap/feed date it was requested with in this run.
        self._listing_dates: dict[str, datetime | None] = {}
        self._skipped_as_known: set[str] = set()  # article URLs the incremental check skipped
        self._unrendered: list[str] = []  # the first app shells that needed the missing browser

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        if not crawler.settings.frozen and not crawler.settings.get("USER_AGENT"):
            contact = crawler.settings.get("NEWSCRAWL_CONTACT_URL")
            crawler.settings.set("USER_AGENT", f"newscrawl/{__version__} (+{contact})", priority="spider")
        if spider.render_mode == "auto":
            spider.browser_missing = missing_browser(crawler.settings)
        if (spider.render_mode == "never" or spider.browser_missing) and not crawler.settings.frozen:
            # No page goes to the browser: keep Scrapy's own download handlers, so the crawl
            # does not start Playwright drivers it never uses.
            handlers = crawler.settings.getdict("DOWNLOAD_HANDLERS")
            crawler.settings.set("DOWNLOAD_HANDLERS", {
                scheme: path for scheme, path in handlers.items() if "scrapy_playwright" not in str(path)
            }, priority="spider")
        # Extraction in the crawl process, or in EXTRACTION_PROCESSES workers started with the spider.
        spider.analyser = PageAnalyser.from_settings(crawler.settings)
        crawler.signals.connect(spider.analyser.start, signal=signals.spider_opened)
        crawler.signals.connect(spider.analyser.stop, signal=signals.spider_closed)
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
        for request in self.seed_requests(self.seeds):
            yield request

    def seed_requests(self, urls):
        """The requests of seed URLs, as a crawl starts them (also `scrapy seed`, for a running fleet)."""
        for url in urls:
            yield self._request(url, "seed", depth=0)

    def _request(self, url: str, expect: str, depth: int = 0, page_no: int = 1, **meta) -> Request:
        url = request_url(url)  # one request per page, whatever tracking parameters a link carries
        if expect == "article":
            self._articles_requested += 1
        if expect == "article" or (expect == "seed" and self.is_article_url(url)):
            meta["article_request"] = True  # its failure counts towards "every article request failed"
            self.crawler.stats.inc_value(keys.ARTICLE_REQUESTS)
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
            self.crawler.stats.inc_value(keys.PAGES_EMPTY)
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
        self.crawler.stats.inc_value(keys.DISCOVERY_ROBOTS)
        self.logger.info("robots.txt %s lists %d sitemaps", response.url, len(sitemaps))
        for url in sitemaps:
            yield self._request(url, "sitemap")

    def parse_xml(self, response: Response):
        """The requests of a sitemap or a feed; None when the response is neither."""
        stats = self.crawler.stats
        sitemap = parse_sitemap(response.body, response.url)
        if sitemap is not None:
            stats.inc_value(keys.discovery(sitemap.kind))
            return self._sitemap_requests(sitemap)
        entries = parse_feed(response.body, response.url)
        if entries is not None:
            stats.inc_value(keys.DISCOVERY_FEED)
            return self._feed_requests(entries)
        return None

    def _sitemap_requests(self, sitemap):
        for entry in sitemap.entries:
            if sitemap.kind == "sitemapindex":
                yield self._request(entry.url, "sitemap")
            else:
                # A news sitemap entry is an article by definition; a plain one if its URL looks like one.
                listed = entry.news_date is not None or entry.title is not None or self.is_article_url(entry.url)
                yield from self.follow_article(entry.url, entry.date, source="sitemap", modified=entry.lastmod,
                                               listed=listed)

    def _feed_requests(self, entries):
        for entry in entries:
            yield from self.follow_article(entry.url, entry.date, source="feed", modified=entry.date, listed=True)

    def follow_article(self, url: str, published: datetime | None, source: str, modified: datetime | None = None,
                       listed: bool = False):
        """Request an article page found in a sitemap, feed or page. `published` applies the
        since/until window before download; `modified` lets a stored article be fetched again;
        `listed`: a sitemap or feed lists it as an article, so its page is stored whenever it
        yields a headline and an article-length body (see `is_article_page`)."""
        stats = self.crawler.stats
        if not self.is_allowed(url) or self.is_denied(url):
            stats.inc_value(keys.discovery(f"{source}_links_skipped"))
            return
        if not self.params.in_window(published):
            stats.inc_value(keys.skipped(keys.OUTSIDE_DATE_WINDOW))
            return
        if self.params.max_articles and self._articles_requested >= self.params.max_articles:
            stats.inc_value(keys.skipped(keys.MAX_ARTICLES))
            return
        stats.inc_value(keys.discovery(f"{source}_links"))
        key = request_url(url)
        if key in self._listing_dates:
            # Listed again (a sitemap and a news sitemap): keep the newest date for the
            # incremental check; ask again only if an older listing was skipped as known.
            previous = self._listing_dates[key]
            if modified is not None and (previous is None or modified > previous):
                self._listing_dates[key] = modified
                if key in self._skipped_as_known:
                    self._skipped_as_known.discard(key)
                    request = self._article_request(url, modified, listed)
                    request.meta["relisted"] = True  # its page is counted once, if skipped again
                    yield request.replace(dont_filter=True)
            return
        self._listing_dates[key] = modified
        yield self._article_request(url, modified, listed)

    def _article_request(self, url: str, modified: datetime | None, listed: bool) -> Request:
        meta = {"listed_as_article": True} if listed else {}
        return self._request(url, "article", source_date=modified.isoformat() if modified else None, **meta)

    def listing_date(self, url: str) -> datetime | None:
        """The newest sitemap/feed date *url* was listed with in this run (the incremental
        middleware compares it with when we last fetched the page)."""
        return self._listing_dates.get(url)

    async def parse_page(self, response: Response):
        stats = self.crawler.stats
        encoding = _declared_charset(response)
        page = await maybe_deferred_to_future(self.analyser.analyse(
            response.body, response.url, encoding, self.extraction_rules,
            check_app_shell=not response.meta.get("playwright")))
        if page.problem:
            stats.inc_value(keys.page_problem(page.problem))
            self.logger.warning("Skipped %s: %s (Content-Type %s)", response.url, page.problem,
                                response.headers.get(b"Content-Type", b"").decode("latin-1") or "none")
            return
        article = page.article
        expect = response.meta.get("expect", "seed")
        if self.should_retry_in_browser(response, page, article):
            stats.inc_value(keys.RENDERING_RETRIED)
            self.logger.info("No article in the static HTML of %s, which looks like an app shell: "
                             "fetching it again in the browser", response.url)
            own = {key: response.meta[key] for key in OWN_META_KEYS if key in response.meta}
            yield response.request.replace(dont_filter=True, meta={**own, **browser_meta()})
            return
        listed = bool(response.meta.get("listed_as_article"))
        if self.is_article_page(response.url, page.kind, article, listed):
            stats.inc_value(keys.PAGES_ARTICLE)
            for item in self.emit_article(response, article):
                yield item
            return
        stats.inc_value(keys.PAGES_NAVIGATION)
        if expect == "article":
            reason = article.extraction_problem or (
                "too short for an article" if listed else "looks like a navigation page")
            self.logger.info("No article found at %s (%s)", response.url, reason)
            if not page.app_shell:  # an app shell not rendered may still hold an article
                self.remember_not_article(response, reason)
        # A navigation page: its links, from a parse of its own (article pages need none).
        doc = parse_document(response.body, response.url, encoding=encoding)
        for request in self.follow_links(response, doc.tree):
            yield request

    def should_retry_in_browser(self, response: Response, page, article) -> bool:
        needs_browser = (
            self.render_mode == "auto"
            and not response.meta.get("playwright")
            and not article.article_body
            and page.app_shell
        )
        if needs_browser and self.browser_missing:
            self.crawler.stats.inc_value(keys.RENDERING_UNAVAILABLE)
            if len(self._unrendered) < MAX_NAMED_UNRENDERED:
                self._unrendered.append(response.url)
            return False  # handled as the static page it is; named once at close
        return needs_browser

    def closed(self, reason):
        if self._unrendered:
            count = self.crawler.stats.get_value(keys.RENDERING_UNAVAILABLE, 0)
            named, more = ", ".join(self._unrendered), count - len(self._unrendered)
            self.logger.warning(
                "%d page(s) needed a browser (their HTML is an app shell without the article) and were not "
                "rendered: no browser at %s (PLAYWRIGHT_LAUNCH_OPTIONS executable_path). Install Chromium "
                "(apt-get install -y chromium) or point the setting at it. Pages: %s%s",
                count, self.browser_missing, named, f" and {more} more" if more > 0 else "")

    def is_article_page(self, url: str, kind: str | None, article, listed: bool = False) -> bool:
        """A page with a headline and a body is an article when a sitemap or feed lists it and
        it declares itself an article or its body is article-length; for pages reached through
        links, the page-kind heuristics decide (`kind`: page_kind of the page, from JSON-LD @type, og:type and link
        density; newscrawl.pages), else length and URL."""
        if not article.article_body or not article.headline:
            return False
        if listed:  # listed, and declared an article or article-length whatever its markup says
            return kind == "article" or word_count(article.article_body) >= MIN_ARTICLE_WORDS
        if kind is not None:
            return kind == "article"
        return word_count(article.article_body) >= MIN_ARTICLE_WORDS and self.is_article_url(url)

    def remember_not_article(self, response: Response, reason: str) -> None:
        """Tell the store (signal page_not_article) so that cron runs skip the page until its
        sitemap or feed date moves on. Keyed by the URL as requested, before any redirect."""
        requested = (response.meta.get("redirect_urls") or [response.request.url])[0]
        self.crawler.signals.send_catch_log(
            page_not_article, url=requested, reason=reason,
            source_date=from_utc_iso(response.meta.get("source_date")),
        )

    def emit_article(self, response: Response, article):
        if self.params.max_articles and self._articles_yielded >= self.params.max_articles:
            self.crawler.stats.inc_value(keys.skipped(keys.MAX_ARTICLES))
            return
        published = from_utc_iso(article.date_published)
        if not self.params.in_window(published):
            self.crawler.stats.inc_value(keys.skipped(keys.OUTSIDE_DATE_WINDOW))
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
                    self.crawler.stats.inc_value(keys.DISCOVERY_PAGINATION_LINKS)
                    yield self._request(url, "navigation", depth=depth, page_no=page_no + 1)
            elif depth < MAX_NAVIGATION_DEPTH and self._is_section_link(url, response.url):
                if self._may_fetch_navigation():
                    self.crawler.stats.inc_value(keys.DISCOVERY_SECTION_LINKS)
                    yield self._request(url, "navigation", depth=depth + 1)

    def _may_fetch_navigation(self) -> bool:
        if self.params.max_pages and self._navigation_pages >= self.params.max_pages:
            self.crawler.stats.inc_value(keys.skipped(keys.MAX_PAGES))
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
            # Counted by the middleware (newscrawl/skipped/already_stored or known_non_article).
            self._skipped_as_known.add(request.url)
            return
        kind = _error_kind(failure)
        if kind == "robots_forbidden":
            stats.inc_value(keys.skipped(keys.ROBOTS_FORBIDDEN))
            return
        stats.inc_value(keys.ERRORS)
        stats.inc_value(keys.error(kind))
        if request.meta.get("article_request"):
            stats.inc_value(keys.ERRORS_ARTICLE_REQUESTS)
        self.logger.warning("Failed %s (%s): %s", request.url, kind, failure.getErrorMessage())


    def on_request_dropped(self, request, spider=None):
        """The scheduler drops a redirect to an already-fetched URL: a loop when it points back."""
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        stats = self.crawler.stats
        if request.url in chain:
            stats.inc_value(keys.ERRORS)
            stats.inc_value(keys.ERRORS_REDIRECT_LOOP)
            if request.meta.get("article_request"):
                stats.inc_value(keys.ERRORS_ARTICLE_REQUESTS)
            self.logger.warning("Redirect loop: %s", " -> ".join([*chain, request.url]))
        else:
            stats.inc_value(keys.skipped(keys.REDIRECT_TO_SEEN_URL))


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
    if failure.check(CannotResolveHostError, DNSLookupError):
        return "dns"
    if failure.check(DownloadTimeoutError, TwistedTimeoutError, TCPTimedOutError, TimeoutError):
        return "timeout"
    if failure.check(DownloadConnectionRefusedError):
        return "connection_refused"
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

