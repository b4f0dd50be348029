"""Fleet throughput: one `scrapy crawl news` worker against two sharing a frontier in Redis.

    python3 -m benchmarks.fleet_throughput [--pages 1000] [--repeats 1] [--keep]

Serves the local site of benchmarks/throughput.py (--pages distinct article pages, robots.txt,
sitemap index, sitemaps) from another process, starts a throwaway Redis (tests/servers.py) and a
throwaway PostgreSQL, then per round runs the fleet with one worker and with two (the order
alternating by round), each fleet on a fresh database and a fresh Redis database, every worker
with -s REDIS_URL and the same -a urls=<site>/robots.txt, politeness as benchmarks/throughput.py
(per worker), MAX_IDLE_TIME_BEFORE_CLOSE=5. Printed per fleet size: articles stored, seconds from
launch to the last article downloaded (articles.date_downloaded, 1 s resolution), articles per
second over that time, the ratio two workers / one, wall time until the last worker exited (it
includes the idle close), and per worker (sampled from /proc every 0.25 s): the peak RSS of its
process, and the peak PSS of it with its extraction worker (forked from it, so their shared pages
are counted once). Not wait4's ru_maxrss: it keeps the RSS of this script, which forked the worker.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from threading import Thread

from sqlalchemy import create_engine, text

from benchmarks.throughput import POLITENESS, ROOT, TreeMemory, _rss_kb, _tree, start_postgres, start_site
from tests.servers import RedisServer, _free_port

MAX_IDLE = "5"  # seconds of fleet idleness before a worker exits
FLEET_SIZES = (1, 2)


class WorkerMemory(TreeMemory):
    """Peaks of a worker's own RSS and of its tree's PSS (the extraction worker is forked from it:
    summed RSS would count their shared pages twice)."""

    own_peak_kb = 0

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.own_peak_kb = max(self.own_peak_kb, _rss_kb(self.pid))
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in _tree(self.pid)))


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_worker(base: str, database_url: str, redis_url: str, log: Path, results: list, index: int) -> None:
    settings = {**POLITENESS, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_FILE": str(log),
                "LOG_LEVEL": "INFO", "MAX_IDLE_TIME_BEFORE_CLOSE": MAX_IDLE, "FLEET_WORKER": f"bench-{index}"}
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={base}/robots.txt"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    sampler = WorkerMemory(process.pid, interval=0.25)
    sampler.start()
    status = process.wait()
    sampler.stop()
    results[index] = {"exit": status, "ended": time.time(),
                      "rss_mb": sampler.own_peak_kb / 1024, "tree_pss_mb": sampler.peak_kb / 1024}


def run_fleet(size: int, base: str, database_url: str, redis_url: str, work: Path, label: str) -> dict:
    results: list = [None] * size
    launched = time.time()
    threads = [Thread(target=run_worker, args=(base, database_url, redis_url, work / f"{label}-worker{i}.log",
                                               results, i)) for i in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM articles")).scalar()
            distinct = conn.execute(text("SELECT count(DISTINCT url) FROM articles")).scalar()
            last = conn.execute(text("SELECT max(date_downloaded) FROM articles")).scalar()
            runs = conn.execute(text("SELECT new, status FROM crawl_runs ORDER BY id")).all()
    finally:
        engine.dispose()
    last_download = datetime.fromisoformat(last).timestamp() if isinstance(last, str) else (
        last.replace(tzinfo=last.tzinfo or timezone.utc).timestamp())
    crawl = last_download - launched
    return {"size": size, "stored": stored, "distinct": distinct, "crawl": crawl, "rate": stored / crawl,
            "wall": max(r["ended"] for r in results) - launched, "workers": results,
            "new": [run.new for run in runs], "status": [run.status for run in runs]}


def report(rounds: list[dict]) -> None:
    by_size = {size: [r for r in rounds if r["size"] == size] for size in FLEET_SIZES}
    rate = {size: statistics.median(r["rate"] for r in done) for size, done in by_size.items()}
    print(f"\nMedians over {len(by_size[1])} round(s):")
    for size, done in by_size.items():
        crawl = statistics.median(r["crawl"] for r in done)
        wall = statistics.median(r["wall"] for r in done)
        print(f"  {size} worker(s): {statistics.median(r['stored'] for r in done):.0f} articles stored in {crawl:.1f} s "
              f"(launch to last article), {rate[size]:.1f} articles/s; all exited after {wall:.1f} s")
        for index in range(size):
            print(f"    worker {index + 1}: peak {statistics.median(r['workers'][index]['rss_mb'] for r in done):.0f} MB "
                  f"RSS of its process, {statistics.median(r['workers'][index]['tree_pss_mb'] for r in done):.0f} MB "
                  "PSS with its extraction worker")
    print(f"  two workers / one: {rate[2] / rate[1]:.2f}x the articles per second")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="article pages on the site (default 1000)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of one worker and two (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (worker logs)")
    args = parser.parse_args(argv)
    if shutil.which("redis-server") is None:
        print("redis-server is not installed")
        return 1
    work = Path(tempfile.mkdtemp(prefix="newscrawl-fleet-throughput-"))
    server, base, urls, templates, size = start_site(args.pages)
    print(f"Site: {len(urls)} article pages from {templates} fixture templates ({size / 1e6:.0f} MB) at {base}")
    print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; per worker "
          f"{' '.join(f'{k}={v}' for k, v in POLITENESS.items())}, MAX_IDLE_TIME_BEFORE_CLOSE={MAX_IDLE}")
    redis_server, pg = RedisServer(_free_port()), start_postgres()
    if pg is None:
        print("PostgreSQL is not installed")
        return 1
    redis_server.start()
    rounds = []
    try:
        for number in range(args.repeats):
            sizes = FLEET_SIZES if number % 2 == 0 else FLEET_SIZES[::-1]
            for fleet_size in sizes:
                label = f"round{number}-{fleet_size}"
                pg.execute(f'CREATE DATABASE "{label.replace("-", "_")}"')
                result = run_fleet(fleet_size, base, pg.url(label.replace("-", "_")),
                                   redis_server.url(len(rounds)), work, label)
                rounds.append(result)
                print(f"  round {number + 1}, {fleet_size} worker(s): {result['stored']} stored "
                      f"({result['distinct']} distinct URLs), {result['crawl']:.1f} s, {result['rate']:.1f} articles/s, "
                      f"per worker new {result['new']} status {result['status']} "
                      f"exit {[w['exit'] for w in result['workers']]}", flush=True)
        report(rounds)
    finally:
        server.terminate()
        server.join(5)
        redis_server.stop()
        pg.stop()
        shutil.rmtree(pg.base_dir, ignore_errors=True)
        if args.keep:
            print(f"Work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
