"""The importable model: ``nkdiplomacy.load()`` and :class:`Classifier`.

A model is named by nothing (the shipped default), a folder (a saved model
folder or an MLflow model folder), or an MLflow model URI (``models:/...``,
``runs:/...``). Loading a folder needs no MLflow and reads only data files (no pickle, no
code from the folder); the default model runs with ONNX Runtime and numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nkdiplomacy.records import Prediction, Segment, predictions_to_frame
from nkdiplomacy.schema import COUNTERPARTS, checked_threshold, event_score_column, event_type_names
from nkdiplomacy.serving.locate import open_model, resolve_model
from nkdiplomacy.serving.outputs import model_outputs
from nkdiplomacy.text.context import SegmentInput, article_inputs, lone_input, record_inputs
from nkdiplomacy.text.segment import segment

__all__ = ["Classifier", "load"]


class Classifier:
    """A loaded model with article-level conveniences.

    Results are :class:`~nkdiplomacy.records.Prediction` records; use
    :meth:`to_frame` for a pandas DataFrame or ``p.to_dict()`` for JSON.
    """

    def __init__(self, estimator, source: str = "", threshold: float | None = None):
        self.estimator = estimator
        self.source = source
        self.threshold = checked_threshold(estimator.threshold if threshold is None else threshold)

    def _predict_inputs(
        self, inputs: list[SegmentInput], ids: list[tuple[str | None, int | None]]
    ) -> list[Prediction]:
        columns = model_outputs(inputs, *self.estimator.score_segments(inputs), self.threshold)
        names = event_type_names()
        events = [[float(v) for v in columns[event_score_column(n)]] for n in names]
        return [
            Prediction(
                doc_id=doc_id,
                seg_id=seg_id,
                text=x.text,
                relevant=columns["relevant"][i],
                score=float(columns["score"][i]),
                event_type=columns["event_type"][i],
                event_scores={n: events[j][i] for j, n in enumerate(names)},
                counterparts=columns[COUNTERPARTS][i],
            )
            for i, ((doc_id, seg_id), x) in enumerate(zip(ids, inputs))
        ]

    def classify(self, texts: str | Sequence[str]) -> list[Prediction]:
        """Prediction records for lone segments, each read as a one-line article of its own."""
        texts = [texts] if isinstance(texts, (str, bytes)) else list(texts)
        bad = [t for t in texts if not isinstance(t, str)]
        if bad:
            raise TypeError(
                f"classify takes a str or a sequence of str, got {type(bad[0]).__name__} {bad[0]!r:.60}"
            )
        return self._predict_inputs([lone_input(t) for t in texts], [(None, None)] * len(texts))

    def predict_segments(self, segments: Sequence[Segment]) -> list[Prediction]:
        """Score segments of one or more articles; each is read with its article around it."""
        inputs = record_inputs(segments)
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
    >>> clf.classify("Kim Jong Un met Vladimir Putin in Vladivostok.")[0].event_type  # doctest: +SKIP
    'meeting'

    Raises:
        ModelLoadError: naming the model when it cannot be found or read.
    """
    estimator = open_model(model)
    source = str(model) if model else str(resolve_model(None))  # the default: a local folder, found again
    return Classifier(estimator, source=source, threshold=threshold)
