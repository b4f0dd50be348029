"""newscrawl: crawl news sites into a database of clean, de-duplicated articles."""

__all__ = ["extract", "__version__"]
__version__ = "0.1"


def __getattr__(name: str):
    # Imported lazily so that loading the Scrapy settings stays cheap.
    if name == "extract":
        from newscrawl.extraction import extract

        return extract
    raise AttributeError(name)
