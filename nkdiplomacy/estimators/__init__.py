"""Model families. Each is a predictor class (numpy-only scoring and persistence, in the family's
module) and a scikit-learn estimator built on it (:mod:`nkdiplomacy.estimators.sklearn`).

Classes are imported on demand so that naming a family costs nothing until it is used.
"""

from __future__ import annotations

import importlib

_FAMILIES = {
    "tfidf": ("nkdiplomacy.estimators.tfidf", "TfidfModel", "TfidfClassifier"),
    "encoder": ("nkdiplomacy.estimators.encoder", "EncoderModel", "EncoderClassifier"),
    "finetune": ("nkdiplomacy.estimators.finetune", "FinetuneModel", "FinetuneClassifier"),
    "stacked": ("nkdiplomacy.estimators.stacked", "PageStackModel", "PageStackClassifier"),
}
# The model families, in the order recipes, benchmarks and messages list them.
FAMILIES = tuple(_FAMILIES)


def _family(family: str) -> tuple[str, str, str]:
    try:
        return _FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(_FAMILIES)}") from None


def model_class(family: str):
    """The predictor class of a model family: loads and scores without scikit-learn."""
    module, name, _ = _family(family)
    return getattr(importlib.import_module(module), name)


def estimator_class(family: str):
    """The scikit-learn estimator class of a model family (one of :data:`FAMILIES`)."""
    _, _, name = _family(family)
    return getattr(importlib.import_module("nkdiplomacy.estimators.sklearn"), name)


def make_estimator(family: str, **params):
    """A new, unfitted estimator of ``family`` with ``params``."""
    return estimator_class(family)(**params)


def family_variants(family: str) -> tuple[dict, ...]:
    """The variants a family declares for the trainer to choose among (``choose_variant`` in a
    recipe): parameter overrides, the reference first, then cheaper ones; empty when it has none."""
    return tuple(getattr(model_class(family), "variants", ()))
