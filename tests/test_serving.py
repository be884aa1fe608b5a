"""The trained model behind a real `mlflow models serve` process answers /invocations like the library."""

from __future__ import annotations

import sys

import pytest
from conftest import RAW
from servers import free_port, post_json, server_process

import nkdiplomacy
from nkdiplomacy.schema import event_type_names
from nkdiplomacy.text.segment import segment

pytestmark = pytest.mark.slow

ARTICLE = RAW / "003_254259dacc8f1105.txt"
OUTPUT_COLUMNS = ["relevant", "score", "event_type", *(f"p_{t}" for t in event_type_names())]


@pytest.fixture(scope="module")
def served(trained_model_dir, tmp_path_factory):
    """Base URL of `mlflow models serve` on the trained model folder; stopped after the module."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    cmd = [
        sys.executable, "-m", "mlflow", "models", "serve",
        "-m", str(trained_model_dir), "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with server_process(cmd, log, f"{url}/ping", timeout=120):
        yield url


def invoke(url: str, columns: list[str], rows: list[list], params: dict | None = None) -> list[dict]:
    payload: dict = {"dataframe_split": {"columns": columns, "data": rows}}
    if params is not None:
        payload["params"] = params
    status, body = post_json(f"{url}/invocations", payload)
    assert status == 200, body
    assert isinstance(body, dict) and "predictions" in body, body
    return body["predictions"]


def article_rows(text: str, doc_id: str = "003") -> list[list]:
    return [[s.doc_id, s.seg_id, s.text] for s in segment(text, doc_id)]


def test_article_request_matches_the_library(served, trained_model_dir):
    text = ARTICLE.read_text(encoding="utf-8")
    rows = article_rows(text)
    out = invoke(served, ["doc_id", "seg_id", "text"], rows)

    assert len(out) == len(rows) > 10
    for row in out:
        assert set(OUTPUT_COLUMNS) <= set(row), sorted(row)
    expected = nkdiplomacy.load(trained_model_dir).classify_article(text)
    assert len(expected) == len(out)
    assert [r["relevant"] for r in out] == [p.relevant for p in expected]
    assert [r["score"] for r in out] == pytest.approx([p.score for p in expected], abs=1e-6)
    assert [r["event_type"] for r in out] == [p.event_type for p in expected]
    assert [r["counterparts"] for r in out] == [" ".join(p.counterparts) for p in expected]
    assert any(r["counterparts"] for r in out)
    # The article has both on- and off-topic segments, so the comparison is not vacuous.
    assert 0 < sum(r["relevant"] for r in out) < len(out)
    for r in out:
        probs = [r[f"p_{t}"] for t in event_type_names()]
        assert sum(probs) == pytest.approx(1.0, abs=1e-5)
        assert (r["event_type"] is None) != r["relevant"]


def test_lone_segment_with_only_text(served, trained_model_dir):
    sentence = "Kim Jong Un held talks with Russian President Vladimir Putin in Vladivostok."
    out = invoke(served, ["text"], [[sentence], ["Sign up for our newsletter"]])
    assert len(out) == 2
    expected = nkdiplomacy.load(trained_model_dir).classify([sentence, "Sign up for our newsletter"])
    assert [r["score"] for r in out] == pytest.approx([p.score for p in expected], abs=1e-6)
    assert [r["relevant"] for r in out] == [p.relevant for p in expected]


def test_threshold_param_changes_decisions(served):
    rows = article_rows(ARTICLE.read_text(encoding="utf-8"))
    default = invoke(served, ["doc_id", "seg_id", "text"], rows)
    strict = invoke(served, ["doc_id", "seg_id", "text"], rows, params={"threshold": 0.99})
    lenient = invoke(served, ["doc_id", "seg_id", "text"], rows, params={"threshold": 0.0})

    # Scores do not depend on the threshold; decisions follow score >= threshold.
    assert [r["score"] for r in strict] == pytest.approx([r["score"] for r in default], abs=1e-9)
    assert [r["relevant"] for r in strict] == [r["score"] >= 0.99 for r in strict]
    assert all(r["relevant"] and r["event_type"] is not None for r in lenient)
    assert sum(r["relevant"] for r in strict) < sum(r["relevant"] for r in default)
    assert all(r["event_type"] is None for r in strict if not r["relevant"])


@pytest.mark.parametrize("threshold", [-5, 1e308, 2])
def test_a_threshold_outside_zero_to_one_is_a_400_naming_the_param(served, threshold):
    rows = article_rows(ARTICLE.read_text(encoding="utf-8"))[:2]
    payload = {
        "dataframe_split": {"columns": ["doc_id", "seg_id", "text"], "data": rows},
        "params": {"threshold": threshold},
    }
    status, body = post_json(f"{served}/invocations", payload)
    assert status == 400 and "param 'threshold' must be a number between 0 and 1" in str(body), (status, body)


def test_a_null_text_is_a_400_naming_the_row(served):
    payload = {"dataframe_split": {"columns": ["text"], "data": [["Kim met Xi."], [None]]}}
    status, body = post_json(f"{served}/invocations", payload)
    assert status == 400 and "row 1: 'text' must be a string" in str(body), (status, body)
