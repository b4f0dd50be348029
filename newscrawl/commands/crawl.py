"""`scrapy crawl` for newscrawl: refuses bad -a arguments before starting, and exits
non-zero when the run failed (database unusable, or nothing could be fetched), so cron notices."""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.extensions import FATAL_STAT
from newscrawl.spiders.params import ArgumentError


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            return super().run(args, opts)  # Scrapy's own usage errors
        assert self.crawler_process
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
        if self.crawler_process.bootstrap_failed or crawler.stats.get_value(FATAL_STAT):
            self.exitcode = 1
