"""Adding seeds to a fleet run under way (the `scrapy seed` command).

The requests go where the workers' scheduler (``compat.FleetScheduler``) puts its own: through the
run's seen-set (a seed the run already saw is not pushed again) into the run's queue, serialized by
the same scrapy-redis queue class, so any worker of the run pops and fetches them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from scrapy.utils.misc import load_object
from scrapy_redis import defaults
from scrapy_redis.dupefilter import RFPDupeFilter

from newscrawl.fleet.run import DEFAULT_STALE_AFTER, STALE_AFTER_SETTING, FleetRun
from newscrawl.setting_values import seconds
from pipelines.runlock import run_lock_key

SEED_WORKER = "scrapy-seed"  # the name this command goes by in the run's records


class NoFleetRun(LookupError):
    """No fleet run of this crawl is under way."""


@dataclass
class SeedsPushed:
    run_id: str
    queue_key: str
    pushed: list[str] = field(default_factory=list)
    already_seen: list[str] = field(default_factory=list)


def fleet_queue(server, spider, key: str, settings):
    """The scrapy-redis queue on *key*, with the class and serializer the workers' scheduler uses."""
    serializer = settings.get("SCHEDULER_SERIALIZER")
    if isinstance(serializer, str):
        serializer = importlib.import_module(serializer)
    queue_class = load_object(settings.get("SCHEDULER_QUEUE_CLASS") or defaults.SCHEDULER_QUEUE_CLASS)
    return queue_class(server=server, spider=spider, key=key, serializer=serializer)


def push_seeds(server, spider, requests, settings) -> SeedsPushed:
    """Push *requests* (the spider's seed requests) into the fleet run of *spider*'s crawl.
    Raises NoFleetRun when none is under way (pushed into no run, they would never be fetched)."""
    stale_after = seconds(settings, STALE_AFTER_SETTING, DEFAULT_STALE_AFTER, zero_ok=False)
    fleet = FleetRun(server, run_lock_key(spider), SEED_WORKER, stale_after=stale_after)
    if fleet.attach() is None:
        raise NoFleetRun(f"no fleet run of {run_lock_key(spider)!r} is under way (no {fleet.current_key} "
                         "with workers in Redis)")
    queue = fleet_queue(server, spider, fleet.queue_key, settings)
    seen = RFPDupeFilter(server, key=fleet.seen_key)
    outcome = SeedsPushed(fleet.run_id, fleet.queue_key)
    for request in requests:
        if seen.request_seen(request):
            outcome.already_seen.append(request.url)
        else:
            queue.push(request)
            outcome.pushed.append(request.url)
    if outcome.pushed:
        fleet.touch()  # fleet activity: workers waiting to close see new work
    return outcome
