"""Every stats key newscrawl sets in Scrapy's stats collector, and the close reasons it uses.

Keys are namespaced ``newscrawl/<group>/<name>``; the summary line, crawl_runs and the tests read
them from here. Groups whose last part varies (a drop reason, an error kind, an outcome) have a
function that builds the key.
"""

from __future__ import annotations

PREFIX = "newscrawl/"

# The run's verdict (newscrawl.extensions.CrawlSummary): the crawl command exits 1 when FATAL is set.
FATAL = "newscrawl/fatal"
DEGRADED = "newscrawl/degraded"  # articles stored, but validation dropped most article pages
INTERRUPTED = "newscrawl/interrupted"  # stopped by SIGTERM/SIGINT before its end: the crawl exits 1
FLEET_RUN = "newscrawl/fleet_run"  # fleet mode: the fleet run id this worker joined (newscrawl.fleet)
# Fleet-wide per-site limits (newscrawl.fleet.politeness): requests that waited for a free lease
# on their site, requests that waited for their reserved start time, and the seconds waited in all.
FLEET_POLITENESS_WAITS = "newscrawl/fleet/politeness_waits"
FLEET_POLITENESS_DELAYS = "newscrawl/fleet/politeness_delays"
FLEET_POLITENESS_WAIT_SECONDS = "newscrawl/fleet/politeness_wait_seconds"

# Requests and pages.
ARTICLE_REQUESTS = "newscrawl/requests/article"
PAGES_ARTICLE = "newscrawl/pages/article"
PAGES_NAVIGATION = "newscrawl/pages/navigation"
PAGES_EMPTY = "newscrawl/pages/empty"
ERRORS = "newscrawl/errors"  # every failed download; by kind: error(kind)
ERRORS_ARTICLE_REQUESTS = "newscrawl/errors/article_requests"
ERRORS_REDIRECT_LOOP = "newscrawl/errors/redirect_loop"

# Discovery.
DISCOVERY_ROBOTS = "newscrawl/discovery/robots"
DISCOVERY_FEED = "newscrawl/discovery/feed"
DISCOVERY_SECTION_LINKS = "newscrawl/discovery/section_links"
DISCOVERY_PAGINATION_LINKS = "newscrawl/discovery/pagination_links"

# Requests not made or not downloaded: skipped(reason).
SKIPPED = "newscrawl/skipped"
ALREADY_STORED = "already_stored"
KNOWN_NON_ARTICLE = "known_non_article"
OUTSIDE_DATE_WINDOW = "outside_date_window"
MAX_ARTICLES = "max_articles"
MAX_PAGES = "max_pages"
ROBOTS_FORBIDDEN = "robots_forbidden"
REDIRECT_TO_SEEN_URL = "redirect_to_seen_url"

# Items: dropped by validation, dropped(reason); stored, article_outcome(outcome).
DROPPED = "newscrawl/dropped"
ARTICLES = "newscrawl/articles"
REVISIONS = "newscrawl/articles/revisions"
UNSAVED = "newscrawl/articles/unsaved"
NEAR_DUPLICATE_GROUPS_REROOTED = "newscrawl/articles/near_duplicate_groups_rerooted"
# Counted new, then linked when flushed: another writer had stored a copy meanwhile.
NEAR_DUPLICATES_LINKED_AT_FLUSH = "newscrawl/articles/near_duplicates_linked_at_flush"
DB_BATCHES = "newscrawl/db/batches"
DB_RETRIES = "newscrawl/db/retries"  # database operations retried while it was unreachable

# Incremental runs, retries and the browser.
REFETCH_CHANGED = "newscrawl/incremental/refetch_changed"
REFETCH_DUE = "newscrawl/incremental/refetch_due"
RETRY_WAITED_SECONDS = "newscrawl/retry/waited_seconds"
RETRY_AFTER_TOO_LONG = "newscrawl/retry/retry_after_too_long"
RETRY_AFTER_HONOURED = "newscrawl/retry/retry_after_honoured"
RETRY_AFTER_DOWNLOAD_ERROR = "newscrawl/retry/after_download_error"
RENDERING_RETRIED = "newscrawl/rendering/retried_in_browser"
RENDERING_UNAVAILABLE = "newscrawl/rendering/unavailable"

# Close reasons (Scrapy's finish_reason) of runs the store stops.
CLOSE_DATABASE_ERROR = "database_error"
CLOSE_ANOTHER_RUN_ACTIVE = "another_run_active"
CLOSE_RUN_LOCK_LOST = "run_lock_lost"


def skipped(reason: str) -> str:
    return f"{SKIPPED}/{reason}"


def dropped(reason: str) -> str:
    return f"{DROPPED}/{reason}"


def article_outcome(outcome: str) -> str:
    """new, updated, unchanged, duplicate or near_duplicate."""
    return f"{ARTICLES}/{outcome}"


def error(kind: str) -> str:
    return f"{ERRORS}/{kind}"


def page_problem(problem: str) -> str:
    return f"newscrawl/pages/{problem}"


def discovery(kind: str) -> str:
    """A discovered source (sitemap kind) or links from one: ``<source>_links``, ``<source>_links_skipped``."""
    return f"newscrawl/discovery/{kind}"


def total(stats: dict, prefix: str) -> int:
    """The sum of the integer counters under *prefix* (e.g. every skipped/ reason)."""
    return sum(v for k, v in stats.items() if k.startswith(prefix + "/") and isinstance(v, int))
