"""Closing an idle fleet worker.

scrapy-redis 0.9.1 closes on MAX_IDLE_TIME_BEFORE_CLOSE only in its RedisSpider (which Scrapy
2.19 no longer starts: no ``async def start()``); with another spider a worker whose turn at
the shared queue came up empty would close at once while others still find links. Here a worker
stays open until the whole fleet run has had no response for MAX_IDLE_TIME_BEFORE_CLOSE seconds.
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from newscrawl.fleet.addon import DEFAULT_MAX_IDLE, IDLE_SETTING
from newscrawl.setting_values import seconds

logger = logging.getLogger(__name__)

TOUCH_INTERVAL = 1.0  # seconds between activity records in Redis


class FleetIdleClose:
    """Keeps the worker open while the fleet run was active in the last *max_idle* seconds."""

    def __init__(self, crawler, max_idle: float) -> None:
        self.crawler = crawler
        self.max_idle = max_idle
        self._touched = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler, seconds(crawler.settings, IDLE_SETTING, DEFAULT_MAX_IDLE))
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        return extension

    def fleet(self):
        return getattr(self.crawler.engine.scheduler, "fleet", None)

    def response_received(self) -> None:
        now = time.monotonic()
        fleet = self.fleet()
        if fleet is not None and now - self._touched >= TOUCH_INTERVAL:
            self._touched = now
            fleet.touch()

    def spider_idle(self) -> None:
        fleet = self.fleet()
        if fleet is None:
            return
        quiet = time.time() - fleet.last_activity()
        if quiet < self.max_idle:
            raise DontCloseSpider
        logger.info("Fleet run %s idle for %.0f s (%s): closing this worker", fleet.run_id, quiet, IDLE_SETTING)
