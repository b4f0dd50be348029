"""`scrapy browse`: Datasette over the crawl's SQLite database, with full-text search, facets and
canned queries (newscrawl.browse.datasette). The database is the crawl's (-s DATABASE_URL=...)."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy.engine import make_url

from newscrawl.browse import datasette
from pipelines.database import database_url, mask_url


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--host HOST] [--port PORT]"

    def short_desc(self) -> str:
        return "Browse and search the crawled articles in Datasette"

    def long_desc(self) -> str:
        return ("Serve the crawl's SQLite database (-s DATABASE_URL=..., else $NEWSCRAWL_DATABASE_URL, "
                "else ./newscrawl.db) with Datasette: full-text search over headlines and bodies, facets, "
                "and canned queries for syndicated stories, revisions, crawl runs and articles per day. "
                "For PostgreSQL, export a slice first: scrapy export slice.db --site ... then "
                "scrapy browse -s DATABASE_URL=sqlite:///slice.db.")

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8001, help="port (default 8001)")

    def run(self, args: list[str], opts) -> None:
        if args:
            raise UsageError("scrapy browse takes no arguments; the database is -s DATABASE_URL=...",
                             print_help=False)
        url = database_url(self.settings)
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            raise UsageError(f"Datasette reads SQLite only, not {mask_url(url)}: export a slice with "
                             "`scrapy export slice.db [--site ...] [--since ...]` and browse that", print_help=False)
        path = Path(parsed.database).expanduser()
        if not path.is_file():
            raise UsageError(f"no database at {path}: crawl first, or give -s DATABASE_URL=sqlite:///PATH",
                             print_help=False)
        try:
            if datasette.enable_search(path):
                print(f"Full-text search enabled on {path} (kept current by triggers)")
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        with tempfile.TemporaryDirectory(prefix="newscrawl-browse-") as tmp:
            metadata_file = datasette.write_metadata(path, Path(tmp) / "metadata.json")
            print(f"Browse {path} at http://{opts.host}:{opts.port}/ (Ctrl-C to stop)", flush=True)
            server = subprocess.Popen(datasette.serve_command(path, metadata_file, opts.host, opts.port),
                                      env=os.environ.copy())
            # Stopping this command (Ctrl-C, SIGTERM) stops Datasette too.
            signal.signal(signal.SIGTERM, lambda *_: server.terminate())
            try:
                self.exitcode = server.wait()
            except KeyboardInterrupt:
                server.terminate()
                server.wait()
                self.exitcode = 0
