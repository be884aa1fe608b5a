"""The scikit-learn estimators: each family's predictor class with :class:`SegmentClassifier`'s
``fit``, ``get_params``, ``clone`` and ``save``."""

from __future__ import annotations

from nkdiplomacy.estimators.base import SegmentClassifier
from nkdiplomacy.estimators.encoder import EncoderModel
from nkdiplomacy.estimators.finetune import FinetuneModel
from nkdiplomacy.estimators.stacked import PageStackModel
from nkdiplomacy.estimators.tfidf import TfidfModel


class TfidfClassifier(SegmentClassifier, TfidfModel):
    __doc__ = TfidfModel.__doc__


class EncoderClassifier(SegmentClassifier, EncoderModel):
    __doc__ = EncoderModel.__doc__


class FinetuneClassifier(SegmentClassifier, FinetuneModel):
    __doc__ = FinetuneModel.__doc__


class PageStackClassifier(SegmentClassifier, PageStackModel):
    __doc__ = PageStackModel.__doc__
