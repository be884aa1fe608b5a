"""Model families. Each is one class in the family's module, a
:class:`~nkdiplomacy.estimators.model.SegmentModel`: a scikit-learn estimator whose scoring and loading
need numpy only.

Classes are imported on demand so that naming a family costs nothing until it is used.
"""

from __future__ import annotations

import importlib

_FAMILIES = {
    "tfidf": ("nkdiplomacy.estimators.tfidf", "TfidfModel"),
    "encoder": ("nkdiplomacy.estimators.encoder", "EncoderModel"),
    "finetune": ("nkdiplomacy.estimators.finetune", "FinetuneModel"),
    "stacked": ("nkdiplomacy.estimators.stacked", "PageStackModel"),
}
# The model families, in the order recipes, benchmarks and messages list them.
FAMILIES = tuple(_FAMILIES)


def _family(family: str) -> tuple[str, str]:
    try:
        return _FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(_FAMILIES)}") from None


def model_class(family: str):
    """The class of a model family (one of :data:`FAMILIES`)."""
    module, name = _family(family)
    return getattr(importlib.import_module(module), name)


def make_estimator(family: str, **params):
    """A new, unfitted model of ``family`` with ``params``."""
    return model_class(family)(**params)


def family_variants(family: str) -> tuple[dict, ...]:
    """The variants a family declares for the trainer to choose among (``choose_variant`` in a
    recipe): parameter overrides, the reference first, then cheaper ones; empty when it has none."""
    return tuple(getattr(model_class(family), "variants", ()))
