"""See what was crawled: Datasette over the SQLite database (datasette.py) and exports (export.py)."""
