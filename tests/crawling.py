"""Helpers for integration tests: run a real `scrapy crawl` and read the database back."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

PROJECT_DIR = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"

# No throttling in tests: the server is local.
FAST = {"AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "INFO", "RETRY_TIMES": "1",
        "RETRY_BACKOFF_BASE": "0"}


@dataclass
class CrawlResult:
    returncode: int
    log: str

    @property
    def stats(self) -> dict:
        """The stats dict Scrapy dumps at close."""
        match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", self.log, re.S)
        assert match, f"no stats in the crawl log:\n{self.log[-3000:]}"
        cleaned = re.sub(r"datetime\.datetime\([^)]*\)", "None", match.group(1))
        return ast.literal_eval(cleaned)


def crawl_command(spider: str, *, urls: str | None = None, database: Path | str | None = None,
                  args: dict | None = None, settings: dict | None = None,
                  project: Path = PROJECT_DIR) -> tuple[list[str], dict]:
    """The `scrapy crawl SPIDER` command line and its environment."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    if urls:
        command += ["-a", f"urls={urls}"]
    for name, value in (args or {}).items():
        command += ["-a", f"{name}={value}"]
    merged = {**FAST, **(settings or {})}
    if database is not None:
        merged.setdefault("DATABASE_URL", database if "://" in str(database) else f"sqlite:///{database}")
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k != "NEWSCRAWL_DATABASE_URL"}
    env["PYTHONPATH"] = str(project)
    return command, env


def copy_project(tmp_path: Path) -> Path:
    """A copy of the project (its code, its settings, the site registry and model file inside it) to
    change for one test; the real folder stays untouched."""
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("newscrawl", "pipelines"):
        shutil.copytree(PROJECT_DIR / part, project / part, ignore=ignore)
    shutil.copy(PROJECT_DIR / "scrapy.cfg", project)
    return project


def run_crawl(spider: str, *, timeout: int = 180, project: Path = PROJECT_DIR, **options) -> CrawlResult:
    """`scrapy crawl SPIDER` in *project* (a folder with scrapy.cfg; by default this one)."""
    command, env = crawl_command(spider, project=project, **options)
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    return CrawlResult(done.returncode, done.stdout + done.stderr)


def start_crawl(spider: str, log: Path, *, project: Path = PROJECT_DIR, **options) -> subprocess.Popen:
    """`scrapy crawl SPIDER` started in the background (to be killed), its output written to *log*."""
    command, env = crawl_command(spider, project=project, **options)
    with open(log, "w") as out:
        return subprocess.Popen(command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)


def run_scrapy(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """`scrapy ARGS...` in this project, its output captured as text."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout)


def read_rows(database: Path | str, table: str = "articles") -> list[dict]:
    url = database if "://" in str(database) else f"sqlite:///{database}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
    finally:
        engine.dispose()
