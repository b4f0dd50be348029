"""The scrapy-redis 0.9.1 scheduler, adapted to Scrapy 2.19 and to fleet runs.

- It passes ``spider=`` to ``StatsCollector.inc_value`` (deprecated): counted here without it.
- It pings Redis with a bare ConnectionError traceback: here one ERROR line naming the masked
  REDIS_URL, and the crawl does not start (exit status 1, nothing fetched).
- Its queue and seen-set keys are per spider for ever: here per fleet run (``run.FleetRun``),
  so seeds (which this project never sends with dont_filter) are fetched once per fleet run by
  however many workers push them, and read again by the next run.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from newscrawl import stats as keys
from newscrawl.fleet.run import DEFAULT_STALE_AFTER, STALE_AFTER_SETTING, FleetRun
from newscrawl.setting_values import seconds
from pipelines.database import mask_url
from pipelines.runlock import run_lock_key

logger = logging.getLogger(__name__)

ENQUEUED, DEQUEUED = "scheduler/enqueued/redis", "scheduler/dequeued/redis"


class RedisUnreachable(RuntimeError):
    """REDIS_URL does not answer."""


class FleetScheduler(Scheduler):
    """scrapy-redis's Scheduler with a fleet run's keys and stats without ``spider=``."""

    fleet: FleetRun | None = None

    @classmethod
    def from_crawler(cls, crawler):
        masked = mask_url(crawler.settings.get("REDIS_URL"))
        try:
            scheduler = super().from_crawler(crawler)
        except RedisError as exc:
            message = f"Cannot reach Redis at {masked} (REDIS_URL): {exc}. Not starting this crawl."
            logger.error(message)
            raise RedisUnreachable(message) from None
        scheduler.worker = crawler.settings.get("FLEET_WORKER")
        scheduler.stale_after = seconds(crawler.settings, STALE_AFTER_SETTING, DEFAULT_STALE_AFTER, zero_ok=False)
        return scheduler

    def open(self, spider):
        self.fleet = FleetRun(self.server, run_lock_key(spider), self.worker, stale_after=self.stale_after)
        run_id = self.fleet.join()
        self.queue_key = self.fleet.queue_key
        self.df = RFPDupeFilter(self.server, key=self.fleet.seen_key, debug=spider.settings.getbool("DUPEFILTER_DEBUG"))
        if self.stats is not None:
            self.stats.set_value(keys.FLEET_RUN, run_id)
        logger.info("Worker %s in fleet run %s (Redis %s)", self.worker, run_id,
                    mask_url(spider.settings.get("REDIS_URL")))
        return super().open(spider)

    def close(self, reason):
        super().close(reason)
        if self.fleet is not None:
            left = self.fleet.leave()
            logger.info("Left fleet run %s (%d worker(s) still in it)", self.fleet.run_id, left)

    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats is not None:
            self.stats.inc_value(ENQUEUED)
        self.queue.push(request)
        return True

    def next_request(self):
        request = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats is not None:
            self.stats.inc_value(DEQUEUED)
        return request
