"""A fitted model without scikit-learn: the decision rule, the model folder and its loader.

A classifier has two heads: relevance (is the segment an on-topic North Korea
diplomacy passage?) and event type (which of the schema's types, for on-topic
segments). As one classifier over the label space ``("off_topic", *event types)``,
``predict_proba`` gives ``P(off_topic) = 1 - r`` and ``P(type) = r * P(type | on-topic)``,
where ``r`` is the relevance score; ``predict`` thresholds ``r`` and then takes the most
likely type.

A model folder holds ``manifest.json`` and its family's data files (JSON, ``.npz``, ONNX,
tokenizer and safetensors files). Loading one never unpickles and never imports code from it.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nkdiplomacy.bounds import UNIT, Bound
from nkdiplomacy.text.context import SegmentInput, as_inputs
from nkdiplomacy.schema import event_type_names

OFF_TOPIC = "off_topic"
MANIFEST = "manifest.json"
_OLD_FORMAT = "*.joblib"


def label_space() -> tuple[str, ...]:
    """``("off_topic", *event types)``: the classes of every model."""
    return (OFF_TOPIC, *event_type_names())


class ModelError(ValueError):
    """A saved model that cannot be read; the message names the file."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Predictor:
    """A model family's scoring and persistence; family subclasses implement ``_score`` and the payload.

    Subclasses hold their hyper-parameters as ``__init__`` arguments (``threshold`` among them) and
    import scikit-learn only to fit.
    """

    family: ClassVar[str] = ""
    # Bounds of numeric hyper-parameters, checked when a recipe is loaded; families extend them.
    param_bounds: ClassVar[dict[str, Bound]] = {"threshold": UNIT}
    threshold: float

    def score_segments(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Relevance scores ``(n,)`` and event-type probabilities ``(n, n_types)`` given on-topic."""
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

    @classmethod
    def from_folder(cls, path: Path, manifest: dict[str, Any]) -> Predictor:
        """The model saved in ``path`` (whose manifest is ``manifest``) as an instance of ``cls``."""
        params = manifest["params"]
        known = set(inspect.signature(cls.__init__).parameters) - {"self"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ModelError(f"{path / MANIFEST}: unknown {cls.family} parameters {unknown}")
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


def read_manifest(path: Path) -> dict[str, Any]:
    """The checked manifest of the model folder ``path``."""
    file = path / MANIFEST
    if any(path.glob(_OLD_FORMAT)):
        raise ModelError(
            f"{path}: model saved in an old, unsafe format (joblib pickles, not loaded); "
            "re-save or retrain it with this version"
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not a model folder (no {MANIFEST})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{file}: malformed JSON ({first_line(exc)})") from None
    if not isinstance(manifest, dict):
        raise ModelError(f"{file}: expected a JSON object, got a {type(manifest).__name__}")
    for key, kind in (("family", str), ("params", dict), ("n_train", int), ("event_types", list)):
        if not isinstance(manifest.get(key), kind):
            raise ModelError(f"{file}: {key!r} missing or not a {kind.__name__}")
    names = tuple(e.get("name") if isinstance(e, dict) else e for e in manifest["event_types"])
    if names != event_type_names():
        raise ModelError(
            f"{path}: model was trained on event types {names}, this package has {event_type_names()}"
        )
    return manifest


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
