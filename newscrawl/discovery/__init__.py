"""Pure functions that find article URLs: sitemaps, feeds, and page/URL heuristics."""
