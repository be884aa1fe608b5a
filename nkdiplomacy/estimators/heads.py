"""Logistic-regression heads: fitted with scikit-learn, scored and stored with numpy only.

A head is its ``coef_``, ``intercept_`` and ``classes_`` arrays, saved as ``.npz`` (read with
``allow_pickle=False``); its probabilities are scikit-learn's ``LogisticRegression.predict_proba``:
the sigmoid of the decision function for two classes, its softmax for more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nkdiplomacy.estimators.persist import ModelError, load_arrays, save_arrays
from nkdiplomacy.schema import event_type_names


@dataclass
class LogisticHead:
    """A fitted logistic regression as arrays."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray

    @classmethod
    def fit(cls, F, y: np.ndarray, weight: np.ndarray, C: float, seed: int) -> LogisticHead:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=seed)
        lr.fit(F, y, sample_weight=weight)
        return cls(lr.coef_, lr.intercept_, lr.classes_)

    def predict_proba(self, F) -> np.ndarray:
        """Class probabilities ``(n, len(classes))`` of feature rows ``F`` (dense or sparse)."""
        return self.proba(np.asarray(F @ self.coef.T) + self.intercept)

    def block_decision(self, blocks) -> np.ndarray:
        """The decision function of feature rows given as column blocks ``(rows, order, start, scale)``:
        ``scale * rows[order]`` fills columns ``start:start + rows.shape[1]``. Each block's distinct rows
        are multiplied once (a page's text is one row, whatever its number of lines)."""
        total = None
        for rows, order, start, scale in blocks:
            part = np.asarray(rows @ self.coef[:, start : start + rows.shape[1]].T) * scale
            part = part if order is None else part[order]
            total = part if total is None else total + part
        return total + self.intercept

    def proba(self, decision: np.ndarray) -> np.ndarray:
        """Class probabilities from decision values ``(n, n_coef_rows)``."""
        if len(self.classes) <= 2:
            positive = 1.0 / (1.0 + np.exp(-decision[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        shifted = np.exp(decision - decision.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def save(self, file: Path) -> None:
        save_arrays(file, coef=self.coef, intercept=self.intercept, classes=self.classes)

    @classmethod
    def load(cls, file: Path) -> LogisticHead:
        arrays = load_arrays(file, "head")
        try:
            return cls(arrays["coef"], arrays["intercept"], arrays["classes"])
        except KeyError as exc:
            raise ModelError(f"{file}: head lacks the array {exc}") from None


class LinearHeads:
    """The relevance head (``True``/``False``) and the event-type head (type indices, on-topic rows)."""

    def __init__(self, relevance: LogisticHead, event: LogisticHead):
        self.relevance, self.event = relevance, event

    @classmethod
    def fit(
        cls, F, relevant: np.ndarray, event: np.ndarray, weight: np.ndarray, C: float = 1.0, seed: int = 13
    ) -> LinearHeads:
        on = np.flatnonzero(relevant)
        return cls(
            LogisticHead.fit(F, relevant, weight, C, seed),
            LogisticHead.fit(F[on], event[on], weight[on], C, seed),
        )

    def score(self, F) -> tuple[np.ndarray, np.ndarray]:
        return self._scores(self.relevance.predict_proba(F), self.event.predict_proba(F))

    def score_blocks(self, blocks) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`score` of rows given as column blocks (see :meth:`LogisticHead.block_decision`)."""
        return self._scores(
            self.relevance.proba(self.relevance.block_decision(blocks)),
            self.event.proba(self.event.block_decision(blocks)),
        )

    def _scores(self, relevance_proba: np.ndarray, event_proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = list(self.relevance.classes).index(True)
        events = np.zeros((relevance_proba.shape[0], len(event_type_names())))
        events[:, self.event.classes] = event_proba
        return relevance_proba[:, pos], events

    def save(self, path: Path) -> None:
        self.relevance.save(path / "relevance_head.npz")
        self.event.save(path / "event_head.npz")

    @classmethod
    def load(cls, path: Path) -> LinearHeads:
        return cls(LogisticHead.load(path / "relevance_head.npz"), LogisticHead.load(path / "event_head.npz"))
