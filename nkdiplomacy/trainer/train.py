"""Training a recipe end to end: a thin sequence of the trainer's pieces.

:func:`train_recipe` loads and validates the annotations (before any tracking, so that bad data
leaves no store behind), cross-validates (:func:`~nkdiplomacy.trainer.crossval.cross_validate`,
or :func:`~nkdiplomacy.trainer.crossval.choose_variant` when the recipe says ``choose_variant``),
fits the final model (:func:`~nkdiplomacy.trainer.fitting.fit_final`), saves it with its resolved
recipe and training-data fingerprint, logs it, registers it and moves the ``champion`` alias when
it wins (:func:`promote`). The tracker is MLflow unless another is passed in.
"""

from __future__ import annotations

# The extra is checked before its libraries are imported.
from nkdiplomacy.extras import require

require("train", "pandas", "mlflow", "datasets", "matplotlib", what="training")

import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nkdiplomacy.estimators.persist import ManifestKey, read_manifest
from nkdiplomacy.records import Annotation
from nkdiplomacy.schema import threshold_of
from nkdiplomacy.trainer.card import CARD, model_card
from nkdiplomacy.trainer.crossval import checked_folds, cross_validate_recipe, per_group_metrics
from nkdiplomacy.trainer.fitting import fit_final, load_training_records
from nkdiplomacy.trainer.metrics import training_data_summary
from nkdiplomacy.trainer.recipe import TrainConfig
from nkdiplomacy.trainer.report import log_evaluation_artifacts
from nkdiplomacy.trainer.run_log import MlflowTracker, Tracker
from nkdiplomacy.writing import check_model_folder, replace_folder


@dataclass
class TrainResult:
    """What a training run produced."""

    run_id: str
    metrics: dict[str, float]
    model_uri: str
    registered_version: str | None = None
    promoted: bool = False
    params: dict = field(default_factory=dict)
    predictions: pd.DataFrame | None = None


def train_recipe(
    cfg: TrainConfig,
    config_path: str | Path | None = None,
    save_to: str | Path | None = None,
    tracker: Tracker | None = None,
) -> TrainResult:
    """Cross-validate, log, fit the final model, log and register it.

    Args:
        cfg: the validated recipe.
        config_path: the recipe file, logged as an artifact.
        save_to: also write the final model as an MLflow model folder here (e.g. ``models/default``).
        tracker: where the run is recorded (default: MLflow, experiment ``cfg.mlflow.experiment``).

    Raises:
        DataError: a data file missing, unreadable or with a bad record, before anything is tracked.
        WriteError: ``save_to`` is not an empty or model folder (checked first), or cannot be written.
        FoldError: a fold of the recipe's scheme would have nothing to train on, before anything is tracked.
    """
    # The model folder is checked before anything is read, trained or tracked.
    target = check_model_folder(save_to, cfg.data.files) if save_to else None
    records = load_training_records(cfg)
    checked_folds(cfg, records)  # folds that cannot train fail here, before anything is tracked
    tracker = tracker or MlflowTracker(cfg.mlflow.experiment)
    with tracker.run(cfg.name, {"family": cfg.family, "recipe": cfg.name}) as run_id:
        log_recipe(tracker, cfg, config_path)
        params, cv_metrics, predictions = cross_validate_logged(cfg, records, tracker)
        model = fit_final(cfg, records, params, tracker)
        with tempfile.TemporaryDirectory() as tmp:
            tables = cv_tables(predictions, threshold_of(params))
            native = save_native(model, Path(tmp) / "model", cfg, records, params, cv_metrics, tables)
            tracker.log_metrics({"model_size_mb": folder_size(native) / 1e6})
            name = cfg.mlflow.registered_model if cfg.mlflow.register else None
            model_uri, version = tracker.log_model(native, name)
            if target is not None:
                from nkdiplomacy.serving.mlflow_model import save_pyfunc

                def write(staging: Path) -> None:
                    save_pyfunc(native, staging)
                    shutil.copyfile(native / CARD, staging / CARD)

                replace_folder(target, write, shown=save_to)
        promoted = promote(tracker, cfg, version, cv_metrics) if version else False
        return TrainResult(
            run_id=run_id,
            metrics=cv_metrics,
            model_uri=model_uri,
            registered_version=version,
            promoted=promoted,
            params=params,
            predictions=predictions,
        )


def log_recipe(tracker: Tracker, cfg: TrainConfig, config_path: str | Path | None) -> None:
    """The recipe as params, its file and resolved form as artifacts, its data files as inputs."""
    tracker.log_params(cfg.flat())
    if config_path:
        tracker.log_artifact(config_path, "config")
    tracker.log_dict(json.loads(json.dumps(cfg.flat(), default=str)), "config/resolved.json")
    tracker.log_datasets(cfg.data.files)


def cross_validate_logged(
    cfg: TrainConfig, records: list[Annotation], tracker: Tracker
) -> tuple[dict, dict[str, float], pd.DataFrame]:
    """Cross-validate the recipe (choosing its variant if asked) and log the pooled ``cv_`` metrics
    and evaluation artifacts. Returns the estimator parameters used, the metrics and predictions."""
    start = time.perf_counter()
    params, metrics, predictions = cross_validate_recipe(cfg, records, tracker)
    metrics["cv_seconds"] = time.perf_counter() - start
    cv_metrics = {k if k.startswith("cv_") else f"cv_{k}": v for k, v in metrics.items()}
    tracker.log_metrics(cv_metrics)
    log_evaluation_artifacts(tracker, predictions, threshold_of(params))
    return params, cv_metrics, predictions


def cv_tables(predictions: pd.DataFrame, threshold: float) -> dict[str, list[dict]]:
    """The CV metrics of the page view per held-out fold and per genre, for the manifest and card."""
    page = predictions[predictions["view"] == "page"]
    return {
        key: json.loads(per_group_metrics(page, threshold, by).to_json(orient="records"))
        for key, by in ((ManifestKey.CV_PER_FOLD, "fold"), (ManifestKey.CV_PER_GENRE, "genre"))
    }


def save_native(
    model,
    folder: Path,
    cfg: TrainConfig,
    records: list[Annotation],
    params: dict,
    cv_metrics: dict,
    tables: dict | None = None,
) -> Path:
    """Save the fitted model with what made it: the recipe (name and resolved form, with the
    estimator parameters used), the CV metrics (pooled, and per fold and genre in ``tables``) and a
    fingerprint of the training data; then its model card (:mod:`.card`) from that manifest."""
    extra = {
        ManifestKey.CV_METRICS: cv_metrics,
        **(tables or {}),
        ManifestKey.RECIPE: cfg.name,
        ManifestKey.RESOLVED_RECIPE: json.loads(
            json.dumps({**cfg.resolved(), "estimator": params}, default=str)
        ),
        ManifestKey.TRAINING_DATA: training_data_summary(records),
    }
    path = model.save(folder, extra=extra)
    (path / CARD).write_text(model_card(read_manifest(path)), encoding="utf-8")
    return path


def folder_size(folder: Path) -> int:
    """Bytes in the files under ``folder``."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def promote(tracker: Tracker, cfg: TrainConfig, version: str, cv_metrics: dict[str, float]) -> bool:
    """Give the registered ``version`` the ``champion`` alias when its ``mlflow.champion_metric`` wins."""
    metric = cfg.mlflow.champion_metric
    value = cv_metrics.get(metric, float("-inf"))
    return tracker.promote(cfg.mlflow.registered_model, version, metric, value)
