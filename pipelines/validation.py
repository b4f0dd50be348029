"""ValidationPipeline: drop items that are not articles worth storing.

Each drop is logged with the URL and counted as ``newscrawl/dropped`` and
``newscrawl/dropped/<reason>``.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl import stats as keys
from newscrawl.setting_values import integer, refused_when_invalid

logger = logging.getLogger(__name__)

MIN_BODY_CHARS_SETTING = "VALIDATION_MIN_BODY_CHARS"
DEFAULT_MIN_BODY_CHARS = 20
# Longer URLs are refused: they could not be indexed (PostgreSQL btree limit).
MAX_URL_CHARS = 2048



class ValidationPipeline:
    def __init__(self, stats, min_body_chars: int = DEFAULT_MIN_BODY_CHARS) -> None:
        self.stats = stats
        self.min_body_chars = min_body_chars

    @classmethod
    def from_crawler(cls, crawler) -> ValidationPipeline:
        with refused_when_invalid(crawler):
            min_body_chars = integer(crawler.settings, MIN_BODY_CHARS_SETTING, DEFAULT_MIN_BODY_CHARS)
        return cls(crawler.stats, min_body_chars)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        if not url:
            self._drop("no_url", "no url", "(unknown URL)", logging.WARNING)
        if len(url) > MAX_URL_CHARS:
            self._drop("url_too_long", f"URL longer than {MAX_URL_CHARS} characters", url[:200] + "...", logging.WARNING)
        body = (adapter.get("article_body") or "").strip()
        if not body:
            problem = adapter.get("extraction_problem")
            self._drop("no_body", f"no article body ({problem})" if problem else "no article body", url)
        if len(body) < self.min_body_chars:
            self._drop("body_too_short", f"article body shorter than {self.min_body_chars} characters", url)
        if not (adapter.get("headline") or "").strip():
            self._drop("no_headline", "no headline", url)
        return item

    def _drop(self, reason: str, message: str, url: str, level: int = logging.INFO) -> None:
        self.stats.inc_value(keys.DROPPED)
        self.stats.inc_value(keys.dropped(reason))
        logger.log(level, "Dropped article, %s: %s", message, url)
        # Already logged above, without the whole item: Scrapy's own line only at DEBUG.
        raise DropItem(f"{message}: {url}", log_level="DEBUG")
