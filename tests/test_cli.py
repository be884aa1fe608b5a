"""The command line as a user runs it: formats, options, HTML, standard input, bad input."""

import csv
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import RAW, REPO, SEED, local_env, run_cli

from nkdiplomacy.cli.render import csv_columns
from nkdiplomacy.estimators.persist import MANIFEST, WRAPPED_MODEL

ARTICLE = RAW / "003_254259dacc8f1105.txt"
REAL = REPO / "data" / "annotations" / "real"


def lines(result):
    return result.stdout.decode().splitlines()


def stderr(result):
    return result.stderr.decode()


def assert_one_line_error(result, *names):
    err = stderr(result)
    assert result.returncode == 1
    assert "Traceback" not in err
    for name in names:
        assert any(
            line.startswith("nkdiplomacy: error: ") and str(name) in line for line in err.splitlines()
        ), err


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    commands = ("segment", "predict", "evaluate", "train", "batch", "suggest", "annotate")
    assert all(f"    {cmd} " in result.stdout.decode() for cmd in commands), result.stdout.decode()


def test_predict_prints_a_table_by_default():
    result = run_cli("predict", str(ARTICLE))
    out = result.stdout.decode()
    assert result.returncode == 0, stderr(result)
    assert str(ARTICLE) in out and "event type" in out and "of 20 segments on-topic" in out


def test_predict_jsonl_has_one_record_per_segment():
    result = run_cli("predict", str(ARTICLE), "--format", "jsonl")
    rows = [json.loads(x) for x in lines(result)]
    assert [r["seg_id"] for r in rows] == list(range(20))
    assert set(rows[0]) == {
        "doc_id", "seg_id", "text", "relevant", "score", "event_type", "event_scores", "counterparts"
    }  # fmt: skip
    assert rows[0]["doc_id"] == ARTICLE.stem


def test_predict_csv_has_the_documented_columns():
    result = run_cli("predict", str(ARTICLE), "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout.decode())))
    assert rows[0] == csv_columns() and len(rows) == 21


def test_only_relevant_and_threshold_filter_segments():
    everything = [json.loads(x) for x in lines(run_cli("predict", str(ARTICLE), "--format", "jsonl"))]
    relevant = [
        json.loads(x) for x in lines(run_cli("predict", str(ARTICLE), "--format", "jsonl", "--only-relevant"))
    ]
    assert relevant and all(r["relevant"] for r in relevant)
    assert len(relevant) == sum(r["relevant"] for r in everything) < len(everything)
    strict = run_cli(
        "predict", str(ARTICLE), "--format", "jsonl", "--only-relevant", "--threshold", "0.999999"
    )
    assert len(lines(strict)) < len(relevant)


def test_counterpart_keeps_only_on_topic_passages_with_that_counterpart():
    rows = [json.loads(x) for x in lines(run_cli("predict", str(ARTICLE), "--format", "jsonl"))]
    russia = [
        json.loads(x)
        for x in lines(run_cli("predict", str(ARTICLE), "--format", "jsonl", "--counterpart", "rus"))
    ]
    expected = [r["seg_id"] for r in rows if r["relevant"] and "RUS" in r["counterparts"]]
    assert expected and [r["seg_id"] for r in russia] == expected
    either = run_cli(
        "predict", str(ARTICLE), "--format", "jsonl", "--counterpart", "RUS", "--counterpart", "CHN"
    )
    both = {r["seg_id"] for r in rows if r["relevant"] and {"RUS", "CHN"} & set(r["counterparts"])}
    assert {json.loads(x)["seg_id"] for x in lines(either)} == both > set(expected)
    assert_one_line_error(run_cli("predict", str(ARTICLE), "--counterpart", "Mars"), "unknown code 'MARS'")


def test_threshold_outside_unit_interval_is_an_error():
    assert_one_line_error(run_cli("predict", str(ARTICLE), "--threshold", "2"), "--threshold")


def test_output_file_is_written_whole(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for seed in RAW.glob("*.txt"):  # the five seed pages, 103 segments
        shutil.copy(seed, folder)
    out = tmp_path / "preds.csv"
    result = run_cli("predict", str(folder), "--format", "csv", "--output", str(out))
    assert result.returncode == 0 and result.stdout == b""
    assert len(out.read_text().splitlines()) == 104
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles", "preds.csv"]


def test_failed_run_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "preds.jsonl"
    out.write_text("previous\n")
    result = run_cli("predict", str(ARTICLE), "--model", str(tmp_path / "missing"), "--output", str(out))
    assert_one_line_error(result, tmp_path / "missing")
    assert out.read_text() == "previous\n" and [p.name for p in tmp_path.iterdir()] == ["preds.jsonl"]


def test_html_pages_keep_every_visible_line(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>t</title><script>var x = 1;</script></head><body>"
        "<nav><a href='/'>Home</a> &gt; <a href='/asia'>Asia</a></nav>"
        "<h1>Kim Jong Un meets Putin in Vladivostok</h1>"
        "<figure><figcaption>Kim and Putin. Photo: KCNA</figcaption></figure>"
        "<p>North Korean leader Kim Jong Un held talks with Russian President Vladimir Putin on Wednesday.</p>"
        "<div class='share'>Share this article</div></body></html>",
        encoding="utf-8",
    )
    rows = [json.loads(x) for x in lines(run_cli("predict", str(page), "--format", "jsonl"))]
    texts = [r["text"] for r in rows]
    assert texts == [
        "Home > Asia",
        "Kim Jong Un meets Putin in Vladivostok",
        "Kim and Putin. Photo: KCNA",
        "North Korean leader Kim Jong Un held talks with Russian President Vladimir Putin on Wednesday.",
        "Share this article",
    ]
    assert "var x" not in " ".join(texts)


def test_standard_input_is_read_with_dash():
    result = run_cli("predict", "-", "--format", "jsonl", stdin=ARTICLE.read_bytes())
    rows = [json.loads(x) for x in lines(result)]
    assert len(rows) == 20 and rows[0]["doc_id"] == "stdin"


def test_folders_are_searched_recursively_for_txt_and_html(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("Kim Jong Un met Xi Jinping.\nShare this\n")
    (tmp_path / "b.html").write_text("<p>Pyongyang fired a missile.</p>")
    (tmp_path / "notes.md").write_text("ignored")
    rows = [json.loads(x) for x in lines(run_cli("predict", str(tmp_path), "--format", "jsonl"))]
    assert sorted({r["doc_id"] for r in rows}) == ["a", "b"]


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \n\t\n", "empty file"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("latin1.txt", "Kim Jong Un \u00e0 P\u00e9kin".encode("latin-1"), "not UTF-8"),
        ("late-nul.txt", b"Kim Jong Un met Xi Jinping.\n" * 400 + b"\x00", "binary file"),
        ("charset.html", b'<meta charset="klingon"><p>Kim Jong Un</p>', "unknown charset 'klingon'"),
    ],
)
def test_bad_file_is_reported_and_the_others_still_processed(tmp_path, name, content, reason):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = run_cli("predict", str(bad), str(ARTICLE), "--format", "jsonl")
    assert_one_line_error(result, bad)
    assert reason in stderr(result)
    assert len(lines(result)) == 20


def test_missing_path_and_empty_folder_are_reported(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("predict", str(tmp_path / "nope.txt"), str(empty), str(ARTICLE), "--format", "jsonl")
    assert_one_line_error(result, tmp_path / "nope.txt", empty)
    assert "no such file" in stderr(result) and "no .txt or .html files" in stderr(result)
    assert len(lines(result)) == 20


def test_unreadable_model_uri_is_one_line_error(tmp_path):
    result = run_cli("predict", str(ARTICLE), "--model", "models:/no-such-model@champion", cwd=tmp_path)
    assert_one_line_error(result, "models:/no-such-model@champion")


def test_evaluate_prints_the_protocol_metrics():
    result = run_cli("evaluate", str(SEED), "--json")
    assert result.returncode == 0, stderr(result)
    metrics = json.loads(result.stdout)
    assert metrics["n_segments"] == 103 and metrics["n_on_topic"] == 58
    assert {"relevance_f1", "relevance_pr_auc", "event_accuracy", "event_macro_f1"} <= set(metrics)


def test_evaluate_reports_counterpart_figures_when_the_labels_have_them(tmp_path):
    page = [
        ("Kim Jong Un met Vladimir Putin in Vladivostok on Thursday.", ["RUS"]),
        ("The two sides discussed cooperation in many fields.", ["RUS"]),
        ("Kim Jong Un also met Xi Jinping later that year.", ["RUS"]),  # the finder says CHN: a miss
    ]
    labels = tmp_path / "labels.jsonl"
    rows = [
        {"doc_id": "p", "seg_id": i, "text": t, "relevant": True, "event_type": "meeting", "origin": "real",
         "genre": "news", "counterparts": c}
        for i, (t, c) in enumerate(page)
    ]  # fmt: skip
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics = json.loads(run_cli("evaluate", str(labels), "--json").stdout)
    assert metrics["n_counterpart_segments"] == 3
    assert metrics["counterpart_exact_set_accuracy"] == pytest.approx(2 / 3)
    assert metrics["counterpart_micro_f1"] == pytest.approx(
        2 * 2 / (2 * 2 + 1 + 1)
    )  # 2 right, CHN extra, RUS missed
    without = json.loads(run_cli("evaluate", str(SEED), "--json").stdout)
    assert not any(k.startswith(("counterpart_", "n_counterpart")) for k in without)


def test_evaluate_table_output():
    result = run_cli("evaluate", str(SEED))
    assert result.returncode == 0 and "relevance_f1" in result.stdout.decode()


def test_evaluate_reports_a_bad_record_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = SEED.read_text().splitlines()[:3]
    bad.write_text("\n".join(good + ['{"doc_id": "x", "seg_id": 0, "text": "t", "relevant": true}']) + "\n")
    result = run_cli("evaluate", str(bad))
    assert_one_line_error(result, f"{bad}:4")
    assert "'event_type' is null" in stderr(result)


def test_train_with_a_bad_config_key_is_one_line_error(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("name: x\nfamily: tfidf\nmodel:\n  C: high\n")
    result = run_cli("train", "--config", str(cfg), cwd=tmp_path)
    assert_one_line_error(result, "model.C")
    assert not (tmp_path / "mlflow.db").exists()


def assert_only_error(result, *names):
    """Exit status 1 and standard error is exactly one ``nkdiplomacy: error:`` line naming ``names``."""
    assert_one_line_error(result, *names)
    assert len(stderr(result).splitlines()) == 1, stderr(result)


def assert_no_mlflow_store(folder):
    assert not [name for name in ("mlflow.db", "mlruns", "mlartifacts") if (folder / name).exists()]


def test_evaluate_refuses_a_folder_as_the_labeled_file(tmp_path):
    assert_only_error(run_cli("evaluate", str(tmp_path)), f"{tmp_path}: is a folder")


def test_evaluate_reports_deeply_nested_json_as_one_line(tmp_path):
    bad = tmp_path / "deep.jsonl"
    bad.write_text(SEED.read_text().splitlines()[0] + "\n" + "[" * 100_000 + "\n")
    assert_only_error(run_cli("evaluate", str(bad)), f"{bad}:2: JSON nested too deeply")


@pytest.mark.parametrize("threshold", ["2", "-1", "nan"])
def test_evaluate_threshold_outside_unit_interval_is_an_error(threshold):
    result = run_cli("evaluate", str(SEED), "--threshold", threshold)
    assert_only_error(result, "--threshold: must be between 0 and 1")


def test_evaluate_warns_when_evaluated_pages_were_in_the_training_data(trained_model_dir, tmp_path):
    seen = run_cli("evaluate", str(SEED), "--model", str(trained_model_dir), "--json")
    assert seen.returncode == 0, stderr(seen)
    warning = "nkdiplomacy: warning: 5 of 5 evaluated pages were in the model's training data; these scores"
    assert stderr(seen).splitlines() == [f"{warning} are not held-out"]
    held_out = tmp_path / "kcna.jsonl"
    held_out.write_text("\n".join((REAL / "kcna.jsonl").read_text().splitlines()[:40]) + "\n")
    unseen = run_cli("evaluate", str(held_out), "--model", str(trained_model_dir), "--json")
    assert unseen.returncode == 0 and stderr(unseen) == "", stderr(unseen)


def test_trained_model_records_its_training_data_digest_and_doc_ids(trained_model_dir):
    manifest = json.loads((trained_model_dir / WRAPPED_MODEL / MANIFEST).read_text())
    data = manifest["training_data"]
    assert len(data["digest"]) == 64 and data["n_records"] > 0
    assert data["doc_ids"] == sorted(data["doc_ids"]) and len(set(data["doc_ids"])) == len(data["doc_ids"])
    assert {json.loads(x)["doc_id"] for x in SEED.read_text().splitlines()} <= set(data["doc_ids"])


@pytest.mark.parametrize("uri", ["models:/nk-diplomacy-segments@champion", "runs:/0123456789abcdef/model"])
def test_model_uri_without_a_tracking_store_is_one_line_error_and_creates_nothing(uri, tmp_path):
    for command in (["predict", str(ARTICLE)], ["evaluate", str(SEED)]):
        result = run_cli(*command, "--model", uri, cwd=tmp_path)
        assert_only_error(result, f"{uri}: no MLflow tracking store is configured (set MLFLOW_TRACKING_URI)")
        assert_no_mlflow_store(tmp_path)


TINY_RECIPE = b"name: r\nfamily: tfidf\nmax_folds: 1\ncv: {scheme: article}\n"


@pytest.mark.parametrize(
    "recipe, args, names",
    [
        (None, [], ["recipe.yaml: is a folder"]),
        (b"\x00\x01\x02", [], ["recipe.yaml: a binary file"]),
        ("name: caf\u00e9\n".encode("latin-1"), [], ["recipe.yaml: not UTF-8 text"]),
        (TINY_RECIPE, ["--set", "name.x=1"], ["key 'name' is str 'r', not a mapping: cannot set 'name.x'"]),
        (b"- 1\n- 2\n", ["--set", "seed=1"], ["'top level' must be a mapping"]),
        (TINY_RECIPE, ["--set", "model.C=-1"], ["key 'model.C' must be greater than 0"]),
        (TINY_RECIPE, ["--set", "data.files=[]"], ["key 'data.files' must not be empty"]),
        (TINY_RECIPE, ["--set", "model.threshold=2"], ["key 'model.threshold' must be between 0 and 1"]),
        (TINY_RECIPE, ["--set", "max_folds=-3"], ["key 'max_folds' must be 0 or more"]),
        (TINY_RECIPE, ["--set", "model.max_features=-5"], ["key 'model.max_features' must be 1 or more"]),
        (TINY_RECIPE, ["--set", "mlflow.champion_metric=f1"], ["key 'mlflow.champion_metric' must be one of"]),
        (TINY_RECIPE, ["--set", "name=''"], ["key 'name' must not be empty"]),
        (TINY_RECIPE + b"data: {files: [../missing.jsonl]}\n", [],
         ["missing.jsonl: no such file (data.files of ", "recipe.yaml)"]),
        (TINY_RECIPE, ["--set", "data.files=[nope.jsonl]"], ["nope.jsonl: no such file"]),
        (TINY_RECIPE, ["--set", f"data.files=[{SEED.parent}]"], [f"{SEED.parent}: is a folder"]),
        (TINY_RECIPE + b"data: {files: [bad.jsonl]}\n", [], ["bad.jsonl:1: a record must be a JSON object"]),
    ],
    ids=["folder", "binary", "latin-1", "set-under-scalar", "set-on-list", "negative-C", "no-files",
         "threshold", "max-folds", "max-features", "champion-metric", "empty-name", "missing-data-file",
         "missing-override-file", "folder-as-data-file", "bad-record"],
)  # fmt: skip
def test_train_bad_input_is_one_line_error_and_leaves_no_mlflow_store(tmp_path, recipe, args, names):
    (tmp_path / "bad.jsonl").write_text("[1]\n")
    config = tmp_path / "recipe.yaml"
    config.mkdir() if recipe is None else config.write_bytes(recipe)
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("train", "--config", str(config), *args, cwd=work)
    assert_only_error(result, *names)
    assert_no_mlflow_store(work)


# -- size limit ---------------------------------------------------------------
def test_input_over_max_bytes_is_one_line_error_and_the_others_still_processed(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"Kim Jong Un met Xi Jinping. " * 10_000)  # 280 KB on one line
    result = run_cli("predict", str(big), str(ARTICLE), "--format", "jsonl", "--max-bytes", "100K")
    assert_one_line_error(result, big)
    assert "larger than the 100 KB limit" in stderr(result) and len(stderr(result).splitlines()) == 1
    assert len(lines(result)) == 20


def test_standard_input_over_the_default_limit_is_one_line_error():
    result = run_cli("segment", "-", str(ARTICLE), stdin=b"Kim Jong Un. " * 400_000)  # 5.2 MB
    assert_one_line_error(result, "<stdin>")
    assert "larger than the 5 MB limit" in stderr(result)
    assert len(lines(result)) == 20


def test_max_bytes_that_is_not_a_size_is_a_usage_error():
    result = run_cli("segment", str(ARTICLE), "--max-bytes", "lots")
    assert result.returncode == 2 and "not a size: 'lots'" in stderr(result)


# -- table escaping -----------------------------------------------------------
def test_table_prints_markup_and_emoji_codes_in_text_and_names_verbatim(tmp_path):
    odd = tmp_path / "[red]odd[b].txt"
    odd.write_text("Kim Jong Un [/b] met Putin.\nSee [is] here\nMail [email protected] :smile:\n")
    result = run_cli("predict", odd.name, str(ARTICLE), cwd=tmp_path)  # a short title: not wrapped
    out = stderr(result) + result.stdout.decode()
    assert result.returncode == 0, out
    for verbatim in (
        odd.name,
        "Kim Jong Un [/b] met Putin.",
        "See [is] here",
        "Mail [email protected] :smile:",
    ):
        assert verbatim in out
    assert str(ARTICLE) in out and out.count("of 20 segments on-topic") == 1


# -- footer, text format ------------------------------------------------------
def test_only_relevant_footer_counts_on_topic_out_of_all_segments():
    result = run_cli("predict", str(ARTICLE), "--only-relevant")
    footer = re.search(r"(\d+) of (\d+) segments on-topic", result.stdout.decode())
    assert footer and footer[2] == "20" and 0 < int(footer[1]) < 20


def test_text_format_prints_each_on_topic_passage_as_a_paragraph_with_its_type_and_counterparts(tmp_path):
    off = tmp_path / "weather.txt"
    off.write_text("Sunny in Seoul today.\nShare this\n")
    text = run_cli("predict", str(ARTICLE), str(off), "--format", "text")
    assert text.returncode == 0, stderr(text)
    rows = [json.loads(x) for x in lines(run_cli("predict", str(ARTICLE), "--format", "jsonl"))]
    on_topic = [r for r in rows if r["relevant"]]
    expected = [f"## {ARTICLE.stem} ({ARTICLE}): {len(on_topic)} of 20 segments on-topic"]
    expected += [
        "[" + " ".join([r["event_type"], f"{r['score']:.2f}", *r["counterparts"]]) + f"] {r['text']}"
        for r in on_topic
    ]
    assert any(r["counterparts"] for r in on_topic)
    expected += [f"## weather ({off}): no on-topic passage (2 segments)"]
    assert text.stdout.decode() == "".join(line + "\n\n" for line in expected)


# -- output file --------------------------------------------------------------
def test_output_file_is_untouched_and_not_created_when_every_input_fails(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    kept, never = tmp_path / "kept.csv", tmp_path / "never.csv"
    kept.write_text("previous\n")
    for out in (kept, never):
        result = run_cli("predict", str(bad), "--format", "csv", "--output", str(out))
        assert_one_line_error(result, bad)
    assert kept.read_text() == "previous\n" and not never.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt", "kept.csv"]


def test_output_file_gets_the_umask_mode_and_an_existing_file_keeps_its_mode(tmp_path):
    new, existing = tmp_path / "new.jsonl", tmp_path / "existing.jsonl"
    existing.write_text("previous\n")
    existing.chmod(0o604)
    for out in (new, existing):
        result = run_cli(
            "predict", str(ARTICLE), "--format", "jsonl", "--output", str(out), preexec_fn=lambda: os.umask(0o027)
        )  # fmt: skip
        assert result.returncode == 0, stderr(result)
        assert len(out.read_text().splitlines()) == 20
    assert (new.stat().st_mode & 0o777, existing.stat().st_mode & 0o777) == (0o640, 0o604)


# -- interruption -------------------------------------------------------------
def start_cli(*args: str) -> subprocess.Popen:
    """``nkdiplomacy ARGS`` reading a standard input that stays open until the test closes it."""
    cmd = [sys.executable, "-m", "nkdiplomacy.cli", *args]
    return subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=local_env()
    )


def read_until(proc: subprocess.Popen, done, hang_guard_s: float = 600) -> str:
    """Standard output of ``proc`` as it streams, until ``done(text)`` holds."""
    out, deadline = b"", time.monotonic() + hang_guard_s
    while not done(out.decode(errors="replace")):
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(proc.stdout.fileno(), 65536) if ready else b""
        if not chunk:
            proc.kill()
            pytest.fail(f"no complete first article; got {out!r}, stderr {proc.stderr.read()!r}")
        out += chunk
    return out.decode()


def interrupt(proc: subprocess.Popen) -> tuple[int, str, str]:
    """Send SIGINT; the exit status and the rest of standard output and error."""
    proc.send_signal(signal.SIGINT)
    status = proc.wait(timeout=120)
    rest, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.stdin.close()
    return status, rest, err


def _text_article_done(out: str) -> bool:
    header = re.search(r"(\d+) of 20 segments on-topic", out)
    return bool(header) and out.count("\n\n") == int(header[1]) + 1


FIRST_ARTICLE_DONE = {
    "jsonl": lambda out: out.count("\n") == 20,
    "csv": lambda out: out.count("\n") == 21,
    "table": lambda out: "of 20 segments on-topic\n" in out,
    "text": _text_article_done,
}


@pytest.mark.parametrize("fmt", sorted(FIRST_ARTICLE_DONE))
def test_interrupt_says_so_exits_130_and_keeps_the_articles_already_printed(fmt):
    done = FIRST_ARTICLE_DONE[fmt]
    proc = start_cli("predict", str(ARTICLE), "-", "--format", fmt)
    streamed = read_until(proc, done)
    status, rest, err = interrupt(proc)
    assert (status, err) == (130, "nkdiplomacy: interrupted\n")
    assert done(streamed + rest) and str(ARTICLE.stem) in streamed


def test_interrupt_leaves_the_output_file_untouched(tmp_path):
    out = tmp_path / "preds.jsonl"
    out.write_text("previous\n")
    proc = start_cli("predict", str(ARTICLE), "-", "--format", "jsonl", "--output", str(out))
    deadline = time.monotonic() + 600  # a hang guard: the first article is written to a temporary file
    while not any(p.stat().st_size for p in tmp_path.glob(".preds.jsonl.*.tmp")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.1)
    status, rest, err = interrupt(proc)
    assert (status, rest, err) == (130, "", "nkdiplomacy: interrupted\n")
    assert out.read_text() == "previous\n" and [p.name for p in tmp_path.iterdir()] == ["preds.jsonl"]


@pytest.mark.parametrize("fmt", ["table", "jsonl", "text", "csv"])
def test_a_reader_that_goes_away_ends_the_run_quietly_with_status_0(fmt):
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head -1` does once it has its line
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "nkdiplomacy.cli", "predict", str(ARTICLE), "--format", fmt],
            stdout=write_end, stderr=subprocess.PIPE, env=local_env(), timeout=300, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr.decode()


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", str(ARTICLE), "--max-bytes", "99999999999999999999999G"], "is larger than any file"),
        (["annotate", str(ARTICLE), "--output", "x.jsonl", "--port", "99999"], "must be between 0 and 65535"),
    ],
)
def test_out_of_range_sizes_and_ports_are_usage_errors(args, message, tmp_path):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2 and message in stderr(result) and "Traceback" not in stderr(result)
    assert not (tmp_path / "x.jsonl").exists()


def test_the_model_variable_is_named_when_its_folder_is_not_a_model(tmp_path):
    env = {**local_env(), "NKDIPLOMACY_MODEL": str(tmp_path)}
    assert_only_error(
        run_cli("predict", str(ARTICLE), env=env), f"NKDIPLOMACY_MODEL={tmp_path}: not a model folder"
    )


@pytest.mark.parametrize(
    "fd, args, message",
    [
        (1, ["predict", str(ARTICLE)], "standard output is closed; give --output FILE or open it"),
        (0, ["predict", "-"], "<stdin>: standard input is closed"),
    ],
)
def test_a_closed_standard_stream_is_one_line_not_a_traceback(fd, args, message):
    code = (
        f"import os, subprocess, sys; os.close({fd}); "
        f"r = subprocess.run([sys.executable, '-m', 'nkdiplomacy.cli', *{args!r}], stderr=subprocess.PIPE); "
        "sys.stderr.write(f'{r.returncode}|' + r.stderr.decode())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=local_env(), check=False
    )
    status, err = done.stderr.split("|", 1)
    assert (status, err.strip()) == ("1", f"nkdiplomacy: error: {message}")


def test_renamed_repeats_never_collide_with_real_names(tmp_path):
    for sub, name in (("a", "f1"), ("b", "f1"), ("c", "f1#2")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / f"{name}.txt").write_text("Kim Jong Un met Xi Jinping in Beijing.\n")
    result = run_cli("predict", str(tmp_path), "--format", "jsonl")
    ids = [json.loads(x)["doc_id"] for x in result.stdout.decode().splitlines()]
    assert sorted(ids) == ["f1", "f1#2", "f1#2#2"]  # the real f1#2 comes after the renamed one


def test_evaluate_json_is_strict_json_with_null_for_undefined_metrics(tmp_path):
    off = tmp_path / "offonly.jsonl"
    rows = [json.loads(x) for x in SEED.read_text().splitlines()]
    off.write_text("".join(json.dumps(r) + "\n" for r in rows if not r["relevant"]))
    result = run_cli("evaluate", str(off), "--json")
    assert result.returncode == 0, stderr(result)
    metrics = json.loads(
        result.stdout, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}")
    )
    assert metrics["relevance_pr_auc"] is None
