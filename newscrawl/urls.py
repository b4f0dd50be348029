"""URL normalisation for article deduplication.

``canonicalize_url`` maps the many spellings of one article URL (tracking
parameters, AMP and print variants, mobile hosts, default ports, fragments,
``index.html``) to one key. ``article_url_key`` additionally prefers the
page's own ``rel=canonical`` when it points to the same site.

The result is a *key*: it stays a fetchable URL in practice, but is meant for
comparison, not for display.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url

__all__ = ["article_url_key", "canonicalize_url", "same_site"]

# Query parameters that only track where a visitor came from (compared
# case-insensitively).
TRACKING_PARAMS = frozenset(
    {
        "_ga", "_gl", "_hsenc", "_hsmi", "__twitter_impression",
        "cmp", "cmpid", "dclid", "fbclid", "ftag", "gclid", "gclsrc",
        "guccounter", "guce_referrer", "guce_referrer_sig", "hsctatracking",
        "icid", "igshid", "ito", "mbid", "mc_cid", "mc_eid", "mkt_tok",
        "msclkid", "ocid", "oly_anon_id", "oly_enc_id", "ref_src", "ref_url",
        "s_cid", "smid", "smtyp", "sr_share", "taid", "twclid", "vero_conv",
        "vero_id", "wt.mc_id", "xtor", "yclid",
    }
)
# Prefixes of tracking parameter families (utm_source, at_medium, ns_campaign...).
TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_", "piwik_", "wt.", "itm_")

# ``ref`` is only dropped when its value is a typical traffic-source tag;
# elsewhere it can be meaningful (e.g. a reference number).
TRACKING_REF_VALUES = frozenset(
    {
        "rss", "feed", "twitter", "tw", "facebook", "fb", "linkedin", "email",
        "mail", "newsletter", "share", "social", "hp", "homepage", "home",
        "nav", "navigation", "menu", "search", "google", "reddit", "whatsapp",
        "telegram", "flipboard", "push", "app", "widget", "related", "trending",
    }
)

# Query parameters that select an AMP or print rendering of the same article:
# name -> values that mean "yes" (None: any value).
VARIANT_PARAMS: dict[str, frozenset[str] | None] = {
    "amp": None,
    "_amp": None,
    "amp_js_v": None,
    "amp_gsa": None,
    "usqp": None,  # AMP cache
    "outputtype": frozenset({"amp"}),
    "output": frozenset({"amp", "print"}),
    "format": frozenset({"amp", "print"}),
    "print": None,
    "view": frozenset({"print", "amp"}),
    "printable": None,
    "printer_friendly": None,
}

# Host prefixes of mobile / AMP mirrors of the main site.
VARIANT_HOST_PREFIXES = ("amp.", "m.", "mobile.")
# Path segments that mark an AMP or print variant, anywhere in the path.
VARIANT_SEGMENTS = frozenset({"amp", "print"})
DEFAULT_PORTS = {"http": 80, "https": 443}
INDEX_PAGES = ("index.html", "index.htm")
# ".amp" right before the extension or at the end: story.amp.html, story.amp
AMP_SUFFIX_RE = re.compile(r"\.amp(?=\.[A-Za-z0-9]+$|$)")


def canonicalize_url(url: str) -> str:
    """Return the deduplication key of *url*.

    Non-HTTP(S) or unparsable URLs are returned stripped, otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a non-numeric port
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url

    host = _strip_variant_host_prefix(parts.hostname.lower().rstrip("."))
    netloc = host if ":" not in host else f"[{host}]"  # IPv6 literal
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    # User info (user:password@) is dropped on purpose: never part of a key.

    path = _strip_variant_path(parts.path)
    query = _strip_query(parts.query)
    rebuilt = urlunsplit((scheme, netloc, path, query, ""))
    # w3lib sorts the query, normalises percent-encoding and IDNA hosts and
    # drops the fragment.
    return w3lib_canonicalize_url(rebuilt, keep_blank_values=True)


def request_url(url: str) -> str:
    """The URL to fetch: without fragment and tracking parameters, otherwise as given
    (hosts and AMP/print paths are kept: those are still real, distinct pages to download)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = "&".join(
        pair for pair in parts.query.split("&")
        if pair and not _is_tracking_param(*(unquote_plus(x) for x in (pair.partition("=")[::2])))
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def article_url_key(url: str, rel_canonical: str | None = None) -> str:
    """Return the key identifying the article fetched from *url*.

    The page's ``rel=canonical`` (*rel_canonical*, may be relative) is
    preferred when it is an HTTP(S) URL on the same site as *url*. A canonical
    pointing to the site's home page while *url* is not the home page is a
    common CMS bug and is ignored.
    """
    if rel_canonical and rel_canonical.strip():
        canonical = urljoin(url, rel_canonical.strip())
        if _usable_canonical(url, canonical):
            return canonicalize_url(canonical)
    return canonicalize_url(url)


def same_site(url_a: str, url_b: str) -> bool:
    """True if both URLs are on the same host, ignoring ``www.`` and mobile/AMP prefixes."""
    host_a, host_b = _site_host(url_a), _site_host(url_b)
    return host_a is not None and host_a == host_b


def _usable_canonical(url: str, canonical: str) -> bool:
    try:
        canonical_parts = urlsplit(canonical)
        url_parts = urlsplit(url)
    except ValueError:
        return False
    if canonical_parts.scheme.lower() not in DEFAULT_PORTS:
        return False
    if not same_site(url, canonical):
        return False
    points_home = canonical_parts.path in ("", "/") and not canonical_parts.query
    is_home = url_parts.path in ("", "/")
    return is_home or not points_home


def _site_host(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = _strip_variant_host_prefix(host.lower().rstrip("."))
    return host.removeprefix("www.")


def _strip_variant_host_prefix(host: str) -> str:
    """Drop mobile/AMP host prefixes, also stacked: amp.m.example.com -> example.com (m.com stays)."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in VARIANT_HOST_PREFIXES:
            rest = host.removeprefix(prefix)
            if rest != host and "." in rest:  # keep at least "name.tld"
                host, stripped = rest, True
    return host


def _strip_variant_path(path: str) -> str:
    segments = path.split("/")
    # Drop "/amp/" and "/print/" segments (also a trailing "/amp").
    kept = [s for s in segments[1:] if s.lower() not in VARIANT_SEGMENTS]
    while kept and AMP_SUFFIX_RE.search(kept[-1]):  # story.amp.html -> story.html
        kept[-1] = AMP_SUFFIX_RE.sub("", kept[-1])
    if kept and kept[-1].lower() in INDEX_PAGES:
        kept[-1] = ""
    # "/news/story/amp" -> "/news/story", "/news/amp/" -> "/news/"
    return "/" + "/".join(kept)


def _strip_query(query: str) -> str:
    if not query:
        return ""
    kept = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if not _is_tracking_param(name, value) and not _is_variant_param(name, value)
    ]
    return urlencode(kept)


def _is_tracking_param(name: str, value: str) -> bool:
    name = name.lower()
    if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
        return True
    return name == "ref" and value.lower() in TRACKING_REF_VALUES


def _is_variant_param(name: str, value: str) -> bool:
    name = name.lower()
    if name not in VARIANT_PARAMS:
        return False
    yes_values = VARIANT_PARAMS[name]
    if yes_values is None:
        # "?amp", "?amp=1", "?print=true"; "?print=0" selects the normal page too.
        return True
    return value.lower() in yes_values
