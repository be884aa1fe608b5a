"""The kinds of the model output columns, for the schemas of the pyfunc model and the batch job.

The columns themselves, and their order, are :func:`nkdiplomacy.schema.output_columns`.
"""

from __future__ import annotations

from nkdiplomacy.schema import output_columns

# Every other output column is a probability (``double``); ``event_type`` is null when off-topic;
# ``counterparts`` is a string of codes (empty when there are none).
_KINDS = {"relevant": "boolean", "score": "double", "event_type": "string", "counterparts": "string"}
NULLABLE = ("event_type",)


def output_kinds() -> dict[str, str]:
    """Each output column (in order) and its kind: ``boolean``, ``double`` or ``string``."""
    return {c: _KINDS.get(c, "double") for c in output_columns()}
