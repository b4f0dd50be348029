"""The run record: one ``crawl_runs`` row per crawl (the run lock is in pipelines.runlock).

**Run record** (``CrawlRunRecorder``, an extension): one ``crawl_runs`` row per
run, inserted at spider_opened with status "running" and completed at
spider_closed from the stats: finish_reason, status "ok", "degraded",
"interrupted" or "failed" (failed when ``newscrawl/fatal`` is set;
interrupted when ``newscrawl/interrupted`` is set: a signal stopped it; the
crawl command exits 1 on both; degraded when ``newscrawl/degraded`` is set:
articles were stored but validation dropped most article pages, exit 0) and
the counts. Enable it after ``newscrawl.extensions.CrawlSummary`` (a larger
order number), whose spider_closed handler may set ``newscrawl/fatal``::

    EXTENSIONS = {
        "newscrawl.extensions.CrawlSummary": 500,
        "pipelines.runs.CrawlRunRecorder": 600,
    }

In fleet mode (REDIS_URL) every worker writes its own row; ``fleet_run`` (the
stat ``newscrawl/fleet_run``, set by newscrawl.fleet) ties the rows of one fleet run.
"""

from __future__ import annotations

import json
import logging
import os
import socket

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.settings import SETTINGS_PRIORITIES
from sqlalchemy import insert, update
from sqlalchemy.exc import SQLAlchemyError

from pipelines.database import DATABASE_URL_SETTING, describe_error, mask_url
from pipelines.runlock import DEGRADED, FAILED, INTERRUPTED, OK, RUNNING, utc_now
from pipelines.schema import crawl_runs
from pipelines.errors import SettingsError
from pipelines.store import ArticleStore
from newscrawl import stats as keys

logger = logging.getLogger(__name__)


# -- the run record --------------------------------------------------------------------


def run_counts(stats: dict) -> dict[str, int]:
    """The crawl_runs count columns from a crawl's stats."""

    def get(name: str) -> int:
        value = stats.get(name, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    return {
        "pages": get("response_received_count"),
        "articles": get(keys.PAGES_ARTICLE),
        "new": get(keys.article_outcome("new")),
        "updated": get(keys.article_outcome("updated")),
        "unchanged": get(keys.article_outcome("unchanged")),
        "duplicates": get(keys.article_outcome("duplicate")) + get(keys.article_outcome("near_duplicate")),
        "revisions": get(keys.REVISIONS),
        "skipped": sum(get(name) for name in stats if name.startswith(keys.SKIPPED + "/")),
        "dropped": get(keys.DROPPED),
        "errors": get(keys.ERRORS),
    }


def spider_arguments(spider) -> dict:
    """The -a arguments as validated (SpiderParams), else {}."""
    params = getattr(spider, "params", None)
    if params is not None and hasattr(params, "model_dump"):
        return params.model_dump(mode="json", exclude_unset=True)
    return {}


def command_line_settings(settings) -> dict:
    """Settings given with -s (or higher priority), JSON-safe; DATABASE_URL masked."""
    threshold = SETTINGS_PRIORITIES["cmdline"]
    chosen = {}
    for name in sorted(settings):
        if (settings.getpriority(name) or 0) < threshold:
            continue
        value = settings[name]
        if name == DATABASE_URL_SETTING and value is not None:
            value = mask_url(str(value))
        if hasattr(value, "copy_to_dict"):  # EXTENSIONS, ITEM_PIPELINES...
            value = value.copy_to_dict()
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = str(value)
        chosen[name] = value
    return chosen


class CrawlRunRecorder:
    """Writes the crawl_runs row of a crawl (see the module docstring).

    Shares the crawler's ArticleStore and its engine; holds a store "user" from
    spider_opened to spider_closed, so the run lock is released only after the
    row is complete. Records nothing when the database cannot be opened (the
    store has already reported that).
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.store = None
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> CrawlRunRecorder:
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        try:
            self.store = ArticleStore.for_crawler(self.crawler)
        except SettingsError:
            return  # reported where the pipelines were built
        opened = self.store.open(self)
        engine = self.store.engine
        if engine is not None:
            row = {
                "spider": spider.name,
                "arguments": spider_arguments(spider),
                "settings": command_line_settings(self.crawler.settings),
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "started_at": utc_now(),
                "status": RUNNING,
                "fleet_run": self.crawler.stats.get_value(keys.FLEET_RUN),
            }
            try:
                with engine.begin() as conn:
                    self.run_id = conn.execute(insert(crawl_runs), row).inserted_primary_key[0]
                    self.store.attach_run(conn, self.run_id)
            except SQLAlchemyError as exc:
                logger.warning("Could not record the crawl run in %s: %s", self.store.masked_url, describe_error(exc))
            else:
                self.store.run_id = self.run_id
                logger.info("Crawl run %d of spider %r recorded in %s", self.run_id, spider.name,
                            self.store.masked_url)
        if not opened:
            raise CloseSpider(self.store.close_reason)

    def spider_closed(self, spider, reason: str) -> None:
        store = self.store
        if store is None:
            return
        try:
            if self.run_id is not None and store.engine is not None:
                self._finish(reason)
        finally:
            store.release(self)

    def _finish(self, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        fatal = stats.get(keys.FATAL)
        values = {
            **run_counts(stats),
            "finished_at": utc_now(),
            "finish_reason": reason,
            "status": (FAILED if fatal else INTERRUPTED if stats.get(keys.INTERRUPTED)
                       else DEGRADED if stats.get(keys.DEGRADED) else OK),
            "fatal": str(fatal) if fatal else None,
            "stats": {k: v for k, v in sorted(stats.items())
                      if k.startswith(keys.PREFIX) and isinstance(v, (int, float, str))},
        }
        try:
            with self.store.engine.begin() as conn:
                conn.execute(update(crawl_runs).where(crawl_runs.c.id == self.run_id).values(**values))
        except SQLAlchemyError as exc:
            logger.warning("Could not complete crawl run %d in %s: %s", self.run_id, self.store.masked_url,
                           describe_error(exc))
