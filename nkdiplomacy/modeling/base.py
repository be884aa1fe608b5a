"""The estimator contract shared by every model family.

A classifier has two heads: relevance (is the segment an on-topic North Korea
diplomacy passage?) and event type (which of the schema's types, for on-topic
segments). Towards scikit-learn it is one classifier over the label space
``("off_topic", *event types)``: ``predict_proba`` gives
``P(off_topic) = 1 - r`` and ``P(type) = r * P(type | on-topic)``, where ``r`` is
the relevance score; ``predict`` thresholds ``r`` and then takes the most
likely type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from nkdiplomacy.bounds import UNIT, Bound
from nkdiplomacy.features import SegmentInput, as_inputs
from nkdiplomacy.labels import event_type_names

OFF_TOPIC = "off_topic"
MANIFEST = "manifest.json"


def label_space() -> tuple[str, ...]:
    """``("off_topic", *event types)``: the classes of every estimator."""
    return (OFF_TOPIC, *event_type_names())


class ModelError(ValueError):
    """A saved model that cannot be read."""


class SegmentClassifier(ClassifierMixin, BaseEstimator):
    """Base class: subclasses implement ``_fit``, ``_score`` and the payload save/load."""

    family: ClassVar[str] = ""
    # Bounds of numeric hyper-parameters, checked when a recipe is loaded; families extend them.
    param_bounds: ClassVar[dict[str, Bound]] = {"threshold": UNIT}

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        """Hyper-parameters and their defaults (the keys a recipe's ``model`` section may set)."""
        return cls().get_params()

    # -- scikit-learn API -------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit on segments ``X`` (str or :class:`SegmentInput`) and labels from :func:`label_space`."""
        inputs = as_inputs(X)
        labels = np.asarray(list(y), dtype=object)
        if len(labels) != len(inputs):
            raise ValueError(f"X has {len(inputs)} segments but y has {len(labels)} labels")
        known = label_space()
        bad = sorted({str(v) for v in labels if v not in known})
        if bad:
            raise ValueError(f"unknown labels {bad}; known: {', '.join(known)}")
        relevant = labels != OFF_TOPIC
        if relevant.all() or not relevant.any():
            raise ValueError("training data needs both on-topic and off-topic segments")
        types = event_type_names()
        event = np.array([types.index(v) if r else -1 for v, r in zip(labels, relevant)], dtype=int)
        weight = np.ones(len(inputs)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self._fit(inputs, relevant, event, weight)
        self.classes_ = np.array(known, dtype=object)
        self.n_train_ = len(inputs)
        return self

    def score_segments(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Relevance scores ``(n,)`` and event-type probabilities ``(n, n_types)`` given on-topic."""
        check_is_fitted(self, "n_train_")
        inputs = as_inputs(X)
        if not inputs:
            return np.zeros(0), np.zeros((0, len(event_type_names())))
        relevance, events = self._score(inputs)
        return np.asarray(relevance, dtype=float), np.asarray(events, dtype=float)

    def predict_proba(self, X) -> np.ndarray:
        relevance, events = self.score_segments(X)
        return np.column_stack([1.0 - relevance, relevance[:, None] * events])

    def predict(self, X) -> np.ndarray:
        relevance, events = self.score_segments(X)
        types = np.array(event_type_names(), dtype=object)
        best = types[events.argmax(axis=1)] if len(events) else types[:0]
        return np.where(relevance >= self.threshold, best, OFF_TOPIC)

    # -- persistence --------------------------------------------------------
    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        """Write the fitted model to a folder: ``manifest.json`` plus the family's payload.

        ``extra`` (JSON-able, e.g. cross-validated metrics) is kept in the manifest.
        """
        check_is_fitted(self, "n_train_")
        from nkdiplomacy import __version__
        from nkdiplomacy.labels import schema_json

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        manifest = {
            "family": self.family,
            "params": self.get_params(),
            "event_types": json.loads(schema_json()),
            "n_train": self.n_train_,
            "nkdiplomacy_version": __version__,
            **(extra or {}),
        }
        self._save_payload(path)
        (path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def _from_manifest(cls, path: Path, manifest: dict) -> SegmentClassifier:
        model = cls(**manifest["params"])
        model._load_payload(path)
        model.classes_ = np.array(label_space(), dtype=object)
        model.n_train_ = manifest["n_train"]
        return model

    # -- for subclasses -------------------------------------------------------
    def _fit(self, inputs: list[SegmentInput], relevant: np.ndarray, event: np.ndarray, weight: np.ndarray):
        raise NotImplementedError

    def _score(self, inputs: list[SegmentInput]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _save_payload(self, path: Path) -> None:
        raise NotImplementedError

    def _load_payload(self, path: Path) -> None:
        raise NotImplementedError


def load_estimator(path: str | Path) -> SegmentClassifier:
    """Load a model folder written by :meth:`SegmentClassifier.save`."""
    from nkdiplomacy.modeling import estimator_class

    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not a model folder (no {MANIFEST})") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path / MANIFEST}: malformed JSON ({exc.msg})") from None
    names = tuple(e["name"] for e in manifest.get("event_types", []))
    if names != event_type_names():
        raise ModelError(
            f"{path}: model was trained on event types {names}, this package has {event_type_names()}"
        )
    return estimator_class(manifest["family"])._from_manifest(path, manifest)


class LinearHeads:
    """Two logistic-regression heads over one feature matrix, saved with joblib."""

    def __init__(self, C: float = 1.0, seed: int = 13):
        self.C, self.seed = C, seed

    def _lr(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000, random_state=self.seed)

    def fit(self, F, relevant: np.ndarray, event: np.ndarray, weight: np.ndarray) -> LinearHeads:
        self.relevance = self._lr().fit(F, relevant, sample_weight=weight)
        on = np.flatnonzero(relevant)
        self.event = self._lr().fit(F[on], event[on], sample_weight=weight[on])
        return self

    def score(self, F) -> tuple[np.ndarray, np.ndarray]:
        pos = list(self.relevance.classes_).index(True)
        relevance = self.relevance.predict_proba(F)[:, pos]
        events = np.zeros((F.shape[0], len(event_type_names())))
        events[:, self.event.classes_] = self.event.predict_proba(F)
        return relevance, events

    def save(self, path: Path) -> None:
        from nkdiplomacy.modeling.persist import dump_sklearn

        dump_sklearn(self.relevance, path / "relevance_head.joblib")
        dump_sklearn(self.event, path / "event_head.joblib")

    @classmethod
    def load(cls, path: Path) -> LinearHeads:
        from nkdiplomacy.modeling.persist import load_sklearn

        heads = cls.__new__(cls)
        heads.relevance = load_sklearn(path / "relevance_head.joblib")
        heads.event = load_sklearn(path / "event_head.joblib")
        return heads
