"""Spider arguments (`-a name=value`), validated before the crawl starts.

A bad or unknown argument is refused with a message that names it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlsplit

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ArgumentError(ValueError):
    """A spider argument is invalid. The message names the argument."""


class SpiderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(default_factory=list, description="Seeds, comma-separated: any mix of "
                            "robots.txt, sitemaps, feeds, section pages and article pages.")
    max_articles: int | None = Field(default=None, ge=1, description="Stop after this many articles.")
    max_pages: int | None = Field(default=None, ge=1, description="Fetch at most this many navigation pages.")
    since: datetime | None = Field(default=None, description="Skip articles published before (date or ISO time).")
    until: datetime | None = Field(default=None, description="Skip articles published after.")
    recrawl_after: timedelta | None = Field(
        default=None, description="Fetch already-stored articles again once this old (90m, 6h, 2d, 1w); "
        "by default they are fetched again only when a sitemap or feed date says they changed.")
    render: Literal["never", "always", "auto"] | None = Field(
        default=None, description="Use a browser for pages: never, always, or auto (app shells only). "
        "Default: the site's own setting, else auto.")

    @field_validator("urls", mode="before")
    @classmethod
    def _split_urls(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.replace("\n", ",").split(",")]
        return [url for url in value if url]

    @field_validator("urls")
    @classmethod
    def _absolute(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an absolute http(s) URL")
        return urls

    @field_validator("since", "until", mode="before")
    @classmethod
    def _date_or_datetime(cls, value):
        if isinstance(value, str) and len(value.strip()) == 10:
            value = datetime.combine(date.fromisoformat(value.strip()), time())
        return value

    @field_validator("recrawl_after", mode="before")
    @classmethod
    def _duration(cls, value):
        if isinstance(value, str):
            match = _DURATION.fullmatch(value.strip().lower())
            if not match:
                raise ValueError("give a duration such as 90m, 6h, 2d or 1w")
            value = timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"])
        return value

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    @model_validator(mode="after")
    def _window(self) -> "SpiderParams":
        if self.since and self.until and self.since > self.until:
            raise ValueError("since is later than until")
        return self

    @classmethod
    def from_arguments(cls, arguments: dict) -> "SpiderParams":
        arguments = {k: v for k, v in arguments.items() if not k.startswith("_")}  # scrapyd's _job
        try:
            return cls.model_validate(arguments)
        except ValidationError as exc:
            raise ArgumentError(describe_errors(exc, cls)) from None

    def in_window(self, moment: datetime | None) -> bool:
        """True when the date is inside since/until, or unknown."""
        if moment is None:
            return True
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return not ((self.since and moment < self.since) or (self.until and moment > self.until))


def describe_errors(exc: ValidationError, model: type[BaseModel]) -> str:
    problems = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "arguments"
        if err["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields)
            problems.append(f"unknown spider argument {name!r} (known: {known})")
        else:
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"spider argument {name!r}: {message} (got {err.get('input')!r})")
    return "; ".join(problems)
