"""Scrapy settings for newscrawl. Override any of them with `-s NAME=VALUE`."""

from newscrawl.items import PUBLIC_FIELDS

BOT_NAME = "newscrawl"

SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
# Our `crawl` command: validates -a arguments up front and turns a failed run into a non-zero exit.
COMMANDS_MODULE = "newscrawl.commands"
# Fleet mode (-s REDIS_URL=redis://host:port/db): a shared frontier in Redis; off without REDIS_URL.
ADDONS = {"newscrawl.fleet.addon.FleetAddon": 0}

# Where articles go. Also read from the environment variable NEWSCRAWL_DATABASE_URL.
# DATABASE_URL = "sqlite:///newscrawl.db"
DATABASE_BATCH_SIZE = 100

# --- Politeness -------------------------------------------------------------
# A URL where site owners can read what this crawler is and how to reach its operator. The
# User-Agent is built from it ("newscrawl/0.1 (+URL)") unless USER_AGENT itself is set.
NEWSCRAWL_CONTACT_URL = "https://github.com/newscrawl/newscrawl"
USER_AGENT = None
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# In fleet mode (REDIS_URL) these two also hold for the whole fleet (newscrawl.fleet.politeness;
# FLEET_CONCURRENT_REQUESTS_PER_DOMAIN and FLEET_DOWNLOAD_DELAY set the fleet's apart).
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Retries wait for the server's Retry-After (429/503), else RETRY_BACKOFF_BASE * 2**n seconds;
# failed downloads (timeouts, refused connections, DNS failures) too.
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.middlewares.BackoffRetryMiddleware": 550,
    # Before robots.txt and download: skip articles the database already holds.
    "newscrawl.middlewares.IncrementalMiddleware": 50,
}
INCREMENTAL_ENABLED = True
DOWNLOAD_TIMEOUT = 30
# Bigger pages than this are not news articles; they are cancelled and counted.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
# For development: `-s HTTPCACHE_ENABLED=1` keeps every response under .scrapy/httpcache.
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_IGNORE_HTTP_CODES = [429, 500, 502, 503, 504]

# --- Pages that need a browser (scrapy-playwright) --------------------------
# Only requests with meta["playwright"] go through the browser; it starts at the first such request.
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Debian's Chromium: `playwright install` cannot download a browser on our machines.
PLAYWRIGHT_LAUNCH_OPTIONS = {"executable_path": "/usr/bin/chromium", "headless": True}
PLAYWRIGHT_MAX_CONTEXTS = 2
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20_000
# The browser downloads no images, fonts or media (newscrawl.rendering).
PLAYWRIGHT_ABORT_REQUEST = "newscrawl.rendering.should_abort_request"

# --- Data flow: spider -> loader/extraction -> pipelines -> database ---------
ITEM_PIPELINES = {
    "pipelines.validation.ValidationPipeline": 100,
    "pipelines.dedup.DeduplicationPipeline": 200,
    "pipelines.storage.StoragePipeline": 300,
}
# A page yields one article or a list of links, and the pipelines are synchronous: Scrapy's
# default of 100 starts 100 tasks per response for nothing (a tenth of the crawl's own CPU).
CONCURRENT_ITEMS = 8
# Worker processes that parse and extract pages on another core (newscrawl.pages). 0: in the
# crawl process, better on a machine whose cores are busy with other work (the hand-over costs CPU).
EXTRACTION_PROCESSES = 1
# True: the article body is chosen block by block by the shipped block model (LightGBM), which
# scores better on unseen sites in cross-validation but costs about 40% more extraction time (README).
EXTRACTION_BLOCK_MODEL = False
# Syndicated near-copies: "link" (own row, duplicate_of = earliest version), "drop" or "off".
NEAR_DUPLICATES = "link"
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,
    "newscrawl.extensions.CrawlProgress": 0,  # LogStats, with articles stored/skipped/dropped and the queue
    "newscrawl.extensions.CrawlSummary": 500,
    "pipelines.runs.CrawlRunRecorder": 600,  # after CrawlSummary, so it sees newscrawl/fatal
}
# Two runs of one crawl never overlap: the second refuses (or waits this many seconds).
RUN_LOCK_WAIT = 0
# Every crawl logs its progress once a minute (newscrawl.extensions.CrawlProgress).
LOGSTATS_INTERVAL = 60.0

FEED_EXPORT_ENCODING = "utf-8"
# `-O articles.jsonl` exports the Article fields, not the internal extraction_problem.
FEED_EXPORT_FIELDS = list(PUBLIC_FIELDS)
# Unattended cron runs need no control ports.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
