"""Throughput: the full `scrapy crawl news` pipeline against a bare Scrapy fetch, in one run.

    python3 -m benchmarks.throughput [--pages 1100] [--repeats 3] [--no-postgres] [--profile DIR]
        [-s NAME=VALUE ...] [--variant NAME=VALUE ...] [--keep]

Builds a local site of --pages distinct article pages from the project's fixture pages
(benchmarks/news_site.py: robots.txt, sitemap index, sitemaps), serves it from another
process, then runs, alternating in each round so that other load hits all alike:
  bare     a plain Scrapy spider (Scrapy's default settings) that only fetches the article URLs;
  sqlite   `scrapy crawl news -a urls=<site>/robots.txt` into a fresh SQLite database;
  postgres the same into a fresh database on a throwaway PostgreSQL server (tests/servers.py),
           skipped with a message when PostgreSQL is not installed.
Every run is its own process, with news-please's politeness (-s DOWNLOAD_DELAY=0
AUTOTHROTTLE_ENABLED=False CONCURRENT_REQUESTS_PER_DOMAIN=4; the project's polite defaults
are not changed) and INFO logging to a file. Printed per kind (medians over the rounds):
process wall time, crawl time (Scrapy's elapsed_time_seconds), ratio to bare in the same
round, articles stored per second, CPU seconds by stage, peak RSS.

CPU by stage: the crawl process wraps the functions of each stage (STAGES) with a timer of
the calling thread's CPU time (time.thread_time, exclusive of nested stages); "other" is the
process's CPU (wait4 rusage) minus the stages: Scrapy, Twisted, logging, startup.
--profile DIR also writes a cProfile of one SQLite crawl to DIR/crawl.pstats and prints its top;
-s adds a setting to every crawl run; --variant NAME=VALUE adds an SQLite run with that setting
to each round (an A/B comparison in the same run).
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import multiprocessing.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLITENESS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "4"}
# (module, attribute, stage): the functions timed in the crawl process.
# Functions missing from the code under test (an older version) are skipped.
STAGES = (
    ("newscrawl.pages", "parse_document", "HTML parse"),
    ("newscrawl.spiders.base", "parse_document", "HTML parse"),
    ("newscrawl.extraction", "extract_body", "extraction body"),
    ("newscrawl.extraction", "extract_metadata", "metadata"),
    ("newscrawl.extraction", "embedded_article_text", "embedded data"),
    ("newscrawl.pages", "extract_document", "item loader"),
    ("newscrawl.spiders.base", "extract_document", "item loader"),
    ("newscrawl.pages", "page_kind", "page kind"),
    ("newscrawl.spiders.base", "page_kind", "page kind"),
    ("newscrawl.middlewares", "IncrementalMiddleware.process_request", "incremental lookups"),
    ("pipelines.validation", "ValidationPipeline.process_item", "validation"),
    ("pipelines.dedup", "NearDuplicateCheck.original_of", "MinHash"),
    ("pipelines.dedup", "classify", "dedup"),
    ("pipelines.storage", "StoragePipeline.process_item", "storage staging"),
    ("pipelines.batch", "BatchWriter.write", "batch writes"),
)
KINDS = ("bare", "sqlite", "postgres", "trafilatura")


# --- the crawl processes ----------------------------------------------------------------------

class StageTimer:
    """Thread CPU seconds per stage, exclusive of nested stages."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, function, stage: str):
        timer = self

        def timed(*args, **kwargs):
            stack = timer._local.__dict__.setdefault("stack", [])
            stack.append(0.0)
            start = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.thread_time() - start
                nested = stack.pop()
                if stack:
                    stack[-1] += elapsed
                with timer._lock:
                    timer.seconds[stage] = timer.seconds.get(stage, 0.0) + elapsed - nested
                    timer.calls[stage] = timer.calls.get(stage, 0) + 1

        timed.__wrapped__ = function
        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def install(self, stages=STAGES) -> list[str]:
        missing = []
        for module_name, attribute, stage in stages:
            try:
                owner = importlib.import_module(module_name)
            except ImportError:
                missing.append(module_name)
                continue
            *path, name = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            if not hasattr(owner, name):
                missing.append(f"{module_name}.{attribute}")
                continue
            setattr(owner, name, self.wrap(getattr(owner, name), stage))
        return missing


def _capture_stats(into: dict) -> None:
    from scrapy.statscollectors import MemoryStatsCollector

    persist = MemoryStatsCollector._persist_stats

    def keep(self, stats):
        into.update(stats)
        return persist(self, stats)

    MemoryStatsCollector._persist_stats = keep


def _jsonable(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}


def child_crawl(args) -> int:
    """`scrapy crawl news` with stage timers (and optionally under cProfile)."""
    from scrapy.cmdline import execute

    timer, stats = StageTimer(), {}
    timer.install()

    def in_worker(timer) -> None:  # extraction worker processes report their stages when they exit
        timer.reset()
        multiprocessing.util.Finalize(None, _dump_stages, args=(timer, f"{args.out}.{os.getpid()}"), exitpriority=100)

    multiprocessing.util.register_after_fork(timer, in_worker)
    _capture_stats(stats)
    settings = {**POLITENESS, "DATABASE_URL": args.database_url, "LOG_FILE": args.log, "LOG_LEVEL": "INFO"}
    settings.update(item.split("=", 1) for item in args.setting or ())
    argv = ["scrapy", "crawl", "news", "-a", f"urls={args.base}/robots.txt"]
    for name, value in settings.items():
        argv += ["-s", f"{name}={value}"]
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    code = 0
    try:
        execute(argv)
    except SystemExit as exc:
        code = exc.code or 0
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        Path(args.out).write_text(json.dumps({"stages": timer.seconds, "calls": timer.calls,
                                              "stats": _jsonable(stats), "exit": code}))
    return code


def _dump_stages(timer: StageTimer, path: str) -> None:
    Path(path).write_text(json.dumps(timer.seconds))


def child_bare(args) -> int:
    """A plain Scrapy spider that fetches the article URLs and does nothing with them; with
    --child trafilatura, it also extracts each page with trafilatura and inserts it into SQLite
    (no dedup, no metadata rules): the throwaway spider of issue 8."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = Path(args.urls).read_text().split()
    store = None
    if args.child == "trafilatura":
        import sqlite3

        import trafilatura

        store = sqlite3.connect(args.database_url.removeprefix("sqlite:///"))
        store.execute("CREATE TABLE articles (url TEXT PRIMARY KEY, title TEXT, body TEXT)")

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response):
            self.crawler.stats.inc_value("bare/pages")
            if store is not None:
                document = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
                if document is not None and document.text:
                    store.execute("INSERT OR REPLACE INTO articles VALUES (?, ?, ?)",
                                  (response.url, document.title, document.text))
                    store.commit()

    stats: dict = {}
    _capture_stats(stats)
    process = CrawlerProcess({**POLITENESS, "LOG_FILE": args.log, "LOG_LEVEL": "INFO",
                              "TELNETCONSOLE_ENABLED": False})
    process.crawl(BareSpider)
    process.start()
    if store is not None:
        store.close()
    Path(args.out).write_text(json.dumps({"stages": {}, "calls": {}, "stats": _jsonable(stats), "exit": 0}))
    return 0


# --- the site server ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(routes, port: int, ready) -> None:
    from newscrawl.demo.server import SiteServer

    server = SiteServer(routes=routes, port=port)
    server.start()
    ready.set()
    threading.Event().wait()


def start_site(pages: int):
    """(server process, base URL, article URLs, number of templates)."""
    from benchmarks.news_site import build_site, load_templates

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    templates = load_templates()
    routes, urls = build_site(pages, base, templates)
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    server = context.Process(target=_serve, args=(routes, port, ready), daemon=True)
    server.start()
    if not ready.wait(30):
        raise RuntimeError("the site server did not start")
    size = sum(len(r.body) for r in routes.values())
    return server, base, urls, len(templates), size


# --- PostgreSQL -----------------------------------------------------------------------------

def start_postgres():
    """A throwaway server, as the tests run it (tests/servers.py), or None when not installed."""
    sys.path.insert(0, str(ROOT))
    from tests.servers import start_throwaway_server

    return start_throwaway_server()


class TreeMemory(threading.Thread):
    """Peak of the summed RSS of a process and its descendants (extraction workers), sampled."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(self.pid)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        try:
            children = Path(f"/proc/{pids[index]}/task/{pids[index]}/children").read_text().split()
        except OSError:
            children = []
        pids += [int(c) for c in children]
        index += 1
    return pids


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- one measured run -----------------------------------------------------------------------

def run_once(kind: str, work: Path, base: str, urls_file: Path, number: int, pg=None, profile: str | None = None,
             settings: list[str] = (), trees: dict[str, Path] | None = None) -> dict:
    """One measured process. A kind "sqlite@LABEL" runs the crawl in the source tree --tree LABEL=DIR."""
    out, log = work / f"run-{number}.json", work / f"run-{number}.log"
    kind_name, _, tree = kind.partition("@")
    cwd = (trees or {})[tree] if tree else ROOT
    child = kind if kind in ("bare", "trafilatura") else "crawl"
    command = [sys.executable, "-m", "benchmarks.throughput", "--child", child,
               "--out", str(out), "--log", str(log), "--base", base, "--urls", str(urls_file)]
    for setting in [*settings, *([kind.split("+", 1)[1]] if "+" in kind else [])]:
        command += ["--setting", setting]
    database_url = None
    if kind.startswith("sqlite") or kind == "trafilatura":
        database_url = f"sqlite:///{work / f'run-{number}.db'}"
    elif kind_name == "postgres":
        name = f"bench_{number}"
        pg.execute(f'CREATE DATABASE "{name}"')
        database_url = pg.url(name)
    if database_url:
        command += ["--database-url", database_url]
    if profile:
        command += ["--profile", profile]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd)
    sampler = TreeMemory(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    result = json.loads(out.read_text()) if out.exists() else {"stages": {}, "stats": {}, "exit": None}
    for worker in work.glob(f"{out.name}.*"):  # stages timed in extraction worker processes
        for stage, seconds in json.loads(worker.read_text()).items():
            result["stages"][stage] = result["stages"].get(stage, 0.0) + seconds
        worker.unlink()
    result.update(kind=kind, wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=sampler.peak_kb / 1024,
                  returncode=process.returncode)
    if database_url:
        result.update(_stored(database_url))
    if kind_name == "postgres":
        pg.execute(f'DROP DATABASE IF EXISTS "bench_{number}" WITH (FORCE)')
    elif kind.startswith("sqlite") or kind == "trafilatura":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work / f'run-{number}.db'}{suffix}").unlink(missing_ok=True)
    return result


def _stored(database_url: str) -> dict:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM articles")).scalar()
            try:
                linked = conn.execute(text("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")).scalar()
            except SQLAlchemyError:  # the throwaway trafilatura spider's table
                linked = None
    finally:
        engine.dispose()
    return {"stored": stored, "linked": linked}


# --- report ---------------------------------------------------------------------------------

def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def report(runs: list[dict], pages: int, out=sys.stdout) -> dict:
    kinds = list(dict.fromkeys([*KINDS, *(r["kind"] for r in runs)]))
    by_kind = {kind: [r for r in runs if r["kind"] == kind] for kind in kinds}
    bare_by_round = {r["round"]: r for r in by_kind["bare"]}
    summary = {}
    width = max(14, *(len(k) + 2 for k in kinds))
    print(f"\n{'':28}" + "".join(f"{k:>{width}}" for k in kinds if by_kind[k]), file=out)
    rows: dict[str, dict[str, str]] = {}

    def put(label, kind, value):
        rows.setdefault(label, {})[kind] = value

    stage_names = list(dict.fromkeys(stage for _m, _a, stage in STAGES))
    for kind in kinds:
        done = by_kind[kind]
        if not done:
            continue
        wall = _median([r["wall"] for r in done])
        crawl = _median([r["stats"].get("elapsed_time_seconds") for r in done])
        ratio = _median([r["wall"] / bare_by_round[r["round"]]["wall"] for r in done if r["round"] in bare_by_round])
        crawl_ratio = _median([
            r["stats"].get("elapsed_time_seconds") / bare_by_round[r["round"]]["stats"]["elapsed_time_seconds"]
            for r in done if r["round"] in bare_by_round and r["stats"].get("elapsed_time_seconds")])
        stored = _median([r.get("stored", r["stats"].get("bare/pages")) for r in done])
        cpu = _median([r["cpu"] for r in done])
        summary[kind] = {"wall": wall, "crawl": crawl, "ratio": ratio, "crawl_ratio": crawl_ratio,
                         "stored": stored, "cpu": cpu}
        put("process wall (s)", kind, f"{wall:.1f}")
        put("crawl time (s)", kind, f"{crawl:.1f}" if crawl else "-")
        put("ratio to bare (wall)", kind, f"{ratio:.2f}x" if ratio else "-")
        put("ratio to bare (crawl)", kind, f"{crawl_ratio:.2f}x" if crawl_ratio else "-")
        put("pages fetched", kind, str(_median([r["stats"].get("response_received_count") for r in done])))
        put("articles stored" if kind != "bare" else "articles stored", kind,
            str(stored) if kind != "bare" else f"({stored} fetched)")
        linked = _median([r.get("linked") for r in done])
        put("near-copies linked", kind, "-" if linked is None else str(linked))
        put("articles/s (wall)", kind, f"{stored / wall:.1f}" if stored else "-")
        put("share of bare rate", kind, f"{(stored / wall) / (summary['bare']['stored'] / summary['bare']['wall']):.0%}"
            if "bare" in summary and stored else "-")
        put("CPU total (s)", kind, f"{cpu:.1f}")
        staged, timed = 0.0, any(r["stages"] for r in done)
        for stage in stage_names:
            seconds = _median([r["stages"].get(stage, 0.0) for r in done])
            staged += seconds or 0.0
            put(f"  {stage}", kind, f"{seconds:.2f}" if timed else "-")
        put("  other (Scrapy, startup)", kind, f"{cpu - staged:.2f}")
        put("peak RSS (MB, all procs)", kind, f"{_median([r['rss_mb'] for r in done]):.0f}")
        put("exit status", kind, ",".join(str(r["returncode"]) for r in done))
    for label, values in rows.items():
        print(f"{label:28}" + "".join(f"{values.get(k, ''):>{width}}" for k in kinds if by_kind[k]), file=out)
    return summary


def print_profile(path: str, out=sys.stdout, top: int = 35) -> None:
    import pstats

    print(f"\ncProfile of one SQLite crawl ({path}), by own time:", file=out)
    pstats.Stats(path, stream=out).sort_stats("tottime").print_stats(top)


# --- main -----------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1100, help="article pages on the site (default 1100)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of bare/sqlite/postgres (default 3)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL runs")
    parser.add_argument("--trafilatura", action="store_true",
                        help="also run a throwaway Scrapy+trafilatura spider (plain SQLite insert, no dedup)")
    parser.add_argument("--only", choices=KINDS, action="append", help="run only these kinds (repeatable)")
    parser.add_argument("--profile", metavar="DIR", help="also profile one SQLite crawl with cProfile into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, results)")
    # Internal: the measured child processes.
    parser.add_argument("--child", choices=("bare", "crawl", "trafilatura"), help=argparse.SUPPRESS)
    parser.add_argument("--setting", "-s", action="append", metavar="NAME=VALUE",
                        help="an extra Scrapy setting for the crawl runs (repeatable)")
    parser.add_argument("--tree", metavar="LABEL=DIR", action="append",
                        help="also run the crawls with the code in DIR (e.g. an older commit, with this benchmarks/ "
                             "copied in), as kinds sqlite@LABEL and postgres@LABEL (repeatable)")
    parser.add_argument("--variant", metavar="NAME=VALUE", action="append",
                        help="also run the SQLite crawl with this setting, as kind sqlite+NAME=VALUE (repeatable)")
    for name in ("--out", "--log", "--base", "--urls", "--database-url"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "crawl":
        return child_crawl(args)
    if args.child in ("bare", "trafilatura"):
        return child_bare(args)
    if args.profile:
        args.profile = str(Path(args.profile).resolve())  # children run in the project root

    work = Path(tempfile.mkdtemp(prefix="newscrawl-throughput-"))
    kinds = list(args.only or [k for k in KINDS if k != "trafilatura" or args.trafilatura])
    if args.no_postgres and "postgres" in kinds:
        kinds.remove("postgres")
    if "bare" not in kinds:
        kinds.insert(0, "bare")  # the baseline is always measured
    kinds += [f"sqlite+{variant}" for variant in args.variant or ()]
    trees = {label: Path(directory).resolve() for label, directory in (t.split("=", 1) for t in args.tree or ())}
    for label in trees:
        kinds += [f"{kind}@{label}" for kind in ("sqlite", "postgres") if kind in kinds]
    started = time.perf_counter()
    server, base, urls, templates, size = start_site(args.pages)
    urls_file = work / "urls.txt"
    urls_file.write_text("\n".join(urls))
    print(f"Site: {len(urls)} article pages from {templates} fixture templates ({size / 1e6:.0f} MB), "
          f"robots.txt + sitemap index + {-(-len(urls) // 250)} sitemaps, at {base} "
          f"(built in {time.perf_counter() - started:.0f} s)")
    print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
          f"politeness {' '.join(f'{k}={v}' for k, v in POLITENESS.items())}")
    pg = None
    if "postgres" in kinds:
        pg = start_postgres()
        if pg is None:
            from tests.servers import NOT_INSTALLED

            print(f"PostgreSQL runs skipped: {NOT_INSTALLED}")
            kinds = [kind for kind in kinds if not kind.startswith("postgres")]
    runs = []
    try:
        for round_number in range(args.repeats):
            order = kinds[round_number % len(kinds):] + kinds[:round_number % len(kinds)]
            for kind in order:
                result = run_once(kind, work, base, urls_file, len(runs), pg, settings=args.setting or (), trees=trees)
                result["round"] = round_number
                runs.append(result)
                stored = result.get("stored", result["stats"].get("bare/pages"))
                print(f"  round {round_number + 1} {kind:8} wall {result['wall']:6.1f} s  cpu {result['cpu']:6.1f} s  "
                      f"stored/fetched {stored}  exit {result['returncode']}", flush=True)
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            path = str(Path(args.profile) / "crawl.pstats")
            run_once("sqlite", work, base, urls_file, len(runs), pg, profile=path, settings=args.setting or ())
        print(f"\nMedians of {args.repeats} rounds (load average now {os.getloadavg()[0]:.2f}):")
        report(runs, len(urls))
        if args.profile:
            print_profile(str(Path(args.profile) / "crawl.pstats"))
        (work / "runs.json").write_text(json.dumps(runs, indent=1))
    finally:
        server.terminate()
        server.join(5)
        if pg is not None:
            pg.stop()
            shutil.rmtree(pg.base_dir, ignore_errors=True)
        if args.keep:
            print(f"Work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
