"""The evaluation protocol's metrics, shared by training, ``nkdiplomacy evaluate`` and benchmarks.

Relevance: precision, recall and F1 of the on-topic class and PR-AUC (average
precision) of the relevance score. Event type, on gold on-topic segments only
(the event head judged on its own): accuracy, macro-F1 over the types present
in gold or predictions, and per-type F1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nkdiplomacy.records import Annotation
from nkdiplomacy.schema import DEFAULT_THRESHOLD, decide, event_type_names

# The pooled summary metrics (higher is better); per-type ``event_f1_<type>`` come besides.
SUMMARY_METRICS = (
    "relevance_precision",
    "relevance_recall",
    "relevance_f1",
    "relevance_pr_auc",
    "event_accuracy",
    "event_macro_f1",
)


def relevance_metrics(
    gold: Sequence[bool], scores: Sequence[float], predicted: Sequence[bool]
) -> dict[str, float]:
    """Precision, recall and F1 of the ``predicted`` on-topic class; PR-AUC of the ``scores``."""
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    gold = np.asarray(gold, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    pred = np.asarray(predicted, dtype=bool)
    p, r, f, _ = precision_recall_fscore_support(gold, pred, average="binary", zero_division=0)
    out = {"relevance_precision": float(p), "relevance_recall": float(r), "relevance_f1": float(f)}
    out["relevance_pr_auc"] = float(average_precision_score(gold, scores)) if gold.any() else float("nan")
    return out


def event_metrics(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    if len(gold) == 0:
        return {}
    present = sorted(set(gold) | set(pred), key=event_type_names().index)
    per_class = f1_score(gold, pred, labels=present, average=None, zero_division=0)
    out = {
        "event_accuracy": float(accuracy_score(gold, pred)),
        "event_macro_f1": float(np.mean(per_class)),
    }
    out.update({f"event_f1_{name}": float(v) for name, v in zip(present, per_class)})
    return out


def evaluate_scores(
    gold_relevant: Sequence[bool],
    gold_type: Sequence[str | None],
    relevance: np.ndarray,
    events: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, float]:
    """All protocol metrics from a model's scores on labeled segments.

    Relevance is judged by the decision rule (:func:`~nkdiplomacy.schema.decide`); the event type on
    gold on-topic segments by the same rule given the gold relevance, i.e. the event head on its own.
    """
    predicted, _ = decide(relevance, events, threshold)
    _, head_types = decide(np.asarray(gold_relevant, dtype=float), events, threshold)
    on = [i for i, r in enumerate(gold_relevant) if r]
    metrics = relevance_metrics(gold_relevant, relevance, predicted)
    metrics.update(event_metrics([gold_type[i] for i in on], [head_types[i] for i in on]))
    metrics["n_segments"] = float(len(gold_relevant))
    metrics["n_on_topic"] = float(len(on))
    return metrics


def counterpart_scores(pairs: Sequence[tuple[set[str], set[str]]]) -> dict:
    """Micro precision, recall and F1, exact-set accuracy and per-code F1 of ``(gold, predicted)``
    counterpart code sets (one pair per on-topic segment)."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for gold, pred in pairs:
        tp.update(gold & pred)
        fp.update(pred - gold)
        fn.update(gold - pred)
    codes = sorted(set(tp) | set(fp) | set(fn), key=lambda c: (-(tp[c] + fn[c]), c))
    t, p, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return {
        "segments": len(pairs),
        "micro_precision": t / (t + p) if t + p else float("nan"),
        "micro_recall": t / (t + n) if t + n else float("nan"),
        "micro_f1": 2 * t / (2 * t + p + n) if t + p + n else float("nan"),
        "exact_set_accuracy": sum(g == q for g, q in pairs) / len(pairs) if pairs else float("nan"),
        "per_code": {
            c: {"gold": tp[c] + fn[c], "f1": 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c])} for c in codes
        },
    }


def confusion_figure(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], title: str):
    """A matplotlib figure of the confusion matrix (rows: gold, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(labels), 1.0 + 0.8 * len(labels)))
    ConfusionMatrixDisplay.from_predictions(
        gold, pred, labels=list(labels), ax=ax, colorbar=False, xticks_rotation=45
    )
    ax.set_title(title)
    fig.tight_layout()
    return fig


def training_data_summary(records: Sequence[Annotation]) -> dict:
    """What a model was fit on, for its manifest: a digest of the records, their sorted doc ids and
    their counts per source and genre."""
    from nkdiplomacy.trainer.card import data_counts

    rows = json.dumps([dataclasses.astuple(r) for r in records], ensure_ascii=False)
    return {
        "digest": hashlib.sha256(rows.encode("utf-8")).hexdigest(),
        "n_records": len(records),
        "doc_ids": sorted({r.doc_id for r in records}),
        "counts": data_counts(records),
    }


def seen_in_training(model_folder: Path, doc_ids: set[str]) -> set[str]:
    """The ``doc_ids`` the model at ``model_folder`` was trained on (none known: empty)."""
    from nkdiplomacy.estimators.persist import MANIFEST, ManifestKey

    manifest = json.loads((Path(model_folder) / MANIFEST).read_text(encoding="utf-8"))
    return doc_ids & set(manifest.get(ManifestKey.TRAINING_DATA, {}).get("doc_ids", []))
