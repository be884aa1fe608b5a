"""Grouped cross-validation of a recipe, and the choice among a family's declared variants.

Folds come from :mod:`nkdiplomacy.corpus.splits` (real pages grouped by source; synthetic pages
only ever train). Each held-out segment is scored twice: inside its page (``view == "page"``, the
main figures) and alone (``view == "lone"``, as ``clf.classify([...])`` and the serving endpoint
see it; those metrics are prefixed ``lone_``).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from nkdiplomacy.corpus.splits import grouped_folds
from nkdiplomacy.estimators import family_variants
from nkdiplomacy.records import Annotation
from nkdiplomacy.schema import (
    decide,
    event_score_column,
    event_type_names,
    scored_columns,
    threshold_of,
)
from nkdiplomacy.text.context import SegmentInput, lone_input, record_inputs
from nkdiplomacy.trainer.fitting import estimator_params, fit_model
from nkdiplomacy.trainer.metrics import evaluate_scores
from nkdiplomacy.trainer.recipe import FoldError, TrainConfig
from nkdiplomacy.trainer.run_log import NullTracker, Tracker

# A cheaper variant is kept while it costs under this much of any of these metrics (see choose_variant).
VARIANT_TOLERANCE = 0.01
VARIANT_METRICS = ("event_macro_f1", "relevance_f1")


def checked_folds(cfg: TrainConfig, records: list[Annotation]) -> list:
    """The recipe's folds, each with on- and off-topic records to train on (else :class:`FoldError`)."""
    try:
        folds = grouped_folds(records, cfg.cv.scheme, cfg.cv.outlet_groups, cfg.cv.kcna_folds)
    except ValueError as exc:  # e.g. the genre scheme on records without a genre
        raise FoldError(str(exc)) from None
    if not folds:
        raise FoldError(f"cv.scheme {cfg.cv.scheme!r}: no real or seed page to hold out in data.files")
    for fold in folds[: cfg.max_folds or None]:
        kinds = {records[i].relevant for i in fold.train}
        if kinds != {True, False}:
            raise FoldError(
                f"cv.scheme {cfg.cv.scheme!r}: fold {fold.name!r} has no "
                f"{'page' if not kinds else 'on-topic and off-topic segments'} to train on once its pages "
                "are held out; add data files (data.files) or choose another cv.scheme"
            )
    return folds


def cross_validate(
    cfg: TrainConfig,
    records: list[Annotation],
    params: dict | None = None,
    tracker: Tracker | None = None,
    tag: str = "",
) -> tuple[dict[str, float], pd.DataFrame]:
    """Grouped CV (the recipe's ``cv`` scheme). Returns pooled metrics and the per-segment predictions.

    ``params`` defaults to :func:`~nkdiplomacy.trainer.fitting.estimator_params`; each fold is
    recorded by ``tracker`` (none by default) as a nested run named ``<tag>fold-<name>``.
    """
    params = estimator_params(cfg) if params is None else params
    tracker = tracker or NullTracker()
    inputs = record_inputs(records)
    folds = checked_folds(cfg, records)[: cfg.max_folds or None]
    frames = []
    for fold in folds:
        with tracker.fold(f"{tag}fold-{fold.name}", fold.name):
            start = time.perf_counter()
            model = fit_model(cfg, params, [records[i] for i in fold.train], [inputs[i] for i in fold.train])
            test = [records[i] for i in fold.test]
            page = prediction_table(test, [inputs[i] for i in fold.test], model)
            lone = prediction_table(test, [lone_input(r.text) for r in test], model)
            for view, frame in (("page", page), ("lone", lone)):
                frame.insert(0, "view", view)
                frame.insert(0, "fold", fold.name)
                frames.append(frame)
            tracker.log_metrics(
                {**frame_metrics(page, model.threshold), "fit_seconds": time.perf_counter() - start}
            )
    predictions = pd.concat(frames, ignore_index=True)
    return view_metrics(predictions, threshold_of(params)), predictions


def cross_validate_recipe(
    cfg: TrainConfig, records: list[Annotation], tracker: Tracker | None = None
) -> tuple[dict, dict[str, float], pd.DataFrame]:
    """Cross-validate the recipe as training does: :func:`choose_variant` when it says
    ``choose_variant``, else :func:`cross_validate`. Returns the estimator parameters, metrics and
    predictions."""
    params = estimator_params(cfg)
    if cfg.choose_variant:
        return choose_variant(cfg, records, params, tracker)
    return (params, *cross_validate(cfg, records, params, tracker))


def choose_variant(
    cfg: TrainConfig, records: list[Annotation], params: dict, tracker: Tracker | None = None
) -> tuple[dict, dict[str, float], pd.DataFrame]:
    """Cross-validate each variant the family declares and keep the one :func:`pick_variant` picks.
    Returns its parameters, metrics and predictions.

    Each variant's metrics are logged as ``cv_<variant>_<metric>``, its folds tagged ``<variant>-``,
    and the choice as ``chosen_<param>`` params.
    """
    tracker = tracker or NullTracker()
    results = {}
    for variant in family_variants(cfg.family):
        name = variant_name(variant)
        results[name] = (variant, *cross_validate(cfg, records, {**params, **variant}, tracker, f"{name}-"))
        tracker.log_metrics({f"cv_{name}_{k}": v for k, v in results[name][1].items()})
    variant, metrics, predictions = results[pick_variant({k: r[1] for k, r in results.items()})]
    tracker.log_params({f"chosen_{k}": v for k, v in variant.items()})
    return {**params, **variant}, metrics, predictions


def pick_variant(metrics: dict[str, dict[str, float]]) -> str:
    """Of variants' CV metrics (by name; the reference first, then cheaper ones), the cheapest one
    that costs under :data:`VARIANT_TOLERANCE` of every :data:`VARIANT_METRICS` against the reference."""
    reference = next(iter(metrics.values()))
    chosen = next(iter(metrics))
    for name, m in metrics.items():
        if all(m[k] >= reference[k] - VARIANT_TOLERANCE for k in VARIANT_METRICS):
            chosen = name
    return chosen


def variant_name(variant: dict) -> str:
    """A variant's short name: its parameter values joined by ``-`` (``int8``)."""
    return "-".join(str(v) for v in variant.values())


def view_metrics(predictions: pd.DataFrame, threshold: float) -> dict[str, float]:
    """Pooled metrics of the page view, and of the lone view prefixed ``lone_``."""
    page = predictions[predictions["view"] == "page"]
    lone = predictions[predictions["view"] == "lone"]
    metrics = frame_metrics(page, threshold)
    if len(lone):
        metrics.update({f"lone_{k}": v for k, v in frame_metrics(lone, threshold).items()})
    return metrics


def prediction_table(records: list[Annotation], inputs: list[SegmentInput], model) -> pd.DataFrame:
    """Per-segment gold labels next to the model's scores and decisions.

    ``pred_relevant`` is the decision rule's; ``pred_event_type`` the event head's most likely
    type whatever the relevance (the head judged on its own, as the metrics do).
    """
    relevance, events = model.score_segments(inputs)
    columns = scored_columns(relevance, events, model.threshold, digits=None)  # metrics read exact scores
    _, head_types = decide(np.ones(len(records)), events, model.threshold)
    return pd.DataFrame(
        {
            "doc_id": [r.doc_id for r in records],
            "seg_id": [r.seg_id for r in records],
            "outlet": [r.outlet or r.origin for r in records],
            "genre": [r.genre or r.origin for r in records],
            "text": [r.text for r in records],
            "gold_relevant": [r.relevant for r in records],
            "gold_event_type": [r.event_type for r in records],
            "score": columns.pop("score"),
            "pred_relevant": columns.pop("relevant"),
            "pred_event_type": head_types,
            **{k: v for k, v in columns.items() if k != "event_type"},
        }
    )


def frame_metrics(table: pd.DataFrame, threshold: float) -> dict[str, float]:
    """The protocol's metrics of a :func:`prediction_table`."""
    events = table[[event_score_column(t) for t in event_type_names()]].to_numpy()
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
