"""Model families. Each is a scikit-learn style estimator over segments.

Classes are imported on demand so that naming a family costs nothing until it
is used.
"""

from __future__ import annotations

import importlib

_FAMILIES = {
    "tfidf": ("nkdiplomacy.modeling.tfidf", "TfidfClassifier"),
    "encoder": ("nkdiplomacy.modeling.encoder", "EncoderClassifier"),
    "finetune": ("nkdiplomacy.modeling.finetune", "FinetuneClassifier"),
    "stacked": ("nkdiplomacy.modeling.stacked", "PageStackClassifier"),
}
FAMILIES = tuple(_FAMILIES)


def estimator_class(family: str):
    """The estimator class of a model family (one of :data:`FAMILIES`)."""
    try:
        module, name = _FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(_FAMILIES)}") from None
    return getattr(importlib.import_module(module), name)


def make_estimator(family: str, **params):
    """A new, unfitted estimator of ``family`` with ``params``."""
    return estimator_class(family)(**params)
