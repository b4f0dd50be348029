"""The two body metrics of the development sets, shared by the benchmarks and the quality gates.

Shingle metric (scrapinghub/article-extraction-benchmark, evaluate.py): tokens are ``\\w+``; texts are compared as multisets of 4-token shingles.  Per page,
tp/fp/fn are normalised to sum to 1; precision is averaged over pages with a non-empty
prediction, recall over pages with a non-empty truth, F1 is the harmonic mean of the
two averages.  Accuracy is exact equality of the token lists.

Snippet metric (trafilatura's tests/eval_common.py): after collapsing whitespace, a
``with`` snippet found in the body is a true positive, a missing one a false negative,
a ``without`` snippet found a false positive; counts are summed over pages.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

_TOKEN_RE = re.compile(r"\w+")
SHINGLE_SIZE = 4


def tokenize(text: str | None) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def shingles(tokens: list[str], n: int = SHINGLE_SIZE) -> Counter:
    # A text shorter than n tokens is one (short) shingle, as upstream.
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


@dataclass(frozen=True)
class PageScore:
    tp: float
    fp: float
    fn: float
    exact: bool

    @property
    def precision(self) -> float | None:
        """None when the prediction is empty (left out of the average)."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp + self.fp == 0:
            return None
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        """None when the truth is empty; an empty prediction scores 0."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp + self.fn == 0:
            return None
        return self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def score_page(truth: str, prediction: str) -> PageScore:
    true_tokens, pred_tokens = tokenize(truth), tokenize(prediction)
    true_sh, pred_sh = shingles(true_tokens), shingles(pred_tokens)
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    total = tp + fp + fn
    if total:
        tp, fp, fn = tp / total, fp / total, fn / total
    return PageScore(tp, fp, fn, true_tokens == pred_tokens)


@dataclass(frozen=True)
class Summary:
    f1: float
    precision: float
    recall: float
    accuracy: float
    pages: int


def summarize(scores: Iterable[PageScore]) -> Summary:
    scores = list(scores)
    precisions = [s.precision for s in scores if s.tp + s.fp > 0]
    recalls = [s.recall for s in scores if s.tp + s.fn > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = statistics.mean(s.exact for s in scores) if scores else 0.0
    return Summary(f1, precision, recall, accuracy, len(scores))


# --- snippet metric -------------------------------------------------------------------------

_SPACE_RE = re.compile(r"\s+")


def collapse(text: str | None) -> str:
    return _SPACE_RE.sub(" ", (text or "").replace("\xad", "")).strip()


@dataclass(frozen=True)
class SnippetCounts:
    tp: int
    fp: int
    fn: int

    def __add__(self, other: "SnippetCounts") -> "SnippetCounts":
        return SnippetCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 0.0


def score_snippets(with_snippets: list[str], without_snippets: list[str], prediction: str) -> SnippetCounts:
    text = collapse(prediction)
    tp = sum(collapse(s) in text for s in with_snippets)
    fp = sum(collapse(s) in text for s in without_snippets)
    return SnippetCounts(tp, fp, len(with_snippets) - tp)


def sum_snippets(counts: Iterable[SnippetCounts]) -> SnippetCounts:
    total = SnippetCounts(0, 0, 0)
    for count in counts:
        total = total + count
    return total
