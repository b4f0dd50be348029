"""Near-duplicate (syndicated copy) detection against a real database.

Texts: tests/fixtures/neardup/articles.json (see its README). Syndicated copies
are built here the way republishing sites edit a wire story.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, func, inspect, insert, select, update

from pipelines import dialects
from pipelines import nearduplicates as nd
from pipelines.nearduplicates import NearDuplicateIndex, minhash_bands, minhash_signatures
from pipelines.schema import articles, metadata

# The throwaway PostgreSQL server (skips when PostgreSQL is not installed).
from tests.servers import postgres_server, postgres_url  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures" / "neardup"
T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)

LOCAL_TOP = (
    "Readers in Swindon and Wiltshire can follow the latest updates on our live blog, "
    "and our reporter Jane Holloway will be at the town hall meeting on Thursday evening "
    "to put your questions to the borough council."
)
LOCAL_BOTTOM = (
    "Have you been affected by the issues raised in this story? Contact the Evening "
    "Advertiser newsroom on 01793 000000 or email newsdesk@example.co.uk in confidence."
)


def load_fixtures() -> dict[str, dict]:
    return json.loads((FIXTURES / "articles.json").read_text(encoding="utf-8"))


FIXTURE_TEXTS = load_fixtures()


def by_group(group: str) -> list[str]:
    return [v["articleBody"] for v in FIXTURE_TEXTS.values() if v["group"] == group]


# The "wire story" of each test: an ordinary news article of ~400 words.
WIRE = by_group("fort-worth-rescue")[0]
OTHER_WIRE = by_group("omar-threat")[1]


# -- how syndication edits a story ------------------------------------------------------


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def change_words(text: str, per_paragraph: int, seed: int = 7) -> str:
    """Replace *per_paragraph* words in every paragraph (house style, local spelling)."""
    rng = random.Random(seed)
    out = []
    for para in paragraphs(text):
        words = para.split()
        for _ in range(min(per_paragraph, len(words) // 8)):
            i = rng.randrange(len(words))
            words[i] = rng.choice(["reportedly", "Tuesday", "officials", "local", "nearly", "the"])
        out.append(" ".join(words))
    return "\n\n".join(out)


def restyle(text: str) -> str:
    """Typographic quotes, dashes and odd whitespace: must not matter at all."""
    return (
        text.replace('"', "\u201c").replace("'", "\u2019").replace(" - ", " \u2014 ")
        .replace(". ", ".  ").replace("\n", "\r\n \u00a0")
    )


def with_headline(text: str, headline: str = "DRAMATIC VIDEO: rescue crews pull driver out") -> str:
    return headline + "\n\n" + text


def trimmed(text: str, keep: float) -> str:
    paras = paragraphs(text)
    return "\n\n".join(paras[: max(1, round(len(paras) * keep))])


def swapped(text: str) -> str:
    paras = paragraphs(text)
    paras[2], paras[3] = paras[3], paras[2]
    return "\n\n".join(paras)


def local_feature(text: str) -> str:
    """The wire story as the smaller part of a longer local piece (about a third of it)."""
    rng = random.Random(3)
    vocabulary = "council residents ward mayor bus depot ring road library funding parish".split()
    filler = [
        " ".join(rng.choice(vocabulary) + f"{rng.randrange(1000)}" for _ in range(70))
        for _ in range(2 * len(text.split()) // 70)
    ]
    half = len(filler) // 2
    return "\n\n".join(filler[:half] + paragraphs(text) + filler[half:])


SYNDICATED = {
    "restyled": lambda t: restyle(with_headline(t)),
    "words-changed": lambda t: with_headline(change_words(t, 2)),
    "local-paragraph-top": lambda t: with_headline(LOCAL_TOP + "\n\n" + change_words(t, 1)),
    "local-paragraph-bottom": lambda t: change_words(t, 1) + "\n\n" + LOCAL_BOTTOM,
    "trimmed": lambda t: with_headline(trimmed(change_words(t, 1), 0.5)),
    "reordered": lambda t: restyle(swapped(change_words(t, 1))),
    "expanded": lambda t: local_feature(change_words(t, 1)),
    "everything": lambda t: restyle(
        with_headline(LOCAL_TOP + "\n\n" + swapped(trimmed(change_words(t, 2), 0.75)))
    ),
}


# -- database helpers ------------------------------------------------------------------


def make_engine(url: str):
    engine = create_engine(url)
    dialects.configure_engine(engine)  # SQLite: foreign keys on, as in production
    metadata.create_all(engine)
    return engine


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'news.db'}"


@pytest.fixture
def engine(sqlite_url):
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


_counter = iter(range(10**6))


def store(engine, body: str, first_seen: datetime = T0, duplicate_of: int | None = None) -> int:
    """An articles row (what the storage pipeline writes); its id."""
    n = next(_counter)
    url = f"https://news{n}.example/story/{n}"
    with engine.begin() as conn:
        return conn.execute(
            insert(articles)
            .values(url=url, canonical_url=url, site=f"news{n}.example", article_body=body,
                    content_hash=f"{n:064x}", duplicate_of=duplicate_of,
                    first_seen=first_seen, last_seen=first_seen)
            .returning(articles.c.id)
        ).scalar_one()


def store_and_index(engine, body: str, first_seen: datetime = T0, duplicate_of=None) -> int:
    article_id = store(engine, body, first_seen, duplicate_of)
    NearDuplicateIndex(engine).add(article_id, body)
    return article_id


# -- pure functions ---------------------------------------------------------------------


def test_shingles_ignore_case_quotes_and_whitespace():
    text = 'He said: "It\'s over" - and left.\n\nThe END came at 5pm.'
    assert nd.shingles(text) == nd.shingles(restyle(text).upper())
    assert nd.shingles(text) != nd.shingles(text.replace("left", "right"))
    assert all(0 <= value < 2**64 for value in nd.shingles(text))
    assert nd.shingles("") == set()
    assert len(nd.shingles("two words")) == 1  # shorter than one shingle: one shingle


def test_shingles_are_word_5_grams():
    words = [f"w{i}" for i in range(20)]
    assert len(nd.shingles(" ".join(words))) == 16
    # Changing one word changes the 5 shingles that contain it, no others.
    edited = words.copy()
    edited[10] = "changed"
    assert len(nd.shingles(" ".join(words)) & nd.shingles(" ".join(edited))) == 11


def test_signature_estimates_jaccard_and_bands_fit_bigint():
    a = nd.shingle_array(WIRE)
    b = nd.shingle_array(change_words(WIRE, 2))
    exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    sig_a, sig_b = nd.signature(a), nd.signature(b)
    assert len(sig_a) == nd.NUM_PERM
    assert abs(nd.jaccard_estimate(sig_a, sig_b) - exact) < 0.12
    assert np.array_equal(nd.signature(set(a.tolist())), sig_a)  # set or array, same result
    bands = nd.band_hashes(sig_a)
    assert [band for band, _ in bands] == list(range(nd.BANDS))
    assert all(-(2**63) <= value < 2**63 for _, value in bands)
    assert bands == nd.band_hashes(nd.signature(nd.shingle_array(WIRE)))  # deterministic


def test_containment_estimate_for_a_text_inside_a_longer_one():
    short = nd.shingle_array(WIRE)
    long = nd.shingle_array(local_feature(WIRE))
    in_long, long_in_short = nd.containment_estimate(short, nd.sample(long), len(long))
    assert in_long > 0.85
    assert long_in_short < 0.5
    assert nd.containment_score(short, nd.sample(long), len(long)) == in_long
    assert nd.containment_score(long, nd.sample(short), len(short)) > 0.85


# -- schema -----------------------------------------------------------------------------


def test_create_all_creates_the_tables(sqlite_url):
    engine = create_engine(sqlite_url)
    metadata.create_all(engine)
    inspector = inspect(engine)
    assert {"minhash_bands", "minhash_signatures"} <= set(inspector.get_table_names())
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("minhash_bands")}
    assert indexes["ix_minhash_bands_hash"] == ["hash", "band", "article_id"]
    engine.dispose()


# -- the index: true copies -------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SYNDICATED))
def test_syndicated_copy_is_found(engine, kind):
    original = store_and_index(engine, WIRE)
    store_and_index(engine, OTHER_WIRE)
    copy = SYNDICATED[kind](WIRE)
    found = NearDuplicateIndex(engine).find_original(copy)
    assert found is not None, kind
    assert found[0] == original
    assert nd.THRESHOLD <= found[1] <= 1.0


def test_trimmed_original_finds_the_longer_copy(engine):
    """The long version was stored first; a shortened copy (cut by a sub-editor) links to it."""
    original = store_and_index(engine, local_feature(WIRE))
    found = NearDuplicateIndex(engine).find_original(trimmed(WIRE, 0.6))
    assert found is not None and found[0] == original


@pytest.mark.parametrize("source", sorted(FIXTURE_TEXTS))
def test_every_fixture_text_is_found_when_copied(engine, source):
    body = FIXTURE_TEXTS[source]["articleBody"]
    original = store_and_index(engine, body)
    found = NearDuplicateIndex(engine).find_original(SYNDICATED["everything"](body))
    assert found is not None and found[0] == original


# -- the index: what must not be linked --------------------------------------------------


@pytest.mark.parametrize("group", sorted({v["group"] for v in FIXTURE_TEXTS.values()}))
def test_independent_articles_about_the_same_event_are_not_linked(engine, group):
    bodies = by_group(group)
    assert len(bodies) >= 2
    ids = [store_and_index(engine, body, T0 + timedelta(minutes=i)) for i, body in enumerate(bodies)]
    index = NearDuplicateIndex(engine)
    for article_id, body in zip(ids, bodies):
        assert index.find_original(body, exclude_id=article_id) is None
        assert index.matches(body, exclude_id=article_id) == []


def test_unrelated_article_is_not_linked(engine):
    store_and_index(engine, WIRE)
    assert NearDuplicateIndex(engine).find_original(OTHER_WIRE) is None


def test_short_texts_are_neither_indexed_nor_linked(engine):
    teaser = "Police rescued a driver from a flooded road in Fort Worth."
    article_id = store(engine, teaser)
    index = NearDuplicateIndex(engine)
    assert index.add(article_id, teaser) is False
    assert index.find_original(teaser) is None
    # A short teaser is not a copy of the long story it summarises either.
    store_and_index(engine, WIRE)
    assert index.find_original(" ".join(WIRE.split()[:20])) is None


def test_an_article_does_not_find_itself_when_excluded(engine):
    article_id = store_and_index(engine, WIRE)
    index = NearDuplicateIndex(engine)
    assert index.find_original(WIRE) == (article_id, 1.0)
    assert index.find_original(WIRE, exclude_id=article_id) is None


# -- the earliest version ----------------------------------------------------------------


def test_the_earliest_stored_version_is_returned(engine):
    later = store_and_index(engine, change_words(WIRE, 1, seed=1), T0 + timedelta(hours=2))
    earliest = store_and_index(engine, change_words(WIRE, 1, seed=2), T0)
    store_and_index(engine, change_words(WIRE, 1, seed=3), T0 + timedelta(hours=1))
    found = NearDuplicateIndex(engine).find_original(SYNDICATED["local-paragraph-top"](WIRE))
    assert found is not None and found[0] == earliest
    assert later != earliest


def test_a_copy_of_a_linked_copy_points_at_the_original(engine):
    original = store_and_index(engine, WIRE, T0)
    # A site's long local piece built around the story: a linked copy of it...
    feature = local_feature(WIRE)
    copy = store_and_index(engine, feature, T0 + timedelta(hours=1), duplicate_of=original)
    # ...and a copy of that piece's local part, which shares too little with the wire story.
    local_part = "\n\n".join(p for p in paragraphs(feature) if p not in paragraphs(WIRE))
    follow = NearDuplicateIndex(engine)
    assert [m[0] for m in follow.matches(local_part)] == [copy]
    assert follow.find_original(local_part)[0] == original
    assert NearDuplicateIndex(engine, follow_links=False).find_original(local_part)[0] == copy


# -- state in the database -----------------------------------------------------------------


def test_index_state_survives_a_restart(sqlite_url):
    first = make_engine(sqlite_url)
    original = store_and_index(first, WIRE)
    first.dispose()

    second = make_engine(sqlite_url)  # a new process: nothing in memory
    found = NearDuplicateIndex(second).find_original(SYNDICATED["everything"](WIRE))
    assert found is not None and found[0] == original
    second.dispose()


def test_rows_per_article_and_replacement(engine):
    article_id = store_and_index(engine, WIRE)
    index = NearDuplicateIndex(engine)

    def rows():
        with engine.connect() as conn:
            bands = conn.execute(
                select(func.count()).select_from(minhash_bands).where(minhash_bands.c.article_id == article_id)
            ).scalar_one()
            signatures = conn.execute(select(func.count()).select_from(minhash_signatures)).scalar_one()
        return bands, signatures

    assert rows() == (nd.BANDS, 1)
    index.add(article_id, OTHER_WIRE)  # the body changed: re-indexed, not added twice
    assert rows() == (nd.BANDS, 1)
    assert index.find_original(WIRE) is None
    assert index.find_original(OTHER_WIRE)[0] == article_id
    index.remove(article_id)
    assert rows() == (0, 0)


def test_deleting_an_article_deletes_its_index_rows(engine):
    article_id = store_and_index(engine, WIRE)
    with engine.begin() as conn:
        conn.execute(articles.delete().where(articles.c.id == article_id))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(minhash_bands)).scalar_one() == 0
    assert NearDuplicateIndex(engine).find_original(WIRE) is None


def test_works_inside_the_callers_transaction(engine):
    with engine.begin() as conn:
        article_id = conn.execute(
            insert(articles).values(url="https://a.example/1", canonical_url="https://a.example/1",
                                    article_body=WIRE, content_hash="0" * 64,
                                    first_seen=T0, last_seen=T0).returning(articles.c.id)
        ).scalar_one()
        index = NearDuplicateIndex(conn)
        index.add(article_id, WIRE)
        assert index.find_original(SYNDICATED["trimmed"](WIRE))[0] == article_id
        copy_id = conn.execute(
            insert(articles).values(url="https://b.example/1", canonical_url="https://b.example/1",
                                    article_body="x", content_hash="1" * 64,
                                    first_seen=T0, last_seen=T0).returning(articles.c.id)
        ).scalar_one()
        conn.execute(update(articles).where(articles.c.id == copy_id).values(duplicate_of=article_id))
    assert NearDuplicateIndex(engine).find_original(WIRE)[0] == article_id


def test_fingerprint_can_be_computed_once(engine):
    """The pipeline may fingerprint outside the database transaction and reuse it."""
    fp = nd.fingerprint(SYNDICATED["words-changed"](WIRE))
    original = store_and_index(engine, WIRE)
    index = NearDuplicateIndex(engine)
    assert index.find_original(fp)[0] == original
    copy_id = store(engine, "copy", T0 + timedelta(hours=1), duplicate_of=original)
    assert index.add(copy_id, fp) is True
    assert index.find_original(fp, exclude_id=copy_id)[0] == original


# -- PostgreSQL --------------------------------------------------------------------------------


def test_postgresql(postgres_url):
    engine = make_engine(postgres_url)
    try:
        original = store_and_index(engine, WIRE, T0)
        store_and_index(engine, OTHER_WIRE, T0)
        home_depot = by_group("home-depot-earnings")  # the closest same-event pair
        home_depot_ids = [store_and_index(engine, body, T0) for body in home_depot]
        index = NearDuplicateIndex(engine)
        for kind, make_copy in SYNDICATED.items():
            found = index.find_original(make_copy(WIRE))
            assert found is not None and found[0] == original, kind
        for article_id, body in zip(home_depot_ids, home_depot):
            assert index.matches(body) == [(article_id, 1.0)]  # itself only
            assert index.find_original(body, exclude_id=article_id) is None
        # Negative 64-bit band hashes round-trip.
        with engine.connect() as conn:
            low = conn.execute(select(func.min(minhash_bands.c.hash))).scalar_one()
        assert low < 0
    finally:
        engine.dispose()


def test_exact_containment_for_items_not_stored_yet():
    """Two copies in the same pending write batch: compared without the database."""
    a, b = nd.fingerprint(WIRE), nd.fingerprint(SYNDICATED["everything"](WIRE))
    assert nd.exact_containment(a, b) >= nd.THRESHOLD
    assert nd.exact_containment(a, nd.fingerprint(OTHER_WIRE)) < 0.1
    assert nd.exact_containment(a, a.shingles) == 1.0
    assert nd.exact_containment(a, nd.fingerprint("")) == 0.0


def test_pending_batch_index_finds_what_comparing_with_each_finds():
    """PendingFingerprints (the unwritten batch's inverted index) returns the first pending
    fingerprint, in the order added, that exact_containment with each would return."""
    texts = [v["articleBody"] for v in FIXTURE_TEXTS.values()]
    copies = [edit(text) for text in texts[:12] for edit in SYNDICATED.values()]
    pending = [nd.fingerprint(t) for t in texts + copies]
    pending = [fp for fp in pending if fp.size >= nd.MIN_SHINGLES]
    batch = nd.PendingFingerprints()
    for position, fp in enumerate(pending):
        batch.add(position, fp)
    linked = 0
    for query in pending[:40] + [nd.fingerprint(WIRE), nd.fingerprint(SYNDICATED["everything"](OTHER_WIRE))]:
        for threshold in (nd.THRESHOLD, 0.9):
            expected = next((position for position, fp in enumerate(pending)
                             if nd.exact_containment(query, fp) >= threshold), None)
            assert batch.first_match(query, threshold) == expected
            linked += expected is not None
    assert linked >= 40  # every query in the batch matches itself at least
    assert len(batch) == len(pending)
    batch.clear()
    assert len(batch) == 0 and batch.first_match(pending[0], nd.THRESHOLD) is None


def test_indexing_a_write_batch_at_once_equals_indexing_one_by_one(tmp_path):
    """add_many (what a flush uses) leaves the same index rows as add per article: re-indexed
    articles replaced, too-short texts left out."""
    bodies = [v["articleBody"] for v in FIXTURE_TEXTS.values()][:8] + ["A short teaser only."]
    states = []
    for name, one_by_one in (("single", True), ("batch", False)):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        try:
            ids = [store(engine, body) for body in bodies]
            index = NearDuplicateIndex(engine)
            index.add(ids[0], OTHER_WIRE)  # indexed before with another text: replaced
            entries = [(article_id, nd.fingerprint(body)) for article_id, body in zip(ids, bodies)]
            if one_by_one:
                for article_id, fp in entries:
                    index.add(article_id, fp)
            else:
                assert index.add_many(entries) == len(bodies) - 1
            offset = ids[0]
            with engine.connect() as conn:
                bands = sorted((r.article_id - offset, r.band, r.hash) for r in conn.execute(select(minhash_bands)))
                samples = sorted((r.article_id - offset, r.num_shingles, r.sample)
                                 for r in conn.execute(select(minhash_signatures)))
            states.append((bands, samples))
        finally:
            engine.dispose()
    assert states[0] == states[1]
    assert len(states[1][1]) == len(bodies) - 1 and len(states[1][0]) == nd.BANDS * (len(bodies) - 1)
