"""Peak memory of `scrapy export` against the number of stored articles.

    python3 -m benchmarks.export_memory --sizes 10000,1000000

Seeds one SQLite database per size (articles with ~600-character bodies, one revision in ten),
then exports each to JSON Lines, CSV and Parquet in a fresh process and prints that process's
peak RSS; the smallest size is the baseline of the ratio. Memory that does not grow with the
row count shows as a ratio near 1.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert

PROJECT_DIR = Path(__file__).resolve().parents[1]
FORMATS = ("jsonl", "csv", "parquet")


def seed(path: Path, n: int) -> None:
    from pipelines import migrate
    from pipelines.schema import article_revisions, articles

    engine = create_engine(f"sqlite:///{path}")
    migrate.prepare(engine)
    rng = random.Random(n)
    words = "minister council report market energy talks storm harbour budget vote police court".split()
    start = datetime(2021, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for offset in range(0, n, 10_000):
            rows, revisions = [], []
            for i in range(offset, min(n, offset + 10_000)):
                body = " ".join(rng.choice(words) for _ in range(100))
                when = start + timedelta(minutes=i)
                rows.append({"id": i + 1, "url": f"https://example.com/news/{i}", "canonical_url": f"https://example.com/news/{i}",
                             "site": f"site{i % 20}", "headline": f"Story {i}", "article_body": body,
                             "authors": ["Press Association"], "tags": [], "date_published": when,
                             "content_hash": f"{i:064x}", "first_seen": when, "last_seen": when})
                if i % 10 == 0:
                    revisions.append({"article_id": i + 1, "headline": f"Story {i} (first)", "article_body": body,
                                      "content_hash": f"{i:064x}", "seen_from": when, "last_seen": when,
                                      "seen_until": when})
            conn.execute(insert(articles), rows)
            conn.execute(insert(article_revisions), revisions)
    engine.dispose()


def child(database: str, output: str, fmt: str) -> None:
    """Run the export in this process and print its peak RSS (MB) and wall time."""
    from newscrawl.browse.export import Selection, export
    from pipelines.database import open_engine

    engine = open_engine(f"sqlite:///{database}")
    started = time.perf_counter()
    count = export(engine, Selection(revisions=True), output, fmt)
    print(json.dumps({"rows": count, "seconds": time.perf_counter() - started,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--child", nargs=3, metavar=("DATABASE", "OUTPUT", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory(prefix="export-memory-") as tmp:
        results = {}
        for n in sizes:
            database = Path(tmp) / f"{n}.db"
            started = time.perf_counter()
            seed(database, n)
            print(f"seeded {n:,} articles in {time.perf_counter() - started:.0f} s", flush=True)
            for fmt in formats:
                output = Path(tmp) / f"out-{n}.{fmt}"
                done = subprocess.run([sys.executable, "-m", "benchmarks.export_memory", "--child", str(database),
                                       str(output), fmt], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
                results[(n, fmt)] = json.loads(done.stdout.strip().splitlines()[-1])
                output.unlink()
            database.unlink()
        print(f"\n{'format':<8} {'articles':>10} {'seconds':>8} {'rows/s':>8} {'peak RSS':>9} {'ratio':>6}")
        for fmt in formats:
            base = results[(sizes[0], fmt)]["peak_rss_mb"]
            for n in sizes:
                r = results[(n, fmt)]
                print(f"{fmt:<8} {r['rows']:>10,} {r['seconds']:>8.1f} {r['rows'] / r['seconds']:>8.0f} "
                      f"{r['peak_rss_mb']:>7.0f}MB {r['peak_rss_mb'] / base:>6.2f}")


if __name__ == "__main__":
    main()
