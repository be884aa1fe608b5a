"""The real annotated corpus: loadable, complete, free of reserved stories and of duplicate pages."""

import hashlib
import json
from collections import defaultdict

import pytest
from conftest import REPO, SEED

from nkdiplomacy.corpus.annotations import GENRES, load_annotations, read_annotations
from nkdiplomacy.corpus.splits import grouped_folds
from nkdiplomacy.text.segment import normalize, segment

REAL = sorted((REPO / "data" / "annotations" / "real").glob("*.jsonl"))
RAW_REAL = REPO / "data" / "raw" / "real"
RESERVED = REPO.parent / "shared" / "reserved"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def records():
    return read_annotations(REAL)


@pytest.fixture(scope="module")
def manifest():
    out = {}
    for name in ("manifest.jsonl", "manifest_genres.jsonl"):  # the first draw, then the genre pages
        rows = [json.loads(line) for line in (RAW_REAL / name).read_text().splitlines()]
        out.update({r["doc_id"]: r for r in rows[1:]})
    return out


def test_loader_accepts_the_real_files_with_their_provenance():
    ds = load_annotations(REAL)
    assert set(ds["origin"]) == {ds.features["origin"].str2int("real")}
    assert {"kcna", "abp", "china_mfa", "wh_briefings", "state_dept", "straits_times", "heritage"} <= set(
        ds["source"]
    )
    assert all(ds["outlet"]) and all(ds["url"])
    assert set(ds["genre"]) == {"news", "kcna", "official", "think_tank", "asian_outlet"} <= set(GENRES)


def test_every_real_and_seed_record_carries_its_pages_genre(records, manifest):
    for r in read_annotations([SEED]) + records:
        assert r.genre in GENRES, (r.doc_id, r.seg_id)
        if r.doc_id in manifest and "genre" in manifest[r.doc_id]:
            assert r.genre == manifest[r.doc_id]["genre"], r.doc_id


def test_genre_folds_of_the_real_corpus_never_split_a_genre_or_a_page(records):
    rows = read_annotations([SEED]) + records
    folds = grouped_folds(rows, "genre")
    assert {f.name for f in folds} == {"news", "kcna", "official", "think_tank", "asian_outlet"}
    for fold in folds:
        test = {rows[i].genre for i in fold.test}
        assert test == {fold.name} and fold.name not in {rows[i].genre for i in fold.train}
        assert len({rows[i].doc_id for i in fold.test}) >= 15


def test_genre_pages_meet_their_minimums(records, manifest):
    pages = defaultdict(set)
    for r in records:
        pages[r.genre].add(r.doc_id)
    new = {g: len(p) for g, p in pages.items() if g not in ("news", "kcna")}
    assert sum(new.values()) >= 150 and new["official"] >= 60
    assert new["think_tank"] >= 15 and new["asian_outlet"] >= 15
    assert sum(1 for r in records if r.genre not in ("news", "kcna")) >= 3000
    negatives = [d for d, row in manifest.items() if row.get("kind") == "negative"]
    assert len(negatives) >= 30


def test_corpus_meets_its_minimums(records):
    pages = defaultdict(set)
    for r in records:
        pages[r.source].add(r.doc_id)
    outlets = {r.outlet for r in records if r.source != "kcna"}
    assert len(records) >= 5000
    assert len(pages["kcna"]) >= 150 and len(pages["abp"]) >= 100 and len(outlets) >= 12


def test_every_raw_page_is_annotated_segment_by_segment(records, manifest):
    by_doc = defaultdict(list)
    for r in records:
        by_doc[r.doc_id].append(r)
    assert set(by_doc) == set(manifest)
    for doc_id, row in manifest.items():
        raw = (RAW_REAL / row["path"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == row["sha256"], doc_id
        segs = segment(raw.decode("utf-8"), doc_id)
        anns = sorted(by_doc[doc_id], key=lambda r: r.seg_id)
        assert [s.text for s in segs] == [a.text for a in anns], doc_id
        assert all(a.url == row["url"] and a.outlet == row["outlet"] for a in anns)


@pytest.mark.skipif(not RESERVED.is_dir(), reason="the shared reservation lists are not beside this checkout")
def test_no_record_comes_from_a_reserved_kcna_story(records, manifest):
    links = set((RESERVED / "kcna-reserved-links.sha1").read_text().split())
    lines = set((RESERVED / "kcna-reserved-lines.sha1").read_text().split())
    kcna = [r for r in records if r.source == "kcna"]
    assert kcna
    assert not {sha1(r.url) for r in kcna} & links
    assert not {sha1(normalize(r.text)) for r in kcna} & lines
    for row in manifest.values():  # the raw texts too, line by line
        text = (RAW_REAL / row["path"]).read_text(encoding="utf-8")
        assert not {sha1(normalize(x)) for x in text.splitlines() if x.strip()} & lines


@pytest.mark.skipif(not RESERVED.is_dir(), reason="the shared reservation lists are not beside this checkout")
def test_no_page_has_a_line_of_a_reserved_page_whatever_its_source(records, manifest):
    hidden = set((RESERVED / "hidden-lines.sha1").read_text().split())
    assert not {sha1(normalize(r.text)) for r in records if len(r.text.split()) >= 6} & hidden
    for row in manifest.values():
        text = (RAW_REAL / row["path"]).read_text(encoding="utf-8")
        assert not {sha1(normalize(x)) for x in text.splitlines() if len(x.split()) >= 6} & hidden, row[
            "path"
        ]


def test_no_page_appears_twice_under_two_ids(records):
    bodies = defaultdict(list)
    for r in sorted(read_annotations([SEED]) + records, key=lambda r: (r.doc_id, r.seg_id)):
        if r.seg_id > 0:  # the body: everything after the headline or title
            bodies[r.doc_id].append(r.text)
    seen = {}
    for doc_id, body in bodies.items():
        key = "\n".join(body)
        assert key not in seen, f"{doc_id} repeats {seen.get(key)}"
        seen[key] = doc_id
