"""The trainer: a thin loop over well-named pieces.

``train(cfg)`` loads and validates the annotations (before any MLflow call, so
that bad data leaves no store behind), runs cross-validation over the real
pages grouped by source (:mod:`nkdiplomacy.corpus.splits`; synthetic pages only ever train),
logs everything to MLflow, fits the final model on all data, logs it as a
pyfunc model, registers it and moves the ``champion`` alias when it wins.
"""

from __future__ import annotations

# The extra is checked before its libraries are imported.
from nkdiplomacy.extras import require

require("train", "pandas", "mlflow", "datasets", "matplotlib", what="training")

import contextlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nkdiplomacy.trainer.recipe import TrainConfig
from nkdiplomacy.corpus.annotations import load_annotations, to_annotations
from nkdiplomacy.text.context import SegmentInput, grouped_inputs, lone_input
from nkdiplomacy.schema import event_type_names
from nkdiplomacy.estimators import make_estimator
from nkdiplomacy.trainer.metrics import (
    TRAINING_DATA,
    confusion_figure,
    evaluate_scores,
    training_data_summary,
)
from nkdiplomacy.estimators.predictor import OFF_TOPIC
from nkdiplomacy.records import Annotation
from nkdiplomacy.corpus.splits import grouped_folds


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


def training_weights(origins: list[str], min_real_share: float) -> np.ndarray:
    """Per-record weights giving real records at least ``min_real_share`` of the total weight.

    Real records weigh 1; synthetic ones weigh 1 unless that would push the real
    share below the floor, in which case they share ``(1 - floor) / floor`` times
    the real total.
    """
    synthetic = np.array([o == "synthetic" for o in origins])
    weights = np.ones(len(origins))
    n_real, n_syn = int((~synthetic).sum()), int(synthetic.sum())
    if n_syn and n_real and min_real_share > 0:
        cap = n_real * (1.0 - min_real_share) / min_real_share
        weights[synthetic] = min(1.0, cap / n_syn)
    return weights


def _labels(records: list[Annotation]) -> list[str]:
    return [r.event_type if r.relevant else OFF_TOPIC for r in records]


def load_training_data(cfg: TrainConfig):
    """The recipe's annotations as a ``datasets.Dataset``, with synthetic documents capped if asked."""
    ds = load_annotations(cfg.data.files)
    if cfg.data.max_synthetic_docs:
        synthetic = ds.features["origin"].str2int("synthetic")
        kept = sorted({d for d, o in zip(ds["doc_id"], ds["origin"]) if o == synthetic})[
            : cfg.data.max_synthetic_docs
        ]
        keep = set(kept)
        ds = ds.select(
            [i for i, (d, o) in enumerate(zip(ds["doc_id"], ds["origin"])) if o != synthetic or d in keep]
        )
    return ds


def estimator_params(cfg: TrainConfig) -> dict:
    return {**cfg.model, "use_context": cfg.use_context, "seed": cfg.seed}


def fit_model(cfg: TrainConfig, params: dict, records: list[Annotation], inputs: list[SegmentInput]):
    """Fit the recipe's estimator on these records: real ones keep their weight share, and with
    ``data.lone_view_weight`` every segment is also shown alone, as a one-line article."""
    weights = training_weights([r.origin for r in records], cfg.data.min_real_weight_share)
    labels = _labels(records)
    if cfg.data.lone_view_weight > 0:
        inputs = list(inputs) + [lone_input(r.text) for r in records]
        labels = labels + labels
        weights = np.concatenate([weights, weights * cfg.data.lone_view_weight])
    return make_estimator(cfg.family, **params).fit(inputs, labels, sample_weight=weights)


def cross_validate(
    cfg: TrainConfig, ds, params: dict, tag: str = "", track: bool = True
) -> tuple[dict[str, float], pd.DataFrame]:
    """Grouped CV (the recipe's ``cv`` scheme). Returns pooled metrics and the per-segment predictions.

    Each held-out segment is scored twice: inside its page (``view == "page"``, the main figures)
    and alone (``view == "lone"``, as ``clf.predict([...])`` and the serving endpoint see it; those
    metrics are prefixed ``lone_``). With ``track`` each fold is a nested MLflow run.
    """
    records = to_annotations(ds)
    inputs = grouped_inputs(
        [r.doc_id for r in records], [r.seg_id for r in records], [r.text for r in records]
    )
    folds = grouped_folds(records, cfg.cv.scheme, cfg.cv.outlet_groups, cfg.cv.kcna_folds)
    if cfg.max_folds:
        folds = folds[: cfg.max_folds]
    frames = []
    for fold in folds:
        with _fold_run(f"{tag}fold-{fold.name}", fold.name) if track else contextlib.nullcontext() as log:
            start = time.perf_counter()
            model = fit_model(cfg, params, [records[i] for i in fold.train], [inputs[i] for i in fold.train])
            test = [records[i] for i in fold.test]
            page = prediction_table(test, [inputs[i] for i in fold.test], model)
            lone = prediction_table(test, [lone_input(r.text) for r in test], model)
            for view, frame in (("page", page), ("lone", lone)):
                frame.insert(0, "view", view)
                frame.insert(0, "fold", fold.name)
                frames.append(frame)
            if log:
                log.log_metrics(
                    {**frame_metrics(page, model.threshold), "fit_seconds": time.perf_counter() - start}
                )
    predictions = pd.concat(frames, ignore_index=True)
    return view_metrics(predictions, params.get("threshold", 0.5)), predictions


def view_metrics(predictions: pd.DataFrame, threshold: float) -> dict[str, float]:
    """Pooled metrics of the page view, and of the lone view prefixed ``lone_``."""
    page = predictions[predictions["view"] == "page"]
    lone = predictions[predictions["view"] == "lone"]
    metrics = frame_metrics(page, threshold)
    if len(lone):
        metrics.update({f"lone_{k}": v for k, v in frame_metrics(lone, threshold).items()})
    return metrics


@contextlib.contextmanager
def _fold_run(name: str, held_out: str):
    import mlflow

    with mlflow.start_run(run_name=name, nested=True):
        mlflow.set_tag("held_out", held_out)
        yield mlflow


def prediction_table(records: list[Annotation], inputs: list[SegmentInput], model) -> pd.DataFrame:
    """Per-segment gold labels next to the model's scores."""
    relevance, events = model.score_segments(inputs)
    types = np.array(event_type_names(), dtype=object)
    table = pd.DataFrame(
        {
            "doc_id": [r.doc_id for r in records],
            "seg_id": [r.seg_id for r in records],
            "outlet": [r.outlet or r.origin for r in records],
            "text": [r.text for r in records],
            "gold_relevant": [r.relevant for r in records],
            "gold_event_type": [r.event_type for r in records],
            "score": relevance,
            "pred_relevant": relevance >= model.threshold,
            "pred_event_type": types[events.argmax(axis=1)],
        }
    )
    for j, name in enumerate(types):
        table[f"p_{name}"] = events[:, j]
    return table


def frame_metrics(table: pd.DataFrame, threshold: float) -> dict[str, float]:
    events = table[[f"p_{t}" for t in event_type_names()]].to_numpy()
    return evaluate_scores(
        table["gold_relevant"].tolist(),
        table["gold_event_type"].tolist(),
        table["score"].to_numpy(),
        events,
        threshold,
    )


def per_group_metrics(predictions: pd.DataFrame, threshold: float, by: str = "fold") -> pd.DataFrame:
    """The protocol's metrics for each held-out group (``fold``) or ``outlet``, one row each."""
    rows = {name: frame_metrics(part, threshold) for name, part in predictions.groupby(by, sort=True)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(by).reset_index()


def _log_evaluation_artifacts(predictions: pd.DataFrame, threshold: float, prefix: str = "") -> None:
    import matplotlib.pyplot as plt
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{prefix}cv_predictions.csv"
        predictions.to_csv(path, index=False)
        mlflow.log_artifact(str(path), artifact_path="evaluation")
        page = predictions[predictions["view"] == "page"]
        for by in ("fold", "outlet"):
            path = Path(tmp) / f"{prefix}per_{by}.csv"
            per_group_metrics(page, threshold, by).to_csv(path, index=False)
            mlflow.log_artifact(str(path), artifact_path="evaluation")
    gold_rel = np.where(page["gold_relevant"], "on-topic", "off-topic")
    pred_rel = np.where(page["pred_relevant"], "on-topic", "off-topic")
    fig = confusion_figure(gold_rel, pred_rel, ["on-topic", "off-topic"], "Relevance (pooled grouped CV)")
    mlflow.log_figure(fig, f"evaluation/{prefix}confusion_relevance.png")
    plt.close(fig)
    on = page[page["gold_relevant"]]
    if len(on):
        fig = confusion_figure(
            on["gold_event_type"], on["pred_event_type"], event_type_names(), "Event type (pooled)"
        )
        mlflow.log_figure(fig, f"evaluation/{prefix}confusion_event_type.png")
        plt.close(fig)


def _log_datasets(cfg: TrainConfig) -> None:
    import mlflow

    for file in cfg.data.files:
        frame = pd.read_json(file, lines=True)
        context = "train" if set(frame["origin"]) == {"synthetic"} else "cross-validation"
        mlflow.log_input(
            mlflow.data.from_pandas(frame, source=str(file), name=Path(file).stem), context=context
        )


def _choose_precision(cfg: TrainConfig, ds, params: dict) -> tuple[str, dict[str, float], pd.DataFrame]:
    """Cross-validate the encoder in fp32 and int8; keep int8 when it costs under one F1 point."""
    import mlflow

    results = {p: cross_validate(cfg, ds, {**params, "precision": p}, tag=f"{p}-") for p in ("fp32", "int8")}
    for p, (metrics, _) in results.items():
        mlflow.log_metrics({f"cv_{p}_{k}": v for k, v in metrics.items()})
    fp32, int8 = results["fp32"][0], results["int8"][0]
    ok = all(int8[k] >= fp32[k] - 0.01 for k in ("event_macro_f1", "relevance_f1"))
    chosen = "int8" if ok else "fp32"
    mlflow.log_param("chosen_precision", chosen)
    return chosen, *results[chosen]


def train(
    cfg: TrainConfig, config_path: str | Path | None = None, save_to: str | Path | None = None
) -> TrainResult:
    """Cross-validate, log, fit the final model, log and register it.

    Args:
        cfg: the validated recipe.
        config_path: the recipe file, logged as an artifact.
        save_to: also write the final model as an MLflow model folder here (e.g. ``models/default``).

    Raises:
        DataError: a data file missing, unreadable or with a bad record, before anything is tracked.
    """
    import mlflow

    from nkdiplomacy import tracking
    from nkdiplomacy.serving.pyfunc import log_pyfunc, save_pyfunc

    ds = load_training_data(cfg)
    tracking.setup(cfg.mlflow.experiment)
    params = estimator_params(cfg)
    with mlflow.start_run(run_name=cfg.name) as run:
        mlflow.set_tags({**tracking.run_tags(), "family": cfg.family, "recipe": cfg.name})
        mlflow.log_params(cfg.flat())
        if config_path:
            mlflow.log_artifact(str(config_path), artifact_path="config")
        mlflow.log_dict(json.loads(json.dumps(cfg.flat(), default=str)), "config/resolved.json")
        _log_datasets(cfg)

        start = time.perf_counter()
        if cfg.family == "encoder" and params.get("precision") == "auto":
            params["precision"], metrics, predictions = _choose_precision(cfg, ds, params)
        else:
            metrics, predictions = cross_validate(cfg, ds, params)
        metrics["cv_seconds"] = time.perf_counter() - start
        cv_metrics = {f"cv_{k}" if not k.startswith("cv_") else k: v for k, v in metrics.items()}
        mlflow.log_metrics(cv_metrics)
        _log_evaluation_artifacts(predictions, params.get("threshold", 0.5))

        start = time.perf_counter()
        records = to_annotations(ds)
        inputs = grouped_inputs(
            [r.doc_id for r in records], [r.seg_id for r in records], [r.text for r in records]
        )
        model = fit_model(cfg, params, records, inputs)
        mlflow.log_metric("final_fit_seconds", time.perf_counter() - start)

        with tempfile.TemporaryDirectory() as tmp:
            extra = {
                "cv_metrics": cv_metrics,
                "recipe": cfg.name,
                TRAINING_DATA: training_data_summary(records),
            }
            native = model.save(Path(tmp) / "model", extra=extra)
            size = sum(f.stat().st_size for f in native.rglob("*") if f.is_file())
            mlflow.log_metric("model_size_mb", size / 1e6)
            name = cfg.mlflow.registered_model if cfg.mlflow.register else None
            info = log_pyfunc(native, registered_model_name=name)
            if save_to:
                _replace_dir(Path(save_to), lambda target: save_pyfunc(native, target))
        version = str(info.registered_model_version) if name and info.registered_model_version else None
        promoted = False
        if version:
            promoted = tracking.promote_if_better(
                name,
                version,
                cfg.mlflow.champion_metric,
                cv_metrics.get(cfg.mlflow.champion_metric, float("-inf")),
            )
        return TrainResult(
            run_id=run.info.run_id,
            metrics=cv_metrics,
            model_uri=info.model_uri,
            registered_version=version,
            promoted=promoted,
            params=params,
            predictions=predictions,
        )


def _replace_dir(target: Path, write) -> None:
    """Write a folder next to ``target`` and swap it in, so a failure leaves the old one whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    write(staging)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
