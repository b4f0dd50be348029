"""`python -m newscrawl.demo`: serve the bundled sample site, crawl it with `scrapy crawl news`
into SQLite, and print what was stored. Needs no internet."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from newscrawl.demo.server import SiteServer

SITE_DIR = Path(__file__).parent / "site"
PROJECT_DIR = Path(__file__).resolve().parents[2]  # the folder holding scrapy.cfg


def crawl(base_url: str, database: Path, verbose: bool) -> int:
    command = [
        sys.executable, "-m", "scrapy", "crawl", "news",
        "-a", f"urls={base_url}/",
        "-s", f"DATABASE_URL=sqlite:///{database}",
        "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0",
        "-s", "LOG_LEVEL=INFO",
    ]
    print("$ scrapy", " ".join(command[3:]), flush=True)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    for line in result.stderr.splitlines():
        if verbose or "Crawl summary" in line or "] WARNING:" in line or "] ERROR:" in line:
            print(line)
    return result.returncode


def print_articles(database: Path) -> None:
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, site, headline, date_published, authors, article_body, duplicate_of "
            "FROM articles ORDER BY id"
        )).all()
    engine.dispose()
    print(f"\n{len(rows)} articles in {database}:")
    for row in rows:
        words = len((row.article_body or "").split())
        copy = f"  copy of #{row.duplicate_of}" if row.duplicate_of else ""
        print(f"  #{row.id:<3} {row.site[:24]:<24} {(row.date_published or '')[:16]:<16} "
              f"{words:>5} words  {row.headline[:70]}{copy}")
        print(f"       by {row.authors}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("demo.db"), help="SQLite file (default: demo.db)")
    parser.add_argument("--port", type=int, default=8765,
                        help="local port of the sample site (default 8765; the same URLs on every run)")
    parser.add_argument("--verbose", action="store_true", help="show the crawl's whole log")
    args = parser.parse_args(argv)
    database = args.db.resolve()
    try:
        server = SiteServer(SITE_DIR, port=args.port)
    except OSError as exc:  # another port would mean other URLs: the next run would not be incremental
        print(f"Cannot serve the sample site on port {args.port} ({exc.strerror or exc}). The demo keeps "
              f"its site at the same URLs on every run, so that a second run fetches nothing it has "
              f"stored: stop what uses port {args.port} (another demo?), or choose a free port with "
              f"--port N and keep it for later runs into {database}.", file=sys.stderr)
        return 2
    with server:
        print(f"Serving the sample site {SITE_DIR} at {server.base_url}")
        status = crawl(server.base_url, database, args.verbose)
    if status != 0:
        print(f"The crawl failed (exit status {status}).", file=sys.stderr)
        return status
    print_articles(database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
