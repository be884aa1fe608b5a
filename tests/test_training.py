"""Training tracked in a real local MLflow store (SQLite), reproducibility and weighting."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO, SEED, SYNTHETIC, local_env
from sklearn.metrics import f1_score

from nkdiplomacy.estimators.persist import ManifestKey
from nkdiplomacy.trainer.crossval import cross_validate, per_group_metrics
from nkdiplomacy.trainer.fitting import fit_final, load_training_records, training_weights
from nkdiplomacy.trainer.recipe import champion_metrics, load_config
from nkdiplomacy.trainer.train import train_recipe

# Leave-one-article-out over the seed pages: two folds of a sliver of the data.
TINY = {
    "data.max_synthetic_docs": 6,
    "max_folds": 2,
    "cv.scheme": "article",
    "data.files": [str(SEED), str(SYNTHETIC)],
}


@pytest.fixture
def local_store(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def client(local_store):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{local_store / 'mlflow.db'}")


@pytest.mark.slow  # tracked training runs end to end (MLflow store, registry, subprocesses)
def test_training_logs_parent_and_fold_runs_to_the_local_sqlite_store(local_store, client):
    cfg = load_config(REPO / "configs" / "tfidf.yaml", TINY)
    result = train_recipe(cfg, config_path=REPO / "configs" / "tfidf.yaml")
    assert (local_store / "mlflow.db").exists()
    run = client.get_run(result.run_id)
    assert run.data.params["family"] == "tfidf" and run.data.params["seed"] == "13"
    assert 0.0 <= run.data.metrics["cv_relevance_f1"] <= 1.0
    assert "cv_event_macro_f1" in run.data.metrics and "model_size_mb" in run.data.metrics
    assert set(champion_metrics()) <= set(result.metrics)  # every allowed champion_metric is logged
    assert run.data.tags["mlflow.source.git.commit"]
    assert run.data.tags["version.scikit-learn"]
    children = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{result.run_id}'"
    )
    assert (
        sorted(c.data.tags["held_out"] for c in children)
        == sorted([c.data.tags["held_out"] for c in children])
        and len(children) == 2
    )
    assert all("relevance_f1" in c.data.metrics for c in children)
    artifacts = {a.path for a in client.list_artifacts(result.run_id, "evaluation")}
    assert {
        "evaluation/cv_predictions.csv",
        "evaluation/confusion_relevance.png",
        "evaluation/confusion_event_type.png",
    } <= artifacts
    assert {a.path for a in client.list_artifacts(result.run_id, "config")} >= {"config/tfidf.yaml"}
    inputs = run.inputs.dataset_inputs
    assert {d.dataset.name for d in inputs} == {"seed", "synthetic"} and all(d.dataset.digest for d in inputs)


@pytest.mark.slow  # tracked training runs end to end (MLflow store, registry, subprocesses)
def test_first_model_is_registered_and_becomes_champion_and_worse_one_does_not(local_store, client):
    cfg = load_config(REPO / "configs" / "tfidf.yaml", TINY)
    first = train_recipe(cfg)
    worse = train_recipe(
        load_config(REPO / "configs" / "tfidf.yaml", {**TINY, "model.C": 1e-4, "model.threshold": 0.99})
    )
    assert worse.metrics["cv_relevance_f1"] < first.metrics["cv_relevance_f1"]
    assert (first.registered_version, first.promoted) == ("1", True)
    assert (worse.registered_version, worse.promoted) == ("2", False)
    champion = client.get_model_version_by_alias("nk-diplomacy-segments", "champion")
    assert str(champion.version) == "1" and champion.run_id == first.run_id


@pytest.mark.slow  # tracked training runs end to end (MLflow store, registry, subprocesses)
def test_same_config_and_seed_give_the_same_metrics(local_store):
    cfg = load_config(REPO / "configs" / "tfidf.yaml", {**TINY, "mlflow.register": False})
    a, b = train_recipe(cfg), train_recipe(cfg)
    timing = {"cv_seconds"}
    assert {k: v for k, v in a.metrics.items() if k not in timing} == {
        k: v for k, v in b.metrics.items() if k not in timing
    }


def test_save_model_writes_a_loadable_mlflow_model_folder(local_store):
    import mlflow.pyfunc
    import pandas as pd

    cfg = load_config(
        REPO / "configs" / "tfidf.yaml", {**TINY, "mlflow.register": False, "model.threshold": 0.4}
    )
    train_recipe(cfg, save_to=local_store / "out")
    model = mlflow.pyfunc.load_model(str(local_store / "out"))
    out = model.predict(pd.DataFrame({"text": ["Kim Jong Un met Vladimir Putin.", "Share this article"]}))
    assert list(out.columns[:3]) == ["relevant", "score", "event_type"] and len(out) == 2
    assert list(out["relevant"]) == list(out["score"] >= 0.4)
    # MLflow fills in the params default on requests without one: it must be the model's own threshold.
    (param,) = model.metadata.get_params_schema().params
    assert (param.name, param.default) == ("threshold", 0.4)
    import json

    (manifest,) = (local_store / "out").rglob("manifest.json")
    saved = json.loads(manifest.read_text())
    assert (
        saved[ManifestKey.RESOLVED_RECIPE]["seed"] == 13
        and saved[ManifestKey.RESOLVED_RECIPE]["max_folds"] == 2
    )
    assert saved[ManifestKey.RESOLVED_RECIPE]["estimator"]["threshold"] == 0.4
    assert saved["training_data"]["digest"] and saved["training_data"]["n_records"] > 0


def test_save_model_writes_a_model_card_whose_figures_are_the_manifest_s(local_store):
    import json

    cfg = load_config(REPO / "configs" / "tfidf.yaml", {**TINY, "mlflow.register": False})
    train_recipe(cfg, save_to=local_store / "carded")
    card = (local_store / "carded" / "README.md").read_text()
    (manifest,) = (local_store / "carded").rglob("manifest.json")
    saved = json.loads(manifest.read_text())
    assert (manifest.parent / "README.md").read_text() == card
    for section in ("## Model details", "## Uses", "## Training data", "## Evaluation", "## Limitations"):
        assert section in card
    f1 = saved["cv_metrics"]["cv_relevance_f1"]
    assert (
        f"| in page | {saved['cv_metrics']['cv_relevance_precision']:.3f} |" in card and f"{f1:.3f}" in card
    )
    folds = saved["cv_per_fold"]
    assert folds and all(f"| {row['fold']} | {int(row['n_segments']):,} |" in card for row in folds)
    by_source = saved["training_data"]["counts"]["source"]
    assert all(f"| {row['name']} | {row['pages']:,} | {row['segments']:,} |" in card for row in by_source)


@pytest.mark.slow  # tracked training runs end to end (MLflow store, registry, subprocesses)
def test_the_pieces_run_without_tracking_and_match_the_tracked_run(local_store):
    cfg = load_config(REPO / "configs" / "tfidf.yaml", {**TINY, "mlflow.register": False})
    records = load_training_records(cfg)
    metrics, _ = cross_validate(cfg, records)
    tracked = train_recipe(cfg)
    assert {f"cv_{k}": v for k, v in metrics.items()} == {
        k: v for k, v in tracked.metrics.items() if k != "cv_seconds"
    }
    model = fit_final(cfg, records)
    assert model.n_train_ == len(records)


@pytest.mark.slow  # exports MiniLM twice (fp32 and int8)
def test_choose_variant_cross_validates_fp32_and_int8_and_keeps_what_the_rule_picks(local_store, client):
    from nkdiplomacy.trainer.crossval import VARIANT_METRICS, pick_variant

    overrides = {**TINY, "max_folds": 1, "mlflow.register": False, "model.max_length": 64}
    result = train_recipe(load_config(REPO / "configs" / "encoder.yaml", overrides))
    run = client.get_run(result.run_id)
    logged = {v: {k: run.data.metrics[f"cv_{v}_{k}"] for k in VARIANT_METRICS} for v in ("fp32", "int8")}
    assert run.data.params["chosen_precision"] == pick_variant(logged) == result.params["precision"]


@pytest.mark.parametrize("n_real, n_syn", [(100, 0), (100, 50), (100, 100), (80, 2000), (1, 10000)])
def test_real_records_keep_at_least_half_the_training_weight(n_real, n_syn):
    w = training_weights(["seed"] * n_real + ["synthetic"] * n_syn, 0.5)
    assert w[:n_real].sum() / w.sum() >= 0.5 - 1e-9
    assert np.all(w[:n_real] == 1.0)
    if n_syn and n_syn <= n_real:
        assert np.all(w[n_real:] == 1.0)


@pytest.mark.slow  # tracked training runs end to end (MLflow store, registry, subprocesses)
def test_mlflow_run_entry_point_trains_from_a_recipe(tmp_path):
    # As with an activated virtualenv: the project's `python train.py` is this interpreter.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**local_env(), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "PATH": path}
    recipe = tmp_path / "tiny.yaml"
    raw = yaml.safe_load((REPO / "configs" / "tfidf.yaml").read_text())
    raw.update(max_folds=1, cv={"scheme": "article"})
    raw.setdefault("data", {}).update(files=[str(SEED), str(SYNTHETIC)], max_synthetic_docs=4)
    recipe.write_text(yaml.safe_dump(raw))
    result = subprocess.run(
        [sys.executable, "-m", "mlflow", "run", str(REPO / "training"), "-e", "train", "-P", f"config={recipe}",
         "--env-manager", "local", "--experiment-name", "nkdiplomacy"],
        env=env, capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cv_relevance_f1=" in result.stdout


@pytest.mark.slow  # tracked training runs end to end (MLflow store, registry, subprocesses)
def test_training_script_runs_from_another_folder_with_data_relative_to_the_recipe(tmp_path):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "recipes").mkdir()
    shutil.copy(SEED, project / "data" / "seed.jsonl")
    shutil.copy(SYNTHETIC, project / "data" / "synthetic.jsonl")
    raw = {
        "name": "moved",
        "family": "tfidf",
        "max_folds": 1,
        "cv": {"scheme": "article"},
        "data": {"files": ["../data/seed.jsonl", "../data/synthetic.jsonl"], "max_synthetic_docs": 4},
        "mlflow": {"register": False},
    }
    (project / "recipes" / "moved.yaml").write_text(yaml.safe_dump(raw))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = local_env(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = subprocess.run(
        [sys.executable, str(REPO / "training" / "train_recipe.py"), "--config", "../project/recipes/moved.yaml"],
        env=env, capture_output=True, text=True, cwd=elsewhere, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cv_relevance_f1=" in result.stdout


@pytest.fixture(scope="module")
def real_sliver(tmp_path_factory):
    """Six KCNA stories and pages of four outlets from the real corpus, as one annotation file."""
    import json

    cap = {"kcna": 6, "abp": 2}  # pages per outlet; KCNA and four Western outlets at most
    pages: dict[str, set[str]] = {}
    rows = []
    for name in ("kcna.jsonl", "western.jsonl"):
        for line in (REPO / "data" / "annotations" / "real" / name).read_text().splitlines():
            rec = json.loads(line)
            if rec["outlet"] not in pages and len(pages) == 5:
                continue
            kept = pages.setdefault(rec["outlet"], set())
            if rec["doc_id"] in kept or len(kept) < cap[rec["source"]]:
                kept.add(rec["doc_id"])
                rows.append(line)
    path = tmp_path_factory.mktemp("sliver") / "real.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "recipe, extra",
    [
        ("tfidf.yaml", {}),
        pytest.param(
            "stacked.yaml", {"model.base_family": "tfidf", "model.base_params": {}}, marks=pytest.mark.slow
        ),
        pytest.param("stacked_static.yaml", {}, marks=pytest.mark.slow),
    ],
)
def test_shipped_recipes_cross_validate_whole_sources_on_a_sliver(real_sliver, recipe, extra):
    overrides = {
        "data.files": [str(real_sliver), str(SYNTHETIC)],
        "data.max_synthetic_docs": 6,
        "cv.outlet_groups": 2,
        **extra,
    }
    cfg = load_config(REPO / "configs" / recipe, overrides)
    metrics, predictions = cross_validate(cfg, load_training_records(cfg))
    assert set(predictions["fold"]) == {"kcna", "outlets-1", "outlets-2"}
    for _, part in predictions.groupby("fold"):  # each fold holds out whole outlets
        held = set(part["outlet"])
        assert not held & set(predictions.loc[predictions["fold"] != part["fold"].iloc[0], "outlet"])
    assert set(predictions["view"]) == {"page", "lone"}
    page = predictions[predictions["view"] == "page"]
    assert metrics["n_segments"] == len(page) == len(predictions) / 2
    assert metrics["relevance_f1"] == pytest.approx(f1_score(page["gold_relevant"], page["pred_relevant"]))
    table = per_group_metrics(predictions[predictions["view"] == "page"], 0.5)
    assert list(table["fold"]) == ["kcna", "outlets-1", "outlets-2"]


def test_the_cheapest_variant_within_a_point_of_the_reference_is_picked():
    from nkdiplomacy.estimators import family_variants
    from nkdiplomacy.trainer.crossval import pick_variant, variant_name

    assert [variant_name(v) for v in family_variants("encoder")] == ["fp32", "int8"]
    assert family_variants("tfidf") == ()
    ref = {"event_macro_f1": 0.80, "relevance_f1": 0.90}
    assert pick_variant({"fp32": ref, "int8": {"event_macro_f1": 0.795, "relevance_f1": 0.95}}) == "int8"
    assert pick_variant({"fp32": ref, "int8": {"event_macro_f1": 0.78, "relevance_f1": 0.95}}) == "fp32"


def test_folds_with_nothing_to_train_on_are_one_line_before_anything_is_tracked(tmp_path):
    from conftest import run_cli

    result = run_cli(
        "train", "--config", str(REPO / "configs" / "tfidf.yaml"), "--set", f"data.files=[{SEED}]", cwd=tmp_path
    )  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 1 and len(err.splitlines()) == 1, err
    assert "cv.scheme 'source': fold 'seed' has no page to train on" in err
    assert not (tmp_path / "mlflow.db").exists()
