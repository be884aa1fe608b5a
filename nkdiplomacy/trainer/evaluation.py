"""Scoring a saved model on labeled files with the training protocol's metrics (``nkdiplomacy evaluate``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.text.context import record_inputs
from nkdiplomacy.trainer.metrics import evaluate_scores, seen_in_training


class EvaluationError(ValueError):
    """Nothing to evaluate (only synthetic records)."""


@dataclass
class Evaluation:
    """A model's metrics on labeled files, and the model folder that was scored."""

    metrics: dict[str, float]
    folder: Path


def evaluate_model(
    model: str | None,
    files: Sequence[str | Path],
    threshold: float | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> Evaluation:
    """Score the model ``model`` (a folder, an MLflow URI, or ``None`` for the default model) on the
    real records of ``files``, each segment read within its page.

    Synthetic records are left out (noted through ``warn``); pages the model was trained on are
    scored but ``warn`` says these scores are not held out.

    Raises:
        DataError: a bad annotation file.
        EvaluationError: no real records.
        ModelLoadError: the model cannot be found or opened.
    """
    from nkdiplomacy.serving.classifier import load
    from nkdiplomacy.serving.locate import resolve_model

    records = read_annotations(files)
    real = [r for r in records if not r.train_only]
    if len(real) < len(records):
        warn(f"note: {len(records) - len(real)} synthetic records left out of the metrics")
    if not real:
        raise EvaluationError("no real (non-synthetic) records to evaluate")
    folder = resolve_model(model)
    clf = load(str(folder), threshold=threshold)
    pages = {r.doc_id for r in real}
    if seen := seen_in_training(folder, pages):
        warn(
            f"warning: {len(seen)} of {len(pages)} evaluated pages were in the model's training data; "
            "these scores are not held-out"
        )
    relevance, events = clf.estimator.score_segments(record_inputs(real))
    metrics = evaluate_scores(
        [r.relevant for r in real], [r.event_type for r in real], relevance, events, clf.threshold
    )
    return Evaluation(metrics=metrics, folder=folder)
