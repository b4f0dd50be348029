"""One spider per site registry entry (newscrawl/sites/*.toml): `scrapy crawl lbc`.

An invalid entry gets no spider; its error is kept in REGISTRY_ERRORS, so that `scrapy crawl`
refuses that site by name (newscrawl.commands.crawl) while the other spiders still load."""

from __future__ import annotations

import re

from newscrawl.sites import SiteSpec, load_sites
from newscrawl.spiders.base import NewsSpiderBase


def spider_for_site(spec: SiteSpec) -> type[NewsSpiderBase]:
    attributes = {
        "name": spec.name,
        "site": spec,
        "default_seeds": tuple(spec.seeds),
        "site_domains": tuple(spec.allowed_domains),
        "article_patterns": tuple(re.compile(p) for p in spec.article_patterns),
        "deny_patterns": tuple(re.compile(p) for p in spec.deny_patterns),
        "extraction_rules": spec.extraction.to_rules(),
        "render_mode": spec.render,
        "__module__": __name__,  # Scrapy's spider loader only lists classes defined in this module
        "__doc__": f"{spec.title}: seeds and rules from newscrawl/sites/{spec.name}.toml",
    }
    class_name = "".join(part.title() for part in spec.name.split("_")) + "Spider"
    return type(class_name, (NewsSpiderBase,), attributes)


_SPECS, REGISTRY_ERRORS = load_sites()
SITE_SPIDERS = {name: spider_for_site(spec) for name, spec in _SPECS.items()}
globals().update({cls.__name__: cls for cls in SITE_SPIDERS.values()})
