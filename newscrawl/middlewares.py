"""Downloader middlewares enabled in settings.py."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message

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
    backoff (RETRY_BACKOFF_BASE * 2**n seconds, at most RETRY_BACKOFF_MAX). A Retry-After longer
    than RETRY_AFTER_MAX is not waited for: the request fails and is counted."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 300.0)

    async def process_response(self, request, response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        stats = self.crawler.stats
        wait = retry_after_seconds(response.headers.get(b"Retry-After")) if response.status in (429, 503) else None
        if wait is not None and wait > self.retry_after_max:
            stats.inc_value("newscrawl/retry/retry_after_too_long")
            logger.warning("%s asks to retry after %.0f s, more than RETRY_AFTER_MAX (%.0f s): giving up",
                           request.url, wait, self.retry_after_max)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if wait is None:
            wait = min(self.backoff_max, self.backoff_base * 2 ** (retry.meta["retry_times"] - 1))
        else:
            stats.inc_value("newscrawl/retry/retry_after_honoured")
        if wait > 0:
            stats.inc_value("newscrawl/retry/waited_seconds", wait)
            await asyncio.sleep(wait)
        return retry
