"""`scrapy crawl` for newscrawl: refuses bad -a arguments, bad -s settings and invalid site
entries before starting (exit 2), and exits 1 when the run failed (database unusable, nothing could be
fetched, or nothing of what was fetched stored), so cron notices."""

from __future__ import annotations

import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl import stats as keys
from newscrawl.setting_values import check_settings
from newscrawl.spiders.params import ArgumentError
from newscrawl.spiders.sites import REGISTRY_ERRORS

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            return super().run(args, opts)  # Scrapy's own usage errors
        assert self.crawler_process
        if problems := check_settings(self.settings):
            raise UsageError("invalid setting: " + "; ".join(problems), print_help=False)
        if args[0] in REGISTRY_ERRORS:
            raise UsageError(f"invalid site entry: {REGISTRY_ERRORS[args[0]]}", print_help=False)
        for error in REGISTRY_ERRORS.values():  # other sites: this crawl still runs
            logger.warning("Site entry ignored: %s", error)
        spider_class = self.crawler_process.spider_loader.load(args[0])
        validate = getattr(spider_class, "validate_arguments", None)
        if validate is not None:
            try:
                validate(dict(opts.spargs))
            except ArgumentError as exc:
                raise UsageError(str(exc), print_help=False) from None
        crawler = self._create_crawler(spider_class)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        stats = crawler.stats
        if self.crawler_process.bootstrap_failed or stats.get_value(keys.FATAL) or stats.get_value(keys.INTERRUPTED):
            self.exitcode = 1
