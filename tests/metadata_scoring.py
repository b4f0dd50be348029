"""Scoring of metadata extraction against the hand-labelled golden set (tests/fixtures/golden/),
shared by tests/test_metadata_golden.py and benchmarks/metadata.py.

Golden pages: <name>.html.gz plus <name>.expected.json holding the truth for every field, written
by hand (see the README there). An expected file may list other acceptable answers under
"accept": {"field": [alternative, ...]}.

Comparison rules, per field:
  headline, description    whitespace-collapsed text, exact (NFC)
  section                  same, case-insensitive
  authors                  same names in any order, case-insensitive
  tags                     same set, case-insensitive
  date_published/modified  same instant: parse_date(raw, url) vs the expected UTC time
  in_language, main_image, canonical_url   exact
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from newscrawl.extraction.dates import parse_date, to_utc_iso
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.metadata import extract_metadata

GOLDEN_DIR = Path(__file__).resolve().parent / "fixtures" / "golden"
FIELDS = (
    "headline", "description", "authors", "date_published", "date_modified",
    "in_language", "section", "tags", "main_image", "canonical_url",
)


@dataclass
class GoldenPage:
    name: str
    url: str
    html: bytes
    expected: dict


@dataclass
class Score:
    correct: dict = field(default_factory=lambda: {f: 0 for f in FIELDS})
    total: int = 0
    misses: list = field(default_factory=list)  # (page, field, got, expected)
    millis: list = field(default_factory=list)
    unsupported: frozenset = frozenset()  # fields the extractor does not produce (shown as n/a)

    def field_accuracy(self, name: str) -> float:
        return self.correct[name] / self.total if self.total else 0.0

    @property
    def overall(self) -> float:
        """Mean accuracy over the fields this extractor produces."""
        fields_scored = [f for f in FIELDS if f not in self.unsupported]
        correct = sum(self.correct[f] for f in fields_scored)
        return correct / (self.total * len(fields_scored)) if self.total else 0.0


def load_golden(directory: Path = GOLDEN_DIR) -> list[GoldenPage]:
    pages = []
    for expected_path in sorted(directory.glob("*.expected.json")):
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        html_path = directory / expected["file"]
        raw = html_path.read_bytes()
        if html_path.suffix == ".gz":
            raw = gzip.decompress(raw)
        name = expected_path.name[: -len(".expected.json")]
        pages.append(GoldenPage(name, expected["url"], raw, expected))
    return pages


def _text_key(value) -> str | None:
    if value is None:
        return None
    return unicodedata.normalize("NFC", " ".join(str(value).split())) or None


def _date_key(raw, url: str) -> str | None:
    if raw is None:
        return None
    parsed = parse_date(raw, url) if isinstance(raw, str) else None
    return to_utc_iso(parsed) if parsed else f"unparsed:{raw}"


def normalise(name: str, value, url: str = ""):
    """A comparable form of one field value (extracted or expected)."""
    if name in ("authors", "tags"):
        items = sorted({(_text_key(v) or "").casefold() for v in value or [] if _text_key(v)})
        return items if name == "tags" else sorted((_text_key(v) or "").casefold() for v in value or [])
    if name == "section":
        key = _text_key(value)
        return key.casefold() if key else None
    return _text_key(value)


def field_matches(name: str, got, expected: dict, url: str) -> bool:
    """Compare one extracted value with the expected value and its accepted alternatives."""
    truths = [expected.get(name)] + list(expected.get("accept", {}).get(name, []))
    if name in ("date_published", "date_modified"):
        got_key = _date_key(got, url)
        return any(got_key == (_date_key(t, url) if t else None) for t in truths)
    got_key = normalise(name, got, url)
    return any(got_key == normalise(name, t, url) for t in truths)


def ours(page: GoldenPage) -> dict:
    doc = parse_document(page.html, page.url)  # included in the timing, as trafilatura parses too
    result = extract_metadata(doc)
    result["date_published"] = result.pop("date_published_raw")
    result["date_modified"] = result.pop("date_modified_raw")
    return result


# trafilatura's metadata has no modified date, no language (that needs its text-based
# detection) and dates at day precision only (compare the "date_published (day)" row).
def _same_day(got, expected: dict, url: str) -> bool:
    truths = [expected.get("date_published")] + list(expected.get("accept", {}).get("date_published", []))
    got_date = parse_date(got, url) if isinstance(got, str) else None
    for truth in truths:
        truth_date = parse_date(truth, url) if truth else None
        if got_date is None and truth_date is None:
            return True
        if got_date and truth_date and got_date.date() == truth_date.date():
            return True
    return False


def score(pages: list[GoldenPage], extractor=ours, unsupported=frozenset()) -> tuple[Score, int]:
    """Per-field score, plus how many pages have date_published right to the day."""
    result, same_day = Score(unsupported=unsupported), 0
    for page in pages:
        started = time.process_time()  # CPU time: steadier than wall time on a shared machine
        got = extractor(page)
        result.millis.append((time.process_time() - started) * 1000)
        result.total += 1
        for name in FIELDS:
            if field_matches(name, got.get(name), page.expected, page.url):
                result.correct[name] += 1
            else:
                result.misses.append((page.name, name, got.get(name), page.expected.get(name)))
        same_day += _same_day(got.get("date_published"), page.expected, page.url)
    return result, same_day


def format_table(columns: dict[str, tuple[Score, int]]) -> str:
    names = list(columns)
    lines = [f"{'field':<22}" + "".join(f"{n:>14}" for n in names)]
    for field_name in FIELDS:
        cells = [
            f"{'n/a':>14}" if field_name in columns[n][0].unsupported else f"{columns[n][0].field_accuracy(field_name):>14.1%}"
            for n in names
        ]
        lines.append(f"{field_name:<22}" + "".join(cells))
    lines.append(f"{'date_published (day)':<22}" + "".join(
        f"{(columns[n][1] / columns[n][0].total if columns[n][0].total else 0):>14.1%}" for n in names))
    lines.append(f"{'OVERALL (produced)':<22}" + "".join(f"{columns[n][0].overall:>14.1%}" for n in names))
    lines.append(f"{'median CPU ms/page':<22}" + "".join(
        f"{statistics.median(columns[n][0].millis) if columns[n][0].millis else 0:>14.2f}" for n in names))
    lines.append(f"{'pages':<22}" + "".join(f"{columns[n][0].total:>14}" for n in names))
    return "\n".join(lines)
