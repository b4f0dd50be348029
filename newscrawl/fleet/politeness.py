"""Per-site politeness for the whole fleet, kept in Redis.

Scrapy's CONCURRENT_REQUESTS_PER_DOMAIN and DOWNLOAD_DELAY hold per process, so N workers would
hit a site N times as hard. ``FleetPoliteness`` (a downloader middleware the fleet add-on enables
last, just before the download) makes every request first take a lease on its site's slot in
Redis (``SiteLimits``): at most FLEET_CONCURRENT_REQUESTS_PER_DOMAIN leases per site for the whole
fleet, and start times reserved FLEET_DOWNLOAD_DELAY apart. Leases are released when the download
ends; a killed worker's leases expire LEASE_TTL seconds after its last heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict

import redis.asyncio
from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl import stats as keys
from newscrawl.setting_values import boolean, integer, refused_when_invalid, seconds

logger = logging.getLogger(__name__)

KEY_PREFIX = "newscrawl:politeness:"  # per Redis database: every fleet crawling a site shares its limits
LEASE_TTL = 30.0  # seconds a lease outlives its worker's last heartbeat
HEARTBEAT = 5.0  # seconds between lease refreshes
POLL = 0.05  # seconds between attempts at a full site
HOLD_MARGIN = 300.0  # a lease held longer than DOWNLOAD_TIMEOUT + this is left to expire (a leak)
LEASE_META = "fleet_lease"  # request.meta: (site slot, token) of the lease the request holds

# KEYS: leases (sorted set token -> expiry, ms of Redis time). ARGV: token, limit, ttl ms.
# Returns 1 when the lease was taken, 0 when the site has its limit of live leases.
ACQUIRE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
"""

# KEYS: leases. ARGV: ttl ms, tokens... Extends the tokens still held; returns how many.
REFRESH = """
local t = redis.call('TIME')
local expiry = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[1])
local kept = 0
for i = 2, #ARGV do
  kept = kept + redis.call('ZADD', KEYS[1], 'XX', 'CH', expiry, ARGV[i])
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIREAT', KEYS[1], expiry) end
return kept
"""

# KEYS: next free start time of the site (ms of Redis time). ARGV: delay ms.
# Reserves the next start time, DELAY after the previous one; returns the ms to wait for it.
RESERVE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local stored = redis.call('GET', KEYS[1])
local start = math.max(now, stored and tonumber(stored) or 0)
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], start + delay, 'PX', start + delay - now + 1000)
return start - now
"""


class SiteLimits:
    """The fleet's per-site limits in Redis: leases (concurrency) and reserved start times (delay)."""

    def __init__(self, server, prefix: str = KEY_PREFIX, lease_ttl: float = LEASE_TTL) -> None:
        self.server = server
        self.prefix = prefix
        self.ttl_ms = int(lease_ttl * 1000)
        self._acquire = server.register_script(ACQUIRE)
        self._refresh = server.register_script(REFRESH)
        self._reserve = server.register_script(RESERVE)

    def leases_key(self, site: str) -> str:
        return f"{self.prefix}{site}:leases"

    def next_start_key(self, site: str) -> str:
        return f"{self.prefix}{site}:next"

    def acquire(self, site: str, token: str, limit: int):
        """1 (awaitable with an asyncio client) when *token* got one of the site's *limit* leases."""
        return self._acquire(keys=[self.leases_key(site)], args=[token, limit, self.ttl_ms])

    def refresh(self, site: str, tokens: list[str]):
        return self._refresh(keys=[self.leases_key(site)], args=[self.ttl_ms, *tokens])

    def release(self, site: str, token: str):
        return self.server.zrem(self.leases_key(site), token)

    def reserve(self, site: str, delay: float):
        """Milliseconds until this request's start time, *delay* after the fleet's previous one."""
        return self._reserve(keys=[self.next_start_key(site)], args=[int(delay * 1000)])


class FleetPoliteness:
    """Downloader middleware: a request downloads only with a fleet-wide lease on its site."""

    def __init__(self, crawler, limits: SiteLimits, concurrency: int, delay: float, max_hold: float) -> None:
        self.crawler = crawler
        self.limits = limits
        self.concurrency = concurrency
        self.delay = delay
        self.max_hold = max_hold
        self.held: dict[str, tuple[str, float]] = {}  # token -> (site, monotonic time taken)
        self._turns: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)  # one poller a site
        self._heartbeat: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        with refused_when_invalid(crawler):
            if not boolean(settings, "FLEET_POLITENESS_ENABLED", True):
                raise NotConfigured
            concurrency = integer(settings, "FLEET_CONCURRENT_REQUESTS_PER_DOMAIN",
                                  integer(settings, "CONCURRENT_REQUESTS_PER_DOMAIN", 8, minimum=1), minimum=1)
            delay = seconds(settings, "FLEET_DOWNLOAD_DELAY", seconds(settings, "DOWNLOAD_DELAY", 0))
            timeout = seconds(settings, "DOWNLOAD_TIMEOUT", 180, zero_ok=False)
        limits = SiteLimits(redis.asyncio.Redis.from_url(settings.get("REDIS_URL")))
        middleware = cls(crawler, limits, concurrency, delay, timeout + HOLD_MARGIN)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def site(self, request) -> str:
        """Scrapy's download slot key for *request*: its host, or meta["download_slot"]."""
        return self.crawler.engine.downloader.get_slot_key(request)

    def site_settings(self, site: str) -> tuple[int, float]:
        """(concurrency, delay) for *site*: DOWNLOAD_SLOTS entries override the fleet's."""
        own = self.crawler.engine.downloader.per_slot_settings.get(site, {})
        return int(own.get("concurrency", self.concurrency)), float(own.get("delay", self.delay))

    async def process_request(self, request):
        await self._release(request)  # a copy of a request that still carried its lease
        site = self.site(request)
        concurrency, delay = self.site_settings(site)
        token = uuid.uuid4().hex
        started = time.monotonic()
        async with self._turns[site]:
            if not await self.limits.acquire(site, token, concurrency):
                self.crawler.stats.inc_value(keys.FLEET_POLITENESS_WAITS)
                while not await self.limits.acquire(site, token, concurrency):
                    await asyncio.sleep(POLL)
            self.held[token] = (site, time.monotonic())
            request.meta[LEASE_META] = (site, token)
        if delay > 0:
            wait = int(await self.limits.reserve(site, delay)) / 1000
            if wait > 0:
                self.crawler.stats.inc_value(keys.FLEET_POLITENESS_DELAYS)
                await asyncio.sleep(wait)
        waited = time.monotonic() - started
        if waited >= POLL:
            self.crawler.stats.inc_value(keys.FLEET_POLITENESS_WAIT_SECONDS, round(waited, 3))
        return None

    async def process_response(self, request, response):
        await self._release(request)
        return response

    async def process_exception(self, request, exception):
        await self._release(request)
        return None

    async def _release(self, request) -> None:
        lease = request.meta.pop(LEASE_META, None)
        if lease is None:
            return
        site, token = lease
        if self.held.pop(token, None) is not None:
            await self.limits.release(site, token)

    def spider_opened(self) -> None:
        self._heartbeat = asyncio.ensure_future(self._keep_leases())

    async def spider_closed(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        for token, (site, _) in list(self.held.items()):
            await self.limits.release(site, token)
        self.held.clear()
        await self.limits.server.aclose()

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            with contextlib.suppress(redis.RedisError):
                await self._refresh_held()

    async def _refresh_held(self) -> None:
        now = time.monotonic()
        by_site: defaultdict[str, list[str]] = defaultdict(list)
        for token, (site, taken) in list(self.held.items()):
            if now - taken > self.max_hold:
                logger.warning("Fleet lease on %s held %.0f s: left to expire", site, now - taken)
                del self.held[token]
            else:
                by_site[site].append(token)
        for site, tokens in by_site.items():
            await self.limits.refresh(site, tokens)
