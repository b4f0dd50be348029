"""Each kind of bad input gets a logged, counted outcome and leaves the rest of the crawl intact."""

import gzip

import pytest

from newscrawl.demo.server import Route
from tests.crawling import FIXTURES, read_rows, run_crawl

GOOD_ARTICLE = (FIXTURES / "lbc" / "biden-putin-a.html").read_bytes()
GOOD_PATH = "/world/biden-and-putin-square-off-for-two-hour-call/"


def crawl_with(serve, tmp_path, bad_path, route, settings=None, extra_routes=None):
    """Crawl a good article and one bad URL; return (result, rows)."""
    server = serve(routes={GOOD_PATH: Route(body=GOOD_ARTICLE), bad_path: route, **(extra_routes or {})})
    database = tmp_path / "bad.db"
    result = run_crawl("news", urls=f"{server.base_url}{GOOD_PATH},{server.base_url}{bad_path}",
                       database=database, settings=settings)
    assert result.returncode == 0, result.log[-3000:]
    rows = read_rows(database)
    assert [r["url"] for r in rows] == [f"{server.base_url}{GOOD_PATH}"], "the good article must survive"
    return result, server


def test_malformed_html_still_yields_the_article(serve, tmp_path):
    # Unclosed paragraphs, five unclosed divs (a cookie dialog among them), stray closing tags
    # and a page cut off after the article.
    broken = (GOOD_ARTICLE.replace(b"</p>", b"").replace(b"</div>", b"", 5)
              .replace(b"<p>", b"</span></td><p>", 3)[:-2000])
    server = serve(routes={"/world/broken-markup-article-page/": Route(body=broken)})
    database = tmp_path / "bad.db"
    result = run_crawl("news", urls=f"{server.base_url}/world/broken-markup-article-page/", database=database)
    assert result.returncode == 0, result.log[-3000:]
    rows = read_rows(database)
    assert len(rows) == 1
    body = rows[0]["article_body"]
    assert body.startswith("President Joe Biden and Russia")
    assert body.endswith("bringing Nato’s total to 30 nations.")


def test_page_without_article(serve, tmp_path):
    page = b"<html><head><title>About us</title></head><body><p>We are a newspaper.</p></body></html>"
    result, _ = crawl_with(serve, tmp_path, "/about-the-demo-newspaper-team/", Route(body=page))
    assert result.stats["newscrawl/pages/navigation"] == 1


def test_pdf_served_as_html(serve, tmp_path):
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 20
    result, _ = crawl_with(serve, tmp_path, "/world/a-report-that-is-really-a-pdf/", Route(body=pdf))
    assert result.stats["newscrawl/pages/not-html"] == 1
    assert "not-html" in result.log


def test_empty_body(serve, tmp_path):
    result, _ = crawl_with(serve, tmp_path, "/world/an-empty-page-from-the-server/", Route(body=b""))
    assert result.stats["newscrawl/pages/empty"] == 1
    assert "Empty response" in result.log


def test_response_over_download_maxsize(serve, tmp_path):
    huge = b"<html><body>" + b"<p>filler text for a huge page</p>" * 40_000 + b"</body></html>"
    result, _ = crawl_with(serve, tmp_path, "/world/a-huge-page-over-the-limit/", Route(body=huge),
                           settings={"DOWNLOAD_MAXSIZE": str(500_000)})
    assert result.stats["newscrawl/errors/too_large"] == 1


def test_truncated_response(serve, tmp_path):
    truncated = Route(body=GOOD_ARTICLE[:5000], content_length=len(GOOD_ARTICLE))
    result, _ = crawl_with(serve, tmp_path, "/world/a-truncated-response-page/", truncated,
                           settings={"DOWNLOAD_FAIL_ON_DATALOSS": "True"})
    assert result.stats["newscrawl/errors"] >= 1


@pytest.mark.parametrize("declared", ["utf-8", "iso-8859-1", None, "no-such-charset"])
def test_wrong_or_missing_charset(serve, tmp_path, declared):
    text = GOOD_ARTICLE.decode("utf-8").replace("Vladimir Putin have", "Vladimir Putin – café – have")
    body = text.encode("utf-8" if declared == "iso-8859-1" else "cp1252", errors="replace")
    body = body.replace(b'charset="utf-8"', b"").replace(b"charset=utf-8", b"")
    content_type = f"text/html; charset={declared}" if declared else "text/html"
    server = serve(routes={"/world/charset-trouble-article/": Route(body=body, content_type=content_type)})
    database = tmp_path / "charset.db"
    result = run_crawl("news", urls=f"{server.base_url}/world/charset-trouble-article/", database=database)
    assert result.returncode == 0, result.log[-3000:]
    [row] = read_rows(database)
    assert "Vladimir Putin – café – have" in row["article_body"]
    assert "\ufffd" not in row["article_body"]


def test_redirect_loop(serve, tmp_path):
    loop = {
        "/world/loop-a-redirecting-page/": Route(status=302, headers={"Location": "/world/loop-b-redirecting-page/"}),
        "/world/loop-b-redirecting-page/": Route(status=302, headers={"Location": "/world/loop-a-redirecting-page/"}),
    }
    result, _ = crawl_with(serve, tmp_path, "/world/loop-a-redirecting-page/", loop["/world/loop-a-redirecting-page/"],
                           extra_routes=loop)
    assert result.stats["newscrawl/errors/redirect_loop"] == 1


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_http_errors(serve, tmp_path, status):
    result, server = crawl_with(serve, tmp_path, "/world/an-article-that-errors/", Route(status=status, body=b"error"))
    assert result.stats[f"newscrawl/errors/http_{status}"] == 1
    assert f"http_{status}" in result.log


def test_corrupt_gzip_sitemap(serve, tmp_path):
    body = gzip.compress(b"<urlset><url><loc>x</loc></url></urlset>")[:20]
    result, _ = crawl_with(serve, tmp_path, "/sitemap.xml.gz", Route(body=body, content_type="application/gzip"))
    assert result.stats["newscrawl/pages/not-html"] == 1
