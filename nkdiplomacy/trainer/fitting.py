"""Fitting a recipe's estimator on records: the training data, its weights, the estimator's parameters.

Used alike by each cross-validation fold (:mod:`nkdiplomacy.trainer.crossval`), the final fit
(:func:`fit_final`) and the benchmarks.
"""

from __future__ import annotations

import time

import numpy as np

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.estimators import make_estimator
from nkdiplomacy.records import Annotation, is_train_only
from nkdiplomacy.schema import OFF_TOPIC
from nkdiplomacy.text.context import SegmentInput, lone_input, record_inputs
from nkdiplomacy.trainer.recipe import TrainConfig
from nkdiplomacy.trainer.run_log import NullTracker, Tracker


def load_training_records(cfg: TrainConfig) -> list[Annotation]:
    """The recipe's annotations in file order, keeping only the first ``data.max_synthetic_docs``
    synthetic documents (by sorted doc id) when that is set.

    Raises:
        DataError: a data file missing, unreadable or with a bad record.
    """
    records = read_annotations(cfg.data.files)
    if not cfg.data.max_synthetic_docs:
        return records
    synthetic = sorted({r.doc_id for r in records if r.train_only})
    keep = set(synthetic[: cfg.data.max_synthetic_docs])
    return [r for r in records if not r.train_only or r.doc_id in keep]


def training_weights(origins: list[str], min_real_share: float) -> np.ndarray:
    """Per-record weights giving real records at least ``min_real_share`` of the total weight.

    Real records weigh 1; synthetic ones weigh 1 unless that would push the real
    share below the floor, in which case they share ``(1 - floor) / floor`` times
    the real total.
    """
    synthetic = np.array([is_train_only(o) for o in origins], dtype=bool)
    weights = np.ones(len(origins))
    n_real, n_syn = int((~synthetic).sum()), int(synthetic.sum())
    if n_syn and n_real and min_real_share > 0:
        cap = n_real * (1.0 - min_real_share) / min_real_share
        weights[synthetic] = min(1.0, cap / n_syn)
    return weights


def gold_labels(records: list[Annotation]) -> list[str]:
    """Each record's label in the models' single label space (``off_topic`` or its event type)."""
    return [r.event_type if r.relevant else OFF_TOPIC for r in records]


def estimator_params(cfg: TrainConfig) -> dict:
    """The estimator's parameters: the recipe's ``model`` section plus its ``use_context`` and ``seed``."""
    return {**cfg.model, "use_context": cfg.use_context, "seed": cfg.seed}


def fit_model(cfg: TrainConfig, params: dict, records: list[Annotation], inputs: list[SegmentInput]):
    """Fit the recipe's estimator on these records: real ones keep their weight share, and with
    ``data.lone_view_weight`` every segment is also shown alone, as a one-line article."""
    weights = training_weights([r.origin for r in records], cfg.data.min_real_weight_share)
    labels = gold_labels(records)
    if cfg.data.lone_view_weight > 0:
        inputs = list(inputs) + [lone_input(r.text) for r in records]
        labels = labels + labels
        weights = np.concatenate([weights, weights * cfg.data.lone_view_weight])
    return make_estimator(cfg.family, **params).fit(inputs, labels, sample_weight=weights)


def fit_final(
    cfg: TrainConfig, records: list[Annotation], params: dict | None = None, tracker: Tracker | None = None
):
    """The model a recipe ships: fit on every record, each read within its page.

    ``params`` defaults to :func:`estimator_params` (pass the chosen variant's, see
    :func:`~nkdiplomacy.trainer.crossval.choose_variant`); the fit time goes to ``tracker``.
    """
    start = time.perf_counter()
    model = fit_model(cfg, params or estimator_params(cfg), records, record_inputs(records))
    (tracker or NullTracker()).log_metrics({"final_fit_seconds": time.perf_counter() - start})
    return model
