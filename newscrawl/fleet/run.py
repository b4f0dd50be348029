"""One fleet run, agreed among the workers through Redis.

scrapy-redis 0.9.1 keeps one queue and one seen-set per spider for ever (with SCHEDULER_PERSIST),
so a later cron run would filter out its seeds (sitemaps, feeds) as already seen. Here the queue
and seen-set belong to a fleet run: the first worker creates the run id (atomically, with an
expiry), the others join it; the last worker to leave deletes the run's keys, and the keys of a
run whose workers all died expire RUN_TTL seconds after its last activity. This is the bound on
the seen-set: one fleet run.
"""

from __future__ import annotations

import time
import uuid

RUN_TTL = 3600  # seconds a run's keys outlive its last activity (crashed workers)

# KEYS: run-id key, key prefix. ARGV: new id, worker, ttl, now. Returns the run id.
JOIN = """
local id = redis.call('GET', KEYS[1])
if not id then id = ARGV[1] end
redis.call('SET', KEYS[1], id, 'EX', ARGV[3])
local base = KEYS[2] .. id
redis.call('SADD', base .. ':workers', ARGV[2])
redis.call('SET', base .. ':active', ARGV[4], 'EX', ARGV[3])
redis.call('EXPIRE', base .. ':workers', ARGV[3])
return id
"""

# KEYS: run-id key, key prefix. ARGV: run id, worker. Returns workers left.
LEAVE = """
local base = KEYS[2] .. ARGV[1]
redis.call('SREM', base .. ':workers', ARGV[2])
local left = redis.call('SCARD', base .. ':workers')
if left == 0 then
  if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
  redis.call('DEL', base .. ':workers', base .. ':active', base .. ':requests', base .. ':seen')
end
return left
"""


def decoded(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class FleetRun:
    """The run this worker joined: its id and the Redis keys of its queue and seen-set."""

    def __init__(self, server, crawl_name: str, worker: str, ttl: int = RUN_TTL) -> None:
        self.server = server
        self.prefix = f"newscrawl:{crawl_name}:"
        self.worker = worker
        self.ttl = ttl
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

    def join(self) -> str:
        new_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
        self.run_id = decoded(self.server.eval(
            JOIN, 2, self.current_key, self.prefix, new_id, self.worker, self.ttl, time.time()))
        return self.run_id

    def attach(self) -> str | None:
        """Take the id of the run under way, without joining it: None when no worker is in one."""
        value = self.server.get(self.current_key)
        self.run_id = decoded(value) if value is not None else None
        if self.run_id is not None and not self.server.scard(self.key("workers")):
            self.run_id = None  # its workers all died: nobody would pop what is pushed
        return self.run_id

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
        """Leave the run; the last worker deletes its keys. Returns the workers still in it."""
        return int(self.server.eval(LEAVE, 2, self.current_key, self.prefix, self.run_id, self.worker))
