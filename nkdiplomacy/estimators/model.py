"""The model of every family: a scikit-learn estimator whose scoring and loading need no scikit-learn.

A classifier has two heads: relevance (is the segment an on-topic North Korea
diplomacy passage?) and event type (which of the schema's types, for on-topic
segments). As one classifier over the label space ``("off_topic", *event types)``,
``predict_proba`` gives ``P(off_topic) = 1 - r`` and ``P(type) = r * P(type | on-topic)``,
where ``r`` is the relevance score; ``predict`` applies the decision rule,
:func:`nkdiplomacy.schema.decide`.

Each family subclasses :class:`SegmentModel` (``TfidfModel``, ``EncoderModel``, ``FinetuneModel``,
``PageStackModel``): ``fit``, ``predict``, ``predict_proba``, ``score``, ``classes_``,
``get_params``/``set_params`` (so ``sklearn.base.clone`` works) and ``save``. The estimator protocol is
written here rather than inherited from ``sklearn.base.BaseEstimator`` so that loading and scoring a
saved model never imports scikit-learn (a cold ``predict`` would pay for it); families import it to fit.

A model folder (see :mod:`.persist`) holds a manifest and its family's data files. Loading one never
unpickles and never imports code from it.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nkdiplomacy.bounds import UNIT, Bound
from nkdiplomacy.estimators.persist import MANIFEST, ManifestKey, ModelError, read_manifest, write_manifest
from nkdiplomacy.schema import OFF_TOPIC, decide, event_type_names
from nkdiplomacy.text.context import SegmentInput, as_inputs

__all__ = ["SegmentModel", "label_space", "load_model"]


def label_space() -> tuple[str, ...]:
    """``("off_topic", *event types)``: the classes of every model."""
    return (OFF_TOPIC, *event_type_names())


# Lines scored at once by a line-wise family: the int8 MiniLM family holds about 35 KB of features a
# line while scoring, so a chunk peaks near 70 MB whatever the page's length.
CHUNK_LINES = 2048


class SegmentModel:
    """A model family: a scikit-learn classifier over :func:`label_space` whose inputs are segments
    (str or :class:`SegmentInput`).

    Subclasses hold their hyper-parameters as ``__init__`` arguments (``threshold`` among them) and
    implement ``_fit(inputs, relevant, event, weight)``, ``_score`` and the payload's save and load;
    they import scikit-learn only to fit.
    """

    _estimator_type = "classifier"

    family: ClassVar[str] = ""
    # Bounds of numeric hyper-parameters, checked when a recipe or a model folder is loaded; families
    # extend them.
    param_bounds: ClassVar[dict[str, Bound]] = {"threshold": UNIT}
    # The values a string hyper-parameter may take, checked when a recipe is loaded.
    param_choices: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Whether a line's scores depend on that line's input alone (its context travels with it): then
    # inputs are scored in chunks of CHUNK_LINES, so that memory is bounded by the chunk, not the page.
    # A family that reads a page's lines together (stacked) sets it False.
    line_wise: ClassVar[bool] = True
    threshold: float

    @classmethod
    def nested_params(cls, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """Parameters of other families held inside ``params`` (a stacked model's first stages), as
        ``(key, family, params)``; ``TypeError`` for a malformed one. None by default."""
        return []

    # -- the scikit-learn estimator protocol ---------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters as given to ``__init__`` (none of them is an estimator, so ``deep`` changes nothing)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        unknown = sorted(set(params) - set(self._param_names()))
        if unknown:
            raise ValueError(
                f"unknown {self.family} parameters {unknown}; known: {', '.join(self._param_names())}"
            )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        """Hyper-parameters and their defaults (the keys a recipe's ``model`` section may set)."""
        return cls().get_params()

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(),
            input_tags=InputTags(two_d_array=False, string=True),
        )

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != type(self)().get_params()[k]}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

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

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_train_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` over the label space (as ``ClassifierMixin.score``)."""
        hits = (self.predict(X) == np.asarray(list(y), dtype=object)).astype(float)
        return float(np.average(hits, weights=sample_weight))

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        """Write the fitted model to a folder: its manifest plus the family's data files (see :mod:`.persist`).

        ``extra`` (JSON-able, e.g. cross-validated metrics) is kept in the manifest.
        """
        self._check_fitted()
        from nkdiplomacy import __version__
        from nkdiplomacy.schema import schema_json

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        manifest = {
            ManifestKey.FAMILY: self.family,
            ManifestKey.PARAMS: self.get_params(),
            ManifestKey.EVENT_TYPES: json.loads(schema_json()),
            ManifestKey.N_TRAIN: self.n_train_,
            ManifestKey.VERSION: __version__,
            **(extra or {}),
        }
        self._save_payload(path)
        write_manifest(path, manifest)
        return path

    # -- scoring ---------------------------------------------------------------
    def score_segments(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Relevance scores ``(n,)`` and event-type probabilities ``(n, n_types)`` given on-topic."""
        self._check_fitted()
        inputs = as_inputs(X)
        if not inputs:
            return np.zeros(0), np.zeros((0, len(event_type_names())))
        step = CHUNK_LINES if self.line_wise else len(inputs)
        parts = [self._score(inputs[i : i + step]) for i in range(0, len(inputs), step)]
        relevance = np.concatenate([np.asarray(r, dtype=float) for r, _ in parts])
        events = np.concatenate([np.asarray(e, dtype=float) for _, e in parts])
        return relevance, events

    def predict_proba(self, X) -> np.ndarray:
        relevance, events = self.score_segments(X)
        return np.column_stack([1.0 - relevance, relevance[:, None] * events])

    def predict(self, X) -> np.ndarray:
        relevant, types = decide(*self.score_segments(X), self.threshold)
        return np.array([t if r else OFF_TOPIC for r, t in zip(relevant, types)], dtype=object)

    @classmethod
    def from_folder(cls, path: Path, manifest: dict[str, Any]) -> SegmentModel:
        """The model saved in ``path`` (whose manifest is ``manifest``) as an instance of ``cls``."""
        params = manifest[ManifestKey.PARAMS]
        unknown = sorted(set(params) - set(cls._param_names()))
        if unknown:
            raise ModelError(f"{path / MANIFEST}: unknown {cls.family} parameters {unknown}")
        for key in cls.param_bounds.keys() & params.keys():
            value = params[key]
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            if problem := cls.param_bounds[key].violation(value) if numeric else "must be a number":
                raise ModelError(f"{path / MANIFEST}: parameter {key!r} {problem}, got {value!r}")
        model = cls(**params)
        model._load_payload(path)
        model.classes_ = np.array(label_space(), dtype=object)
        model.n_train_ = manifest[ManifestKey.N_TRAIN]
        return model

    # -- for family subclasses -------------------------------------------------
    def _fit(
        self, inputs: list[SegmentInput], relevant: np.ndarray, event: np.ndarray, weight: np.ndarray
    ) -> None:
        raise NotImplementedError

    def _score(self, inputs: list[SegmentInput]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _save_payload(self, path: Path) -> None:
        raise NotImplementedError

    def _load_payload(self, path: Path) -> None:
        raise NotImplementedError


def load_model(path: str | Path) -> SegmentModel:
    """Load a model folder as its family's :class:`SegmentModel`, fitted (no scikit-learn, no MLflow):
    to score, refit, clone or inspect."""
    from nkdiplomacy.estimators import model_class

    path = Path(path)
    manifest = read_manifest(path)
    try:
        cls = model_class(manifest[ManifestKey.FAMILY])
    except ValueError as exc:
        raise ModelError(f"{path / MANIFEST}: {exc}") from None
    return cls.from_folder(path, manifest)
