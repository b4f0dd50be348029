"""`scrapy export OUTPUT`: stream stored articles to JSON Lines, CSV, Parquet or a SQLite slice
(newscrawl.browse.export). The database is the crawl's (-s DATABASE_URL=...)."""

from __future__ import annotations

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.browse.export import FORMATS, Selection, export, format_of
from newscrawl.commands import open_crawl_database
from newscrawl.extraction.dates import from_utc_iso, parse_date


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "OUTPUT [--format jsonl|csv|parquet|sqlite] [--site NAME ...] [--since DATE] [--until DATE] " \
               "[--no-copies] [--revisions]"

    def short_desc(self) -> str:
        return "Export stored articles (JSON Lines, CSV, Parquet, or a SQLite slice)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", choices=FORMATS, help="default: from OUTPUT's extension")
        parser.add_argument("--site", action="append", default=[], help="only this site (repeatable)")
        parser.add_argument("--since", help="published on or after this date (2021-12-01)")
        parser.add_argument("--until", help="published before this date")
        parser.add_argument("--no-copies", action="store_true", help="leave out syndicated copies")
        parser.add_argument("--revisions", action="store_true", help="include each article's earlier versions")

    def run(self, args: list[str], opts) -> None:
        if len(args) != 1:
            raise UsageError("give one OUTPUT file (- for standard output)", print_help=False)
        output = args[0]
        fmt = format_of(output, opts.format)
        if fmt not in FORMATS:
            raise UsageError(f"cannot tell the format of {output!r}: give --format {'|'.join(FORMATS)}",
                             print_help=False)
        if output == "-" and fmt not in ("jsonl", "csv"):
            raise UsageError(f"{fmt} cannot go to standard output", print_help=False)
        selection = Selection(tuple(opts.site), _date(opts.since, "--since"), _date(opts.until, "--until"),
                              copies=not opts.no_copies, revisions=opts.revisions)
        engine, masked = open_crawl_database(self)
        if engine is None:
            return
        try:
            count = export(engine, selection, output, fmt)
        except (OSError, ValueError) as exc:
            print(f"Export failed: {exc}")
            self.exitcode = 1
            return
        finally:
            engine.dispose()
        if output != "-":
            print(f"Exported {count} articles from {masked} to {output} ({fmt})")


def _date(value: str | None, option: str):
    if value is None:
        return None
    parsed = from_utc_iso(value) or parse_date(value)
    if parsed is None:
        raise UsageError(f"{option}: not a date: {value!r}", print_help=False)
    return parsed
