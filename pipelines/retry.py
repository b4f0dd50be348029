"""Waiting out a database that is away for a while: a PostgreSQL restart, another SQLite writer.

``ConnectionRetry.call(operation)`` retries *operation* with backoff while it fails with an
error ``dialects.is_transient`` calls transient, for up to DATABASE_RETRY_TIMEOUT seconds
(default 60), then raises ``DatabaseUnavailable``. The crawl waits meanwhile (the call blocks).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from newscrawl import stats as keys
from newscrawl.setting_values import seconds
from pipelines import dialects
from pipelines.database import describe_error

logger = logging.getLogger(__name__)

RETRY_TIMEOUT_SETTING = "DATABASE_RETRY_TIMEOUT"
DEFAULT_RETRY_TIMEOUT = 60.0
FIRST_PAUSE = 0.1  # seconds; doubled after each failed attempt
MAX_PAUSE = 2.0

Result = TypeVar("Result")


class DatabaseUnavailable(Exception):
    """The database stayed unreachable for the whole retry timeout."""

    def __init__(self, timeout: float, last_error: str) -> None:
        super().__init__(f"no connection for {timeout:g} s ({RETRY_TIMEOUT_SETTING}); last error: {last_error}")


def retry_timeout(settings) -> float:
    return seconds(settings, RETRY_TIMEOUT_SETTING, DEFAULT_RETRY_TIMEOUT)


class ConnectionRetry:
    """Retries of one database's operations; logs one WARNING when it goes away and one INFO
    when it is back, and counts each retry in stat newscrawl/db/retries."""

    def __init__(self, timeout: float, stats, masked_url: str,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.stats = stats
        self.masked_url = masked_url
        self._sleep = sleep
        self._clock = clock
        self._away_since: float | None = None

    def call(self, operation: Callable[[], Result]) -> Result:
        """*operation*'s result; raises its non-transient errors at once, DatabaseUnavailable
        when it still fails transiently after the timeout."""
        deadline = None
        pause = FIRST_PAUSE
        while True:
            try:
                result = operation()
            except SQLAlchemyError as exc:
                if not dialects.is_transient(exc):
                    raise
                now = self._clock()
                if deadline is None:
                    deadline = now + self.timeout
                    self._went_away(now, exc)
                if now >= deadline:
                    raise DatabaseUnavailable(self.timeout, describe_error(exc)) from exc
                self.stats.inc_value(keys.DB_RETRIES)
                self._sleep(min(pause, deadline - now))
                pause = min(pause * 2, MAX_PAUSE)
                continue
            self._came_back()
            return result

    def _went_away(self, now: float, exc: SQLAlchemyError) -> None:
        if self._away_since is not None:
            return
        self._away_since = now
        logger.warning("The database %s does not answer (%s); waiting up to %g s (%s) before giving up",
                       self.masked_url, describe_error(exc), self.timeout, RETRY_TIMEOUT_SETTING)

    def _came_back(self) -> None:
        if self._away_since is None:
            return
        logger.info("The database %s answers again, after %.1f s", self.masked_url, self._clock() - self._away_since)
        self._away_since = None
