"""A model's output columns for scored inputs: the decisions, scores and event probabilities
(:func:`nkdiplomacy.schema.scored_columns`) and each passage's counterparts, read page by page."""

from __future__ import annotations

from collections.abc import Sequence

from nkdiplomacy.schema import COUNTERPARTS, SCORE_DIGITS, scored_columns
from nkdiplomacy.text.context import SegmentInput
from nkdiplomacy.text.counterparts import counterparts_of


def model_outputs(
    inputs: Sequence[SegmentInput], scores, event_probs, threshold: float, digits: int | None = SCORE_DIGITS
) -> dict:
    """:func:`~nkdiplomacy.schema.scored_columns` of the scores, plus ``counterparts``: a tuple of
    codes per input (empty for an off-topic one)."""
    columns = scored_columns(scores, event_probs, threshold, digits)
    columns[COUNTERPARTS] = counterparts_of(inputs, columns["relevant"])
    return columns
