"""`nkdiplomacy suggest`: which segments it picks, and the to-do file it writes."""

from __future__ import annotations

import json

from conftest import RAW, run_cli

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.labeling.suggest import EXTRA_FIELDS, Candidate, pick, todo_record, utilities
from nkdiplomacy.schema import event_type_names

N_TYPES = len(event_type_names())
SURE = (0.94, *[0.01] * (N_TYPES - 1))  # one clear event type
TORN = (0.45, 0.44, *[0.11 / (N_TYPES - 2)] * (N_TYPES - 2))  # two types neck and neck


def cand(doc, seg, score, probs=SURE, group="g", text=None):
    return Candidate(doc, seg, text or f"line {seg} of {doc}", score, probs, group=group)


def test_uncertain_relevance_comes_first():
    cands = [cand("a", 0, 0.99), cand("b", 0, 0.02), cand("c", 0, 0.51), cand("d", 0, 0.30)]
    assert [c.doc_id for c, _ in pick(cands, 4)] == ["c", "d", "a", "b"]


def test_disagreement_between_event_types_counts_for_likely_on_topic_segments():
    u = utilities([0.9, 0.9, 0.05, 0.05], [SURE, TORN, SURE, TORN])
    assert u[1] > u[0]  # torn between two types
    assert abs(u[3] - u[2]) < 0.05  # an off-topic line's type barely matters


def test_picks_are_spread_across_pages_and_outlets():
    # Page "a" holds ten lines at the threshold; pages "b" and "c" (another outlet) slightly less uncertain ones.
    cands = [cand("a", i, 0.5) for i in range(10)]
    cands += [cand("b", i, 0.42) for i in range(10)] + [cand("c", i, 0.42, group="h") for i in range(10)]
    picked = [c.doc_id for c, _ in pick(cands, 6)]
    assert picked[0] == "a"
    assert set(picked) == {"a", "b", "c"}
    assert max(picked.count(d) for d in "abc") <= 3


def test_a_repeated_text_is_picked_once():
    cands = [cand("a", 0, 0.5, text="Share this"), cand("b", 0, 0.5, text="share  THIS"), cand("c", 0, 0.4)]
    assert [c.doc_id for c, _ in pick(cands, 3)] == ["a", "c"]


def test_picking_is_deterministic_whatever_the_input_order():
    cands = [cand(d, s, 0.5) for d in "xyz" for s in range(3)]
    first = [(c.doc_id, c.seg_id) for c, _ in pick(cands, 5)]
    assert first == [(c.doc_id, c.seg_id) for c, _ in pick(list(reversed(cands)), 5)]
    assert first[0] == ("x", 0)


def test_todo_record_holds_the_guess_and_is_a_valid_record_once_extras_are_dropped(tmp_path):
    rec = todo_record(cand("a", 3, 0.7, TORN), utility=1.2, rank=1)
    assert rec["relevant"] is True and rec["event_type"] == event_type_names()[0] and rec["origin"] == "real"
    assert rec["score"] == 0.7 and set(rec["event_scores"]) == set(event_type_names())
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({k: v for k, v in rec.items() if k not in EXTRA_FIELDS}) + "\n")
    assert read_annotations(path)[0].event_type == event_type_names()[0]


def test_suggest_command_writes_a_todo_file_that_becomes_valid_labels(tmp_path):
    todo = tmp_path / "todo.jsonl"
    articles = [str(RAW / "003_254259dacc8f1105.txt"), str(RAW / "000_dd709c047df80243.txt")]
    result = run_cli("suggest", *articles, "--n", "6", "--output", str(todo))
    assert result.returncode == 0, result.stderr.decode()
    rows = [json.loads(line) for line in todo.read_text().splitlines()]
    assert len(rows) == 6 and [r["rank"] for r in rows] == list(range(1, 7))
    assert {r["doc_id"] for r in rows} == {"003_254259dacc8f1105", "000_dd709c047df80243"}  # both pages
    assert all(r["file"].endswith(".txt") and 0 <= r["score"] <= 1 for r in rows)
    # Paths relative to the to-do file's folder: no absolute path of this machine travels with it.
    assert all(not r["file"].startswith("/") and (tmp_path / r["file"]).resolve().is_file() for r in rows)
    # The analyst's answers replace the guesses: the records then read as labels.
    labels = tmp_path / "labels.jsonl"
    with labels.open("w") as f:
        for r in rows:
            r = {k: v for k, v in r.items() if k not in EXTRA_FIELDS}
            r["relevant"], r["event_type"] = True, "analysis"
            f.write(json.dumps(r) + "\n")
    assert len(read_annotations(labels)) == 6
    # Again, leaving out what is labeled now: six other segments.
    again = run_cli("suggest", *articles, "--n", "6", "--exclude", str(labels))
    new = [json.loads(line) for line in again.stdout.decode().splitlines()]
    assert new and not {(r["doc_id"], r["seg_id"]) for r in new} & {(r["doc_id"], r["seg_id"]) for r in rows}


def test_suggest_reports_bad_inputs_in_one_line_and_goes_on(tmp_path):
    result = run_cli(
        "suggest", str(tmp_path / "missing.txt"), str(RAW / "003_254259dacc8f1105.txt"), "--n", "2"
    )
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err
    assert err.startswith("nkdiplomacy: error: ") and "missing.txt" in err
    assert len(result.stdout.decode().splitlines()) == 2
    bad_n = run_cli("suggest", str(RAW), "--n", "0")
    assert (
        bad_n.returncode == 1 and "--n" in bad_n.stderr.decode() and "Traceback" not in bad_n.stderr.decode()
    )


def test_suggest_returns_records_and_names_pages_of_one_name_as_predict_does(tmp_path, monkeypatch):
    from nkdiplomacy.labeling.suggest import suggest

    page = (RAW / "003_254259dacc8f1105.txt").read_text()
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "page.txt").write_text(page)
    (tmp_path / "empty.txt").write_text("\n\n")
    monkeypatch.chdir(tmp_path)
    found = suggest([str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "empty.txt")], n=100)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b", "empty.txt", "page.txt", "page.txt"]
    assert {r["doc_id"] for r in found.records} == {"page", "page#2"}
    assert {r["file"] for r in found.records} == {"a/page.txt", "b/page.txt"}
    # The model's counterparts travel with an on-topic guess, for the annotator to accept or correct.
    assert all(("counterparts" in r) == r["relevant"] for r in found.records)
    assert any(r.get("counterparts") for r in found.records)
    assert found.errors == [f"{tmp_path / 'empty.txt'}: empty file"]
