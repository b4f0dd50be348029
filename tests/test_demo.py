"""The README's first command: the offline demo crawl of the bundled sample site."""

import socket
import subprocess
import sys

from tests.crawling import PROJECT_DIR, read_rows

STORED_PATHS = {
    "/articles/biden-putin-a.html",
    "/articles/biden-putin-syndicated.html",
    "/articles/nyc-mass-burials.html",
    "/articles/uk-quarantine-list.html",
    "/articles/false-contact-fine.html",
    "/articles/jamie-oliver-us-food.html",
    "/articles/imf-global-outlook.html",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_demo(database, port):
    return subprocess.run([sys.executable, "-m", "newscrawl.demo", "--db", str(database), "--port", str(port)],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)


def test_demo_stores_every_article_once_and_nothing_else(tmp_path):
    database = tmp_path / "demo.db"
    port = free_port()  # the same site URLs on both runs, as with the demo's fixed default port
    done = run_demo(database, port)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Crawl summary [news]" in done.stdout
    assert f"7 articles in {database}" in done.stdout
    rows = read_rows(database)
    # One row per story, keyed by its canonical URL (markup b of the LBC story declares markup a's).
    paths = {"/" + row["canonical_url"].split("/", 3)[3] for row in rows}
    assert paths == STORED_PATHS
    assert all(len(row["article_body"].split()) > 300 for row in rows)

    again = run_demo(database, port)  # a second run downloads no stored article again
    assert again.returncode == 0
    assert "articles=0 new=0" in again.stdout, again.stdout
    assert len(read_rows(database)) == 7


def test_demo_refuses_a_taken_port_instead_of_moving_its_urls(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_demo(tmp_path / "demo.db", port)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"Cannot serve the sample site on port {port}" in done.stderr
    assert "--port N" in done.stderr and str(tmp_path / "demo.db") in done.stderr
    assert "$ scrapy" not in done.stdout  # no crawl against other URLs
    assert not (tmp_path / "demo.db").exists()
