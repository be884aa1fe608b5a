"""The label schema, read once from ``labels.yaml`` beside this module.

Every other module (data validation, models, CLI, MLflow signature) takes the
event types from here.
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
