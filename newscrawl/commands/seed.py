"""`scrapy seed SPIDER URL [URL ...]`: add seeds to a fleet run under way (newscrawl.fleet.seeds).

Give the workers' own -a arguments (for `news`, their `-a urls=`: they name the fleet) and their
-s REDIS_URL. The new seeds are built as the spider builds its own and fetched by the fleet's
workers; seeds the run already saw are not pushed again. Exit 2 on a bad argument, 1 when Redis
cannot be reached or no fleet run is under way.
"""

from __future__ import annotations

from redis.exceptions import RedisError
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.conf import arglist_to_dict
from scrapy_redis.connection import get_redis_from_settings

from newscrawl.fleet.seeds import NoFleetRun, push_seeds
from newscrawl.setting_values import check_settings
from newscrawl.spiders.params import ArgumentError, SpiderParams
from pipelines.database import mask_url


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "SPIDER URL [URL ...] [-a NAME=VALUE ...] -s REDIS_URL=redis://host:port/db"

    def short_desc(self) -> str:
        return "Add seeds to a running fleet (the workers' -a arguments name it)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE",
                            help="the fleet workers' spider arguments (for news: their -a urls=)")

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        try:
            opts.spargs = arglist_to_dict(opts.spargs)
        except ValueError:
            raise UsageError("invalid -a value, use -a NAME=VALUE", print_help=False) from None

    def run(self, args: list[str], opts) -> None:
        if len(args) < 2:
            raise UsageError("give the SPIDER and at least one URL to add", print_help=False)
        name, urls = args[0], args[1:]
        if problems := check_settings(self.settings):
            raise UsageError("invalid setting: " + "; ".join(problems), print_help=False)
        redis_url = self.settings.get("REDIS_URL")
        if not redis_url:
            raise UsageError("no REDIS_URL: give the fleet's -s REDIS_URL=redis://host:port/db", print_help=False)
        spider = self._fleet_spider(name, opts.spargs)
        for url in urls:
            _check_url(url)
            if not spider.is_allowed(url):
                raise UsageError(f"URL {url!r}: its host is not one of this fleet's ({', '.join(spider.allowed_domains)});"
                                 " its workers would drop it as off-site", print_help=False)
        server = get_redis_from_settings(self.settings)
        try:
            outcome = push_seeds(server, spider, spider.seed_requests(urls), self.settings)
        except NoFleetRun as exc:
            print(f"Nothing pushed: {exc}. Start the fleet's workers with these seeds instead.")
            self.exitcode = 1
            return
        except RedisError as exc:
            print(f"Cannot reach Redis at {mask_url(redis_url)} (REDIS_URL): {exc}")
            self.exitcode = 1
            return
        print(f"Fleet run {outcome.run_id} (queue {outcome.queue_key}): "
              f"{len(outcome.pushed)} seed(s) pushed, {len(outcome.already_seen)} already seen")
        for url in outcome.pushed:
            print(f"  pushed        {url}")
        for url in outcome.already_seen:
            print(f"  already seen  {url}")

    def _fleet_spider(self, name: str, arguments: dict):
        """The spider as the fleet's workers build it (their seed hosts name the fleet), not started."""
        assert self.crawler_process
        try:
            spider_class = self.crawler_process.spider_loader.load(name)
        except KeyError:
            raise UsageError(f"spider not found: {name}", print_help=False) from None
        validate = getattr(spider_class, "validate_arguments", None)
        try:
            if validate is not None:
                validate(dict(arguments))
        except ArgumentError as exc:
            raise UsageError(str(exc), print_help=False) from None
        crawler = self.crawler_process.create_crawler(spider_class)
        crawler.stats = MemoryStatsCollector(crawler)
        return spider_class.from_crawler(crawler, **arguments)


def _check_url(url: str) -> None:
    try:
        SpiderParams.from_arguments({"urls": [url]})
    except ArgumentError:
        raise UsageError(f"URL {url!r}: not an absolute http(s) URL", print_help=False) from None
