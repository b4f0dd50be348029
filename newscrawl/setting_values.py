"""Typed reading of settings, and each newscrawl setting's type and range in one table.

Components read their settings through these readers; `scrapy crawl` checks every setting in
``CHECKS`` before the crawl starts, so a bad ``-s NAME=VALUE`` is a usage error (exit 2) that
names the setting, not a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from newscrawl import stats as keys


class SettingError(ValueError):
    """A setting's value is unusable. The message names the setting and says what it takes."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        super().__init__(f"{name} must be {expected}, got {value!r}")
        self.setting = name


@contextmanager
def refused_when_invalid(crawler) -> Iterator[None]:
    """Around a component's reading of its settings: a bad value marks the run failed
    (keys.FATAL, so the crawl exits 1 when started without `scrapy crawl`'s check) and raises."""
    try:
        yield
    except SettingError as exc:
        crawler.stats.set_value(keys.FATAL, f"invalid setting {exc.setting}")
        raise


def boolean(settings, name: str, default: bool | None = False) -> bool:
    try:
        return settings.getbool(name, default)
    except ValueError:
        raise SettingError(name, settings.get(name), "True or False (or 1/0)") from None


def integer(settings, name: str, default: int | None, minimum: int = 0) -> int:
    """An integer >= *minimum* (a whole float such as 5.0 is accepted)."""
    value = settings.get(name, default)
    try:
        if isinstance(value, bool) or float(value) != int(value) or int(value) < minimum:
            raise ValueError
        return int(value)
    except (TypeError, ValueError, OverflowError):
        expected = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise SettingError(name, value, expected) from None


def seconds(settings, name: str, default: float | None, zero_ok: bool = True) -> float:
    """A finite number of seconds, >= 0 (> 0 unless *zero_ok*)."""
    value = settings.get(name, default)
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if math.isnan(number) or math.isinf(number) or number < 0 or (number == 0 and not zero_ok):
            raise ValueError
        return number
    except (TypeError, ValueError):
        kind = "a non-negative" if zero_ok else "a positive"
        raise SettingError(name, value, f"{kind} number of seconds") from None


def choice(settings, name: str, default: str | None, options: Iterable[str]) -> str:
    options = tuple(options)
    value = str(settings.get(name, default)).strip().lower()
    if value not in options:
        raise SettingError(name, settings.get(name, default), f"one of {', '.join(options)}")
    return value


def block_model_switch(settings, name: str, default: bool | None = False) -> bool:
    """On or off; on only when the shipped block model loads (it is loaded here, once per process)."""
    on = boolean(settings, name, default)
    if on:
        from newscrawl.extraction.blockmodel import BlockModelUnavailable, shipped_model

        try:
            shipped_model()
        except BlockModelUnavailable as error:
            raise SettingError(name, settings.get(name), f"off here, because {error}") from None
    return on


NEAR_DUPLICATE_MODES = ("link", "drop", "off")

# Every setting newscrawl reads, and the Scrapy settings users most often pass with -s:
# name -> (reader, its options).
CHECKS: dict[str, tuple[Callable, dict]] = {
    # newscrawl
    "DATABASE_BATCH_SIZE": (integer, {"minimum": 1}),
    "DATABASE_RETRY_TIMEOUT": (seconds, {}),
    "EXTRACTION_PROCESSES": (integer, {}),
    "EXTRACTION_BLOCK_MODEL": (block_model_switch, {}),
    "VALIDATION_MIN_BODY_CHARS": (integer, {}),
    "NEAR_DUPLICATES": (choice, {"options": NEAR_DUPLICATE_MODES}),
    "INCREMENTAL_ENABLED": (boolean, {}),
    "RETRY_BACKOFF_BASE": (seconds, {}),
    "RETRY_BACKOFF_MAX": (seconds, {}),
    "RETRY_AFTER_MAX": (seconds, {}),
    "RUN_LOCK_WAIT": (seconds, {}),
    "RUN_LOCK_STALE_AFTER": (seconds, {"zero_ok": False}),
    "RUN_LOCK_HEARTBEAT": (seconds, {"zero_ok": False}),
    "LOGSTATS_INTERVAL": (seconds, {}),
    "MAX_IDLE_TIME_BEFORE_CLOSE": (seconds, {}),  # fleet mode (newscrawl.fleet)
    "FLEET_POLITENESS_ENABLED": (boolean, {}),
    "FLEET_CONCURRENT_REQUESTS_PER_DOMAIN": (integer, {"minimum": 1}),
    "FLEET_DOWNLOAD_DELAY": (seconds, {}),
    "FLEET_WORKER_STALE_AFTER": (seconds, {"zero_ok": False}),
    # Scrapy's
    "DOWNLOAD_DELAY": (seconds, {}),
    "DOWNLOAD_TIMEOUT": (seconds, {"zero_ok": False}),
    "CONCURRENT_REQUESTS": (integer, {"minimum": 1}),
    "CONCURRENT_REQUESTS_PER_DOMAIN": (integer, {"minimum": 1}),
    "RETRY_TIMES": (integer, {}),
    "DEPTH_LIMIT": (integer, {}),
    "CLOSESPIDER_ITEMCOUNT": (integer, {}),
    "CLOSESPIDER_PAGECOUNT": (integer, {}),
    "CLOSESPIDER_TIMEOUT": (seconds, {}),
    "AUTOTHROTTLE_ENABLED": (boolean, {}),
    "ROBOTSTXT_OBEY": (boolean, {}),
    "HTTPCACHE_ENABLED": (boolean, {}),
}


def check_settings(settings) -> list[str]:
    """The problems with *settings* (a Scrapy Settings), one message per bad setting."""
    problems = []
    for name, (reader, options) in CHECKS.items():
        if settings.get(name) is None:
            continue
        try:
            reader(settings, name, None, **options)
        except SettingError as exc:
            problems.append(str(exc))
    return problems
