"""Scoring a saved model on labeled files with the training protocol's metrics (``nkdiplomacy evaluate``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.text.context import record_inputs
from nkdiplomacy.text.counterparts import counterparts_of
from nkdiplomacy.trainer.metrics import counterpart_scores, evaluate_scores, seen_in_training


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
    inputs = record_inputs(real)
    relevance, events = clf.estimator.score_segments(inputs)
    metrics = evaluate_scores(
        [r.relevant for r in real], [r.event_type for r in real], relevance, events, clf.threshold
    )
    metrics.update(counterpart_metrics(real, inputs))
    return Evaluation(metrics=metrics, folder=folder)


def counterpart_metrics(records, inputs) -> dict[str, float]:
    """Counterpart figures on the on-topic records that carry gold ``counterparts`` (none when no
    record does): who, given the gold relevance (whether is the relevance figures' job)."""
    found = counterparts_of(inputs, [r.relevant for r in records])
    pairs = [
        (set(r.counterparts), set(c))
        for r, c in zip(records, found)
        if r.relevant and r.counterparts is not None
    ]
    if not pairs:
        return {}
    s = counterpart_scores(pairs)
    return {
        "counterpart_micro_f1": s["micro_f1"],
        "counterpart_exact_set_accuracy": s["exact_set_accuracy"],
        "n_counterpart_segments": float(s["segments"]),
    }
