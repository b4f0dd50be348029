"""The site registry (newscrawl/sites/*.toml) against real saved pages of each site.

Per site: the saved page(s) in tests/fixtures/sites/<site>/ through the site's rules give the
hand-checked headline, date, authors and first/last body paragraph of expected.json, with no
sidebar text; the URL rules accept the site's article URLs and reject its section, tag, author,
video and live URLs. Bad entries are refused at load with a message naming the site and the field.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

import newscrawl
from newscrawl.sites import SiteError, load_registry, load_site
from newscrawl.spiders.sites import SITE_SPIDERS
from tests.crawling import FIXTURES, PROJECT_DIR

SITES_FIXTURES = FIXTURES / "sites"
REGISTRY = load_registry()
# Sites added with saved pages (lbc has its own tests: tests/test_extract_lbc.py).
SITES = sorted(p.name for p in SITES_FIXTURES.iterdir() if (p / "expected.json").is_file())
PAGES = [
    pytest.param(site, page, id=f"{site}-{page['file'].split('.html')[0]}")
    for site in SITES
    for page in json.loads((SITES_FIXTURES / site / "expected.json").read_text(encoding="utf-8"))["pages"]
]
# Sidebar and furniture headings that must never reach a body, on any site.
SIDEBAR_TEXT = ["Most read", "Most Read", "MOST READ", "Trending", "More on this story", "Top Stories",
                "Top stories", "DON'T MISS", "Related articles", "Promoted stories", "Share this"]


# --- the registry loads, and every entry is a spider -------------------------------------------
def test_at_least_five_real_sites_besides_lbc():
    assert len(set(SITES) - {"lbc"}) >= 5
    assert set(SITES) <= set(REGISTRY)


def test_every_entry_loads_and_has_a_spider():
    assert "lbc" in REGISTRY
    for name, spec in REGISTRY.items():
        assert spec.name == name
        assert spec.seeds and spec.allowed_domains and spec.article_patterns
        assert SITE_SPIDERS[name].name == name


def test_scrapy_list_shows_news_and_one_spider_per_entry():
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    listed = result.stdout.split()
    assert "news" in listed
    for name in REGISTRY:
        assert listed.count(name) == 1, f"{name} missing from `scrapy list`"


def test_check_command_validates_every_entry():
    result = subprocess.run([sys.executable, "-m", "newscrawl.sites", "check"], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    for name in REGISTRY:
        assert any(line.split()[:1] == [name] for line in result.stdout.splitlines()), name


@pytest.mark.parametrize("site", SITES)
def test_fixture_pages_have_provenance(site):
    readme = (SITES_FIXTURES / "README.md").read_text(encoding="utf-8")
    for page in json.loads((SITES_FIXTURES / site / "expected.json").read_text(encoding="utf-8"))["pages"]:
        assert (SITES_FIXTURES / site / page["file"]).is_file()
        assert page["file"] in readme


# --- saved pages through the site's rules ----------------------------------------------------------
def _extract(site: str, page: dict, rules="site"):
    html = gzip.decompress((SITES_FIXTURES / site / page["file"]).read_bytes())
    return newscrawl.extract(html, page["url"], rules=REGISTRY[site].extraction.to_rules() if rules == "site" else None)


@pytest.mark.parametrize("site,page", PAGES)
def test_saved_page_metadata(site, page):
    article = _extract(site, page)
    assert article.headline == page["headline"]
    assert article.date_published == page["date_published"]
    assert sorted(a.lower() for a in article.authors) == sorted(a.lower() for a in page["authors"])


@pytest.mark.parametrize("site,page", PAGES)
def test_saved_page_body(site, page):
    lines = _extract(site, page).article_body.splitlines()
    assert lines, "no body"
    assert lines[0] == page["body_first_line"]
    assert lines[-1] == page["body_last_line"]


@pytest.mark.parametrize("site,page", PAGES)
def test_saved_page_body_has_no_sidebar_text(site, page):
    body = _extract(site, page).article_body
    leaked = [text for text in [*SIDEBAR_TEXT, *page["forbidden_in_body"]] if text in body]
    assert leaked == []


@pytest.mark.parametrize("site,page", PAGES)
def test_overrides_never_make_the_page_worse(site, page):
    """A site override must not change the metadata the general extractor gets right, nor lose
    the story's first or last paragraph (measured with and without the site's rules)."""
    with_rules, general = _extract(site, page), _extract(site, page, rules=None)
    for field in ("headline", "date_published", "authors"):
        assert getattr(with_rules, field) == getattr(general, field)
    assert page["body_first_line"] in with_rules.article_body.splitlines()
    assert page["body_last_line"] in with_rules.article_body.splitlines()


# Where the general extractor alone gets the body wrong, the site rule is what fixes it.
NEEDS_SITE_RULE = {
    "sh-bbc.com-70cb2d5b.html.gz": "Listen to Newsbeat",
    "uk-bbc.com.52241221.html.gz": "LOOK-UP TOOL",
    "sh-telegraph.co.uk-88c328b6.html.gz": "How to listen to The Tennis Podcast",
    "uk-dailymail.co.uk.food.html.gz": "Heartfelt open letter written by a host of stars",
}


@pytest.mark.parametrize("site,page", [p for p in PAGES if p.values[1]["file"] in NEEDS_SITE_RULE])
def test_site_rule_removes_what_the_general_extractor_keeps(site, page):
    text = NEEDS_SITE_RULE[page["file"]]
    assert text in _extract(site, page, rules=None).article_body
    assert text not in _extract(site, page).article_body


# --- URL rules: hand-written from the saved pages' links and the sites' known URL shapes -----------
URLS = {
    "bbc": {
        "article": [
            "https://www.bbc.com/news/newsbeat-50470672",
            "https://www.bbc.com/news/world-europe-50473792",
            "https://www.bbc.com/news/world-us-canada-52241221",
            "https://www.bbc.co.uk/news/uk-politics-50470123",
            "https://www.bbc.co.uk/news/world-asia-china-50457262",
            "https://www.bbc.co.uk/news/uk-england-london-52219070",
            "https://www.bbc.co.uk/news/business-52199888",
            "https://www.bbc.com/news/articles/c4ngk3gxyz1o",
        ],
        "reject": [
            "https://www.bbc.co.uk/news",                                          # home
            "https://www.bbc.co.uk/news/world/europe",                             # section
            "https://www.bbc.co.uk/news/science_and_environment",                  # section
            "https://www.bbc.co.uk/news/topics/c82wm9yvv05t/julian-assange",       # tag
            "https://www.bbc.co.uk/news/av/uk-47892641/julian-assange-dragged-from-ecuadorean-embassy",  # video
            "https://www.bbc.co.uk/news/live/world-53330509",                      # live
            "https://www.bbc.co.uk/news/in-pictures-53321157",                     # gallery
            "https://www.bbc.co.uk/sounds/play/live:bbc_radio_one",                # radio
            "https://www.bbc.co.uk/programmes/b006wkry/episodes/player",           # programmes
        ],
    },
    "theguardian": {
        "article": [
            "https://www.theguardian.com/commentisfree/2019/nov/18/the-guardian-view-on-hong-kong-a-city-on-the-brink",
            "https://www.theguardian.com/world/2019/nov/18/china-accuses-britain-of-taking-sides-on-hong-kong-protests",
            "https://www.theguardian.com/uk-news/2024/jan/05/post-office-horizon-scandal-what-happens-next",
            "https://www.theguardian.com/football/2019/nov/20/jose-mourinho-tottenham-manager",
            "https://www.theguardian.com/us-news/2024/mar/04/supreme-court-trump-ballot-ruling",
        ],
        "reject": [
            "https://www.theguardian.com/uk",                                      # front
            "https://www.theguardian.com/world/hong-kong",                         # tag
            "https://www.theguardian.com/profile/editorial",                       # author
            "https://www.theguardian.com/world/live/2019/nov/18/hong-kong-protests-live-news",  # live
            "https://www.theguardian.com/world/video/2019/nov/18/hong-kong-police-polytechnic-video",  # video
            "https://www.theguardian.com/world/gallery/2019/nov/18/hong-kong-siege-in-pictures",  # gallery
            "https://www.theguardian.com/news/audio/2019/nov/18/today-in-focus-hong-kong",  # podcast
            "https://www.theguardian.com/crosswords/cryptic/28000",                # puzzle
        ],
    },
    "telegraph": {
        "article": [
            "https://www.telegraph.co.uk/tennis/2019/11/19/tennis-podcast-davis-cup-finals-launch-madrid-feelings-mixed/",
            "https://www.telegraph.co.uk/tennis/2019/11/17/stefanos-tsitsipas-wins-atp-finals-becoming-youngest-winner/",
            "https://www.telegraph.co.uk/sport/2019/11/18/exclusive-major-sports-bodies-guilty-shocking-lack-womens-representation/",
            "https://www.telegraph.co.uk/news/2024/01/05/post-office-scandal-horizon-compensation/",
            "https://www.telegraph.co.uk/world-news/2024/01/05/hong-kong-jimmy-lai-trial/",
        ],
        "reject": [
            "https://www.telegraph.co.uk/tennis/",                                 # section
            "https://www.telegraph.co.uk/news/politics/",                          # section
            "https://www.telegraph.co.uk/authors/telegraph-sport/",                # author
            "https://www.telegraph.co.uk/topics/davis-cup/",                       # tag
            "https://www.telegraph.co.uk/politics/2024/01/05/rishi-sunak-latest-news-live/",  # live
            "https://www.telegraph.co.uk/podcasts/tennis-podcast/",                # podcasts
            "https://www.telegraph.co.uk/football/live-scores/",                   # live scores
        ],
    },
    "express": {
        "article": [
            "https://www.express.co.uk/news/world/1206313/hong-kong-latest-china-protesters-police-china-hong-kong-riots-Polytechnic-University",
            "https://www.express.co.uk/news/science/1205992/bubonic-plague-china-plague-news-the-plague-pneumonic-plague-in-china-2019-symptoms",
            "https://www.express.co.uk/news/royal/1206857/queen-news-prince-philip-health-latest-queen-elizabeth-ii-philip-wedding-anniversary",
            "https://www.express.co.uk/entertainment/books/1206863/Philip-Hammond-Brexit-remainer-Theresa-May-Prime-Minister-Chancellor-Boris-Johnson",
            "https://www.express.co.uk/celebrity-news/1206855/Rachel-Riley-Countdown-Susie-Dent-Channel-4-questions-news-latest",
            "https://www.express.co.uk/news/uk/2221055/driver-ran-over-collapsed-man-twice-called-him-smackhead",
            "https://www.express.co.uk/sport/football/1234567/Liverpool-transfer-news-Salah",
            "https://www.express.co.uk/sport/football/2221061/donald-trump-make-major-world-cup-presentation-staff-crisis-mode",
        ],
        "reject": [
            "https://www.express.co.uk/news/world",                                # section
            "https://www.express.co.uk/latest/china",                              # tag
            "https://www.express.co.uk/journalist/122507/Sean-Martin",             # author
            "https://www.express.co.uk/pictures/royal",                            # galleries
            "https://www.express.co.uk/football/teams/12/tottenham-hotspur",       # team page
            "https://www.express.co.uk/news/politics/1212345/general-election-2019-live",  # live
            "https://www.express.co.uk/news/uk/1234567/storm-live-updates",        # live
            "https://www.express.co.uk/news/weather/2220609/power-cuts-live-heatwave-chaos",  # live
            "https://www.express.co.uk/news/politics/1234567/Boris-Johnson-LIVE-updates",  # live
        ],
    },
    "skynews": {
        "article": [
            "https://news.sky.com/story/jose-mourinho-agrees-deal-to-replace-mauricio-pochettino-as-tottenham-manager-11865382",
            "https://news.sky.com/story/mauricio-pochettino-sacked-by-tottenham-11865134",
            "https://news.sky.com/story/euromillions-uk-ticket-holder-wins-105m-jackpot-prize-11865287",
        ],
        "reject": [
            "https://news.sky.com/uk",                                             # section
            "https://news.sky.com/author/tom-gillespie-726",                       # author
            "https://news.sky.com/topic/brexit-7987",                              # tag
            "https://news.sky.com/video/mourinho-arrives-at-spurs-training-ground-11865500",  # video
            "https://news.sky.com/watch-live",                                     # live TV
            "https://news.sky.com/story/election-live-updates-11865999",           # live blog
        ],
    },
    "dailymail": {
        "article": [
            "https://www.dailymail.co.uk/news/article-8772683/Chef-Jamie-Oliver-joins-Mail-Sundays-war-toxic-food.html",
            "https://www.dailymail.co.uk/debate/article-8915507/GUY-ADAMS-Trojan-horse-hard-Left-poised-reins.html",
            "https://www.dailymail.co.uk/femail/article-8913429/Queen-sombre-black-leaves-Windsor-Castle-car.html",
            "https://www.dailymail.co.uk/news/us-election/article-8916167/Trump-ahead-1-Georgia-98-votes-counted.html",
            "https://www.dailymail.co.uk/sport/football/article-8916001/Jose-Mourinho-Tottenham.html",
        ],
        "reject": [
            "https://www.dailymail.co.uk/news/index.html",                         # section
            "https://www.dailymail.co.uk/news/boris_johnson/index.html",           # tag
            "https://www.dailymail.co.uk/home/search.html?s=&authornamef=Glen+Owen",  # author
            "https://www.dailymail.co.uk/video/news/video-2234567/Video-Jamie-Oliver-food.html",  # video
            "https://www.dailymail.co.uk/news/live/article-8916400/US-election-2020-live.html",  # live
            "https://www.dailymail.co.uk/home/videoarchive/index.html",            # video archive
        ],
    },
    "independent": {
        "article": [
            "https://www.independent.co.uk/news/uk/politics/coronavirus-false-reporting-contact-fine-penalty-b671230.html",
            "https://www.independent.co.uk/news/uk/home-news/coronavirus-infections-food-factory-outbreak-latest-covid-19-uk-b668718.html",
            "https://www.independent.co.uk/news/world/journalism-license-srmg-middle-east-news-world-global-a9579111.html",
            "https://www.independent.co.uk/independentpremium/voices/coronavirus-sex-rules-relationships-singletons-b667684.html",
            "https://www.independent.co.uk/health_and_wellbeing/coronavirus-vaccine-immunity-infection-covid-b575224.html",
        ],
        "reject": [
            "https://www.independent.co.uk/news/uk/politics",                      # section
            "https://www.independent.co.uk/topic/coronavirus",                     # tag
            "https://www.independent.co.uk/author/andrew-woodcock",                # author
            "https://www.independent.co.uk/tv/news/boris-johnson-covid-rules-vd1a2b3c4",  # video
            "https://www.independent.co.uk/news/uk/politics/boris-johnson-news-live-latest-b1234567.html",  # live
            "https://www.independent.co.uk/service/privacy-policy-a6184181.html",  # service page
        ],
    },
    "standard": {
        "article": [
            "https://www.standard.co.uk/news/uk/turkey-poland-caribbean-islands-added-to-uk-quarantine-list-a4561256.html",
            "https://www.standard.co.uk/news/uk/denmark-slovakia-iceland-curacao-added-uk-quarantine-a4555581.html",
            "https://www.standard.co.uk/news/world/italy-poland-risk-removed-quarantine-free-travel-list-a4561216.html",
            "https://www.standard.co.uk/news/london/sadiq-khan-ulez-expansion-b1012345.html",
        ],
        "reject": [
            "https://www.standard.co.uk/news/uk",                                  # section
            "https://www.standard.co.uk/topic/quarantine",                         # tag
            "https://www.standard.co.uk/author/april-roach",                       # author
            "https://www.standard.co.uk/news/uk/uk-coronavirus-latest-updates-lockdown-measures-a4560541.html",  # live
            "https://www.standard.co.uk/video/news/london-protest-video-b1012399.html",  # video
            "https://www.standard.co.uk/service/privacy-policy-6925316.html",      # service page
        ],
    },
}


def _spider(site: str):
    cls = SITE_SPIDERS[site]
    spider = cls.__new__(cls)  # the URL rules need no crawler
    spider.allowed_domains = list(cls.site_domains)
    return spider


def _is_article(spider, url: str) -> bool:
    return spider.is_allowed(url) and not spider.is_denied(url) and spider.is_article_url(url)


def test_every_site_has_url_cases():
    assert set(SITES) <= set(URLS)


@pytest.mark.parametrize("site", sorted(URLS))
def test_article_patterns_accept_the_sites_article_urls(site):
    spider = _spider(site)
    saved = [p["url"] for p in json.loads((SITES_FIXTURES / site / "expected.json").read_text(encoding="utf-8"))["pages"]]
    refused = [url for url in [*saved, *URLS[site]["article"]] if not _is_article(spider, url)]
    assert refused == []


@pytest.mark.parametrize("site", sorted(URLS))
def test_patterns_reject_section_tag_author_video_and_live_urls(site):
    spider = _spider(site)
    accepted = [url for url in URLS[site]["reject"] if _is_article(spider, url)]
    assert accepted == []


@pytest.mark.parametrize("site", sorted(URLS))
def test_seeds_are_on_the_site(site):
    spider = _spider(site)
    assert all(spider.is_allowed(seed) for seed in REGISTRY[site].seeds)
    assert any(seed.endswith("/robots.txt") for seed in REGISTRY[site].seeds)


# --- bad entries are refused at load, naming the site and the field ----------------------------
GOOD = """\
name = "{name}"
title = "Example News"
allowed_domains = ["example.com"]
seeds = ["https://www.example.com/robots.txt"]
article_patterns = ['^/news/[a-z0-9-]+-\\d+$']
"""


def _write(tmp_path: Path, file_stem: str, text: str) -> Path:
    path = tmp_path / f"{file_stem}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_entry_loads(tmp_path):
    spec = load_site(_write(tmp_path, "example", GOOD.format(name="example")))
    assert spec.name == "example" and spec.render == "auto"


@pytest.mark.parametrize("file_stem,text,words", [
    ("unknownfield", GOOD.format(name="unknownfield") + "sitemaps = ['https://www.example.com/sitemap.xml']\n",
     ["unknownfield", "sitemaps"]),
    ("unknownoverride", GOOD.format(name="unknownoverride") + "[extraction]\nbody_css = 'article'\n",
     ["unknownoverride", "extraction.body_css"]),
    ("offsite", GOOD.format(name="offsite").replace(
        'seeds = ["https://www.example.com/robots.txt"]',
        'seeds = ["https://www.example.com/robots.txt", "https://feeds.elsewhere.org/rss.xml"]'),
     ["offsite", "https://feeds.elsewhere.org/rss.xml", "allowed_domains"]),
    ("badrender", GOOD.format(name="badrender") + 'render = "sometimes"\n', ["badrender", "render"]),
    ("mismatch", GOOD.format(name="another"), ["another", "name", "mismatch"]),
    ("relativeseed", GOOD.format(name="relativeseed").replace('"https://www.example.com/robots.txt"', '"/news/"'),
     ["relativeseed", "seeds"]),
    ("noseeds", GOOD.format(name="noseeds").replace('seeds = ["https://www.example.com/robots.txt"]', "seeds = []"),
     ["noseeds", "seeds"]),
])
def test_bad_entry_is_refused_naming_site_and_field(tmp_path, file_stem, text, words):
    path = _write(tmp_path, file_stem, text)
    with pytest.raises(SiteError) as caught:
        load_site(path)
    missing = [word for word in words if word not in str(caught.value)]
    assert missing == [], str(caught.value)
    with pytest.raises(SiteError):
        load_registry(tmp_path)


@pytest.mark.parametrize("field,text", [
    ("article_patterns", "article_patterns = ['^/news/(unclosed']\n"),
    ("deny_patterns", "deny_patterns = ['[video']\n"),
    ("strip_headings", "[extraction]\nstrip_headings = ['(Most read']\n"),
])
def test_bad_regex_is_refused_naming_site_and_field(tmp_path, field, text):
    good = GOOD.format(name="badregex")
    if field == "article_patterns":
        good = good.replace("article_patterns = ['^/news/[a-z0-9-]+-\\d+$']\n", "")
    path = _write(tmp_path, "badregex", good + text)
    try:
        load_site(path)
    except SiteError as exc:
        assert "badregex" in str(exc) and field in str(exc), str(exc)
    else:
        pytest.fail("a bad regex was accepted")


@pytest.mark.parametrize("field,text", [
    ("extraction.body_selector", "[extraction]\nbody_selector = 'div[itemprop=articleBody'\n"),
    ("extraction.date_selector", "[extraction]\ndate_selector = 'time::attr(datetime)'\n"),
    ("extraction.author_selector", "[extraction]\nauthor_selector = '.byline >> a'\n"),
    ("extraction.strip_selectors", "[extraction]\nstrip_selectors = ['figcaption', 'div[[x']\n"),
])
def test_bad_css_selector_is_refused_naming_site_and_field(tmp_path, field, text):
    path = _write(tmp_path, "badcss", GOOD.format(name="badcss") + text)
    with pytest.raises(SiteError) as caught:
        load_site(path)
    message = str(caught.value)
    assert "'badcss'" in message and f"field {field}" in message and "invalid CSS selector" in message, message


def test_broken_toml_is_refused_naming_the_file(tmp_path):
    path = _write(tmp_path, "broken", GOOD.format(name="broken") + "seeds = [\n")
    with pytest.raises(SiteError, match="broken.toml"):
        load_site(path)


# --- each site spider, end to end, offline: a feed on a local server lists the saved pages ----------
@pytest.mark.parametrize("site", SITES)
def test_site_spider_crawls_its_saved_pages_from_a_feed(site, serve, tmp_path):
    from urllib.parse import urlsplit

    from newscrawl.demo.server import Route
    from tests.crawling import read_rows, run_crawl

    pages = json.loads((SITES_FIXTURES / site / "expected.json").read_text(encoding="utf-8"))["pages"]
    server = serve(routes={})
    items = "".join(f"<item><title>{p['headline']}</title><link>{server.base_url}{urlsplit(p['url']).path}</link></item>"
                    for p in pages)
    server.routes["/feed.xml"] = Route(body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>{site}</title>'
                                            f"{items}</channel></rss>".encode(), content_type="application/rss+xml")
    for page in pages:  # each saved page at its real path: the site's article_patterns decide
        server.routes[urlsplit(page["url"]).path] = Route(
            body=gzip.decompress((SITES_FIXTURES / site / page["file"]).read_bytes()))
    database = tmp_path / "news.db"
    result = run_crawl(site, urls=f"{server.base_url}/feed.xml", database=database, args={"max_articles": 5})
    assert result.returncode == 0, result.log[-3000:]
    rows = {row["headline"]: row for row in read_rows(database)}
    assert sorted(rows) == sorted(p["headline"] for p in pages)
    for page in pages:
        row = rows[page["headline"]]
        assert row["site"] == site
        stored = datetime.fromisoformat(str(row["date_published"]))  # the database keeps naive UTC
        assert stored.replace(tzinfo=stored.tzinfo or timezone.utc) == datetime.fromisoformat(page["date_published"])
        assert row["article_body"].splitlines()[0] == page["body_first_line"]
        assert row["article_body"].splitlines()[-1] == page["body_last_line"]


def test_check_command_reports_bad_files(tmp_path):
    bad_regex = _write(tmp_path, "badregex", GOOD.format(name="badregex") + "deny_patterns = ['(video']\n")
    bad_css = _write(tmp_path, "badcss", GOOD.format(name="badcss") + "[extraction]\nstrip_selectors = ['div[[x']\n")
    offsite = _write(tmp_path, "offsite", GOOD.format(name="offsite").replace("www.example.com", "www.elsewhere.org"))
    result = subprocess.run([sys.executable, "-m", "newscrawl.sites", "check", str(bad_regex), str(bad_css), str(offsite)],
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "badregex.toml" in result.stderr and "'(video'" in result.stderr
    assert "badcss" in result.stderr and "extraction.strip_selectors" in result.stderr
    assert "offsite" in result.stderr and "allowed_domains" in result.stderr
    assert "0 valid, 3 invalid" in result.stderr


def test_try_command_prints_the_article_of_a_saved_page():
    page = json.loads((SITES_FIXTURES / "skynews" / "expected.json").read_text(encoding="utf-8"))["pages"][0]
    result = subprocess.run([sys.executable, "-m", "newscrawl.sites", "try", "skynews",
                             str(SITES_FIXTURES / "skynews" / page["file"]), "--url", page["url"], "--compare"],
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert page["headline"] in result.stdout and page["date_published"] in result.stdout
    assert "metadata differs in: nothing" in result.stdout
