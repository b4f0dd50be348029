import pytest

from newscrawl.demo.server import SiteServer
from tests.servers import postgres_server, postgres_url, redis_url  # noqa: F401  (fixtures)


@pytest.fixture
def serve():
    """serve(root=None, routes=None) -> a started SiteServer, stopped after the test."""
    servers = []

    def start(root=None, routes=None, host="127.0.0.1") -> SiteServer:
        server = SiteServer(root, routes, host)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
