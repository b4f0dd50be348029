"""An original news site and a syndicating site that republishes some of its stories with edits."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from newscrawl.demo.server import Route
from tests.generated_site import WORDS

START = datetime(2021, 12, 1, 9, 0, tzinfo=timezone.utc)


@dataclass
class Story:
    slug: str
    headline: str
    paragraphs: list[str]
    published: datetime
    modified: datetime
    byline: str = "By Press Association"
    extra_html: str = ""

    @property
    def path(self) -> str:
        return f"/news/{self.slug}/"


def prose(seed: int, count: int = 9) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(35)).capitalize() + "." for _ in range(count)]


def syndicate(story: Story, local_paragraph: str, seed: int) -> Story:
    """A republished copy: new headline, a local paragraph on top, a few words changed, last paragraph cut."""
    rng = random.Random(seed)
    edited = []
    for paragraph in story.paragraphs[:-1]:
        words = paragraph.split()
        position = rng.randrange(len(words))
        words[position] = rng.choice(WORDS)
        edited.append(" ".join(words))
    return replace(story, slug=f"syndicated-{story.slug}", headline=f"Local view: {story.headline.lower()}",
                   paragraphs=[local_paragraph, *edited], byline="By Press Association and Demo Reporter")


def page(story: Story) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in story.paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{story.headline}</title>
<meta property="og:type" content="article"><meta property="og:title" content="{story.headline}">
<meta property="article:published_time" content="{story.published.isoformat()}">
<meta property="article:modified_time" content="{story.modified.isoformat()}"></head>
<body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<article><h1>{story.headline}</h1><p class="byline">{story.byline}</p>
<time datetime="{story.published.isoformat()}">{story.published:%d %B %Y, %H:%M}</time>
{paragraphs}{story.extra_html}</article>
<aside><h2>Most read</h2><ul><li><a href="/news/other/">Something else entirely</a></li></ul></aside>
</body></html>""".encode()


@dataclass
class NewsSite:
    """A site whose pages are rebuilt from its stories on every change."""

    server: object
    stories: dict[str, Story] = field(default_factory=dict)

    def publish(self, story: Story) -> None:
        self.stories[story.slug] = story
        self.rebuild()

    def rebuild(self) -> None:
        base = self.server.base_url
        routes = {story.path: Route(body=page(story)) for story in self.stories.values()}
        urls = "".join(f"<url><loc>{base}{s.path}</loc><lastmod>{s.modified.isoformat()}</lastmod></url>"
                       for s in self.stories.values())
        routes["/sitemap.xml"] = Route(content_type="application/xml", body=(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode())
        self.server.routes.clear()
        self.server.routes.update(routes)

    def article_requests(self) -> list[str]:
        paths = {s.path for s in self.stories.values()}
        return [p for p in self.server.requests if p in paths]


def original_stories(count: int = 10) -> list[Story]:
    return [
        Story(slug=f"wire-story-number-{n}-from-the-agency", headline=f"Wire story number {n} from the agency",
              paragraphs=prose(1000 + n), published=START + timedelta(hours=n), modified=START + timedelta(hours=n))
        for n in range(count)
    ]
