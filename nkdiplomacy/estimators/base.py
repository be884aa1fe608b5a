"""The scikit-learn estimator contract shared by every model family (training side).

Each family's :class:`~nkdiplomacy.estimators.predictor.Predictor` subclass (features, scoring,
persistence) becomes a scikit-learn estimator by also deriving from :class:`SegmentClassifier`
(see :mod:`nkdiplomacy.estimators.sklearn`): ``fit``, ``get_params``, ``clone``, ``save``.
Prediction from a saved folder needs none of this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from nkdiplomacy.estimators.persist import write_manifest
from nkdiplomacy.estimators.predictor import Predictor, label_space, load_model
from nkdiplomacy.schema import OFF_TOPIC, event_type_names
from nkdiplomacy.text.context import as_inputs


class SegmentClassifier(ClassifierMixin, BaseEstimator, Predictor):
    """Base class, listed before a family's predictor class (which implements
    ``_fit(inputs, relevant, event, weight)``)."""

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        """Hyper-parameters and their defaults (the keys a recipe's ``model`` section may set)."""
        return cls().get_params()

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
        check_is_fitted(self, "n_train_")
        return super().score_segments(X)

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        """Write the fitted model to a folder: its manifest plus the family's data files (see :mod:`.persist`).

        ``extra`` (JSON-able, e.g. cross-validated metrics) is kept in the manifest.
        """
        check_is_fitted(self, "n_train_")
        from nkdiplomacy import __version__
        from nkdiplomacy.schema import schema_json

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
        write_manifest(path, manifest)
        return path


def load_estimator(path: str | Path) -> SegmentClassifier:
    """Load a model folder as its family's scikit-learn estimator (to refit, clone or inspect)."""
    from nkdiplomacy.estimators import estimator_class

    return load_model(path, estimator_class)
