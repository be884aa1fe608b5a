"""nkdiplomacy: find North Korea diplomacy passages in scraped news articles and type their events.

>>> import nkdiplomacy
>>> clf = nkdiplomacy.load()                       # the shipped default model  # doctest: +SKIP
>>> clf.classify_article(open("article.txt").read())                             # doctest: +SKIP

Heavy libraries (torch, transformers, mlflow) load only when a model needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "Annotation",
    "Classifier",
    "Prediction",
    "Segment",
    "SegmentInput",
    "__version__",
    "event_type_names",
    "load",
    "load_annotations",
    "segment",
]

# Public names and the module that defines each, imported on first access (PEP 562).
_LAZY = {
    "Annotation": "nkdiplomacy.records",
    "Prediction": "nkdiplomacy.records",
    "Segment": "nkdiplomacy.records",
    "SegmentInput": "nkdiplomacy.text.context",
    "segment": "nkdiplomacy.text.segment",
    "event_type_names": "nkdiplomacy.schema",
    "load_annotations": "nkdiplomacy.corpus.annotations",
    "Classifier": "nkdiplomacy.serving.classifier",
    "load": "nkdiplomacy.serving.classifier",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nkdiplomacy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
