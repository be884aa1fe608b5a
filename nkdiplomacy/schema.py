"""The label schema and the decision rule, one place for both.

The event types are read once from ``labels.yaml`` beside this module. Every other module (data
validation, models, CLI, MLflow signature, batch output) takes the event types, the decision rule
(:func:`decide`) and the output columns (:func:`output_columns`) from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class EventType:
    """One event type of the schema."""

    name: str
    description: str
    plover: tuple[str, ...]


@lru_cache(maxsize=1)
def _schema() -> tuple[EventType, ...]:
    import yaml  # read on first use, not at package import

    text = resources.files("nkdiplomacy").joinpath("labels.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)["event_types"]
    return tuple(
        EventType(name=e["name"], description=e["description"], plover=tuple(e.get("plover") or ()))
        for e in raw
    )


def event_types() -> tuple[EventType, ...]:
    """All event types, in class-index order."""
    return _schema()


def event_type_names() -> tuple[str, ...]:
    """Event type names, in class-index order (``meeting`` first)."""
    return tuple(e.name for e in _schema())


def plover_codes(name: str) -> tuple[str, ...]:
    """PLOVER codes nearest to an event type (empty when PLOVER has none)."""
    for e in _schema():
        if e.name == name:
            return e.plover
    raise KeyError(f"unknown event type {name!r}; known: {', '.join(event_type_names())}")


def schema_json() -> str:
    """The schema as JSON, as stored inside saved models."""
    return json.dumps(
        [{"name": e.name, "description": e.description, "plover": list(e.plover)} for e in _schema()]
    )


# The label of an off-topic segment in a model's single label space ("off_topic", *event types).
OFF_TOPIC = "off_topic"
# Relevance score at or above which a segment is on-topic, unless a model or a caller says otherwise.
DEFAULT_THRESHOLD = 0.5


def checked_threshold(value: object, what: str = "threshold") -> float:
    """``value`` as a relevance threshold: a real number from 0 to 1, else ``ValueError`` naming ``what``.

    The one check of every way a threshold arrives: ``load(threshold=...)``, a model's manifest, a
    serving request's ``threshold`` param, the decision rule itself.
    """
    import math

    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or not 0 <= number <= 1:
        raise ValueError(f"{what} must be a number between 0 and 1, got {value!r}")
    return float(number)


def threshold_of(params: dict) -> float:
    """The relevance threshold a model's parameters (its manifest's ``params``, a recipe's estimator
    parameters) give: theirs, else :data:`DEFAULT_THRESHOLD` (the one fallback)."""
    return checked_threshold(params.get("threshold", DEFAULT_THRESHOLD))


def decide(scores, event_probs, threshold: float = DEFAULT_THRESHOLD) -> tuple[list[bool], list[str | None]]:
    """The decision rule: a segment is on-topic when its relevance score is at or above
    ``threshold``, and an on-topic segment takes its most likely event type (``None`` when off-topic).

    Args:
        scores: relevance score of each segment, shape ``(n,)``.
        event_probs: probability of each event type (schema order), shape ``(n, n_types)``.
    """
    import numpy as np

    threshold = checked_threshold(threshold)
    types = event_type_names()
    relevant = [bool(s >= threshold) for s in np.asarray(scores, dtype=float)]
    best = np.asarray(event_probs, dtype=float).reshape(len(relevant), len(types)).argmax(axis=1)
    return relevant, [types[int(b)] if r else None for r, b in zip(relevant, best)]


# Digits a served or printed score keeps (predict, the Python API, the pyfunc model, Spark batch).
SCORE_DIGITS = 6


def scored_columns(
    scores, event_probs, threshold: float = DEFAULT_THRESHOLD, digits: int | None = SCORE_DIGITS
):
    """A model's output by :func:`output_columns` name: :func:`decide`'s decisions (on the exact
    scores), then the scores and event probabilities rounded to ``digits`` (``None``: exact)."""
    import numpy as np

    relevant, types = decide(scores, event_probs, threshold)
    score = np.asarray(scores, dtype=float)
    events = np.asarray(event_probs, dtype=float).reshape(len(score), len(event_type_names()))
    if digits is not None:
        score, events = np.round(score, digits), np.round(events, digits)
    return {
        "relevant": relevant,
        "score": score,
        "event_type": types,
        **{event_score_column(name): events[:, j] for j, name in enumerate(event_type_names())},
    }


def event_score_column(name: str) -> str:
    """The output column holding an event type's probability: ``p_<type>``."""
    return f"p_{name}"


# The output column of North Korea's counterparts in an on-topic passage (data/LABELING.md, section 5).
COUNTERPARTS = "counterparts"


def joined_codes(codes) -> str:
    """Counterpart codes as one flat cell (CSV, the pyfunc model, Spark): sorted, space-separated."""
    return " ".join(sorted(codes))


def output_columns() -> tuple[str, ...]:
    """The columns of a model's output, in order: the decision, the score, the event type, one
    ``p_<type>`` per type, the counterparts (:func:`joined_codes`)."""
    return (
        "relevant",
        "score",
        "event_type",
        *(event_score_column(t) for t in event_type_names()),
        COUNTERPARTS,
    )
