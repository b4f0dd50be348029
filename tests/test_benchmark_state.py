"""Smoke test of the stored-state benchmark (benchmarks/state.py): tiny sizes,
no timing assertions; the lookups must find what the seeding stored."""

from __future__ import annotations

import io
import re

from benchmarks import state

OPS = (*state.LOOKUPS, *state.CLASSIFY)


def test_state_benchmark_smoke(tmp_path):
    out = io.StringIO()
    assert state.main(["--sizes", "200,1000", "--probes", "20", "--database-dir", str(tmp_path)], out=out) == 0
    text = out.getvalue()

    assert "seeding fingerprints verified identical" in text
    # Seeding rows: size, seconds, DB size and 64 band rows per article.
    assert re.search(r"^\s+200\s+[\d.]+s .* 12,800$", text, re.M)
    assert re.search(r"^\s+1,000\s+[\d.]+s .* 64,000$", text, re.M)
    assert "ratio 1k/200" in text

    # Every operation has a row with (median / p95 / mean) for both sizes, and every probe
    # of the three passes (3 x 20) found what it should: the stored article, the right
    # original, or nothing for a miss / new article.
    for op in OPS:
        row = next(line for line in text.splitlines() if line.startswith(op))
        assert len(re.findall(r"\d+(?:\.\d+)?(?:us|ms) / ", row)) == 4, row
        assert row.rstrip().endswith("60/60 60/60"), row
    assert any(line.startswith(state.STAGE) for line in text.splitlines())

    # Memory: the run's in-memory state depends on the items of the run, not on N.
    for name in ("run index entries", "pending near-dup fingerprints", "batch rows pending"):
        row = next(line for line in text.splitlines() if line.startswith(name))
        values = row[len(name):].split()
        assert len(values) == 2 and values[0] == values[1], row
    assert "tracemalloc peak" in text and "RSS growth" in text

    # SQL plans were explained, and every lookup uses an index.
    assert "SQL plans (SQLite, N=1,000)" in text
    assert "SEARCH minhash_bands USING COVERING INDEX ix_minhash_bands_hash" in text
    assert "no table scan: every lookup uses an index" in text
    assert "PostgreSQL skipped" in text
    # The databases are removed unless --keep.
    assert not list(tmp_path.glob("state-*.db"))
