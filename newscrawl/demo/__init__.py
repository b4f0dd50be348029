"""The offline demo: a bundled sample news site served on localhost and crawled into SQLite."""
