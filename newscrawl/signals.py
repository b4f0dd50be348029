"""newscrawl's own Scrapy signals (sent with ``crawler.signals.send_catch_log``)."""

# A page requested as an article held none. Arguments: url (as requested: the URL a sitemap,
# feed or link gave), reason (str), source_date (its sitemap/feed date: datetime or None).
# The store remembers it, so that cron runs skip it until its listing says it changed.
page_not_article = object()
