"""The real annotated corpus: loadable, complete, free of reserved stories and of duplicate pages."""

import hashlib
import json
from collections import defaultdict

import pytest
from conftest import REPO, SEED

from nkdiplomacy.corpus.annotations import load_annotations, read_annotations
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
    rows = [json.loads(line) for line in (RAW_REAL / "manifest.jsonl").read_text().splitlines()]
    return {r["doc_id"]: r for r in rows[1:]}


def test_loader_accepts_the_real_files_with_their_provenance():
    ds = load_annotations(REAL)
    assert set(ds["origin"]) == {ds.features["origin"].str2int("real")}
    assert set(ds["source"]) == {"kcna", "abp"}
    assert all(ds["outlet"]) and all(ds["url"])


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
