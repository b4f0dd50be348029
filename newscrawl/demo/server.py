"""A small local HTTP server for the offline demo and the integration tests.

Serves a folder (``{BASE}`` in .html/.xml/.txt files becomes the server's own base URL)
plus programmable routes, and records every request path it answers.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

PLACEHOLDER = b"{BASE}"
_TEXT_SUFFIXES = {".html", ".htm", ".xml", ".txt", ".rss", ".atom"}


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Declared length when it differs from the body (a truncated response).
    content_length: int | None = None
    # Seconds to wait before answering (a slow server).
    delay: float = 0.0


class SiteServer:
    def __init__(self, root: Path | None = None, routes: dict[str, Route | list[Route]] | None = None,
                 host: str = "127.0.0.1", port: int = 0):
        self.root = Path(root) if root else None
        # A list of routes answers the path's first request with the first route, and so on;
        # the last one answers all later requests.
        self.routes: dict[str, Route | list[Route]] = dict(routes or {})
        self.requests: list[str] = []
        self.request_times: list[tuple[str, float]] = []
        self.user_agents: list[str] = []
        self._lock = threading.Lock()
        # Any 127.x.y.z address works on Linux: tests use 127.0.0.2 for a second "site".
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self.base_url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "SiteServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> str:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for p in self.requests if p == path)

    def _record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)
            self.request_times.append((path, time.monotonic()))

    def resolve(self, raw_path: str) -> Route | None:
        path = urlsplit(raw_path).path
        full = raw_path if raw_path in self.routes else path
        if full in self.routes:
            route = self.routes[full]
            if isinstance(route, list):
                route = route[min(self.count(raw_path) - 1, len(route) - 1)]
            return route
        if self.root is None:
            return None
        target = (self.root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or self.root.resolve() not in target.parents:
            return None
        data = target.read_bytes()
        name = target.name
        if target.suffix in _TEXT_SUFFIXES:
            data = data.replace(PLACEHOLDER, self.base_url.encode())
        if name.endswith(".gz"):
            return Route(body=data, content_type="application/gzip")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("xml"):
            content_type += "; charset=utf-8"
        return Route(body=data, content_type=content_type)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                server._record(self.path)
                server.user_agents.append(self.headers.get("User-Agent", ""))
                route = server.resolve(self.path)
                if route is None:
                    route = Route(status=404, body=b"<html><body><h1>Not found</h1></body></html>")
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                for name, value in route.headers.items():
                    self.send_header(name, value.replace("{BASE}", server.base_url))
                length = route.content_length if route.content_length is not None else len(route.body)
                self.send_header("Content-Length", str(length))
                if route.content_length is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(route.body)
                if route.content_length is not None:
                    self.close_connection = True

            def log_message(self, *args):  # keep test and demo output quiet
                pass

        return Handler
