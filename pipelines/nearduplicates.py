"""Near-duplicate detection of syndicated copies: MinHash + LSH, state in the database.

A wire story is republished by many sites with their own headline, an added
local paragraph, a few words changed, the last paragraphs cut. Such a copy is
found by comparing *bodies* as sets of word 5-grams ("shingles"):

* ``shingles(text)``: casefolded ``\\w+`` tokens (NFKC first, so quotes,
  dashes and whitespace do not matter), every run of ``SHINGLE_SIZE`` tokens
  hashed to an unsigned 64-bit integer.
* ``signature(shingles)``: a MinHash signature, ``NUM_PERM`` minima of
  independent 64-bit hash permutations (numpy, vectorised).
* ``band_hashes(signature)``: LSH, the signature cut into ``BANDS`` bands of
  ``ROWS`` rows, each band hashed to a signed 64-bit integer. Two articles
  become *candidates* when any band matches; with few rows per band this
  happens already at a low Jaccard similarity, which is what containment needs
  (a 300-word original inside a 900-word copy has Jaccard 1/3 only).
* Candidates are *verified* with a stored shingle sample (every shingle whose
  hash is 0 mod ``SAMPLE_MODULUS``, plus all shingles of short texts), which
  estimates containment directly and unbiasedly for any size ratio:
  ``score = |A ∩ B| / min(|A|, |B|)``, the share of the shorter text found in
  the longer. A copy that ADDS paragraphs scores like one that doesn't.

Everything lives in two tables of ``pipelines.schema``: ``minhash_bands`` (band, hash, article_id; indexed on
(hash, band, article_id)) and ``minhash_signatures`` (article_id, shingle count, sample).
No index state is held in process memory, so it survives restarts and is
shared by several worker processes. Per article: 64 band rows + one ~1 KB sample.

Threshold (``THRESHOLD = 0.4``), chosen by measurement
(``python3 -m benchmarks.nearduplicates study --dataset ...``) over the
181 bodies of the extraction benchmark and 905 syndicated copies of them:
independently written articles never score above 0.30 (exact containment at most
0.27: two press releases of one site sharing boilerplate; the closest same-event
pair is 0.23 exact, 0.29 as estimated from the samples), while true copies with
heavy edits go down to ~0.4. At 0.4: 0 false links among
~586k non-copy pairs (0/21 same-event pairs), original<->copy recall 0.999,
copy<->copy recall 0.951 (misses are mostly LSH: a 40 % trimmed copy vs a copy
padded to 2.5x share too few bands). Below 0.3 false links appear; above 0.5
heavily edited copies are lost. Estimation error of the sample
(|estimated - exact| containment) is 0.024 mean, 0.073 p95.

Using it (the dedup pipeline): ``fp = fingerprint(body)`` (~2 ms CPU), then
``index.find_original(fp)`` (~1 ms CPU on SQLite with 10k articles): if it returns
``(original_id, score)``, store the item with ``duplicate_of=original_id`` and count
``newscrawl/articles/near_duplicate`` (or drop it); after the row is written, ``index.add(id, fp)``
(copies too, so a copy of a copy is still found). Pass a Connection to run inside
the storage transaction. Two copies processed at the same moment by two workers
cannot see each other until one is added; both then become originals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Engine, bindparam, delete, insert, select

from newscrawl.textnorm import words_for_shingling
from pipelines.schema import articles, metadata, minhash_bands, minhash_signatures

if TYPE_CHECKING:
    from sqlalchemy import Connection


# --- parameters (chosen by measurement: benchmarks/nearduplicates.py) ---
SHINGLE_SIZE = 5  # words per shingle
NUM_PERM = 128  # MinHash permutations
ROWS = 2  # signature rows per LSH band
BANDS = NUM_PERM // ROWS  # 64 bands: candidate probability 1-(1-J^2)^64, 50 % at J ~ 0.10
# Verification: containment of the shorter body in the longer one.
THRESHOLD = 0.4
# Texts with fewer shingles than this are never linked (captions, teasers, errors).
MIN_SHINGLES = 25
# The shingle sample: every shingle hash divisible by SAMPLE_MODULUS, but all
# shingles of texts with at most FULL_SAMPLE_MAX shingles (short texts would
# otherwise leave too few samples for a stable estimate).
SAMPLE_MODULUS = 4
FULL_SAMPLE_MAX = 200

_MASK64 = (1 << 64) - 1
_U64 = np.uint64


# --- pure functions -----------------------------------------------------------------

def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


# Hashes of the words seen lately: news vocabularies repeat from article to article.
_TOKEN_HASHES: dict[str, int] = {}
_TOKEN_HASHES_MAX = 200_000


def _token_hashes(words: list[str]) -> np.ndarray:
    cache = _TOKEN_HASHES
    if len(cache) > _TOKEN_HASHES_MAX:
        cache.clear()
    for word in set(words).difference(cache):
        cache[word] = _token_hash(word)
    return np.array([cache[w] for w in words], dtype=_U64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (a bijection on uint64), vectorised; wraps around by design."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


_GRAM_MULTIPLIERS = _mix(np.arange(1, 33, dtype=_U64) * _U64(0x9E3779B97F4A7C15)) | _U64(1)


def shingle_array(text: str, size: int = SHINGLE_SIZE) -> np.ndarray:
    """Sorted unique uint64 hashes of the word *size*-grams of *text* (texts shorter
    than *size* words give one shingle of all their words; an empty text none)."""
    words = words_for_shingling(text)
    if not words:
        return np.empty(0, dtype=_U64)
    hashed = _token_hashes(words)
    n = max(len(words) - size + 1, 1)
    width = min(size, len(words))
    with np.errstate(over="ignore"):
        acc = np.zeros(n, dtype=_U64)
        for j in range(width):
            acc = acc + hashed[j : j + n] * _GRAM_MULTIPLIERS[j]
        acc = _mix(acc)
    return np.unique(acc)


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[int]:
    """The set of 64-bit shingle hashes (word *size*-grams of the normalised text)."""
    return set(shingle_array(text, size).tolist())


def _as_array(values: Iterable[int] | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(_U64, copy=False)
    return np.fromiter((v & _MASK64 for v in values), dtype=_U64)


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    seeds = np.arange(num_perm, dtype=_U64)
    with np.errstate(over="ignore"):
        a = _mix(seeds * _U64(0x9E3779B97F4A7C15) + _U64(1)) | _U64(1)
        b = _mix(seeds * _U64(0xD1B54A32D192ED03) + _U64(7))
    return a, b


_PERMUTATIONS: dict[int, tuple[np.ndarray, np.ndarray]] = {}
_CHUNK = 2048  # shingles per block, bounds the temporary (chunk x num_perm) matrix


def signature(shingle_set: Iterable[int] | np.ndarray, num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signature: uint64[num_perm], minimum of ``mix(a_i * x + b_i)`` over the
    shingles x, for fixed seeded (a_i, b_i). An empty set gives all 2**64-1."""
    if num_perm not in _PERMUTATIONS:
        _PERMUTATIONS[num_perm] = _permutations(num_perm)
    a, b = _PERMUTATIONS[num_perm]
    values = _as_array(shingle_set)
    result = np.full(num_perm, _MASK64, dtype=_U64)
    with np.errstate(over="ignore"):
        for start in range(0, len(values), _CHUNK):
            block = values[start : start + _CHUNK, None]
            np.minimum(result, _mix(block * a + b).min(axis=0), out=result)
    return result


def band_hashes(sig: np.ndarray, rows: int = ROWS) -> list[tuple[int, int]]:
    """LSH bands of *sig*: [(band number, signed 64-bit hash of its rows)]."""
    sig = np.asarray(sig, dtype=_U64)
    result = []
    for band in range(len(sig) // rows):
        chunk = sig[band * rows : (band + 1) * rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(4, "little")).digest()
        result.append((band, int.from_bytes(digest, "little", signed=True)))
    return result


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity: share of equal MinHash values."""
    return float(np.mean(np.asarray(sig_a) == np.asarray(sig_b)))


def sample(shingle_array_: np.ndarray) -> np.ndarray:
    """The stored shingle sample: all shingles of short texts, else those = 0 mod SAMPLE_MODULUS."""
    values = _as_array(shingle_array_)
    if len(values) <= FULL_SAMPLE_MAX:
        return np.sort(values)
    return np.sort(values[values % _U64(SAMPLE_MODULUS) == 0])


def containment_estimate(
    query: np.ndarray, stored_sample: np.ndarray, stored_count: int
) -> tuple[float, float]:
    """(C(query in stored), C(stored in query)) from the *query*'s full shingle array
    and the stored article's sample and shingle count.

    A sample holding all of a text (count <= FULL_SAMPLE_MAX) gives exact values;
    otherwise both sides are reduced to the shingles = 0 mod SAMPLE_MODULUS.
    """
    query = _as_array(query)
    stored_sample = _as_array(stored_sample)
    if not len(query) or not stored_count:
        return 0.0, 0.0
    if stored_count <= FULL_SAMPLE_MAX:
        common = len(np.intersect1d(query, stored_sample, assume_unique=True))
        return common / len(query), common / stored_count
    query_sample = query[query % _U64(SAMPLE_MODULUS) == 0]
    stored_sample = stored_sample[stored_sample % _U64(SAMPLE_MODULUS) == 0]
    if not len(query_sample) or not len(stored_sample):
        return 0.0, 0.0
    common = len(np.intersect1d(query_sample, stored_sample, assume_unique=True))
    return min(common / len(query_sample), 1.0), min(common / len(stored_sample), 1.0)


def containment_score(query: np.ndarray, stored_sample: np.ndarray, stored_count: int) -> float:
    """Share of the shorter text contained in the longer: ``|A ∩ B| / min(|A|, |B|)``."""
    in_stored, in_query = containment_estimate(query, stored_sample, stored_count)
    return in_stored if len(query) <= stored_count else in_query


def exact_containment(a: np.ndarray | Fingerprint, b: np.ndarray | Fingerprint) -> float:
    """``|A ∩ B| / min(|A|, |B|)`` from two full shingle arrays (or Fingerprints): for
    comparing items that are not in the database yet (e.g. a pending write batch)."""
    a = a.shingles if isinstance(a, Fingerprint) else _as_array(a)
    b = b.shingles if isinstance(b, Fingerprint) else _as_array(b)
    if not len(a) or not len(b):
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b))


class PendingFingerprints:
    """Fingerprints of articles not in the database yet (the unwritten batch).
    ``first_match(fp, threshold)`` is the first of them, in the order added, whose
    ``exact_containment`` with *fp* reaches *threshold* (> 0): a set intersection with each."""

    def __init__(self) -> None:
        self._entries: list[tuple[object, frozenset[int]]] = []  # (key, its shingles), in order added

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: object, fp: Fingerprint) -> None:
        self._entries.append((key, frozenset(fp.shingles.tolist())))

    def first_match(self, fp: Fingerprint, threshold: float) -> object | None:
        if not self._entries or not fp.size:
            return None
        query = frozenset(fp.shingles.tolist())  # unique, like the stored ones: counts are intersections
        for key, shingles in self._entries:
            if len(query & shingles) / min(len(query), len(shingles)) >= threshold:
                return key
        return None

    def clear(self) -> None:
        self._entries.clear()


def _pack(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<u8").tobytes()


def _unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8").astype(_U64)


@dataclass(frozen=True)
class Fingerprint:
    """Everything the index needs of one text, computed once (a few ms)."""

    shingles: np.ndarray  # sorted unique uint64
    bands: list[tuple[int, int]]

    @property
    def size(self) -> int:
        return len(self.shingles)


def fingerprint(text: str) -> Fingerprint:
    values = shingle_array(text)
    return Fingerprint(values, band_hashes(signature(values)) if len(values) else [])


# Article ids per "IN (...)" in add_many, well below SQLite's parameter limit.
_ID_CHUNK = 500
# Candidates verified per lookup (the most band hits first); copies share many bands.
MAX_CANDIDATES = 200


# --- which version of a story is the original -------------------------------------------

def earliest_version(members: Iterable) -> int:
    """The id of a story group's original: the earliest published member. Members are rows
    with ``id``, ``date_published`` and ``first_seen``; a member without a publication date
    counts as published when we first saw it, and ties (equal dates) go to the first seen,
    then to the lowest id. The same group gives the same root whatever order it was crawled in."""
    def order(row):
        published = row.date_published or row.first_seen
        return (published, row.first_seen, row.id)

    return min(members, key=order).id


# --- the index --------------------------------------------------------------------------

class NearDuplicateIndex:
    """MinHash-LSH index of article bodies, kept in the database.

    ``find_original(text)`` returns ``(article_id, score)`` of the earliest stored
    article (lowest ``first_seen``, then ``id``) whose body shares at least
    *threshold* of the shorter text's shingles, or None. With *follow_links*
    (default) an article that is itself a linked copy (``duplicate_of`` set)
    stands for its original, so a copy of a copy points at the first version.
    ``add(article_id, text)`` indexes a stored article (its ``articles`` row must exist).
    """

    def __init__(
        self,
        bind: Engine | Connection,
        threshold: float = THRESHOLD,
        min_shingles: int = MIN_SHINGLES,
        follow_links: bool = True,
    ):
        self.bind = bind
        self.threshold = threshold
        self.min_shingles = min_shingles
        self.follow_links = follow_links

    # Engine: a connection (a transaction when writing) per call; Connection: the
    # caller's, in the caller's transaction (nothing is committed here).
    def _connect(self, write: bool = False):
        if isinstance(self.bind, Engine):
            return self.bind.begin() if write else self.bind.connect()
        return _Borrowed(self.bind)

    def create_tables(self) -> None:
        with self._connect(write=True) as conn:
            metadata.create_all(conn, tables=[minhash_bands, minhash_signatures])

    def add(self, article_id: int, text: str | Fingerprint) -> bool:
        """Index *article_id* (replacing earlier entries); False if the text is too short."""
        fp = text if isinstance(text, Fingerprint) else fingerprint(text)
        with self._connect(write=True) as conn:
            conn.execute(delete(minhash_bands).where(minhash_bands.c.article_id == article_id))
            conn.execute(
                delete(minhash_signatures).where(minhash_signatures.c.article_id == article_id)
            )
            if fp.size < self.min_shingles:
                return False
            conn.execute(
                insert(minhash_bands),
                [{"band": band, "hash": value, "article_id": article_id} for band, value in fp.bands],
            )
            conn.execute(
                insert(minhash_signatures),
                {"article_id": article_id, "num_shingles": fp.size,
                 "sample": _pack(sample(fp.shingles))},
            )
        return True

    def add_many(self, entries: Iterable[tuple[int, str | Fingerprint]]) -> int:
        """``add`` for many articles in four statements (a write batch); returns how many were
        indexed. An article given twice is indexed with its last text, as with ``add``."""
        latest = {i: fp if isinstance(fp, Fingerprint) else fingerprint(fp) for i, fp in dict(entries).items()}
        if not latest:
            return 0
        ids = list(latest)
        indexed = {i: fp for i, fp in latest.items() if fp.size >= self.min_shingles}
        with self._connect(write=True) as conn:
            for start in range(0, len(ids), _ID_CHUNK):
                chunk = ids[start : start + _ID_CHUNK]
                conn.execute(delete(minhash_bands).where(minhash_bands.c.article_id.in_(chunk)))
                conn.execute(delete(minhash_signatures).where(minhash_signatures.c.article_id.in_(chunk)))
            if indexed:
                conn.execute(insert(minhash_bands), [
                    {"band": band, "hash": value, "article_id": article_id}
                    for article_id, fp in indexed.items() for band, value in fp.bands
                ])
                conn.execute(insert(minhash_signatures), [
                    {"article_id": article_id, "num_shingles": fp.size, "sample": _pack(sample(fp.shingles))}
                    for article_id, fp in indexed.items()
                ])
        return len(indexed)

    def remove(self, article_id: int) -> None:
        with self._connect(write=True) as conn:
            conn.execute(delete(minhash_bands).where(minhash_bands.c.article_id == article_id))
            conn.execute(
                delete(minhash_signatures).where(minhash_signatures.c.article_id == article_id)
            )

    def matches(
        self, text: str | Fingerprint, exclude_id: int | None = None
    ) -> list[tuple[int, float]]:
        """All verified matches [(article_id, score)], best score first."""
        fp = text if isinstance(text, Fingerprint) else fingerprint(text)
        if fp.size < self.min_shingles:
            return []
        with self._connect() as conn:
            found = self._verified(conn, fp, exclude_id)
        return sorted(((m.article_id, m.score) for m in found), key=lambda m: (-m[1], m[0]))

    def _verified(self, conn, fp: Fingerprint, exclude_id: int | None) -> list[_Match]:
        """Band lookup (one indexed query), then verification of the candidates (one more)."""
        if not fp.bands:
            return []
        hits: dict[int, int] = {}
        wanted = set(fp.bands)
        for article_id, band, value in conn.execute(_LOOKUP, {"hashes": [v for _b, v in fp.bands]}):
            if (band, value) in wanted:  # (a cross-band hash collision would be 1 in 2**64)
                hits[article_id] = hits.get(article_id, 0) + 1
        hits.pop(exclude_id, None)
        if not hits:
            return []
        candidates = sorted(hits, key=lambda a: (-hits[a], a))[:MAX_CANDIDATES]
        found = []
        for row in conn.execute(_VERIFY, {"ids": candidates}):
            score = containment_score(fp.shingles, _unpack(row.sample), row.num_shingles)
            if score >= self.threshold and min(row.num_shingles, fp.size) >= self.min_shingles:
                found.append(_Match(row.article_id, score, row.first_seen, row.duplicate_of))
        return found

    def find_original(
        self, text: str | Fingerprint, exclude_id: int | None = None
    ) -> tuple[int, float] | None:
        """(earliest matching article id, its score) or None; see the class docstring."""
        fp = text if isinstance(text, Fingerprint) else fingerprint(text)
        if fp.size < self.min_shingles:
            return None
        with self._connect() as conn:
            found = self._verified(conn, fp, exclude_id)
            if not found:
                return None
            first_seen = {m.article_id: m.first_seen for m in found}
            # Each match stands for itself or, if it is a linked copy, for its original.
            best: dict[int, float] = {}
            for m in found:
                target = m.article_id
                if self.follow_links and m.duplicate_of not in (None, exclude_id):
                    target = m.duplicate_of
                best[target] = max(best.get(target, 0.0), m.score)
            missing = [t for t in best if t not in first_seen]
            if missing:
                for row in conn.execute(_FIRST_SEEN, {"ids": missing}):
                    first_seen[row.id] = row.first_seen
        present = [t for t in best if t in first_seen]  # an original may have been deleted
        if not present:
            return None
        earliest = min(present, key=lambda t: (first_seen[t] is None, first_seen[t], t))
        return earliest, best[earliest]


@dataclass(frozen=True)
class _Match:
    article_id: int
    score: float
    first_seen: object
    duplicate_of: int | None


_LOOKUP = select(minhash_bands.c.article_id, minhash_bands.c.band, minhash_bands.c.hash).where(
    minhash_bands.c.hash.in_(bindparam("hashes", expanding=True))
)

_VERIFY = (
    select(
        minhash_signatures.c.article_id,
        minhash_signatures.c.num_shingles,
        minhash_signatures.c.sample,
        articles.c.first_seen,
        articles.c.duplicate_of,
    )
    .join(articles, articles.c.id == minhash_signatures.c.article_id)
    .where(minhash_signatures.c.article_id.in_(bindparam("ids", expanding=True)))
)
_FIRST_SEEN = select(articles.c.id, articles.c.first_seen).where(
    articles.c.id.in_(bindparam("ids", expanding=True))
)


class _Borrowed:
    """Context manager yielding a caller's Connection unchanged (no commit, no close)."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        return False


__all__ = (
    "NearDuplicateIndex",
    "Fingerprint",
    "PendingFingerprints",
    "band_hashes",
    "containment_estimate",
    "containment_score",
    "exact_containment",
    "fingerprint",
    "jaccard_estimate",
    "minhash_bands",
    "minhash_signatures",
    "sample",
    "shingle_array",
    "shingles",
    "signature",
)
