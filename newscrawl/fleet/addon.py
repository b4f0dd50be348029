"""The fleet add-on: with REDIS_URL set, the scrapy-redis scheduler and duplicate filter.

scrapy-redis 0.9.1 is configured by settings only; this sets them for every spider:
SCHEDULER (our compatibility subclass), DUPEFILTER_CLASS, SCHEDULER_PERSIST=True (its default
False lets the first worker to close wipe the shared queue and seen-set), a default
MAX_IDLE_TIME_BEFORE_CLOSE and FLEET_WORKER (this worker's name), the idle-close and heartbeat
extensions, and the fleet-wide per-site limits (``politeness.FleetPoliteness``, the last
downloader middleware).
Without REDIS_URL it changes nothing.
"""

from __future__ import annotations

import os
import socket

SCHEDULER = "newscrawl.fleet.compat.FleetScheduler"
DUPEFILTER = "scrapy_redis.dupefilter.RFPDupeFilter"
IDLE_EXTENSION = "newscrawl.fleet.idle.FleetIdleClose"
# After every built-in downloader middleware (HttpCacheMiddleware is 900): robots.txt, offsite
# and already-stored requests and cache hits never take a lease, and it sees each response and
# download error first, before a redirect or a retry ends the chain.
POLITENESS_MIDDLEWARE = "newscrawl.fleet.politeness.FleetPoliteness"
POLITENESS_ORDER = 950
HEARTBEAT_EXTENSION = "newscrawl.fleet.heartbeat.FleetHeartbeat"
DEFAULT_MAX_IDLE = 30  # seconds the fleet must have been idle before a worker exits
IDLE_SETTING = "MAX_IDLE_TIME_BEFORE_CLOSE"
WORKER_SETTING = "FLEET_WORKER"


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class FleetAddon:
    def update_settings(self, settings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", SCHEDULER, "addon")
        settings.set("DUPEFILTER_CLASS", DUPEFILTER, "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")
        settings.setdefault(IDLE_SETTING, DEFAULT_MAX_IDLE)  # keeps a value given with -s
        if not settings.get(WORKER_SETTING):
            settings.set(WORKER_SETTING, default_worker_name(), "addon")
        settings["EXTENSIONS"].update({IDLE_EXTENSION: 100, HEARTBEAT_EXTENSION: 100})
        settings["DOWNLOADER_MIDDLEWARES"].update({POLITENESS_MIDDLEWARE: POLITENESS_ORDER})
