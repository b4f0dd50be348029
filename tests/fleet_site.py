"""A local news site for fleet tests: slow article pages listed in one sitemap, held back until
every worker is running (``GatedSite``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from newscrawl.demo.server import Route, SiteServer
from tests.crawling import run_crawl
from tests.two_sites import START, Story, page, prose

FLEET = {"MAX_IDLE_TIME_BEFORE_CLOSE": "10", "DOWNLOAD_TIMEOUT": "240"}
TIMEOUT = 600  # seconds per worker, for a loaded machine


class GatedSite(SiteServer):
    """Holds article pages back until *workers* processes fetched robots.txt (all are running)."""

    def __init__(self, routes: dict, workers: int) -> None:
        super().__init__(routes=routes)
        self.workers = workers
        self.all_started = threading.Event()

    def resolve(self, raw_path: str):
        if raw_path == "/robots.txt" and self.count("/robots.txt") >= self.workers:
            self.all_started.set()
        if raw_path.startswith("/news/"):
            self.all_started.wait(timeout=180)
        return super().resolve(raw_path)


def stories(count: int) -> list[Story]:
    return [Story(slug=f"fleet-story-{n}", headline=f"Fleet story number {n} about the harbour bridge",
                  paragraphs=prose(n), published=START + timedelta(hours=n), modified=START + timedelta(hours=n))
            for n in range(count)]


def gated_site(count: int, workers: int, delay: float) -> GatedSite:
    """A started GatedSite with *count* article pages taking *delay* seconds each, in /sitemap.xml."""
    site = GatedSite({}, workers)
    base = site.base_url
    urls = "".join(f"<url><loc>{base}{s.path}</loc></url>" for s in stories(count))
    site.routes.update({s.path: Route(body=page(s), delay=delay) for s in stories(count)})
    site.routes["/sitemap.xml"] = Route(content_type="application/xml", body=(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode())
    site.start()
    return site


def run_fleet(site, redis_url: str, database: str, workers: int, settings: dict | None = None):
    """*workers* `scrapy crawl news` workers of one fleet on *site*'s sitemap, to the end."""
    settings = {**FLEET, "REDIS_URL": redis_url, **(settings or {})}
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run_crawl, "news", urls=f"{site.base_url}/sitemap.xml", database=database,
                               settings=settings, timeout=TIMEOUT) for _ in range(workers)]
        return [future.result() for future in futures]
