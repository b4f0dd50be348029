"""A fleet worker's heartbeat in Redis.

Every FLEET_WORKER_STALE_AFTER / 3 seconds while the crawl runs, whether or not responses come
in, this worker refreshes its entry in the fleet run's ``:workers`` set (``run.FleetRun``). A
worker killed with SIGKILL stops beating, and the others drop it once its heartbeat is older
than FLEET_WORKER_STALE_AFTER seconds.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from scrapy import signals
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)


class FleetHeartbeat:
    """Beats for the fleet run the scheduler joined, from spider open to close."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self._loop: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        fleet = getattr(self.crawler.engine.scheduler, "fleet", None)
        if fleet is None:
            return
        self._loop = LoopingCall(self._beat, fleet)
        self._loop.start(fleet.heartbeat_interval, now=True)

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None

    @staticmethod
    def _beat(fleet) -> None:
        try:
            fleet.heartbeat()
        except RedisError as exc:  # the next beat may work
            logger.warning("Could not refresh this worker's heartbeat in fleet run %s: %s", fleet.run_id, exc)
