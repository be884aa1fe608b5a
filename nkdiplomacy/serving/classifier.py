"""The importable model: ``nkdiplomacy.load()`` and :class:`Classifier`.

A model is named by nothing (the shipped default), a folder (a saved model
folder or an MLflow model folder), or an MLflow model URI (``models:/...``,
``runs:/...``). Loading a folder needs no MLflow and reads only data files (no pickle, no
code from the folder); the default model runs with ONNX Runtime and numpy only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from nkdiplomacy.extras import require
from nkdiplomacy.text.context import SegmentInput, article_inputs, grouped_inputs, lone_input
from nkdiplomacy.records import Prediction, Segment, predictions_to_frame
from nkdiplomacy.text.segment import segment

DEFAULT_MODEL_ENV = "NKDIPLOMACY_MODEL"
_URI_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:", "s3://", "gs://", "http://", "https://", "dbfs:")


class ModelLoadError(ValueError):
    """A model that cannot be found or read; the message names it."""


def default_model_path() -> Path:
    """The shipped default model: ``$NKDIPLOMACY_MODEL``, the copy inside a wheel, or ``models/default``."""
    if os.environ.get(DEFAULT_MODEL_ENV):
        return Path(os.environ[DEFAULT_MODEL_ENV])
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "_default_model", here.parent / "models" / "default"):
        if candidate.exists():
            return candidate
    raise ModelLoadError(
        f"no default model found (looked in {here / '_default_model'} and {here.parent / 'models' / 'default'}); "
        f"pass a model or set {DEFAULT_MODEL_ENV}"
    )


def _native_folder(folder: Path) -> Path:
    """The saved-model folder inside an MLflow model folder, or the folder itself."""
    if (folder / "manifest.json").exists():
        return folder
    if (folder / "MLmodel").exists() and (folder / "artifacts" / "model" / "manifest.json").exists():
        return folder / "artifacts" / "model"
    raise ModelLoadError(f"{folder}: not a model folder (no manifest.json or MLmodel with artifacts/model)")


def _download(uri: str) -> Path:
    require("mlflow", "mlflow", what=f"loading {uri}")
    from nkdiplomacy.tracking import existing_tracking_uri, tracking_uri

    if uri.startswith(("models:/", "runs:/")) and existing_tracking_uri() is None:
        raise ModelLoadError(f"{uri}: no MLflow tracking store is configured (set MLFLOW_TRACKING_URI)")
    try:
        import mlflow

        mlflow.set_tracking_uri(tracking_uri())
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds; the user needs one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"{uri}: cannot load model ({first})") from None


def resolve_model(model: str | Path | None = None) -> Path:
    """The local saved-model folder for a model name (see module docstring)."""
    if model is None:
        return _native_folder(default_model_path())
    text = str(model)
    if text.startswith(_URI_SCHEMES):
        return _native_folder(_download(text))
    path = Path(text.removeprefix("file://"))
    if not path.exists():
        raise ModelLoadError(f"{path}: no such model folder or MLflow model URI")
    return _native_folder(path)


class Classifier:
    """A loaded model with article-level conveniences.

    Results are :class:`~nkdiplomacy.records.Prediction` records; use
    :meth:`to_frame` for a pandas DataFrame or ``p.to_dict()`` for JSON.
    """

    def __init__(self, estimator, source: str = "", threshold: float | None = None):
        self.estimator = estimator
        self.source = source
        self.threshold = estimator.threshold if threshold is None else threshold

    def _predict_inputs(
        self, inputs: list[SegmentInput], ids: list[tuple[str | None, int | None]]
    ) -> list[Prediction]:
        from nkdiplomacy.schema import event_type_names

        relevance, events = self.estimator.score_segments(inputs)
        types = event_type_names()
        out = []
        for (doc_id, seg_id), x, score, probs in zip(ids, inputs, relevance, events):
            relevant = bool(score >= self.threshold)
            out.append(
                Prediction(
                    doc_id=doc_id,
                    seg_id=seg_id,
                    text=x.text,
                    relevant=relevant,
                    score=round(float(score), 6),
                    event_type=types[int(probs.argmax())] if relevant else None,
                    event_scores={t: round(float(p), 6) for t, p in zip(types, probs)},
                )
            )
        return out

    def predict(self, texts: str | Sequence[str]) -> list[Prediction]:
        """Score lone segments, each read as a one-line article of its own."""
        if isinstance(texts, str):
            texts = [texts]
        return self._predict_inputs([lone_input(t) for t in texts], [(None, None)] * len(texts))

    def predict_segments(self, segments: Sequence[Segment]) -> list[Prediction]:
        """Score segments of one or more articles; each is read with its article around it."""
        inputs = grouped_inputs(
            [s.doc_id for s in segments], [s.seg_id for s in segments], [s.text for s in segments]
        )
        return self._predict_inputs(inputs, [(s.doc_id, s.seg_id) for s in segments])

    def classify_article(self, text: str, doc_id: str = "article") -> list[Prediction]:
        """Split an article into segments and score each in context."""
        segments = segment(text, doc_id)
        inputs = article_inputs([s.text for s in segments])
        return self._predict_inputs(inputs, [(s.doc_id, s.seg_id) for s in segments])

    @staticmethod
    def to_frame(predictions: list[Prediction]):
        """Predictions as a pandas DataFrame (one ``p_<type>`` column per event type)."""
        return predictions_to_frame(predictions)

    def __repr__(self) -> str:
        return f"Classifier(family={self.estimator.family!r}, source={self.source!r}, threshold={self.threshold})"


def load(model: str | Path | None = None, threshold: float | None = None) -> Classifier:
    """Load a model: ``None`` (the shipped default), a folder, or an MLflow model URI.

    >>> clf = load()                                    # doctest: +SKIP
    >>> clf.predict("Kim Jong Un met Vladimir Putin in Vladivostok.")[0].event_type  # doctest: +SKIP
    'meeting'

    Raises:
        ModelLoadError: naming the model when it cannot be found or read.
    """
    from nkdiplomacy.estimators.predictor import ModelError, load_model

    folder = resolve_model(model)
    try:
        estimator = load_model(folder)
    except (ModelError, OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"{model or folder}: cannot load model ({exc})") from None
    return Classifier(estimator, source=str(model or folder), threshold=threshold)
