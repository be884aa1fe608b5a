import json
from collections import Counter

import pytest
from conftest import SEED, SYNTHETIC

from nkdiplomacy.corpus.annotations import DataError, load_annotations, read_annotations, to_annotations
from nkdiplomacy.schema import event_type_names

GOOD = {
    "doc_id": "a",
    "seg_id": 0,
    "text": "Kim met Xi.",
    "relevant": True,
    "event_type": "meeting",
    "origin": "real",
}


def write(tmp_path, rows, name="ann.jsonl"):
    path = tmp_path / name
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_loads_into_dataset_with_declared_features():
    ds = load_annotations([SEED, SYNTHETIC])
    assert ds.features["event_type"].names == list(event_type_names())
    assert ds.features["origin"].names == ["seed", "synthetic", "real"]
    seed = [r for r in to_annotations(ds) if r.origin == "seed"]
    assert len(seed) == 103
    assert all((r.event_type is None) != r.relevant for r in to_annotations(ds))


def test_seed_annotations_cover_every_segment_of_the_raw_articles():
    from conftest import RAW

    from nkdiplomacy.text.segment import segment

    expected = [
        (p.stem, s.seg_id, s.text) for p in sorted(RAW.glob("*.txt")) for s in segment(p.read_text(), p.stem)
    ]
    assert [(r.doc_id, r.seg_id, r.text) for r in read_annotations(SEED)] == expected


def test_synthetic_set_meets_its_minimums():
    recs = read_annotations(SYNTHETIC)
    assert {r.origin for r in recs} == {"synthetic"}
    assert len({r.doc_id for r in recs}) >= 40
    counts = Counter(r.event_type for r in recs if r.relevant)
    assert all(counts[t] >= 60 for t in event_type_names()), counts
    assert sum(not r.relevant for r in recs) >= 300


@pytest.mark.parametrize(
    "change, message",
    [
        ({"event_type": "summit"}, "unknown event_type 'summit'"),
        ({"relevant": False}, "'relevant' is false but 'event_type' is 'meeting'"),
        ({"event_type": None}, "'relevant' is true but 'event_type' is null"),
        ({"text": "  "}, "'text' is missing or empty"),
        ({"text": None}, "'text' is missing or empty"),
        ({"seg_id": "3"}, "'seg_id' must be a non-negative integer"),
        ({"origin": "web"}, "unknown origin 'web'"),
        ({"genre": "blog"}, "unknown genre 'blog'"),
        ({"genre": 3}, "'genre' must be a string"),
        ({"counterparts": "CHN"}, "'counterparts' must be a list of codes"),
        ({"counterparts": ["china"]}, "'counterparts' must be a list of codes"),
        ({"counterparts": ["USA", "CHN"]}, "'counterparts' must be sorted and without repeats"),
        ({"counterparts": ["CHN", "CHN"]}, "'counterparts' must be sorted and without repeats"),
        (
            {"relevant": False, "event_type": None, "counterparts": ["CHN"]},
            "'relevant' is false but 'counterparts'",
        ),
    ],
)
def test_bad_record_names_file_and_line(tmp_path, change, message):
    path = write(tmp_path, [GOOD, {**GOOD, "seg_id": 1, **change}])
    with pytest.raises(DataError, match=f"^{path}:2: .*") as err:
        read_annotations(path)
    assert message in str(err.value)


def test_genre_and_counterparts_round_trip_through_the_dataset(tmp_path):
    rows = [
        {**GOOD, "genre": "official", "counterparts": ["CHN", "UN"]},
        {**GOOD, "seg_id": 1, "relevant": False, "event_type": None, "genre": "official"},
        {**GOOD, "seg_id": 2, "counterparts": []},
    ]
    recs = read_annotations(write(tmp_path, rows))
    assert [r.counterparts for r in recs] == [("CHN", "UN"), None, ()]
    assert [r.genre for r in recs] == ["official", "official", None]
    assert to_annotations(load_annotations(write(tmp_path, rows))) == recs
    assert recs[0].to_dict()["counterparts"] == ["CHN", "UN"] and "counterparts" not in recs[1].to_dict()


def test_missing_text_field_is_an_error(tmp_path):
    row = {k: v for k, v in GOOD.items() if k != "text"}
    with pytest.raises(DataError, match=r":1: missing field 'text'"):
        read_annotations(write(tmp_path, [row]))


def test_malformed_json_names_the_line(tmp_path):
    path = write(tmp_path, [GOOD, "", '{"doc_id": "a", "seg_id": 1,'])
    with pytest.raises(DataError, match=rf"^{path}:3: malformed JSON"):
        read_annotations(path)


def test_duplicate_doc_and_seg_id_is_an_error_across_files(tmp_path):
    first = write(tmp_path, [GOOD], "one.jsonl")
    second = write(tmp_path, [{**GOOD, "text": "Other text"}], "two.jsonl")
    with pytest.raises(
        DataError, match=rf"^{second}:1: duplicate \(doc_id, seg_id\) \('a', 0\), first at {first}:1"
    ):
        read_annotations([first, second])


def test_non_utf8_file_is_an_error(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps({**GOOD, "text": "caf\u00e9"}, ensure_ascii=False).encode("latin-1"))
    with pytest.raises(DataError, match=rf"^{path}: not UTF-8"):
        read_annotations(path)
