"""`scrapy crawl news -a urls=URL[,URL...]`: any seeds, any site, general rules."""

from urllib.parse import urlsplit

from newscrawl.spiders.base import NewsSpiderBase


class NewsSpider(NewsSpiderBase):
    name = "news"

    def site_name(self, url: str) -> str:
        host = urlsplit(url).hostname or ""
        return host.removeprefix("www.")
