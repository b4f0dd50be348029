"""Near-duplicate (syndicated copy) detection: threshold study and speed benchmark.

    python3 -m benchmarks.nearduplicates study --dataset DIR [--copies-seed N] [--configs ...]
    python3 -m benchmarks.nearduplicates speed [--sizes 1000 10000] [--database URL]
    python3 -m benchmarks.nearduplicates index --dataset DIR [--database URL]

DIR is scrapinghub/article-extraction-benchmark (``scrapinghub/ground-truth.json``,
{id: {url, articleBody}}) plus ``same-event-groups.json`` (groups of pages about the
same event written independently). ``study`` builds syndicated copies of every body
(``syndicate``: new headline line, local paragraphs at top/bottom, words changed per
paragraph, trailing paragraphs cut, paragraphs swapped, other quotes/whitespace) and
measures, per (shingle size, num_perm, rows per band) and threshold:

* recall on true copies (original <-> copy, and copy <-> copy of the same original),
  per kind of copy;
* links between same-event articles (must be none);
* false links among all other pairs (dev x dev, copy x unrelated dev body);
* LSH candidates per query that verification has to reject (the cost).

``index`` replays the same data through ``NearDuplicateIndex`` on a real database
(originals first, then copies) and checks that each copy finds its original.
``speed`` times signature + lookup per article with 1k and 10k stored articles.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from pipelines import nearduplicates as nd

COPY_KINDS = ("light", "local", "trimmed", "expanded", "heavy")
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8)
# (shingle size, num_perm, rows per band)
DEFAULT_CONFIGS = ((5, 128, 2), (5, 128, 4), (5, 64, 2), (5, 256, 4), (4, 128, 2), (3, 128, 2))


# --- data ------------------------------------------------------------------------------

def load_bodies(directory: Path) -> dict[str, str]:
    path = directory / "scrapinghub" / "ground-truth.json"
    if not path.exists():
        path = directory / "ground-truth.json"
    truth = json.loads(path.read_text(encoding="utf-8"))
    return {page_id: truth[page_id].get("articleBody") or "" for page_id in sorted(truth)}


def load_groups(directory: Path) -> dict[str, list[str]]:
    path = directory / "same-event-groups.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: [m["id"] for m in members] for name, members in data["groups"].items()}


# --- syndicated copies -------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_FILLER_WORDS = (
    "council local residents town county said spokesman added community borough district "
    "mayor police hospital school road centre north south east west city people area "
    "weekend morning evening statement officials reported meeting plans week month year "
    "the a of and to in for on with at by from that this was were has have is are be"
).split()


def paragraphs(text: str) -> list[str]:
    paras = [p.strip() for p in text.split("\n") if p.strip()]
    if len(paras) < 3:  # one block: sentences stand in for paragraphs
        paras = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    return paras or [text]


def local_paragraph(rng: random.Random, vocabulary: list[str], words: int) -> str:
    """Text that shares nothing systematic with any article (a site's own paragraph)."""
    picked = [rng.choice(vocabulary if rng.random() < 0.6 else _FILLER_WORDS) for _ in range(words)]
    picked[0] = picked[0].capitalize()
    return " ".join(picked) + "."


def edit_words(paragraph: str, rng: random.Random, count: int, vocabulary: list[str]) -> str:
    """Change *count* words: replace, delete or insert one (the way copy editors do)."""
    words = paragraph.split(" ")
    for _ in range(count):
        if len(words) < 4:
            break
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.6:
            words[i] = rng.choice(vocabulary)
        elif op < 0.8:
            del words[i]
        else:
            words.insert(i, rng.choice(vocabulary))
    return " ".join(words)


def restyle(text: str, rng: random.Random) -> str:
    """Other quotes, dashes and whitespace (invisible after normalisation, but real)."""
    if rng.random() < 0.5:
        text = text.replace("'", "\u2019").replace('"', "\u201c")
    else:
        text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace(" - ", " \u2014 ")
    if rng.random() < 0.5:
        text = text.replace(". ", ".  ").replace(", ", ",\u00a0")
    return text


def syndicate(text: str, kind: str, rng: random.Random, vocabulary: list[str]) -> str:
    """A syndicated copy of *text* of the given kind (see COPY_KINDS)."""
    paras = paragraphs(text)
    total_words = sum(len(p.split()) for p in paras)
    # Words changed per 50 words of paragraph (a typical paragraph; short ones get fewer).
    low, high = {"light": (0, 1), "local": (1, 2), "trimmed": (0, 2), "expanded": (1, 2), "heavy": (2, 3)}[kind]
    paras = [edit_words(p, rng, round(rng.uniform(low, high) * len(p.split()) / 50), vocabulary)
             for p in paras]
    if kind in ("trimmed", "heavy"):  # cut from the bottom, the sub-editor's way
        keep = rng.uniform(0.4, 0.7) if kind == "trimmed" else rng.uniform(0.6, 0.9)
        paras = paras[: max(1, round(len(paras) * keep))]
    if kind in ("heavy", "local") and len(paras) > 3:  # one adjacent swap
        i = rng.randrange(1, len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
    if kind in ("local", "heavy"):
        local = local_paragraph(rng, vocabulary, rng.randint(30, 80))
        paras = [local] + paras if rng.random() < 0.5 else paras + [local]
    if kind == "expanded":  # the wire story is the smaller part of a local piece
        extra = int(total_words * rng.uniform(0.5, 1.5))
        while extra > 0:
            words = min(extra, rng.randint(40, 90))
            paras.insert(rng.randint(0, len(paras)), local_paragraph(rng, vocabulary, words))
            extra -= words
    headline = local_paragraph(rng, vocabulary, rng.randint(6, 12)).rstrip(".")
    return restyle(headline + "\n\n" + "\n\n".join(paras), rng)


def make_copies(bodies: dict[str, str], seed: int) -> list[tuple[str, str, str]]:
    """[(copy id, source id, kind, text)] -- one copy of each kind per body."""
    rng = random.Random(seed)
    vocabulary = sorted({w for text in bodies.values() for w in _WORD.findall(text) if w.isalpha()})
    copies = []
    for source, text in bodies.items():
        for kind in COPY_KINDS:
            copies.append((f"{source[:12]}~{kind}", source, kind, syndicate(text, kind, rng, vocabulary)))
    return copies


# --- the study ------------------------------------------------------------------------------

def _fingerprints(texts: dict[str, str], size: int, num_perm: int, rows: int):
    shingles, bands = {}, {}
    for key, text in texts.items():
        values = nd.shingle_array(text, size)
        shingles[key] = values
        bands[key] = set(nd.band_hashes(nd.signature(values, num_perm), rows)) if len(values) else set()
    return shingles, bands


def _candidates(bands: dict[str, set]) -> set[frozenset]:
    buckets = defaultdict(list)
    for key, values in bands.items():
        for value in values:
            buckets[value].append(key)
    pairs = set()
    for members in buckets.values():
        if len(members) > 1:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    pairs.add(frozenset((a, b)))
    return pairs


def _score(shingles, a, b) -> float:
    """The index's verification score for (stored a, query b)."""
    stored = shingles[a]
    return nd.containment_score(shingles[b], nd.sample(stored), len(stored))


def _exact(shingles, a, b) -> float:
    x, y = shingles[a], shingles[b]
    if not len(x) or not len(y):
        return 0.0
    return len(np.intersect1d(x, y, assume_unique=True)) / min(len(x), len(y))


def study(directory: Path, seed: int, configs, thresholds=THRESHOLDS, out=sys.stdout) -> dict:
    bodies = load_bodies(directory)
    groups = load_groups(directory)
    copies = make_copies(bodies, seed)
    texts = dict(bodies)
    texts.update({cid: text for cid, _src, _kind, text in copies})
    source_of = {cid: src for cid, src, _kind, _text in copies}
    kind_of = {cid: kind for cid, _src, kind, _text in copies}
    same_event = set()
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                same_event.add(frozenset((a, b)))
    positives = {}  # pair -> kind label
    by_source = defaultdict(list)
    for cid, src, kind, _text in copies:
        positives[frozenset((src, cid))] = kind
        by_source[src].append(cid)
    for cids in by_source.values():
        for i, a in enumerate(cids):
            for b in cids[i + 1 :]:
                positives[frozenset((a, b))] = "copy~copy"
    ids = list(bodies)
    copy_ids = set(source_of)
    n_dev_pairs = len(ids) * (len(ids) - 1) // 2
    n_cross = len(copies) * (len(ids) - 1) + sum(
        len(by_source[a]) * len(by_source[b]) for i, a in enumerate(ids) for b in ids[i + 1 :]
    )
    print(f"bodies {len(bodies)}, copies {len(copies)} ({len(COPY_KINDS)} kinds), "
          f"true-copy pairs {len(positives)}, same-event pairs {len(same_event)}, "
          f"other dev pairs {n_dev_pairs - len(same_event)}, other copy pairs {n_cross}", file=out)
    results = {}
    for size, num_perm, rows in configs:
        started = time.process_time()  # CPU time: stable on a busy machine
        shingles, bands = _fingerprints(texts, size, num_perm, rows)
        cost_ms = (time.process_time() - started) / len(texts) * 1e3
        candidates = _candidates(bands)
        too_small = {k for k, v in shingles.items() if len(v) < nd.MIN_SHINGLES}
        scored = {}
        for pair in candidates | set(positives):
            a, b = sorted(pair)
            if a in too_small or b in too_small:
                scored[pair] = (pair in candidates, 0.0, _exact(shingles, a, b))
            else:
                scored[pair] = (pair in candidates, _score(shingles, a, b), _exact(shingles, a, b))
        negatives_cand = [p for p in candidates if p not in positives]
        cand_recall = sum(1 for p in positives if p in candidates) / len(positives)
        print(f"\n## shingles {size} words, num_perm {num_perm}, {num_perm // rows} bands x {rows} rows: "
              f"fingerprint {cost_ms:.2f} ms CPU/text, LSH candidate recall on true copies "
              f"{cand_recall:.3f}, non-copy candidates {len(negatives_cand)} "
              f"({len(negatives_cand) / len(texts):.2f} per text)", file=out)
        # Estimator error on true copies.
        errors = [abs(s - e) for p, (c, s, e) in scored.items() if p in positives and s]
        print(f"   |estimated - exact| containment on true copies: mean {statistics.mean(errors):.3f}, "
              f"p95 {sorted(errors)[int(0.95 * len(errors))]:.3f}", file=out)
        header = ["thr", "recall"] + list(COPY_KINDS) + ["copy~copy", "same-event", "dev FP", "copy FP", "precision"]
        print("   " + " | ".join(f"{h:>9}" for h in header), file=out)
        rows_out = []
        for t in thresholds:
            linked = {p for p, (c, s, _e) in scored.items() if c and s >= t}
            tp = len(linked & set(positives))
            per_kind = {}
            for label in list(COPY_KINDS) + ["copy~copy"]:
                members = [p for p, k in positives.items() if k == label]
                per_kind[label] = sum(1 for p in members if p in linked) / len(members)
            se = len(linked & same_event)
            dev_fp = sum(1 for p in linked - set(positives) if not (p & copy_ids))
            copy_fp = len(linked - set(positives)) - dev_fp
            fp = len(linked) - tp
            precision = tp / (tp + fp) if tp + fp else 1.0
            row = {"threshold": t, "recall": tp / len(positives), **per_kind,
                   "same_event": se, "dev_fp": dev_fp - se, "copy_fp": copy_fp, "precision": precision}
            rows_out.append(row)
            cells = [f"{t:.2f}", f"{tp / len(positives):.3f}"] + [f"{per_kind[k]:.3f}" for k in header[2:8]] + [
                f"{se}/{len(same_event)}", str(dev_fp - se), str(copy_fp), f"{precision:.4f}"]
            print("   " + " | ".join(f"{c:>9}" for c in cells), file=out)
        # What the true copies that are missed at the default threshold look like.
        missed = [(p, scored[p]) for p in positives
                  if not (scored[p][0] and scored[p][1] >= nd.THRESHOLD)]
        reasons = defaultdict(int)
        for p, (c, s, e) in missed:
            a, b = sorted(p)
            if a in too_small or b in too_small:
                reasons["text too short"] += 1
            elif not c:
                reasons["not an LSH candidate"] += 1
            else:
                reasons[f"score < {nd.THRESHOLD}"] += 1
        print(f"   missed at {nd.THRESHOLD}: {dict(reasons)}; lowest true-copy exact containment "
              f"{min(e for _p, (_c, _s, e) in scored.items() if _p in positives):.3f}; highest "
              f"non-copy score {max((s for p, (c, s, e) in scored.items() if c and p not in positives), default=0):.3f}",
              file=out)
        results[f"{size}/{num_perm}/{rows}"] = {"cost_ms": cost_ms, "candidate_recall": cand_recall,
                                                "non_copy_candidates": len(negatives_cand), "rows": rows_out}
    return results


# --- through the real index ----------------------------------------------------------------

def _engine(url: str | None):
    from sqlalchemy import create_engine

    from pipelines import dialects
    from pipelines.schema import metadata

    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='neardup-')}/bench.db"
    engine = create_engine(url)
    dialects.configure_engine(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            from sqlalchemy import text as sql

            conn.execute(sql("DROP TABLE IF EXISTS minhash_bands, minhash_signatures, article_urls, articles CASCADE"))
    metadata.create_all(engine)
    return engine


def _store(engine, rows: list[tuple[str, str]], start: datetime) -> list[int]:
    """Insert articles (key, body) with increasing first_seen; their ids."""
    from sqlalchemy import insert

    from pipelines.schema import articles

    ids = []
    with engine.begin() as conn:
        for n, (key, body) in enumerate(rows):
            when = start + timedelta(seconds=n)
            ids.append(conn.execute(insert(articles).values(
                url=f"https://example.test/{key}/{n}", canonical_url=f"https://example.test/{key}/{n}",
                article_body=body, content_hash=f"{n:064x}", first_seen=when, last_seen=when,
            ).returning(articles.c.id)).scalar_one())
    return ids


def index_check(directory: Path, seed: int, url: str | None, out=sys.stdout) -> dict:
    bodies = load_bodies(directory)
    copies = make_copies(bodies, seed)
    from sqlalchemy import update

    from pipelines.schema import articles

    engine = _engine(url)
    index = nd.NearDuplicateIndex(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    keys = list(bodies)
    ids = _store(engine, [(k, bodies[k]) for k in keys], start)
    id_of = dict(zip(keys, ids))
    wrong = 0
    for k, article_id in zip(keys, ids):
        found = index.find_original(bodies[k], exclude_id=article_id)
        if found is not None:
            wrong += 1
            print(f"   dev body {k[:12]} -> article {found[0]} (score {found[1]:.2f})", file=out)
        index.add(article_id, bodies[k])
    results = defaultdict(lambda: [0, 0])
    copy_ids = _store(engine, [(cid, text) for cid, _s, _k, text in copies], start + timedelta(days=1))
    for (cid, source, kind, text), copy_id in zip(copies, copy_ids):
        found = index.find_original(text, exclude_id=copy_id)
        results[kind][1] += 1
        if found is not None and found[0] == id_of[source]:
            results[kind][0] += 1
        elif found is not None:
            wrong += 1
            print(f"   {cid} -> article {found[0]} (score {found[1]:.2f}), not {id_of[source]}", file=out)
        if found is not None:  # what the pipeline does: link the copy, index it too
            with engine.begin() as conn:
                conn.execute(update(articles).where(articles.c.id == copy_id).values(duplicate_of=found[0]))
        index.add(copy_id, text)
    print(f"NearDuplicateIndex on {engine.dialect.name}: dev bodies linked to each other or "
          f"copies linked to a wrong article: {wrong}", file=out)
    for kind, (ok, total) in results.items():
        print(f"   {kind:>9}: {ok}/{total} copies point at their original", file=out)
    engine.dispose()
    return {"wrong": wrong, **{k: v for k, v in results.items()}}


# --- speed ---------------------------------------------------------------------------------

_COMMON = ("said in a statement", "according to the", "at the end of the", "one of the most",
           "for the first time", "in the united states", "on the other hand")


def filler_articles(n: int, vocabulary: list[str], seed: int) -> list[str]:
    """Unrelated synthetic bodies, Zipf-distributed words plus common news phrases."""
    rng = np.random.default_rng(seed)
    vocabulary = np.asarray(vocabulary)
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    texts = []
    for _ in range(n):
        length = int(rng.integers(250, 1200))
        words = list(rng.choice(vocabulary, size=length, p=weights))
        for _ in range(length // 60):
            words.insert(int(rng.integers(0, len(words))), _COMMON[int(rng.integers(0, len(_COMMON)))])
        texts.append(" ".join(words))
    return texts


def speed(directory: Path | None, sizes, url: str | None, seed: int, out=sys.stdout) -> dict:
    """Stored: half the dev bodies plus synthetic fillers. Probes: one copy of each stored
    dev body (found) and the other half of the dev bodies (new articles, not found)."""
    bodies = load_bodies(directory) if directory else {}
    vocabulary = sorted({w.casefold() for t in bodies.values() for w in _WORD.findall(t)}) or _FILLER_WORDS
    rng = random.Random(seed)
    rng.shuffle(vocabulary)
    keys = list(bodies)
    rng.shuffle(keys)
    stored_keys, new_keys = keys[: len(keys) // 2], keys[len(keys) // 2 :]
    copy_rng = random.Random(seed)
    copies = [syndicate(bodies[k], COPY_KINDS[n % len(COPY_KINDS)], copy_rng, vocabulary)
              for n, k in enumerate(stored_keys)]
    probe = copies + [bodies[k] for k in new_keys]
    if not probe:
        probe = filler_articles(200, vocabulary, seed + 1)
    results = {}
    for size in sizes:
        engine = _engine(url)
        index = nd.NearDuplicateIndex(engine)
        stored = [bodies[k] for k in stored_keys][:size]
        stored += filler_articles(size - len(stored), vocabulary, seed)
        ids = _store(engine, [(f"a{n}", t) for n, t in enumerate(stored)], datetime(2026, 1, 1, tzinfo=UTC))
        started = time.perf_counter()
        for start in range(0, len(ids), 100):  # one transaction per 100, like DATABASE_BATCH_SIZE
            with engine.begin() as conn:
                batch = nd.NearDuplicateIndex(conn)
                for article_id, text in zip(ids[start : start + 100], stored[start : start + 100]):
                    batch.add(article_id, text)
        add_ms = (time.perf_counter() - started) / len(stored) * 1e3
        for text in probe[:20]:  # warm up (statement cache, page cache)
            index.find_original(text)
        fp_times, lookup_times, fp_cpu, lookup_cpu, hits = [], [], [], [], 0
        copies_found = 0
        for n, text in enumerate(probe):
            t0, c0 = time.perf_counter(), time.process_time()
            fp = nd.fingerprint(text)
            t1, c1 = time.perf_counter(), time.process_time()
            found = index.find_original(fp)
            hits += found is not None
            copies_found += found is not None and n < len(copies)
            t2, c2 = time.perf_counter(), time.process_time()
            fp_times.append(t1 - t0)
            lookup_times.append(t2 - t1)
            fp_cpu.append(c1 - c0)
            lookup_cpu.append(c2 - c1)
        from sqlalchemy import func, select

        with engine.connect() as conn:
            band_rows = conn.execute(select(func.count()).select_from(nd.minhash_bands)).scalar_one()
        row = {
            "stored": size, "add_ms": add_ms,
            "signature_ms": statistics.mean(fp_times) * 1e3,
            "lookup_ms": statistics.mean(lookup_times) * 1e3,
            "lookup_p95_ms": sorted(lookup_times)[int(0.95 * len(lookup_times))] * 1e3,
            # CPU time of this process (SQLite: all of it; PostgreSQL: the client side),
            # much less disturbed than wall time on a busy machine.
            "signature_cpu_ms": statistics.mean(fp_cpu) * 1e3,
            "lookup_cpu_ms": statistics.mean(lookup_cpu) * 1e3,
            "load_average": os.getloadavg()[0],
            "band_rows": band_rows, "probes": len(probe), "found": hits,
            "copies": len(copies), "copies_found": copies_found,
        }
        results[size] = row
        print(f"{engine.dialect.name} {size:>6} stored ({band_rows} band rows): "
              f"shingles+signature+bands {row['signature_ms']:.2f} ms (cpu {row['signature_cpu_ms']:.2f}), "
              f"lookup+verify {row['lookup_ms']:.2f} ms (cpu {row['lookup_cpu_ms']:.2f}, "
              f"p95 {row['lookup_p95_ms']:.2f}), add (incl. fingerprint, batches of 100) {add_ms:.2f} ms; "
              f"{copies_found}/{len(copies)} copies found, {hits - copies_found}/{len(probe) - len(copies)} new "
              f"articles matched; load average {row['load_average']:.1f}", file=out)
        engine.dispose()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("study", "index", "speed"):
        p = sub.add_parser(name)
        p.add_argument("--dataset", type=Path, required=name != "speed",
                       help="extraction-benchmark directory (with same-event-groups.json)")
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--json", type=Path, help="also write the results here")
        if name != "study":
            p.add_argument("--database", help="database URL (default: a temporary SQLite file); "
                           "PostgreSQL tables are DROPPED first")
    sub.choices["study"].add_argument(
        "--configs", nargs="*", default=[f"{s}/{n}/{r}" for s, n, r in DEFAULT_CONFIGS],
        help="shingle-size/num_perm/rows-per-band, e.g. 5/128/2")
    sub.choices["speed"].add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    args = parser.parse_args(argv)
    if args.command == "study":
        configs = [tuple(int(x) for x in c.split("/")) for c in args.configs]
        result = study(args.dataset, args.seed, configs)
    elif args.command == "index":
        result = index_check(args.dataset, args.seed, args.database)
    else:
        result = speed(args.dataset, args.sizes, args.database, args.seed)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
