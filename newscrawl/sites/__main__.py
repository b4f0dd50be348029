"""Check and try site registry entries.

    python -m newscrawl.sites check [FILE.toml ...]
        Validate every entry in newscrawl/sites/ (or the given files) and print a table.
        Exit status 1 when an entry is invalid; each problem names the site and the field.

    python -m newscrawl.sites urls SITE URL [URL ...]
        How the site's article_patterns and deny_patterns classify each URL:
        "article", "denied" (matches a deny pattern) or "other" (navigation, not an article).

    python -m newscrawl.sites try SITE PAGE [--url URL] [--compare] [--full]
        Extract a saved page (a file, .html or .html.gz) or a live URL with the site's rules and
        print the article. --url gives a saved page's address; --compare also runs the general
        extractor without the site's overrides and shows what the overrides change.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import urllib.request
from pathlib import Path

from newscrawl.sites import SITES_DIR, SiteError, SiteSpec, load_registry, load_site


def _overrides(spec: SiteSpec) -> str:
    ex = spec.extraction
    parts = []
    if ex.body_selector:
        parts.append("body")
    if ex.strip_selectors:
        parts.append(f"strip×{len(ex.strip_selectors)}")
    if ex.strip_headings:
        parts.append(f"headings×{len(ex.strip_headings)}")
    if ex.date_selector:
        parts.append("date")
    if ex.author_selector:
        parts.append("author")
    return ",".join(parts) or "-"


def cmd_check(args) -> int:
    paths = [Path(p) for p in args.files] or sorted(SITES_DIR.glob("*.toml"))
    rows, errors = [], []
    for path in paths:
        try:
            spec = load_site(path)
        except SiteError as exc:
            errors.append(str(exc))
            continue
        rows.append((spec.name, spec.title, str(len(spec.seeds)), str(len(spec.article_patterns)),
                     str(len(spec.deny_patterns)), spec.render, _overrides(spec), ",".join(spec.allowed_domains)))
    header = ("site", "title", "seeds", "articles", "deny", "render", "overrides", "domains")
    if rows:
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    print(f"{len(rows)} valid, {len(errors)} invalid", file=sys.stderr)
    return 1 if errors else 0


def _spider_class(name: str):
    from newscrawl.spiders.sites import spider_for_site

    registry = load_registry()
    if name not in registry:
        raise SystemExit(f"unknown site {name!r}; known: {', '.join(sorted(registry))}")
    return registry[name], spider_for_site(registry[name])


def cmd_urls(args) -> int:
    _, cls = _spider_class(args.site)
    spider = cls.__new__(cls)  # URL rules only: no crawler, no arguments
    spider.allowed_domains = list(cls.site_domains)
    for url in args.url:
        if not spider.is_allowed(url):
            verdict = "offsite"
        elif spider.is_denied(url):
            verdict = "denied"
        elif spider.is_article_url(url):
            verdict = "article"
        else:
            verdict = "other"
        print(f"{verdict:8} {url}")
    return 0


def _read_page(page: str) -> bytes:
    if page.startswith(("http://", "https://")):
        from newscrawl.settings import USER_AGENT

        request = urllib.request.Request(page, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http(s) only)
            return response.read()
    data = Path(page).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _show(article, full: bool) -> None:
    for field in ("url", "canonical_url", "headline", "description", "date_published", "date_modified",
                  "authors", "section", "tags", "in_language", "main_image"):
        print(f"{field:15} {getattr(article, field, None)!r}")
    body = (article.article_body or "").splitlines()
    print(f"{'article_body':15} {len(body)} paragraphs, {sum(len(p.split()) for p in body)} words"
          + (f" (problem: {article.extraction_problem})" if getattr(article, "extraction_problem", None) else ""))
    shown = body if full or len(body) <= 8 else [*body[:4], "…", *body[-3:]]
    for line in shown:
        print("   |", line if full else line[:160])


def cmd_try(args) -> int:
    import newscrawl

    spec, _ = _spider_class(args.site)
    html = _read_page(args.page)
    url = args.url or (args.page if args.page.startswith(("http://", "https://")) else "")
    article = newscrawl.extract(html, url, rules=spec.extraction.to_rules())
    print(f"== {spec.name}: site rules ({_overrides(spec)})")
    _show(article, args.full)
    if args.compare:
        general = newscrawl.extract(html, url, rules=None)
        print("\n== general extractor, no site overrides")
        changed = [f for f in ("headline", "date_published", "authors", "description")
                   if getattr(general, f) != getattr(article, f)]
        print("metadata differs in:", ", ".join(changed) or "nothing")
        site_lines, general_lines = article.article_body.splitlines(), general.article_body.splitlines()
        print(f"body: {len(general.article_body.split())} words without overrides, "
              f"{len(article.article_body.split())} with")
        for line in general_lines:
            if line not in site_lines:
                print("   - removed by overrides:", line[:160])
        for line in site_lines:
            if line not in general_lines:
                print("   + added by overrides:  ", line[:160])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newscrawl.sites", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate registry entries and print a table")
    check.add_argument("files", nargs="*", help="TOML files (default: every entry in newscrawl/sites/)")
    check.set_defaults(run=cmd_check)
    urls = commands.add_parser("urls", help="classify URLs with a site's article/deny patterns")
    urls.add_argument("site")
    urls.add_argument("url", nargs="+")
    urls.set_defaults(run=cmd_urls)
    try_ = commands.add_parser("try", help="extract a saved page or a URL with a site's rules")
    try_.add_argument("site")
    try_.add_argument("page", help="saved page (.html or .html.gz) or http(s) URL")
    try_.add_argument("--url", help="the saved page's address (for url/canonical fields)")
    try_.add_argument("--compare", action="store_true", help="also extract without the site's overrides")
    try_.add_argument("--full", action="store_true", help="print every paragraph in full")
    try_.set_defaults(run=cmd_try)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SiteError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
