"""Typed records: a segment of an article, its gold annotation, a model's prediction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Segment:
    """One non-empty, normalised line of an article."""

    doc_id: str
    seg_id: int
    text: str


# The origin of pages written to train, never to evaluate.
SYNTHETIC = "synthetic"


def is_train_only(origin: str) -> bool:
    """Whether records of ``origin`` only ever train (see :attr:`Annotation.train_only`)."""
    return origin == SYNTHETIC


@dataclass(frozen=True)
class Annotation:
    """A labeled segment, as stored in ``data/annotations/*.jsonl``."""

    doc_id: str
    seg_id: int
    text: str
    relevant: bool
    event_type: str | None
    origin: str
    # Provenance of real pages (optional): "kcna", "abp", ...; the outlet; the page's date and URL.
    source: str | None = None
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    # The page's genre (``news``, ``kcna``, ``think_tank``, ``official``, ``asian_outlet``,
    # ``state_media``) and, for on-topic segments, North Korea's counterparts (sorted codes).
    genre: str | None = None
    counterparts: tuple[str, ...] | None = None

    @property
    def train_only(self) -> bool:
        """Whether the record only ever trains: synthetic pages are never held out, scored or
        counted in a metric (the one home of that rule; real and seed pages are evaluated)."""
        return is_train_only(self.origin)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None or k == "event_type"}
        if self.counterparts is not None:
            out["counterparts"] = list(self.counterparts)
        return out


@dataclass(frozen=True)
class Prediction:
    """A model's answer for one segment, in the shape of the labeling guide's records.

    ``event_type`` is ``None`` when the segment is judged off-topic;
    ``event_scores`` always holds the probability of every event type.
    """

    doc_id: str | None
    seg_id: int | None
    text: str
    relevant: bool
    score: float
    event_type: str | None
    event_scores: dict[str, float] = field(default_factory=dict)
    # North Korea's counterparts in an on-topic passage: sorted codes (CHN, RUS, UN...), else empty.
    counterparts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["counterparts"] = list(self.counterparts)
        return out

    def row(self) -> dict[str, Any]:
        """One flat row: ``doc_id``, ``seg_id``, ``text``, then the output columns (``relevant``,
        ``score``, ``event_type``, one ``p_<type>`` per event type, ``counterparts`` as one string)."""
        from nkdiplomacy.schema import COUNTERPARTS, event_score_column, joined_codes

        row = {k: v for k, v in self.to_dict().items() if k not in ("event_scores", COUNTERPARTS)}
        row.update({event_score_column(k): v for k, v in self.event_scores.items()})
        row[COUNTERPARTS] = joined_codes(self.counterparts)
        return row


def predictions_to_frame(predictions: list[Prediction]):
    """A pandas DataFrame with one row per prediction: ``doc_id``, ``seg_id``, ``text``, then the
    model output columns (:func:`nkdiplomacy.schema.output_columns`, one ``p_<type>`` per event type)."""
    from nkdiplomacy.extras import require

    require("mlflow", "pandas", what="a DataFrame of predictions")
    import pandas as pd

    return pd.DataFrame([p.row() for p in predictions])
