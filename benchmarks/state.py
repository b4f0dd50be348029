"""Scale of the stored state: per-item cost of the incremental and dedup checks, and
the crawler's memory, with 1k vs 200k articles already in the database.

    python3 -m benchmarks.state [--sizes 1000,200000] [--probes 500]
        [--database-dir DIR] [--postgres-url URL] [--seed 1] [--keep]

For each size N a fresh SQLite database (in a temporary directory unless
--database-dir) is *seeded* with N stored articles, then opened by a real
``ArticleStore`` exactly as a crawl opens it (``ArticleStore.for_crawler`` on a
``get_crawler()`` crawler, ``store.open()``), and probes go through the real code:

* ``known_article`` (``IncrementalMiddleware``, before each article download): URLs
  that are stored (hit) and not (miss: both of its queries run);
* ``classify(store, adapter, NearDuplicateCheck(store))`` (``DeduplicationPipeline``)
  for: new articles (miss everywhere, incl. the MinHash band lookup), exact
  duplicates (a stored body at another URL), re-crawls of stored URLs (unchanged)
  and syndicated near-copies of stored articles (linked to them);
* ``store.stage`` of each decision as ``StoragePipeline`` does (not part of the
  classify timing; its amortised cost, flushes of DATABASE_BATCH_SIZE included,
  is shown as its own line), so the batch and the in-run state behave as in a crawl.

Each lookup is checked (a hit finds the right article id, a duplicate/near-copy the
right original, a new article is new): the "found" column.

Seeding: articles with distinct bodies of 300-600 words drawn from a seeded
Zipf-distributed vocabulary (full bodies are stored), one ``article_urls`` alias for
every 20th article, and the near-duplicate index rows (64 ``minhash_bands`` rows and
one ``minhash_signatures`` row per article) exactly as ``NearDuplicateIndex.add``
writes them. Fingerprints are computed from the generated word ids with the index's
own hashing (``nearduplicates.signature``/``band_hashes``); a sample is checked to be
identical to ``nearduplicates.fingerprint(body)`` on every run. Rows are bulk-inserted
(executemany, large transactions; ``synchronous=OFF`` while seeding only), and the
band lookup index is built after the bulk insert, with the schema's own definition.

Timing: all seeded databases are open at once (one crawl session each, warmed up), and
the timed probes alternate between them every INTERLEAVE items of each kind, so that
other load on the machine hits every size alike: the ratio to the first (smallest)
size, the named baseline, is measured in the same run and the same minutes.

Memory: the seeding runs in a forked child, so this process holds nothing of it. Per
size, two more crawl sessions with fresh probes: RSS growth (``/proc/self/status``)
over one, ``tracemalloc`` (from ``store.open()`` on: peak and retained) over the
other, with the size of the run's in-memory state (``store.run`` entries, pending
near-duplicate fingerprints, batch): it must depend on the items processed in the
run, not on N. Also the number of LSH candidates a new body gets (what the
near-duplicate lookup has to verify), which would grow with N if bands collided.

SQL plans: the SELECTs the probes ran are captured and explained (SQLite ``EXPLAIN
QUERY PLAN``, PostgreSQL ``EXPLAIN``) on the largest database; a table scan is flagged.

``--postgres-url``: the same on PostgreSQL, in scratch schemas
(``newscrawl_bench_state_<N>``, dropped again at the end; nothing else is touched).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

from newscrawl.items import Article
from newscrawl.urls import article_url_key
from pipelines import migrate
from pipelines import nearduplicates as nd
from pipelines.database import open_engine
from pipelines.dedup import NearDuplicateCheck, classify, content_hash
from pipelines.schema import article_urls, articles
from pipelines.storage import article_row
from pipelines.decisions import DUPLICATE, NEAR_DUPLICATE, NEW, UNCHANGED
from pipelines.store import ArticleStore

DEFAULT_SIZES = (1000, 200_000)
VOCABULARY_SIZE = 8000
SITES = 40
SECTIONS = ("world", "politics", "business", "science", "sport", "culture", "local", "health")
BASE_DATE = datetime(2024, 1, 1, tzinfo=UTC)
SEED_CHUNK = 2000  # articles per executemany
SEED_TRANSACTION = 20_000  # articles per transaction
PG_SCHEMA = "newscrawl_bench_state"

LOOKUPS = ("known_article hit", "known_article miss")
CLASSIFY = ("classify new", "classify exact duplicate", "classify re-crawl unchanged", "classify near-copy")
STAGE = "store.stage (+flush, amortised)"
EXPECTED = {
    "classify new": NEW,
    "classify exact duplicate": DUPLICATE,
    "classify re-crawl unchanged": UNCHANGED,
    "classify near-copy": NEAR_DUPLICATE,
}


# --- synthetic corpus ---------------------------------------------------------------------

class Corpus:
    """Deterministic articles: article *i* is the same text in every run with the same seed."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        rng = random.Random(seed)
        onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
                  "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr"]
        vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "ou", "oa"]
        codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng"]
        words: set[str] = set()
        ordered: list[str] = []
        while len(ordered) < VOCABULARY_SIZE:
            word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.choice((1, 1, 2, 2, 3))))
            word += rng.choice(codas)
            if word not in words:
                words.add(word)
                ordered.append(word)
        self.words = ordered
        self.hashes = np.array([nd._token_hash(w) for w in ordered], dtype=np.uint64)
        weights = 1.0 / (np.arange(VOCABULARY_SIZE) + 8.0)  # Zipf-like word frequencies
        self.cdf = np.cumsum(weights / weights.sum())

    def _rng(self, i: int, purpose: int = 0) -> np.random.Generator:
        return np.random.default_rng((self.seed, purpose, i))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, rng.random(n)), VOCABULARY_SIZE - 1)

    def words_of(self, i: int) -> np.ndarray:
        """Word ids of article *i*'s body (300-600 words)."""
        rng = self._rng(i)
        return self._draw(rng, int(rng.integers(300, 601)))

    def render(self, ids: np.ndarray, i: int) -> str:
        """Body text: sentences of 8-22 words, paragraphs of 2-5 sentences."""
        rng = self._rng(i, 1)
        words = [self.words[k] for k in ids.tolist()]
        paragraphs, sentences, start = [], [], 0
        while start < len(words):
            end = min(start + int(rng.integers(8, 23)), len(words))
            sentence = words[start:end]
            sentences.append(sentence[0].capitalize() + " " + " ".join(sentence[1:]) + ".")
            start = end
            if len(sentences) >= int(rng.integers(2, 6)):
                paragraphs.append(" ".join(sentences))
                sentences = []
        if sentences:
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs)

    def fingerprint(self, ids: np.ndarray) -> nd.Fingerprint:
        """``nearduplicates.fingerprint(render(ids))`` from the word ids (no tokenising):
        the same shingle hashing, MinHash signature and bands (checked by ``verify``)."""
        hashed = self.hashes[ids]
        n = max(len(hashed) - nd.SHINGLE_SIZE + 1, 1)
        width = min(nd.SHINGLE_SIZE, len(hashed))
        with np.errstate(over="ignore"):
            acc = np.zeros(n, dtype=np.uint64)
            for j in range(width):
                acc = acc + hashed[j : j + n] * nd._GRAM_MULTIPLIERS[j]
            values = np.unique(nd._mix(acc))
        return nd.Fingerprint(values, nd.band_hashes(nd.signature(values)))

    def headline(self, i: int) -> str:
        ids = self._draw(self._rng(i, 2), 7)
        return " ".join(self.words[k] for k in ids.tolist()).capitalize()

    def url(self, i: int, host: str | None = None) -> str:
        slug = "-".join(self.headline(i).lower().split()[:4])
        host = host or f"www.site{i % SITES}.example"
        return f"https://{host}/{SECTIONS[i % len(SECTIONS)]}/2025/{i:07d}-{slug}"

    def date_published(self, i: int) -> datetime:
        return BASE_DATE + timedelta(minutes=7 * i)

    def syndicated(self, i: int, variant: int = 0) -> tuple[np.ndarray, str]:
        """A near-copy of article *i*: a local paragraph on top, ~1 word in 40 changed,
        the last ~15 % cut (*variant*: another copy)."""
        rng = self._rng(i, 3 + 10 * variant)
        ids = self.words_of(i).copy()
        ids = ids[: max(int(len(ids) * 0.85), 1)]
        changed = rng.random(len(ids)) < 1 / 40
        ids[changed] = self._draw(rng, int(changed.sum()))
        ids = np.concatenate([self._draw(rng, 40), ids])
        return ids, self.render(ids, i + 10_000_000 * (1 + variant))

    def verify(self, indexes) -> int:
        """Check the fast fingerprints against the real ``fingerprint(body)``; returns how many."""
        for i in indexes:
            ids = self.words_of(i)
            fast, real = self.fingerprint(ids), nd.fingerprint(self.render(ids, i))
            if not (np.array_equal(fast.shingles, real.shingles) and fast.bands == real.bands):
                raise AssertionError(f"seeding fingerprint of article {i} differs from nearduplicates.fingerprint")
        return len(indexes)


# --- seeding --------------------------------------------------------------------------------

def _article_values(corpus: Corpus, i: int, body: str) -> dict:
    url = corpus.url(i)
    published = corpus.date_published(i)
    seen = published + timedelta(hours=1)
    return {
        "id": i + 1, "url": url, "canonical_url": article_url_key(url), "site": f"site{i % SITES}.example",
        "headline": corpus.headline(i), "description": None, "article_body": body, "authors": ["Staff"],
        "date_published": published, "date_published_raw": published.isoformat(),
        "date_modified": None, "date_modified_raw": None, "date_downloaded": seen, "in_language": "en",
        "section": SECTIONS[i % len(SECTIONS)], "tags": [], "main_image": None,
        "content_hash": content_hash(body), "duplicate_of": None, "first_seen": seen, "last_seen": seen,
    }


def seed(url: str, n: int, corpus: Corpus) -> dict:
    """Create the schema and N stored articles (+ near-duplicate index rows). Returns figures."""
    started = time.perf_counter()
    engine = open_engine(url)
    postgres = engine.dialect.name == "postgresql"
    lookup_index = next(ix for ix in nd.minhash_bands.indexes if ix.name == "ix_minhash_bands_hash")
    migrate.prepare(engine)  # the schema, stamped, as a crawl creates it
    with engine.begin() as conn:
        lookup_index.drop(conn)  # rebuilt after the bulk insert (same definition)
    band_sql = "INSERT INTO minhash_bands (band, hash, article_id) VALUES (?, ?, ?)"
    sig_sql = "INSERT INTO minhash_signatures (article_id, num_shingles, sample) VALUES (?, ?, ?)"
    conn = engine.connect()
    if not postgres:
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.exec_driver_sql("PRAGMA cache_size = -200000")
    conn.commit()
    fingerprint_seconds = 0.0
    for start in range(0, n, SEED_CHUNK):
        rows, bands, signatures, aliases = [], [], [], []
        for i in range(start, min(start + SEED_CHUNK, n)):
            ids = corpus.words_of(i)
            body = corpus.render(ids, i)
            rows.append(_article_values(corpus, i, body))
            t = time.perf_counter()
            fp = corpus.fingerprint(ids)
            fingerprint_seconds += time.perf_counter() - t
            bands.extend((band, value, i + 1) for band, value in fp.bands)
            signatures.append((i + 1, fp.size, nd._pack(nd.sample(fp.shingles))))
            if i % 20 == 0:
                aliases.append({"article_id": i + 1, "url": article_url_key(corpus.url(i, "mirror.example")),
                                "first_seen": rows[-1]["first_seen"]})
        conn.execute(insert(articles), rows)
        if aliases:
            conn.execute(insert(article_urls), aliases)
        if postgres:
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy("COPY minhash_bands (band, hash, article_id) FROM STDIN") as copy:
                for row in bands:
                    copy.write_row(row)
            with cursor.copy("COPY minhash_signatures (article_id, num_shingles, sample) FROM STDIN") as copy:
                for row in signatures:
                    copy.write_row(row)
        else:
            conn.exec_driver_sql(band_sql, bands)
            conn.exec_driver_sql(sig_sql, signatures)
        if (start + SEED_CHUNK) % SEED_TRANSACTION == 0:
            conn.commit()
    conn.commit()
    index_started = time.perf_counter()
    with conn.begin():
        lookup_index.create(conn)
    index_seconds = time.perf_counter() - index_started
    if postgres:
        with conn.begin():  # ids were given explicitly: move the sequence past them
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('articles', 'id'), %s)", (n,))
        with conn.begin():
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does on a real database
    else:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.commit()
    breakdown = _space_by_table(conn)
    conn.close()
    seconds = time.perf_counter() - started
    size = _database_size(engine)
    engine.dispose()
    return {"seed_seconds": seconds, "fingerprint_seconds": fingerprint_seconds,
            "index_seconds": index_seconds, "db_bytes": size, "band_rows": n * nd.BANDS,
            "breakdown": breakdown}


def _space_by_table(conn) -> dict[str, int]:
    """SQLite: bytes per table with its indexes (dbstat), the big ones; {} if unavailable."""
    if conn.dialect.name != "sqlite":
        return {}
    try:
        rows = conn.exec_driver_sql(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY 1"
        ).fetchall()
    except Exception:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
        return {}
    return {name: int(size) for name, size in rows if size >= 2**20}


def seed_in_child(url: str, n: int, corpus: Corpus) -> dict:
    """``seed`` in a forked process, so that the measuring process's memory holds
    nothing of the seeding (its RSS then shows what a crawl's process holds)."""
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(seed, url, n, corpus).result()


def _database_size(engine) -> int:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                "AND c.relkind IN ('r', 'm')"
            )).scalar())
    path = Path(engine.url.database)
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


# --- probes ---------------------------------------------------------------------------------

@dataclass
class Probe:
    op: str
    url: str = ""
    item: Article | None = None
    expected_id: int | None = None  # hit / original; None for a miss or a new article


def pick_stored(corpus: Corpus, n: int, probes: int, warmup: int) -> tuple[list[int], list[int]]:
    """Two independent samples of stored article numbers, spread over the whole database:
    (for exact duplicates + re-crawls, for hits + near-copies), warm-up ones first.

    Within one crawl session each stored article appears at most once per sample (while
    N allows), and a re-crawl of article j comes right *after* its exact duplicate, so no
    probe is answered from the run index that an earlier probe filled (the cheap path)."""
    want = probes + warmup
    samples = []
    for kind in (1, 2):
        chosen = random.Random(corpus.seed * 100 + kind).sample(range(n), min(n, want))
        samples.append([chosen[k % len(chosen)] for k in range(want)])
    return samples[0], samples[1]


def make_probes(corpus: Corpus, n: int, phase: int, same_body: list[int], others: list[int]) -> list[Probe]:
    """One probe of each kind per entry of the samples, interleaved. *phase* (0 warm-up,
    1 timed, 2 memory) makes the new articles, missing URLs and copies distinct per phase."""
    rng = random.Random(corpus.seed * 1000 + phase)
    fresh_base = 10_000_000 + phase * 1_000_000  # article numbers never stored
    probes = []
    for k, (a, b) in enumerate(zip(same_body, others)):
        probes.append(Probe("known_article hit", corpus.url(b), expected_id=b + 1))
        probes.append(Probe("known_article miss", corpus.url(fresh_base + k)))
        i = fresh_base + 500_000 + k
        ids = corpus.words_of(i)
        probes.append(Probe("classify new", item=_item(corpus, corpus.url(i), corpus.headline(i),
                                                       corpus.render(ids, i), corpus.date_published(i))))
        body = corpus.render(corpus.words_of(a), a)
        url = corpus.url(a, f"www.wire{rng.randrange(10)}.example").replace("/2025/", f"/p{phase}k{k}/")
        probes.append(Probe("classify exact duplicate", item=_item(
            corpus, url, corpus.headline(a) + " (wire)", body, corpus.date_published(a)), expected_id=a + 1))
        probes.append(Probe("classify re-crawl unchanged", item=_item(
            corpus, corpus.url(a), corpus.headline(a), body, corpus.date_published(a)), expected_id=a + 1))
        _ids, copy = corpus.syndicated(b, phase)
        url = corpus.url(b, f"www.syndicator{rng.randrange(10)}.example").replace("/2025/", f"/p{phase}k{k}/")
        probes.append(Probe("classify near-copy", item=_item(
            corpus, url, "Local: " + corpus.headline(b), copy, corpus.date_published(b)), expected_id=b + 1))
    return probes


def _item(corpus: Corpus, url: str, headline: str, body: str, published: datetime) -> Article:
    return Article(url=url, headline=headline, article_body=body, authors=["Staff"],
                   date_published=published.isoformat(), in_language="en", site=url.split("/")[2],
                   date_downloaded=datetime.now(UTC).isoformat())


class BenchSpider(Spider):
    name = "state_benchmark"


class Session:
    """One crawl's store and near-duplicate check on the database, as the pipelines hold them."""

    def __init__(self, url: str) -> None:
        self.crawler = get_crawler(BenchSpider, {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
        self.crawler.spider = BenchSpider.from_crawler(self.crawler)
        self.store = ArticleStore.for_crawler(self.crawler)
        self.near: NearDuplicateCheck | None = None
        self.capture: dict[str, tuple[str, object]] | None = None
        self.label = ""

    def open(self) -> None:
        if not self.store.open(self):
            raise SystemExit(f"cannot open the store: {self.store.failure}")
        self.near = NearDuplicateCheck(self.store, "link")

        @event.listens_for(self.store.engine, "before_cursor_execute")
        def _capture(_conn, _cursor, statement, parameters, _context, executemany):
            if self.capture is not None and not executemany and statement.lstrip().upper().startswith("SELECT"):
                self.capture.setdefault(statement, (self.label, parameters))

    def close(self) -> None:
        self.store.release(self)

    def run(self, probes: list[Probe], times: dict[str, list[int]] | None, found: dict[str, list[int]]) -> None:
        store, near = self.store, self.near
        clock = time.perf_counter_ns
        for probe in probes:
            self.label = probe.op
            ok = False
            if probe.item is None:
                t = clock()
                known = store.known_article(probe.url)
                elapsed = clock() - t
                ok = (known is None) if probe.expected_id is None else (known is not None and known.id == probe.expected_id)
            else:
                adapter = ItemAdapter(probe.item)
                t = clock()
                decision = classify(store, adapter, near)
                elapsed = clock() - t
                if decision.outcome == EXPECTED[probe.op]:
                    target = decision.duplicate_of if decision.outcome == NEAR_DUPLICATE else decision.article_id
                    ok = probe.expected_id is None or target == probe.expected_id
                self.label = STAGE
                t2 = clock()
                store.stage(decision, article_row(adapter, decision))
                if times is not None:
                    times.setdefault(STAGE, []).append(clock() - t2)
            if times is not None:
                times.setdefault(probe.op, []).append(elapsed)
            counts = found.setdefault(probe.op, [0, 0])
            counts[0] += ok
            counts[1] += 1

    def state_size(self) -> dict:
        store = self.store
        return {"run_index": len(store.run), "pending_fps": len(self.near._pending),
                "batch": store.pending_count, "decisions": len(store._decisions)}


def lsh_candidates(engine, probes: list[Probe]) -> tuple[float, int]:
    """(mean, max) number of stored articles sharing a band with a new (unstored) article:
    what ``NearDuplicateIndex`` verifies (reads the signature of) per lookup (untimed)."""
    counts = []
    with engine.connect() as conn:
        for probe in probes:
            fp = nd.fingerprint(probe.item.article_body)
            rows = conn.execute(nd._LOOKUP, {"hashes": [v for _b, v in fp.bands]})
            wanted = set(fp.bands)
            counts.append(len({a for a, band, value in rows if (band, value) in wanted}))
    return (statistics.fmean(counts), max(counts)) if counts else (0.0, 0)


def rss_kb() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in kB."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":")
                values[name] = int(value.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


INTERLEAVE = 10  # timed probes of each kind per turn of a database


def measure(urls: dict[int, str], corpus: Corpus, probes: int) -> dict[int, dict]:
    """Measure every seeded database (size -> URL), each through its own crawl sessions.

    Timed pass: one session per database, all open at once, after a warm-up; the probes
    alternate between the databases in turns of INTERLEAVE items of each kind, so that
    other load on the machine affects every size alike (the ratios are meaningful).
    Then per database, one after the other: a session measuring RSS growth, and a session
    under tracemalloc from store.open() on (each a new crawl with fresh probes)."""
    sizes = sorted(urls)
    warmup = min(20, probes)
    picks = {n: pick_stored(corpus, n, probes, warmup) for n in sizes}
    results: dict[int, dict] = {n: {"times": {}, "found": {}} for n in sizes}
    sessions: dict[int, Session] = {}
    captured: dict[str, tuple[str, object]] = {}
    for n in sizes:
        same_body, others = picks[n]
        session = sessions[n] = Session(urls[n])
        session.open()
        session.capture = captured if n == sizes[-1] else None
        session.run(make_probes(corpus, n, 0, same_body[:warmup], others[:warmup]), None, {})
        session.capture = None
    timed = {n: make_probes(corpus, n, 1, picks[n][0][warmup:], picks[n][1][warmup:]) for n in sizes}
    turn = INTERLEAVE * 6
    gc.collect()
    rss_before, _ = rss_kb()
    for number, start in enumerate(range(0, len(timed[sizes[0]]), turn)):
        for n in (sizes if number % 2 == 0 else sizes[::-1]):
            sessions[n].run(timed[n][start : start + turn], results[n]["times"], results[n]["found"])
    rss_after, _ = rss_kb()
    for n in sizes:
        engine = sessions[n].store.engine
        fresh = make_probes(corpus, n, 4, picks[n][0][:100], picks[n][1][:100])  # never stored
        results[n]["candidates"] = lsh_candidates(engine, [p for p in fresh if p.op == "classify new"])
        results[n]["plans"] = explain_plans(engine, captured) if n == sizes[-1] else []
        results[n]["rss_timed_kb"] = rss_after - rss_before
        results[n]["items_per_pass"] = len(timed[n])
        sessions[n].close()
    del sessions
    for n in sizes:
        results[n].update(memory_passes(urls[n], n, corpus, picks[n], warmup))
    return results


def memory_passes(url: str, n: int, corpus: Corpus, picks: tuple[list[int], list[int]], warmup: int) -> dict:
    """Two new crawl sessions of fresh probes (built before measuring): RSS growth over
    the first, tracemalloc (from store.open() on) over the second."""
    same_body, others = picks[0][warmup:], picks[1][warmup:]
    rss_probes = make_probes(corpus, n, 2, same_body, others)
    traced_probes = make_probes(corpus, n, 3, same_body, others)
    found: dict[str, list[int]] = {}
    session = Session(url)
    gc.collect()
    rss_before, _ = rss_kb()
    session.open()
    session.run(rss_probes, None, found)
    rss_after, _ = rss_kb()
    session.close()
    del session

    session = Session(url)  # the crawler itself (scrapy components) is not counted
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    session.open()
    open_kb = (tracemalloc.get_traced_memory()[0] - base) / 1024
    session.run(traced_probes, None, found)
    state = session.state_size()
    peak = tracemalloc.get_traced_memory()[1]
    session.store.flush()
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - base
    session.close()
    tracemalloc.stop()
    return {"open_kb": open_kb, "rss_before_kb": rss_before, "rss_delta_kb": rss_after - rss_before,
            "tm_peak_kb": (peak - base) / 1024, "tm_retained_kb": retained / 1024, "state": state,
            "found_memory": found}


# --- SQL plans ------------------------------------------------------------------------------

def explain_plans(engine, captured: dict[str, tuple[str, object]]) -> list[dict]:
    postgres = engine.dialect.name == "postgresql"
    plans = []
    with engine.connect() as conn:
        for statement, (label, parameters) in captured.items():
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
            lines = [row[0] for row in rows] if postgres else [row[-1] for row in rows]
            scans = [line for line in lines if _is_scan(line, postgres)]
            plans.append({"op": label, "sql": " ".join(statement.split()), "plan": lines, "scans": scans})
    return plans


def _is_scan(line: str, postgres: bool) -> bool:
    if postgres:
        return "Seq Scan" in line
    detail = line.strip()
    # "SCAN t" (whole table) or "SCAN t USING [COVERING] INDEX i" (whole index); SEARCH is a lookup.
    return detail.startswith("SCAN ") and "CONSTANT ROW" not in detail


# --- reporting ------------------------------------------------------------------------------

def _stats(values: list[int]) -> tuple[float, float, float]:
    """(median, p95, mean) in milliseconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) / 1e6, p95 / 1e6, statistics.fmean(ordered) / 1e6


def _short(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _ms(value: float) -> str:
    return f"{value * 1000:.0f}us" if value < 1 else f"{value:.2f}ms"


def report(backend: str, sizes: list[int], seeded: dict, measured: dict, out) -> None:
    first, last = sizes[0], sizes[-1]
    print(f"\n== {backend}: stored articles {', '.join(f'{n:,}' for n in sizes)} ==", file=out)
    print(f"{'size':>9} {'seeding':>9} {'(fingerprints':>14} {'index)':>8} {'db size':>10} {'band rows':>11}", file=out)
    for n in sizes:
        s = seeded[n]
        size = f"{s['db_bytes'] / 2**20:.1f}MB" if s["db_bytes"] is not None else "?"
        print(f"{n:>9,} {s['seed_seconds']:>8.1f}s {s['fingerprint_seconds']:>13.1f}s {s['index_seconds']:>7.1f}s"
              f" {size:>10} {s['band_rows']:>11,}", file=out)
    if seeded[last].get("breakdown"):
        parts = sorted(seeded[last]["breakdown"].items(), key=lambda kv: -kv[1])
        print(f"  N={last:,} space (tables with their indexes): "
              + ", ".join(f"{name} {size / 2**20:.0f}MB" for name, size in parts), file=out)
    header = f"{'operation (per item)':<34}" + "".join(f"{f'N={n:,} med / p95 / mean':>32}" for n in sizes)
    if len(sizes) > 1:
        header += f"{f'ratio {_short(last)}/{_short(first)}':>17}{'':>2}{'found':>12}"
    else:
        header += f"{'found':>14}"
    print("\n" + header, file=out)
    print(f"{'':<34}" + "".join(f"{'':>32}" for _ in sizes) + (f"{'med   p95':>17}" if len(sizes) > 1 else ""),
          file=out)
    for op in (*LOOKUPS, *CLASSIFY, STAGE):
        cells = []
        for n in sizes:
            med, p95, mean = _stats(measured[n]["times"][op])
            cells.append(f"{_ms(med)} / {_ms(p95)} / {_ms(mean)}")
        line = f"{op:<34}" + "".join(f"{c:>32}" for c in cells)
        if len(sizes) > 1:
            a, b = _stats(measured[first]["times"][op]), _stats(measured[last]["times"][op])
            line += f"{b[0] / a[0]:>11.2f} {b[1] / a[1]:>5.2f}"
        if op != STAGE:
            hits = [[sum(m.get(op, [0, 0])[i] for m in (measured[n]["found"], measured[n]["found_memory"]))
                     for i in (0, 1)] for n in sizes]
            line += f"{'  '}{' '.join(f'{h[0]}/{h[1]}' for h in hits):>12}"
        print(line, file=out)
    print("\nmemory (per size)" + "".join(f"{f'N={n:,}':>18}" for n in sizes), file=out)
    rows = (
        ("RSS growth, timed (all sizes)", lambda m: f"{m['rss_timed_kb'] / 1024:+.1f} MB"),
        ("RSS before its RSS pass", lambda m: f"{m['rss_before_kb'] / 1024:.1f} MB"),
        ("RSS growth, RSS pass", lambda m: f"{m['rss_delta_kb'] / 1024:+.1f} MB"),
        ("store.open() allocations", lambda m: f"{m['open_kb']:.0f} KB"),
        ("tracemalloc peak, mem pass", lambda m: f"{m['tm_peak_kb'] / 1024:.2f} MB"),
        ("tracemalloc retained after", lambda m: f"{m['tm_retained_kb']:.0f} KB"),
        ("run index entries", lambda m: f"{m['state']['run_index']:,}"),
        ("pending near-dup fingerprints", lambda m: f"{m['state']['pending_fps']}"),
        ("batch rows pending", lambda m: f"{m['state']['batch']}"),
        ("LSH candidates/new (mean,max)", lambda m: f"{m['candidates'][0]:.2f}, {m['candidates'][1]}"),
    )
    for name, value in rows:
        print(f"{name:<29}" + "".join(f"{value(measured[n]):>18}" for n in sizes), file=out)
    items = measured[first]["items_per_pass"]
    print(f"(timed pass: {items:,} items per size, sizes alternating every {INTERLEAVE * 6} items; then per size "
          f"two new crawl sessions of {items:,} fresh items each: RSS, and tracemalloc from store.open() on; "
          f"run index: one 16-byte-digest entry per accepted article of the session; "
          f"LSH candidates: stored articles sharing a band with an unstored new body; found: all 3 passes)",
          file=out)


def print_plans(plans: list[dict], backend: str, n: int, out) -> list[dict]:
    print(f"\nSQL plans ({backend}, N={n:,}): the SELECTs the probes ran", file=out)
    seen_ops = {}
    for plan in plans:
        seen_ops.setdefault(plan["op"], []).append(plan)
    flagged = []
    for op, entries in seen_ops.items():
        for entry in entries:
            sql = entry["sql"]
            print(f"- [{op}] {sql[:160]}{'...' if len(sql) > 160 else ''}", file=out)
            for line in entry["plan"]:
                print(f"      {line[:150]}{'...' if len(line) > 150 else ''}", file=out)
            if entry["scans"]:
                flagged.append(entry)
    if flagged:
        print("TABLE/INDEX SCANS (no index lookup):", file=out)
        for entry in flagged:
            print(f"  [{entry['op']}] {'; '.join(entry['scans'])}", file=out)
    else:
        print("no table scan: every lookup uses an index", file=out)
    return flagged


# --- driver -----------------------------------------------------------------------------------

def run_backend(backend: str, url_for, sizes: list[int], probes: int, corpus: Corpus, out, cleanup=None) -> dict:
    seeded, urls = {}, {}
    for n in sizes:
        urls[n] = url_for(n)
        print(f"[{backend}] seeding {n:,} articles ...", file=out, flush=True)
        seeded[n] = seed_in_child(urls[n], n, corpus)
        print(f"[{backend}] seeded {n:,} in {seeded[n]['seed_seconds']:.1f}s", file=out, flush=True)
    print(f"[{backend}] probing ...", file=out, flush=True)
    measured = measure(urls, corpus, probes)
    if cleanup:
        for n in sizes:
            cleanup(n)
    report(backend, sizes, seeded, measured, out)
    flagged = print_plans(measured[sizes[-1]]["plans"], backend, sizes[-1], out)
    return {"seeded": seeded, "measured": measured, "scans": flagged}


def benchmark(sizes: list[int], probes: int, database_dir: Path | None = None, keep: bool = False,
              postgres_url: str | None = None, seed_value: int = 1, out=None) -> dict:
    """Run everything and print the tables; returns {"sqlite": ..., "postgresql": ...}."""
    out = out or sys.stdout
    corpus = Corpus(seed_value)
    checked = corpus.verify(list(range(16)) + random.Random(seed_value).sample(range(10_000), 16))
    print(f"seeding fingerprints verified identical to nearduplicates.fingerprint on {checked} articles;"
          f" probes: {probes} per kind; pid {os.getpid()}; {time.strftime('%Y-%m-%d %H:%M:%S')}",
          file=out, flush=True)

    directory = database_dir or Path(tempfile.mkdtemp(prefix="newscrawl-state-"))
    directory.mkdir(parents=True, exist_ok=True)
    paths = {n: directory / f"state-{n}.db" for n in sizes}

    def files(n: int) -> tuple[Path, ...]:
        return paths[n], Path(f"{paths[n]}-wal"), Path(f"{paths[n]}-shm")

    for n in sizes:
        for p in files(n):
            p.unlink(missing_ok=True)

    def remove(n: int) -> None:
        if not keep:
            for p in files(n):
                p.unlink(missing_ok=True)

    try:
        results = {"sqlite": run_backend("SQLite", lambda n: f"sqlite:///{paths[n]}", sizes, probes, corpus, out,
                                         remove)}
    finally:
        if database_dir is None and not keep:
            shutil.rmtree(directory, ignore_errors=True)
    if postgres_url:
        results["postgresql"] = run_postgres(postgres_url, sizes, probes, corpus, out)
    else:
        print("\n(PostgreSQL skipped: no --postgres-url)", file=out)
    return results


def main(argv=None, out=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="stored articles per database, comma separated (default 1000,200000); "
                        "the first is the baseline of the ratios")
    parser.add_argument("--probes", type=int, default=500, help="items of each kind per pass (default 500)")
    parser.add_argument("--database-dir", type=Path, help="where the SQLite files go (default: a temporary dir)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    parser.add_argument("--postgres-url", help=f"also run on PostgreSQL (in schemas {PG_SCHEMA}_<N>, dropped afterwards)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes: comma-separated integers")
    if not sizes or min(sizes) < 50 or args.probes < 1:
        parser.error("sizes must be >= 50 and probes >= 1")
    benchmark(sizes, args.probes, args.database_dir, args.keep, args.postgres_url, args.seed, out)
    return 0


def run_postgres(url: str, sizes: list[int], probes: int, corpus: Corpus, out) -> dict:
    """The same on PostgreSQL: one scratch schema per size (``newscrawl_bench_state_<N>``,
    reached through ``search_path``), all dropped at the end."""
    base = make_url(url)
    admin = create_engine(base)
    schemas = {n: f"{PG_SCHEMA}_{n}" for n in sizes}

    def drop_all() -> None:
        with admin.begin() as conn:
            for schema in schemas.values():
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()

    def url_for(n: int) -> str:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schemas[n]} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {schemas[n]}")
        admin.dispose()  # no open connection for the seeding child to inherit
        scoped = base.update_query_dict({"options": f"-csearch_path={schemas[n]}"})
        return scoped.render_as_string(hide_password=False)

    try:
        return run_backend("PostgreSQL", url_for, sizes, probes, corpus, out)
    finally:
        drop_all()


if __name__ == "__main__":
    sys.exit(main())
