"""One fleet run, agreed among the workers through Redis.

scrapy-redis 0.9.1 keeps one queue and one seen-set per spider for ever (with SCHEDULER_PERSIST),
so a later cron run would filter out its seeds (sitemaps, feeds) as already seen. Here the queue
and seen-set belong to a fleet run: the first worker creates the run id (atomically, with an
expiry), the others join it; the last worker to leave deletes the run's keys, and the keys of a
run whose workers all died expire RUN_TTL seconds after its last activity. This is the bound on
the seen-set: one fleet run.

Worker liveness: ``:workers`` is a sorted set of worker -> last heartbeat (Redis server time),
refreshed by ``heartbeat()`` (``newscrawl.fleet.heartbeat``). JOIN and LEAVE first drop workers
whose heartbeat is older than FLEET_WORKER_STALE_AFTER seconds (a killed worker), so the run
ends when its last live worker leaves, and a worker joining a run without live workers starts a
new one (the dead run's seen-set holds requests nobody finished).
"""

from __future__ import annotations

import time
import uuid

RUN_TTL = 3600  # seconds a run's keys outlive its last activity (crashed workers)
STALE_AFTER_SETTING = "FLEET_WORKER_STALE_AFTER"
DEFAULT_STALE_AFTER = 60.0  # seconds without a heartbeat after which a worker counts as dead

# Shared head of the scripts: NOW (Redis server time), DEL_RUN(base), PRUNE(base) -> live workers.
HEAD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function del_run(base)
  redis.call('DEL', base .. ':workers', base .. ':active', base .. ':requests', base .. ':seen')
end
local function prune(base, stale_after)
  redis.call('ZREMRANGEBYSCORE', base .. ':workers', '-inf', '(' .. (now - tonumber(stale_after)))
  return redis.call('ZCARD', base .. ':workers')
end
"""

# KEYS: run-id key, key prefix. ARGV: new id, worker, ttl, activity time, stale after. Returns the run id.
JOIN = HEAD + """
local id = redis.call('GET', KEYS[1])
if id and prune(KEYS[2] .. id, ARGV[5]) == 0 then
  del_run(KEYS[2] .. id)  -- every worker of that run is dead: its seen-set lost requests
  id = false
end
if not id then id = ARGV[1] end
redis.call('SET', KEYS[1], id, 'EX', ARGV[3])
local base = KEYS[2] .. id
redis.call('ZADD', base .. ':workers', now, ARGV[2])
redis.call('SET', base .. ':active', ARGV[4], 'EX', ARGV[3])
redis.call('EXPIRE', base .. ':workers', ARGV[3])
return id
"""

# KEYS: workers key. ARGV: worker, ttl. Refreshes the worker's heartbeat (if it is still in the run).
HEARTBEAT = HEAD + """
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
"""

# KEYS: run-id key, key prefix. ARGV: run id, worker, stale after. Returns live workers left.
LEAVE = HEAD + """
local base = KEYS[2] .. ARGV[1]
redis.call('ZREM', base .. ':workers', ARGV[2])
local left = prune(base, ARGV[3])
if left == 0 then
  if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
  del_run(base)
end
return left
"""


def decoded(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class FleetRun:
    """The run this worker joined: its id and the Redis keys of its queue and seen-set."""

    def __init__(self, server, crawl_name: str, worker: str, ttl: int = RUN_TTL,
                 stale_after: float = DEFAULT_STALE_AFTER) -> None:
        self.server = server
        self.prefix = f"newscrawl:{crawl_name}:"
        self.worker = worker
        self.ttl = ttl
        self.stale_after = stale_after
        self.run_id: str | None = None

    @property
    def current_key(self) -> str:
        return self.prefix + "fleet-run"

    def key(self, name: str) -> str:
        return f"{self.prefix}{self.run_id}:{name}"

    @property
    def queue_key(self) -> str:
        return self.key("requests")

    @property
    def seen_key(self) -> str:
        return self.key("seen")

    @property
    def heartbeat_interval(self) -> float:
        """Beat three times per stale period."""
        return self.stale_after / 3

    def join(self) -> str:
        new_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
        self.run_id = decoded(self.server.eval(
            JOIN, 2, self.current_key, self.prefix, new_id, self.worker, self.ttl, time.time(), self.stale_after))
        return self.run_id

    def heartbeat(self) -> None:
        """Record that this worker is alive now."""
        self.server.eval(HEARTBEAT, 1, self.key("workers"), self.worker, self.ttl)

    def attach(self) -> str | None:
        """Take the id of the run under way, without joining it: None when no worker is in one."""
        value = self.server.get(self.current_key)
        self.run_id = decoded(value) if value is not None else None
        if self.run_id is not None and not self.live_workers():
            self.run_id = None  # its workers all died: nobody would pop what is pushed
        return self.run_id

    def live_workers(self) -> int:
        """Workers of this run whose heartbeat is fresher than stale_after (Redis server time)."""
        seconds, micros = self.server.time()
        return int(self.server.zcount(self.key("workers"), seconds + micros / 1e6 - self.stale_after, "+inf"))

    def touch(self) -> None:
        """Record fleet activity now and keep the run's keys alive."""
        pipe = self.server.pipeline()
        pipe.set(self.key("active"), time.time(), ex=self.ttl)
        for name in (self.current_key, self.key("workers"), self.queue_key, self.seen_key):
            pipe.expire(name, self.ttl)
        pipe.execute()

    def last_activity(self) -> float:
        value = self.server.get(self.key("active"))
        return float(decoded(value)) if value is not None else 0.0

    def leave(self) -> int:
        """Leave the run; the last live worker deletes its keys. Returns the live workers still in it."""
        return int(self.server.eval(LEAVE, 2, self.current_key, self.prefix, self.run_id, self.worker,
                                    self.stale_after))
