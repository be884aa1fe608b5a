"""Training against a real MLflow tracking server over HTTP: runs, folds, artifacts, datasets, registry, champion."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from conftest import RAW, REPO, SEED, SYNTHETIC, run_cli
from mlflow import MlflowClient
from servers import free_port, server_env, server_process

import nkdiplomacy
from nkdiplomacy.text.segment import segment

pytestmark = pytest.mark.slow

MODEL_NAME = "nk-diplomacy-segments"
EXPERIMENT = "nkdiplomacy"
TINY = [
    "--set", "data.max_synthetic_docs=8",
    "--set", "max_folds=2",
    "--set", "cv.scheme=article",
    "--set", f"data.files=[{SEED},{SYNTHETIC}]",
]  # fmt: skip
WORSE = ["--set", "model.C=0.0001"]  # heavy regularisation: reliably lower CV relevance F1 on this data
SHARES = re.compile(r"(f1|precision|recall|accuracy|auc)")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> dict:
    """A real `mlflow server` with a temporary SQLite store and artifact folder; stopped after the module."""
    tmp = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{tmp / 'mlflow.db'}",
        "--artifacts-destination", str(tmp / "artifacts"),
        "--serve-artifacts",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    # The GenAI job runner (a handful of Huey consumers) is not needed here and slows start-up on small machines.
    env = server_env(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    with server_process(cmd, tmp / "server.log", f"{url}/health", timeout=120, cwd=tmp, env=env):
        yield {"url": url, "artifacts": tmp / "artifacts"}


@pytest.fixture(scope="module")
def client(server) -> MlflowClient:
    return MlflowClient(tracking_uri=server["url"], registry_uri=server["url"])


def _train(url: str, *extra: str) -> dict:
    """Run `nkdiplomacy train` against the server; returns the run id, registered version and state."""
    # cwd is the checkout so the git commit tag is real; over HTTP nothing is written locally.
    result = run_cli(
        "train", "--config", str(REPO / "configs" / "tfidf.yaml"), *TINY, *extra,
        cwd=REPO, env=server_env(MLFLOW_TRACKING_URI=url), timeout=600,
    )  # fmt: skip
    out, err = result.stdout.decode(), result.stderr.decode(errors="replace")
    assert result.returncode == 0, err[-4000:]
    run = re.search(r"^run (\w+)\s+model (\S+)", out, re.MULTILINE)
    reg = re.search(
        rf"^registered {MODEL_NAME} version (\d+) \((now champion|champion unchanged)\)", out, re.MULTILINE
    )
    assert run and reg, out
    return {"run_id": run[1], "version": reg[1], "promoted": reg[2] == "now champion"}


@pytest.fixture(scope="module")
def first(server) -> dict:
    return _train(server["url"])


@pytest.fixture(scope="module")
def second(server, first) -> dict:
    return _train(server["url"], *WORSE)


def test_parent_run_has_params_tags_and_cv_metrics(client, first):
    run = client.get_run(first["run_id"])
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == EXPERIMENT
    params = run.data.params
    assert params["family"] == "tfidf"
    assert params["seed"] == "13"
    assert params["max_folds"] == "2"
    assert params["data.max_synthetic_docs"] == "8"
    assert params["model.C"] == "4.0"

    tags = run.data.tags
    assert tags["family"] == "tfidf"
    assert tags["version.mlflow"] == mlflow.__version__
    assert tags["version.nkdiplomacy"] == nkdiplomacy.__version__
    if (REPO / ".git").exists():
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        assert tags["mlflow.source.git.commit"] == head.stdout.strip()

    metrics = run.data.metrics
    for key in (
        "cv_relevance_f1",
        "cv_relevance_pr_auc",
        "cv_event_accuracy",
        "cv_event_macro_f1",
        "cv_seconds",
    ):
        assert key in metrics, sorted(metrics)
    shares = {k: v for k, v in metrics.items() if k.startswith("cv_") and SHARES.search(k)}
    assert len(shares) >= 6
    assert all(0.0 <= v <= 1.0 for v in shares.values()), shares
    assert metrics["cv_seconds"] > 0 and metrics["cv_n_segments"] > 0
    assert metrics["model_size_mb"] > 0


def test_two_nested_fold_runs_with_their_own_metrics(client, first):
    run = client.get_run(first["run_id"])
    folds = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{first['run_id']}'"
    )
    assert len(folds) == 2
    held_out = {f.data.tags["held_out"] for f in folds}
    assert len(held_out) == 2
    for fold in folds:
        assert fold.info.status == "FINISHED"
        assert fold.info.run_name == f"fold-{fold.data.tags['held_out']}"
        m = fold.data.metrics
        assert 0.0 <= m["relevance_f1"] <= 1.0 and 0.0 <= m["event_accuracy"] <= 1.0
        assert m["fit_seconds"] > 0 and m["n_segments"] > 0
    # Pooled CV counts are the sum of the folds'.
    assert sum(f.data.metrics["n_segments"] for f in folds) == run.data.metrics["cv_n_segments"]


def test_artifacts_are_logged_through_the_server(client, first, server, tmp_path):
    run_id = first["run_id"]
    config = {a.path for a in client.list_artifacts(run_id, "config")}
    assert config == {"config/tfidf.yaml", "config/resolved.json"}
    evaluation = {a.path for a in client.list_artifacts(run_id, "evaluation")}
    assert {
        "evaluation/cv_predictions.csv",
        "evaluation/per_fold.csv",
        "evaluation/per_outlet.csv",
        "evaluation/confusion_relevance.png",
        "evaluation/confusion_event_type.png",
    } <= evaluation

    csv = Path(client.download_artifacts(run_id, "evaluation/cv_predictions.csv", str(tmp_path)))
    table = pd.read_csv(csv)
    metrics = client.get_run(run_id).data.metrics
    # Every held-out segment twice: in its page and alone.
    assert (table["view"] == "page").sum() == metrics["cv_n_segments"]
    assert (table["view"] == "lone").sum() == metrics["cv_lone_n_segments"] == metrics["cv_n_segments"]
    assert {"fold", "view", "doc_id", "seg_id", "gold_relevant", "score", "pred_relevant"} <= set(
        table.columns
    )
    per_fold = pd.read_csv(client.download_artifacts(run_id, "evaluation/per_fold.csv", str(tmp_path)))
    assert per_fold["n_segments"].sum() == metrics["cv_n_segments"]
    png = Path(client.download_artifacts(run_id, "evaluation/confusion_relevance.png", str(tmp_path)))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The server proxied the uploads into its --artifacts-destination.
    assert list(server["artifacts"].rglob("cv_predictions.csv"))


def test_datasets_are_logged_as_inputs(client, first):
    inputs = client.get_run(first["run_id"]).inputs.dataset_inputs
    by_name = {i.dataset.name: i for i in inputs}
    assert set(by_name) == {"seed", "synthetic"}
    for name, item in by_name.items():
        assert item.dataset.digest, name
        assert item.dataset.source
    contexts = {
        name: {t.key: t.value for t in item.tags}.get("mlflow.data.context") for name, item in by_name.items()
    }
    assert contexts == {"seed": "cross-validation", "synthetic": "train"}


def test_first_version_is_registered_and_champion(client, first):
    assert first["version"] == "1" and first["promoted"]
    version = client.get_model_version(MODEL_NAME, "1")
    assert version.run_id == first["run_id"]
    assert client.get_model_version_by_alias(MODEL_NAME, "champion").version == "1"


def test_worse_model_is_registered_but_champion_stays(client, first, second):
    assert second["version"] == "2" and not second["promoted"]
    assert client.get_model_version(MODEL_NAME, "2").run_id == second["run_id"]
    metric = "cv_relevance_f1"
    best = client.get_run(first["run_id"]).data.metrics[metric]
    worse = client.get_run(second["run_id"]).data.metrics[metric]
    assert worse < best, (worse, best)
    assert client.get_run(second["run_id"]).data.params["model.C"] == "0.0001"
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
    assert champion.version == "1" and champion.run_id == first["run_id"]


def test_champion_loads_through_the_server(server, second, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server["url"])
    previous = mlflow.get_tracking_uri()
    text = (RAW / "003_254259dacc8f1105.txt").read_text(encoding="utf-8")
    try:
        champion = nkdiplomacy.load(f"models:/{MODEL_NAME}@champion").classify_article(text)
        v1 = nkdiplomacy.load(f"models:/{MODEL_NAME}/1").classify_article(text)
        v2 = nkdiplomacy.load(f"models:/{MODEL_NAME}/2").classify_article(text)
    finally:
        mlflow.set_tracking_uri(previous)  # loading set MLflow's process-wide URI to the test server
    assert len(champion) == len(segment(text)) > 10
    assert all(0.0 <= p.score <= 1.0 for p in champion)
    assert any(p.relevant for p in champion)
    # The alias resolves to version 1, not the latest version.
    assert [p.score for p in champion] == [p.score for p in v1]
    assert [p.score for p in champion] != [p.score for p in v2]
