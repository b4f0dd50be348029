"""Crawl-wide behaviour driven by settings: the periodic progress line, the closing summary and
the run's verdict."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.logstats import LogStats

from newscrawl import stats as keys
from newscrawl.setting_values import seconds

logger = logging.getLogger(__name__)

SHUTDOWN = "shutdown"  # Scrapy's finish_reason after SIGTERM or Ctrl-C
# Outcomes that write a row (newscrawl/articles/<outcome>): what the progress line calls stored.
STORED_OUTCOMES = ("new", "updated", "near_duplicate")


class CrawlSummary:
    """Logs one summary line at close and gives the run's verdict: failed when nothing could be
    fetched, or when article pages were fetched and validation dropped all of them (keys.FATAL);
    interrupted when a signal stopped it before its end (keys.INTERRUPTED, a WARNING); degraded
    when validation dropped more than half of the article pages (keys.DEGRADED, a WARNING)."""

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
            "articles": get(keys.PAGES_ARTICLE, 0),
            "new": get(keys.article_outcome("new"), 0),
            "updated": get(keys.article_outcome("updated"), 0),
            "unchanged": get(keys.article_outcome("unchanged"), 0),
            "duplicates": get(keys.article_outcome("duplicate"), 0),
            "near_duplicates": get(keys.article_outcome("near_duplicate"), 0),
            "dropped": get(keys.DROPPED, 0),
            "skipped": keys.total(self.crawler.stats.get_stats(), keys.SKIPPED),
            "errors": get(keys.ERRORS, 0),
            "unsaved": get(keys.UNSAVED, 0),  # accepted, but not written (the database failed)
        }

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats
        counts = self.counts()
        if not stats.get_value(keys.FATAL):
            verdict = self.failure_reason(counts)
            if verdict:
                stats.set_value(keys.FATAL, verdict)
        fatal = stats.get_value(keys.FATAL)
        interrupted = not fatal and reason == SHUTDOWN
        if interrupted:
            stats.set_value(keys.INTERRUPTED, "stopped by a signal before the end")
        degraded = None if fatal else self.degraded_reason(counts)
        if degraded:
            stats.set_value(keys.DEGRADED, degraded)
        summary = " ".join(f"{name}={value}" for name, value in counts.items())
        if fatal:
            log, status = logger.error, f"FAILED ({fatal})"
        elif interrupted:
            log, status = logger.warning, ("INTERRUPTED (stopped by a signal: what was fetched is stored; "
                                           "the next run fetches the rest)")
        elif degraded:
            log, status = logger.warning, f"DEGRADED ({degraded})"
        else:
            log, status = logger.info, "ok"
        log("Crawl summary [%s]: %s finish_reason=%s status=%s", spider.name, summary, reason, status)

    @staticmethod
    def stored(counts: dict[str, int]) -> int:
        return sum(counts[k] for k in ("new", "updated", "unchanged", "duplicates", "near_duplicates"))

    def drops(self, counts: dict[str, int]) -> str:
        """"validation dropped 3 of 4 article pages (body_too_short: 2, no_headline: 1)"."""
        prefix = keys.DROPPED + "/"
        reasons = sorted(((k.removeprefix(prefix), v) for k, v in self.crawler.stats.get_stats().items()
                          if k.startswith(prefix) and isinstance(v, int)), key=lambda kv: (-kv[1], kv[0]))
        listed = ", ".join(f"{name}: {count}" for name, count in reasons)
        return f"validation dropped {counts['dropped']} of {counts['articles']} article pages ({listed})"

    def degraded_reason(self, counts: dict[str, int]) -> str | None:
        if self.stored(counts) and counts["dropped"] * 2 > counts["articles"]:
            return self.drops(counts)
        return None

    def failure_reason(self, counts: dict[str, int]) -> str | None:
        get = self.crawler.stats.get_value
        if self.stored(counts):
            return None
        if counts["dropped"]:
            return f"no article stored: {self.drops(counts)}"
        article_requests = get(keys.ARTICLE_REQUESTS, 0)
        if article_requests and get(keys.ERRORS_ARTICLE_REQUESTS, 0) >= article_requests:
            return f"every article request failed ({article_requests})"
        if counts["pages"] == 0 and counts["errors"]:
            return "no page could be fetched"
        return None


class CrawlProgress(LogStats):
    """Scrapy's periodic LogStats line (every LOGSTATS_INTERVAL seconds), with what a long crawl's
    operator wants to see: articles stored, skipped and dropped, the elapsed time and the queue."""

    def __init__(self, crawler, interval: float = 60.0):
        super().__init__(crawler.stats, interval)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        interval = seconds(crawler.settings, "LOGSTATS_INTERVAL", 60.0)
        if not interval:
            raise NotConfigured
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def log(self, spider) -> None:
        self.calculate_stats()
        stats = self.crawler.stats.get_stats()
        stored = sum(stats.get(keys.article_outcome(outcome), 0) for outcome in STORED_OUTCOMES)
        skipped = keys.total(stats, keys.SKIPPED)
        dropped = keys.total(stats, keys.DROPPED)
        start = stats.get("start_time")
        elapsed = str(datetime.now(timezone.utc) - start).split(".")[0] if start else "?"
        logger.info(
            "Crawled %(pages)d pages (at %(pagerate)d pages/min), stored %(stored)d articles, "
            "skipped %(skipped)d, dropped %(dropped)d; elapsed %(elapsed)s, %(queued)s requests queued",
            {"pages": self.pages, "pagerate": self.prate, "stored": stored, "skipped": skipped,
             "dropped": dropped, "elapsed": elapsed, "queued": self._queued()},
            extra={"spider": spider},
        )

    def _queued(self) -> int | str:
        scheduler = getattr(getattr(self.crawler.engine, "_slot", None), "scheduler", None)
        try:
            return len(scheduler)
        except TypeError:  # a scheduler that cannot tell
            return "?"
