"""A fitted model without scikit-learn: scoring, the label space, and loading a saved-model folder.

A classifier has two heads: relevance (is the segment an on-topic North Korea
diplomacy passage?) and event type (which of the schema's types, for on-topic
segments). As one classifier over the label space ``("off_topic", *event types)``,
``predict_proba`` gives ``P(off_topic) = 1 - r`` and ``P(type) = r * P(type | on-topic)``,
where ``r`` is the relevance score; ``predict`` applies the decision rule,
:func:`nkdiplomacy.schema.decide`.

A model folder (see :mod:`.persist`) holds a manifest and its family's data files. Loading one never
unpickles and never imports code from it.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nkdiplomacy.bounds import UNIT, Bound
from nkdiplomacy.estimators.persist import MANIFEST, ModelError, read_manifest
from nkdiplomacy.schema import OFF_TOPIC, decide, event_type_names
from nkdiplomacy.text.context import SegmentInput, as_inputs

__all__ = ["Predictor", "label_space", "load_model"]


def label_space() -> tuple[str, ...]:
    """``("off_topic", *event types)``: the classes of every model."""
    return (OFF_TOPIC, *event_type_names())


# Lines scored at once by a line-wise family: the int8 MiniLM family holds about 35 KB of features a
# line while scoring, so a chunk peaks near 70 MB whatever the page's length.
CHUNK_LINES = 2048


class Predictor:
    """A model family's scoring and persistence; family subclasses implement ``_score`` and the payload.

    Subclasses hold their hyper-parameters as ``__init__`` arguments (``threshold`` among them) and
    import scikit-learn only to fit.
    """

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

    def score_segments(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Relevance scores ``(n,)`` and event-type probabilities ``(n, n_types)`` given on-topic."""
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
    def from_folder(cls, path: Path, manifest: dict[str, Any]) -> Predictor:
        """The model saved in ``path`` (whose manifest is ``manifest``) as an instance of ``cls``."""
        params = manifest["params"]
        known = set(inspect.signature(cls.__init__).parameters) - {"self"}
        unknown = sorted(set(params) - known)
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
        model.n_train_ = manifest["n_train"]
        return model

    # -- for family subclasses -------------------------------------------------
    def _score(self, inputs: list[SegmentInput]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _save_payload(self, path: Path) -> None:
        raise NotImplementedError

    def _load_payload(self, path: Path) -> None:
        raise NotImplementedError


def load_model(path: str | Path, classes=None) -> Predictor:
    """Load a model folder as its family's :class:`Predictor` (no scikit-learn, no MLflow).

    ``classes`` maps a family name to the class to build (default: the family's predictor class).
    """
    from nkdiplomacy.estimators import model_class

    path = Path(path)
    manifest = read_manifest(path)
    try:
        cls = (classes or model_class)(manifest["family"])
    except ValueError as exc:
        raise ModelError(f"{path / MANIFEST}: {exc}") from None
    return cls.from_folder(path, manifest)
