"""A training run's evaluation artifacts: the per-segment CV predictions, per-fold and per-outlet
metrics, and confusion matrices."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from nkdiplomacy.schema import event_type_names
from nkdiplomacy.trainer.crossval import per_group_metrics
from nkdiplomacy.trainer.metrics import confusion_figure
from nkdiplomacy.trainer.run_log import Tracker


def log_evaluation_artifacts(
    tracker: Tracker, predictions: pd.DataFrame, threshold: float, prefix: str = ""
) -> None:
    """Log, under ``evaluation/``, the predictions, per-group metrics and confusion figures (page view)."""
    import matplotlib.pyplot as plt

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{prefix}cv_predictions.csv"
        predictions.to_csv(path, index=False)
        tracker.log_artifact(path, "evaluation")
        page = predictions[predictions["view"] == "page"]
        for by in ("fold", "outlet"):
            path = Path(tmp) / f"{prefix}per_{by}.csv"
            per_group_metrics(page, threshold, by).to_csv(path, index=False)
            tracker.log_artifact(path, "evaluation")
    gold_rel = np.where(page["gold_relevant"], "on-topic", "off-topic")
    pred_rel = np.where(page["pred_relevant"], "on-topic", "off-topic")
    fig = confusion_figure(gold_rel, pred_rel, ["on-topic", "off-topic"], "Relevance (pooled grouped CV)")
    tracker.log_figure(fig, f"evaluation/{prefix}confusion_relevance.png")
    plt.close(fig)
    on = page[page["gold_relevant"]]
    if len(on):
        fig = confusion_figure(
            on["gold_event_type"], on["pred_event_type"], event_type_names(), "Event type (pooled)"
        )
        tracker.log_figure(fig, f"evaluation/{prefix}confusion_event_type.png")
        plt.close(fig)
