"""Throwaway database servers for tests.

``postgres_server`` (session) runs a private PostgreSQL cluster in a temporary
directory; ``postgres_url`` (per test) creates a fresh database on it and
yields its SQLAlchemy URL, ``postgresql+psycopg://postgres@127.0.0.1:PORT/DB``.
Both skip the test when PostgreSQL is not installed.

To use them from any test module, import both into tests/conftest.py:
    from tests.servers import postgres_server, postgres_url  # noqa: F401
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_USER = "postgres"
START_TIMEOUT = 60  # seconds


def find_postgres_bin() -> Path | None:
    """The bin directory of the newest installed PostgreSQL (Debian layout), or None."""
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    if not candidates:
        return None
    newest = max(candidates, key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(newest).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None  # user to run server commands as (when we are root)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: int = START_TIMEOUT) -> subprocess.CompletedProcess:
        """Run a server program (initdb, pg_ctl) as the server's user."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["su", "-s", "/bin/sh", self.run_as, "-c", shlex.join(command)]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def start(self) -> None:
        self._check(self.run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", PG_USER, "-E", "UTF8"), "initdb")
        self.launch()

    def launch(self) -> None:
        """Start the server on its existing data directory (again, after ``stop``)."""
        options = (
            f"-p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        started = self.run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options, "-w", "start")
        self._check(started, "pg_ctl start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)

    def _check(self, done: subprocess.CompletedProcess, what: str) -> None:
        if done.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{log}")


NOT_INSTALLED = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl)"


def start_throwaway_server() -> PostgresServer | None:
    """A started server in a new temporary directory, or None when PostgreSQL is not installed.
    The caller stops it and deletes ``base_dir``."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        return None
    run_as = None
    base_dir = Path(tempfile.mkdtemp(prefix="newscrawl-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        run_as = PG_USER
        user = pwd.getpwnam(PG_USER)
        os.chown(base_dir, user.pw_uid, user.pw_gid)
    server = PostgresServer(bin_dir, base_dir, _free_port(), run_as)
    try:
        server.start()
    except Exception:
        shutil.rmtree(base_dir, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server():
    """A running throwaway PostgreSQL server, stopped and deleted after the session."""
    server = start_throwaway_server()
    if server is None:
        pytest.skip(NOT_INSTALLED)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer):
    """URL of a fresh, empty database on the throwaway server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres_server.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.url(name)
    postgres_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class RedisServer:
    """A throwaway redis-server on a free port, no persistence (``redis_url`` fixture)."""

    port: int
    process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--daemonize", "no",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def redis_url():
    """URL of a running throwaway Redis server, stopped after the test."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(_free_port())
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()
