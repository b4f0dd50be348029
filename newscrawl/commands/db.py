"""`scrapy db upgrade` and `scrapy db current`: the database's schema version (pipelines.migrate).

The database is the crawl's: -s DATABASE_URL=..., else $NEWSCRAWL_DATABASE_URL, else ./newscrawl.db.
"""

from __future__ import annotations

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.commands import open_crawl_database
from pipelines import migrate

ACTIONS = ("upgrade", "current")


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "upgrade|current"

    def short_desc(self) -> str:
        return "Upgrade the database schema (upgrade) or show its version (current)"

    def long_desc(self) -> str:
        return ("upgrade: create the schema in a new database, or migrate an older one to this "
                "version of newscrawl (safe to run from several workers at once).\n"
                "current: print the database's schema revision and the one this code needs.\n"
                "The database is the crawl's: -s DATABASE_URL=..., else $NEWSCRAWL_DATABASE_URL.")

    def run(self, args: list[str], opts) -> None:
        if len(args) != 1 or args[0] not in ACTIONS:
            raise UsageError(f"give one of: {', '.join(ACTIONS)}", print_help=False)
        engine, masked = open_crawl_database(self)
        if engine is None:
            return
        try:
            if args[0] == "upgrade":
                before, after = migrate.upgrade(engine)
                if before == after:
                    print(f"{masked} is at revision {after}: nothing to do")
                elif before is None:
                    print(f"Created the schema in {masked} at revision {after}")
                else:
                    print(f"Upgraded {masked} from revision {before} to {after}")
            else:
                with engine.connect() as conn:
                    current = migrate.current_revision(conn)
                print(f"{masked}: revision {current or '(empty database)'}; "
                      f"this newscrawl needs {migrate.head_revision()}")
        except migrate.SchemaOutdated as exc:
            print(f"{masked}: {exc}")
            self.exitcode = 1
        finally:
            engine.dispose()
