"""Downloader middlewares enabled in settings.py."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.response import response_status_message

from newscrawl.extraction.dates import from_utc_iso
from newscrawl.setting_values import boolean, seconds
from pipelines.errors import StoreFailed
from pipelines.store import ArticleStore  # the storage pipeline's shared store
from newscrawl import stats as keys

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date. None when absent or invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, spaced out: after the server's Retry-After on 429/503, else exponential
    backoff (RETRY_BACKOFF_BASE * 2**n seconds, at most RETRY_BACKOFF_MAX), for error answers
    and for failed downloads alike (timeouts, refused connections, DNS failures: RETRY_EXCEPTIONS).
    A Retry-After longer than RETRY_AFTER_MAX is not waited for: the request fails and is counted."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = seconds(settings, "RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = seconds(settings, "RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = seconds(settings, "RETRY_AFTER_MAX", 300.0)

    async def process_response(self, request, response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        stats = self.crawler.stats
        wait = retry_after_seconds(response.headers.get(b"Retry-After")) if response.status in (429, 503) else None
        if wait is not None and wait > self.retry_after_max:
            stats.inc_value(keys.RETRY_AFTER_TOO_LONG)
            logger.warning("%s asks to retry after %.0f s, more than RETRY_AFTER_MAX (%.0f s): giving up",
                           request.url, wait, self.retry_after_max)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if wait is not None:
            stats.inc_value(keys.RETRY_AFTER_HONOURED)
        await self._wait(retry, wait)
        return retry

    async def process_exception(self, request, exception):
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            self.crawler.stats.inc_value(keys.RETRY_AFTER_DOWNLOAD_ERROR)
            await self._wait(retry)
        return retry

    def backoff(self, retry_times: int) -> float:
        """Seconds before retry number *retry_times* (1, 2, ...)."""
        return min(self.backoff_max, self.backoff_base * 2 ** (retry_times - 1))

    async def _wait(self, retry, wait: float | None = None) -> None:
        if wait is None:
            wait = self.backoff(retry.meta["retry_times"])
        if wait > 0:
            self.crawler.stats.inc_value(keys.RETRY_WAITED_SECONDS, wait)
            logger.debug("Retrying %s in %.1f s", retry.url, wait)
            await asyncio.sleep(wait)


class AlreadyStored(IgnoreRequest):
    """An article request skipped because the database already knows the page: it holds that
    article, or the page held no article when last fetched."""


class IncrementalMiddleware:
    """Cron runs fetch only what is new: an article URL already in the database is skipped
    before download, unless its sitemap/feed date is newer than when we last fetched it, or it
    was last fetched longer ago than the spider argument `recrawl_after`. The same holds for
    a URL requested as an article that held none last time (``non_article_pages``).
    Set INCREMENTAL_ENABLED=False to fetch everything again."""

    def __init__(self, crawler):
        if not boolean(crawler.settings, "INCREMENTAL_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        # Article requests, and navigation pages too: a link that did not look like an article
        # may still lead to one we stored. Seeds, sitemaps and feeds are always read.
        is_article_request = bool(request.meta.get("article_request"))
        may_be_stored = is_article_request or request.meta.get("expect") == "navigation"
        if not may_be_stored or request.meta.get("incremental_checked"):
            return None
        request.meta["incremental_checked"] = True  # redirects and retries are not checked again
        store = ArticleStore.for_crawler(self.crawler)
        try:
            known, not_article = store.known_page(request.url, also_non_article=is_article_request)
        except StoreFailed:  # already reported; the crawl is closing
            return None
        if known is not None:
            if self._fetch_again(request, known.last_seen):
                return None
            self._count_skip(request, keys.ALREADY_STORED)
            raise AlreadyStored(f"already stored as article {known.id or '(in the current batch)'}")
        if not_article is not None:
            if self._fetch_again(request, not_article.last_checked):
                return None
            self._count_skip(request, keys.KNOWN_NON_ARTICLE)
            raise AlreadyStored("fetched before and held no article")
        return None

    def _count_skip(self, request, reason: str) -> None:
        if not request.meta.get("relisted"):  # a page listed twice is one skip
            self.crawler.stats.inc_value(keys.skipped(reason))

    def _fetch_again(self, request, last_fetched) -> bool:
        """Has the page changed since, by its sitemap/feed date, or is a re-check due?"""
        stats = self.crawler.stats
        spider = self.crawler.spider
        source_date = from_utc_iso(request.meta.get("source_date"))
        if hasattr(spider, "listing_date"):  # listed again since this request was made, with a newer date
            newest = spider.listing_date(request.url)
            source_date = max(filter(None, (source_date, newest)), default=None)
        last_fetched = from_utc_iso(last_fetched)
        if source_date and last_fetched and source_date > last_fetched:
            stats.inc_value(keys.REFETCH_CHANGED)
            return True
        recrawl_after = getattr(getattr(spider, "params", None), "recrawl_after", None)
        if recrawl_after and last_fetched and datetime.now(timezone.utc) - last_fetched >= recrawl_after:
            stats.inc_value(keys.REFETCH_DUE)
            return True
        return False
