"""The run lock: no two runs of one crawl at once.

**Run lock** (``RunLock``, taken by ``ArticleStore.open()`` before anything is
downloaded, released by its last ``release()``): one ``crawl_locks`` row per
running crawl, keyed by ``run_lock_key(spider)``: the spider name, plus the
seed hosts for a spider without a site of its own (``news``), so that the
general spider can crawl two different sites at once while two runs of the
same crawl cannot overlap. Different spiders never block each other.
In fleet mode (REDIS_URL set, see newscrawl.fleet) the workers of one fleet
share the crawl, so each takes its own lock: the name adds ``FLEET_WORKER``.
A fleet worker taking its lock frees the stale locks of the other workers of
its crawl (``free_stale_peers``, same staleness rules as a take-over below).

A second run of the same crawl is refused: one ERROR line naming the run that
holds the lock, stat ``newscrawl/fatal`` = "another run is active", finish
reason ``another_run_active``, exit status 1. With ``RUN_LOCK_WAIT`` = N it
waits up to N seconds for the lock first (polling once a second; the crawl
does nothing else meanwhile). The holder refreshes its ``heartbeat`` every
``RUN_LOCK_HEARTBEAT`` seconds (default 60). A lock is taken over (WARNING)
when its heartbeat is older than ``RUN_LOCK_STALE_AFTER`` seconds (default
600), or when it was taken on this host by a process that no longer exists (a
killed crawl); the crawl_runs row of the run that held it is then marked
failed, finish_reason "abandoned". A run whose lock was taken over (it stalled
longer than RUN_LOCK_STALE_AFTER) stops at its next heartbeat (fatal "run lock
lost").

Acquiring is compare-and-set on one row (INSERT ... ON CONFLICT DO NOTHING,
UPDATE ... WHERE token = the old holder's), so it is safe on SQLite and
PostgreSQL without table locks.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from newscrawl.setting_values import seconds
from pipelines import dialects
from pipelines.database import describe_error
from pipelines.schema import crawl_locks, crawl_runs

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)

WAIT_SETTING = "RUN_LOCK_WAIT"
STALE_AFTER_SETTING = "RUN_LOCK_STALE_AFTER"
HEARTBEAT_SETTING = "RUN_LOCK_HEARTBEAT"
DEFAULT_WAIT = 0.0
DEFAULT_STALE_AFTER = 600.0
DEFAULT_HEARTBEAT = 60.0
POLL_INTERVAL = 1.0  # seconds between attempts while waiting for the lock

RUNNING, OK, DEGRADED, INTERRUPTED, FAILED = "running", "ok", "degraded", "interrupted", "failed"
ABANDONED = "abandoned"  # finish_reason of a run whose lock was taken over


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- settings --------------------------------------------------------------------------


@dataclass(frozen=True)
class LockSettings:
    wait: float = DEFAULT_WAIT  # seconds to wait for a held lock; 0 = refuse at once
    stale_after: float = DEFAULT_STALE_AFTER  # a heartbeat older than this: the holder is dead
    heartbeat: float = DEFAULT_HEARTBEAT  # seconds between heartbeats

    @property
    def heartbeat_interval(self) -> float:
        """Beat at least three times per stale period, whatever RUN_LOCK_HEARTBEAT says."""
        return min(self.heartbeat, self.stale_after / 3)


def lock_settings(settings) -> LockSettings:
    """RUN_LOCK_WAIT (>= 0), RUN_LOCK_STALE_AFTER and RUN_LOCK_HEARTBEAT (> 0), in seconds."""
    return LockSettings(
        wait=seconds(settings, WAIT_SETTING, DEFAULT_WAIT),
        stale_after=seconds(settings, STALE_AFTER_SETTING, DEFAULT_STALE_AFTER, zero_ok=False),
        heartbeat=seconds(settings, HEARTBEAT_SETTING, DEFAULT_HEARTBEAT, zero_ok=False),
    )


def run_lock_key(spider) -> str:
    """The lock name of a crawl: the spider name; for a spider without a site of
    its own (no site_domains or default_seeds, like ``news``), plus its seed hosts."""
    name = spider.name
    if getattr(spider, "site_domains", ()) or getattr(spider, "default_seeds", ()):
        return name
    hosts = sorted({urlsplit(url).netloc.lower() for url in getattr(spider, "seeds", None) or ()} - {""})
    return f"{name} {','.join(hosts)}" if hosts else name


# -- the lock --------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether process *pid* exists on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError, OSError):
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def mark_abandoned(conn: Connection, holder) -> None:
    """Mark the crawl_runs row of a stale lock's run (if still running) failed, "abandoned"."""
    if holder.run_id is not None:
        conn.execute(
            update(crawl_runs)
            .where(crawl_runs.c.id == holder.run_id, crawl_runs.c.status == RUNNING)
            .values(status=FAILED, finish_reason=ABANDONED, finished_at=holder.heartbeat,
                    fatal="run abandoned (its lock was taken over)")
        )


class RunLock:
    """The crawl_locks row of one crawl. Methods raise SQLAlchemyError on database errors."""

    def __init__(self, engine: Engine, name: str, spider: str, settings: LockSettings | None = None) -> None:
        self.engine = engine
        self.name = name
        self.spider = spider
        self.settings = settings or LockSettings()
        self.token = uuid.uuid4().hex
        self.pid = os.getpid()
        self.hostname = socket.gethostname()
        self.holder: Any = None  # the other run's row, when acquire() was refused
        self.taken_over: Any = None  # the stale row this run replaced, if any

    def acquire(self) -> bool:
        """Take the lock, waiting up to settings.wait seconds. False: another run holds it."""
        deadline = time.monotonic() + self.settings.wait
        announced = False
        while True:
            holder = self._try_insert()
            if holder is None:
                return True
            if holder is False:  # released between our insert and read: try again
                continue
            stale = self.stale_reason(holder)
            if stale is not None:
                if self._take_over(holder, stale):
                    return True
                continue  # someone else changed the row meanwhile
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.holder = holder
                return False
            if not announced:
                logger.info("%s Waiting up to %.0f s for it to finish.",
                            self._describe(holder, "Another run is active:"), self.settings.wait)
                announced = True
            time.sleep(min(POLL_INTERVAL, remaining))

    def _try_insert(self):
        """None if the lock was inserted (acquired), else the holder's row (False: no row)."""
        now = utc_now()
        row = {
            "name": self.name, "token": self.token, "spider": self.spider, "run_id": None,
            "pid": self.pid, "hostname": self.hostname, "started_at": now, "heartbeat": now,
        }
        with self.engine.begin() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
            statement = dialects.insert_ignoring_conflicts(conn.engine, crawl_locks, "name")
            if conn.execute(statement.returning(crawl_locks.c.name), row).first() is not None:
                return None
            holder = conn.execute(select(crawl_locks).where(crawl_locks.c.name == self.name)).first()
        return False if holder is None else holder

    def stale_reason(self, holder) -> str | None:
        """Why the holder's lock may be taken over, or None while it is live."""
        age = (utc_now() - holder.heartbeat).total_seconds()
        if age > self.settings.stale_after:
            return f"its last heartbeat was {age:.0f} s ago (RUN_LOCK_STALE_AFTER = {self.settings.stale_after:g} s)"
        if holder.hostname == self.hostname and not pid_alive(holder.pid):
            return f"its process {holder.pid} on this host is gone"
        return None

    def _take_over(self, holder, reason: str) -> bool:
        now = utc_now()
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(crawl_locks)
                .where(crawl_locks.c.name == self.name, crawl_locks.c.token == holder.token)
                .values(token=self.token, spider=self.spider, run_id=None, pid=self.pid,
                        hostname=self.hostname, started_at=now, heartbeat=now)
            )
            if taken.rowcount != 1:
                return False
            mark_abandoned(conn, holder)
        self.taken_over = holder
        logger.warning("%s: taking it over, %s.", self._describe(holder, "A stale run lock"), reason)
        return True

    def free_stale_peers(self, prefix: str) -> int:
        """Delete the stale locks named *prefix*... other than ours (the dead workers of a fleet),
        marking their runs abandoned like a take-over does. Returns how many were freed."""
        with self.engine.connect() as conn:
            peers = list(conn.execute(select(crawl_locks).where(
                crawl_locks.c.name != self.name, crawl_locks.c.name.startswith(prefix, autoescape=True))))
        freed = 0
        for holder in peers:
            reason = self.stale_reason(holder)
            if reason is None:
                continue
            with self.engine.begin() as conn:
                gone = conn.execute(delete(crawl_locks).where(
                    crawl_locks.c.name == holder.name, crawl_locks.c.token == holder.token))
                if gone.rowcount != 1:
                    continue  # its worker beat or another peer freed it meanwhile
                mark_abandoned(conn, holder)
            freed += 1
            logger.warning("%s: freeing it, %s.", self._describe(holder, "A stale fleet worker's run lock"), reason)
        return freed

    def attach_run(self, conn: Connection, run_id: int) -> None:
        conn.execute(
            update(crawl_locks)
            .where(crawl_locks.c.name == self.name, crawl_locks.c.token == self.token)
            .values(run_id=run_id)
        )

    def heartbeat(self) -> bool:
        """Refresh the heartbeat. False if the lock is no longer ours (taken over)."""
        with self.engine.begin() as conn:
            refreshed = conn.execute(
                update(crawl_locks)
                .where(crawl_locks.c.name == self.name, crawl_locks.c.token == self.token)
                .values(heartbeat=utc_now())
            )
        return refreshed.rowcount == 1

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(crawl_locks).where(crawl_locks.c.name == self.name, crawl_locks.c.token == self.token))

    def refusal_message(self, masked_url: str) -> str:
        return (
            f"{self._describe(self.holder, 'Another run is active:')} Database {masked_url}. "
            f"Set {WAIT_SETTING}=SECONDS to wait for it; a lock whose heartbeat is older than "
            f"{STALE_AFTER_SETTING} ({self.settings.stale_after:g} s) or whose process is gone is taken over."
        )

    def _describe(self, holder, prefix: str) -> str:
        if holder is None:
            return f"{prefix} lock {self.name!r}."
        age = (utc_now() - holder.heartbeat).total_seconds()
        run = f"run {holder.run_id}, " if holder.run_id is not None else ""
        return (
            f"{prefix} spider {holder.spider!r} (lock {holder.name!r}), {run}pid {holder.pid} on "
            f"{holder.hostname}, started {holder.started_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"last heartbeat {age:.0f} s ago."
        )


class LockHeartbeat:
    """Refreshes a held lock every ``settings.heartbeat_interval`` seconds while the
    reactor runs; calls *on_lost* once if another run took the lock over."""

    def __init__(self, lock: RunLock, masked_url: str, on_lost: Callable[[], None]) -> None:
        self.lock = lock
        self.masked_url = masked_url
        self.on_lost = on_lost
        self._loop = None

    def start(self) -> None:
        from scrapy.utils.reactor import is_reactor_installed

        if not is_reactor_installed():  # pipelines driven by hand (tests)
            return
        from twisted.internet import reactor
        from twisted.internet.task import LoopingCall

        if not reactor.running:
            return
        self._loop = LoopingCall(self._beat)
        self._loop.start(self.lock.settings.heartbeat_interval, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None

    def _beat(self) -> None:
        try:
            held = self.lock.heartbeat()
        except SQLAlchemyError as exc:  # the next beat may work; the batches report real trouble
            logger.warning("Could not refresh the run lock in %s: %s", self.masked_url, describe_error(exc))
            return
        if not held:
            self.stop()
            self.on_lost()
