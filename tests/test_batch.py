"""The Spark batch job (local mode) against single-machine ``classify_article``, and its errors."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import RAW, REPO

from nkdiplomacy.cli import spark_submit_main
from nkdiplomacy.estimators.persist import WRAPPED_MODEL
from nkdiplomacy.schema import OFF_TOPIC, event_score_column, event_type_names
from nkdiplomacy.serving.batch import BatchError, run_batch, spark_session
from nkdiplomacy.text.articles import read_article

pytestmark = pytest.mark.slow  # Spark

N_GENERATED = 300
TOL = 1e-6

# Whitespace and line ends the segmenter normalises, and articles with no text lines.
EDGE_ARTICLES = [
    {
        "doc_id": "edge-whitespace",
        "text": "\ufeffKim Jong Un meets\u00a0Chinese envoy in Pyongyang\r\n\r\n\t Talks were held on Tuesday,"
        " state media said. \u2028Sign up for our newsletter\u200b\x0cNorth Korea\\'s foreign ministry\n",
    },
    {"doc_id": "edge-one-line", "text": "Pyongyang rejects talks with Washington"},
    {"doc_id": "edge-blank", "text": " \n\t\r\n \u00a0 \n"},
    {"doc_id": "edge-empty", "text": ""},
]


def recombined(n: int, seed: int) -> list[dict]:
    """``n`` articles made of lines of the bundled ones: runs of one article, some lines swapped in, some shuffled."""
    pools = [
        [ln for ln in read_article(p).text.splitlines() if ln.strip()] for p in sorted(RAW.glob("*.txt"))
    ]
    every = [ln for pool in pools for ln in pool]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = rng.choice(pools)
        k = rng.randint(1, len(base))
        first = rng.randint(0, len(base) - k)
        lines = [rng.choice(every) if rng.random() < 0.25 else ln for ln in base[first : first + k]]
        if rng.random() < 0.3:
            rng.shuffle(lines)
        sep = rng.choice(["\n", "\n\n", "\r\n", "\n  \n", "\r"])
        out.append({"doc_id": f"gen-{i:04d}", "text": sep.join(lines)})
    return out


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    bundled = [{"doc_id": p.stem, "text": read_article(p).text} for p in sorted(RAW.glob("*.txt"))]
    assert len(bundled) == 5
    return bundled + EDGE_ARTICLES + recombined(N_GENERATED, seed=5)


@pytest.fixture(scope="module")
def corpus(articles, tmp_path_factory) -> dict[str, Path]:
    """The articles as one JSON Lines file and as a Parquet folder of three files."""
    root = tmp_path_factory.mktemp("corpus")
    jsonl = root / "articles.jsonl"
    with jsonl.open("w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    parquet = root / "articles_parquet"
    parquet.mkdir()
    frame = pd.DataFrame(articles)
    frame["source"] = "test"  # extra columns are ignored
    for i, part in enumerate((frame.iloc[0::3], frame.iloc[1::3], frame.iloc[2::3])):
        part.to_parquet(parquet / f"part-{i}.parquet", index=False)
    return {"jsonl": jsonl, "parquet": parquet}


@pytest.fixture(scope="module")
def expected(trained_model_dir, articles) -> pd.DataFrame:
    """Single-machine predictions, one row per segment, indexed by (doc_id, seg_id)."""
    import nkdiplomacy

    clf = nkdiplomacy.load(trained_model_dir)
    preds = [p for a in articles for p in clf.classify_article(a["text"], doc_id=a["doc_id"])]
    return clf.to_frame(preds).set_index(["doc_id", "seg_id"]).sort_index()


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """One local[2] session for the module; run_batch uses the active session and leaves it running."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        session, created = spark_session("local[2]", tmp_path_factory.mktemp("spark"))
        yield session
        if created:
            session.stop()


def read_output(path: Path) -> pd.DataFrame:
    out = pd.read_parquet(path)
    out["event_type"] = out["event_type"].astype(str)
    return out.set_index(["doc_id", "seg_id"]).sort_index()


def assert_same_as_predict(out: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert out.index.equals(expected.index), "batch and predict give different segments"
    assert (out["text"] == expected["text"]).all()
    assert (out["relevant"] == expected["relevant"]).all()
    assert (out["event_type"] == expected["event_type"].fillna(OFF_TOPIC)).all()
    codes = expected["counterparts"].map(lambda c: c if isinstance(c, str) else " ".join(c))
    assert (out["counterparts"] == codes).all() and codes.str.len().gt(0).any()
    for col in ["score", *[event_score_column(t) for t in event_type_names()]]:
        assert (out[col] - expected[col]).abs().max() <= TOL, col


def test_jsonl_matches_predict(spark, trained_model_dir, corpus, articles, expected, tmp_path):
    target = tmp_path / "predictions"
    stats = run_batch(str(corpus["jsonl"]), str(target), str(trained_model_dir), master="local[2]")

    assert stats["articles"] == len(articles)
    assert stats["segments"] == len(expected)
    assert stats["seconds"] > 0 and stats["segments_per_second"] > 0
    out = read_output(target)
    assert_same_as_predict(out, expected)
    # Articles without text lines give no rows; off-topic rows carry "off_topic", never null.
    assert not {"edge-blank", "edge-empty"} & set(out.index.get_level_values("doc_id"))
    assert expected["relevant"].any() and not expected["relevant"].all()
    assert stats["rejected_articles"] == 2 and stats["scored_articles"] == len(articles) - 2
    # Partitioned by event type, one folder per value, the rejects beside them.
    folders = {p.name for p in target.iterdir() if p.is_dir()}
    assert folders == {f"event_type={v}" for v in out["event_type"].unique()} | {"_rejects"}
    assert f"event_type={OFF_TOPIC}" in folders


def test_parquet_folder_via_main(spark, trained_model_dir, corpus, expected, tmp_path, capsys):
    """The spark-submit entry point (no --master: the active session), on a Parquet folder."""
    target = tmp_path / "predictions"
    code = spark_submit_main(
        ["--input", str(corpus["parquet"]), "--output", str(target), "--model", str(trained_model_dir)]
    )
    assert code == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["segments"] == len(expected)
    assert_same_as_predict(read_output(target), expected)


def test_spark_submit_entry_runs_as_a_file():
    """``spark-submit jobs/spark_batch.py``: the entry outside the package runs as a file."""
    result = subprocess.run(
        [sys.executable, str(REPO / "jobs" / "spark_batch.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--input" in result.stdout and "--master" in result.stdout


# -- errors ---------------------------------------------------------------------
def one_line_error(excinfo, *fragments: str) -> None:
    message = str(excinfo.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_missing_input(trained_model_dir, tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(BatchError) as excinfo:
        run_batch(str(missing), str(tmp_path / "out"), str(trained_model_dir))
    one_line_error(excinfo, str(missing), "no such")


def test_input_of_unknown_format(trained_model_dir, tmp_path):
    (tmp_path / "articles.csv").write_text("doc_id,text\na,b\n", encoding="utf-8")
    with pytest.raises(BatchError) as excinfo:
        run_batch(str(tmp_path / "articles.csv"), str(tmp_path / "out"), str(trained_model_dir))
    one_line_error(excinfo, "articles.csv", "format")


def test_missing_doc_id_column(spark, trained_model_dir, tmp_path):
    src = tmp_path / "articles.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Kim Jong Un met Xi Jinping."}) + "\n", encoding="utf-8")
    with pytest.raises(BatchError) as excinfo:
        run_batch(str(src), str(tmp_path / "out"), str(trained_model_dir))
    one_line_error(excinfo, str(src), "'doc_id'")
    assert not (tmp_path / "out").exists()


def test_missing_text_column(spark, trained_model_dir, tmp_path):
    src = tmp_path / "articles.parquet"
    pd.DataFrame({"doc_id": ["a"], "body": ["Kim Jong Un met Xi Jinping."]}).to_parquet(src, index=False)
    with pytest.raises(BatchError) as excinfo:
        run_batch(str(src), str(tmp_path / "out"), str(trained_model_dir))
    one_line_error(excinfo, str(src), "'text'")


def test_malformed_json_line(spark, trained_model_dir, tmp_path):
    src = tmp_path / "articles.jsonl"
    src.write_text(
        '{"doc_id": "a", "text": "Kim met Xi."}\n{"doc_id": "b", "text": "cut o\n', encoding="utf-8"
    )
    with pytest.raises(BatchError) as excinfo:
        run_batch(str(src), str(tmp_path / "out"), str(trained_model_dir))
    one_line_error(excinfo, str(src), "Malformed")


@pytest.mark.parametrize("kind", ["missing", "not-mlflow", "corrupt"])
def test_unreadable_model(kind, trained_model_dir, corpus, tmp_path):
    model = tmp_path / "model"
    if kind == "not-mlflow":
        shutil.copytree(trained_model_dir / WRAPPED_MODEL, model)  # a native folder: no MLmodel
    elif kind == "corrupt":
        shutil.copytree(trained_model_dir, model)
        for head in (model / WRAPPED_MODEL).glob("*.npz"):
            head.write_bytes(b"not an npz")
    with pytest.raises(BatchError) as excinfo:
        run_batch(str(corpus["jsonl"]), str(tmp_path / "out"), str(model))
    one_line_error(excinfo, str(model))
    assert not (tmp_path / "out").exists()


def test_existing_output(trained_model_dir, corpus, tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(BatchError) as excinfo:
        run_batch(str(corpus["jsonl"]), str(tmp_path / "out"), str(trained_model_dir))
    one_line_error(excinfo, "already exists")


def test_cli_reports_batch_error_in_one_line(tmp_path, capsys):
    from nkdiplomacy.cli import main as cli_main

    missing = tmp_path / "nope.parquet"
    code = cli_main(["batch", "--input", str(missing), "--output", str(tmp_path / "out")])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("nkdiplomacy: error:") and str(missing) in err and "\n" not in err


def test_default_model_matches_predict_jsonl_even_when_batches_hold_two_rows(spark, articles, tmp_path):
    """The shipped model (whose page stage reads a page's lines together) gives in Spark, with Arrow
    batches forced down to two rows so that any article longer than that would straddle two, the
    segments and scores that ``nkdiplomacy predict --format jsonl`` prints."""
    from conftest import run_cli

    small = articles[:9] + articles[20:40]  # the bundled articles, the edge cases, some recombined
    pages = tmp_path / "pages"
    pages.mkdir()
    for a in small:
        (pages / f"{a['doc_id']}.txt").write_text(a["text"], encoding="utf-8", newline="")
    result = run_cli("predict", str(pages), "--format", "jsonl")
    lines = [json.loads(x) for x in result.stdout.decode("utf-8").splitlines()]
    assert lines and max(sum(1 for x in lines if x["doc_id"] == d) for d in {x["doc_id"] for x in lines}) > 2
    expected = (
        pd.DataFrame(
            [
                {
                    **{k: v for k, v in x.items() if k != "event_scores"},
                    **{event_score_column(t): p for t, p in x["event_scores"].items()},
                }
                for x in lines
            ]
        )
        .set_index(["doc_id", "seg_id"])
        .sort_index()
    )
    src = tmp_path / "articles.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in small), encoding="utf-8")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "2")
    try:
        run_batch(str(src), str(tmp_path / "out"), None, master="local[2]")
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    assert_same_as_predict(read_output(tmp_path / "out"), expected)


def test_articles_that_cannot_be_scored_are_rejected_with_a_reason_never_dropped(
    spark, trained_model_dir, tmp_path
):
    rows = [
        {"doc_id": "ok", "text": "Kim Jong Un met Xi Jinping in Beijing."},
        {"doc_id": "ok", "text": "A second article under the same id."},
        {"doc_id": "null-text", "text": None},
        {"doc_id": "empty", "text": ""},
        {"doc_id": "blank", "text": " \n\t\u00a0\n"},
        {"doc_id": None, "text": "No id for this one."},
    ]
    src = tmp_path / "articles.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    stats = run_batch(str(src), str(tmp_path / "out"), str(trained_model_dir), master="local[2]")
    assert (stats["articles"], stats["scored_articles"], stats["rejected_articles"]) == (6, 1, 5)
    rejects = pd.read_json(next(Path(stats["rejects"]).glob("part-*.json")), lines=True)
    reasons = dict(zip(rejects["doc_id"].fillna("<null>"), rejects["reason"]))
    assert reasons == {
        "ok": "duplicate doc_id (its first article is scored)",
        "null-text": "text is null",
        "empty": "text has no text lines (empty or whitespace only)",
        "blank": "text has no text lines (empty or whitespace only)",
        "<null>": "doc_id is null",
    }
    out = read_output(tmp_path / "out")
    assert set(out.index.get_level_values("doc_id")) == {"ok"} and out.loc["ok"]["text"].tolist() == [
        rows[0]["text"]
    ]


def test_a_text_column_that_is_not_strings_rejects_every_article(spark, trained_model_dir, tmp_path):
    src = tmp_path / "numbers.parquet"
    pd.DataFrame({"doc_id": ["a", "b"], "text": [1, 2]}).to_parquet(src, index=False)
    stats = run_batch(str(src), str(tmp_path / "out"), str(trained_model_dir), master="local[2]")
    assert (stats["scored_articles"], stats["rejected_articles"], stats["segments"]) == (0, 2, 0)
    rejects = pd.read_json(next(Path(stats["rejects"]).glob("part-*.json")), lines=True)
    assert set(rejects["reason"]) == {"text is bigint, not a string"}
