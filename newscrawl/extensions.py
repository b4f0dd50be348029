"""Crawl-wide behaviour driven by settings: the closing summary and the run's verdict."""

from __future__ import annotations

import logging

from scrapy import signals

logger = logging.getLogger(__name__)

# A short reason string; set when the run failed. The crawl command exits 1 when it is set.
FATAL_STAT = "newscrawl/fatal"


class CrawlSummary:
    """Logs one summary line at close, and marks the run failed when nothing could be fetched."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def counts(self) -> dict[str, int]:
        get = self.crawler.stats.get_value
        return {
            "pages": get("response_received_count", 0),
            "articles": get("newscrawl/pages/article", 0),
            "new": get("newscrawl/articles/new", 0),
            "updated": get("newscrawl/articles/updated", 0),
            "unchanged": get("newscrawl/articles/unchanged", 0),
            "duplicates": get("newscrawl/articles/duplicate", 0),
            "near_duplicates": get("newscrawl/articles/near_duplicate", 0),
            "dropped": get("newscrawl/dropped", 0),
            "skipped": sum(v for k, v in self.crawler.stats.get_stats().items()
                           if k.startswith("newscrawl/skipped/") and isinstance(v, int)),
            "errors": get("newscrawl/errors", 0),
        }

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats
        counts = self.counts()
        if not stats.get_value(FATAL_STAT):
            verdict = self.failure_reason(counts)
            if verdict:
                stats.set_value(FATAL_STAT, verdict)
        fatal = stats.get_value(FATAL_STAT)
        summary = " ".join(f"{name}={value}" for name, value in counts.items())
        status = f"FAILED ({fatal})" if fatal else "ok"
        log = logger.error if fatal else logger.info
        log("Crawl summary [%s]: %s finish_reason=%s status=%s", spider.name, summary, reason, status)

    def failure_reason(self, counts: dict[str, int]) -> str | None:
        get = self.crawler.stats.get_value
        stored = sum(counts[k] for k in ("new", "updated", "unchanged", "duplicates", "near_duplicates"))
        if stored:
            return None
        article_requests = get("newscrawl/requests/article", 0)
        if article_requests and get("newscrawl/errors/article_requests", 0) >= article_requests:
            return f"every article request failed ({article_requests})"
        if counts["pages"] == 0 and counts["errors"]:
            return "no page could be fetched"
        return None
