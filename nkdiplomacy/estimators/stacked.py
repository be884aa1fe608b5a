"""The page-level stage: labels the lines of a page jointly, on top of a first-stage model.

Inside a North Korean statement a line about a third country is on-topic; inside a domestic
story every line is off. A line's own words cannot tell these apart, its page can. The second
stage reads, for each line, the first stage's scores of the line and of its neighbours (±
``window``), page aggregates (mean and maximum relevance, share of on-topic lines, the title's
score, the page's mean event-type profile), a state-media dateline cue and the line's shape.
It is fitted on out-of-fold first-stage scores (grouped by page), so it learns how the first stage
errs on pages it has not seen.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import ClassVar

import numpy as np

from nkdiplomacy.bounds import NON_NEGATIVE, POSITIVE, Bound
from nkdiplomacy.estimators.heads import LinearHeads
from nkdiplomacy.estimators.persist import ModelError, load_json, save_json
from nkdiplomacy.estimators.predictor import Predictor, label_space, load_model
from nkdiplomacy.schema import DEFAULT_THRESHOLD, event_type_names
from nkdiplomacy.text.context import SegmentInput, shape_features

BASE_DIR = "base"
OFFSETS_FILE = "event_offsets.json"
_DATELINE = "(KCNA)"


def page_keys(inputs: list[SegmentInput]) -> list[str]:
    """A key per input naming its page: the same title and page text make one page; a lone
    segment (no neighbours, no page beyond itself) is a page of its own."""
    keys = []
    for i, x in enumerate(inputs):
        if not x.prev_text and not x.next_text:
            keys.append(f"lone-{i}")
        else:
            keys.append(hashlib.sha1(f"{x.title}\x00{x.doc_text}".encode()).hexdigest())
    return keys


def _fold_groups(inputs: list[SegmentInput]) -> list[str]:
    """Page keys for the inner folds, with a lone copy of a line grouped with the page it comes
    from, so that no line is scored out of fold by a model that saw its lone copy."""
    keys = page_keys(inputs)
    home = {x.text: k for x, k in zip(inputs, keys) if not k.startswith("lone-")}
    return [home.get(x.text, k) if k.startswith("lone-") else k for x, k in zip(inputs, keys)]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def stack_features(inputs: list[SegmentInput], relevance: np.ndarray, events: np.ndarray, window: int):
    """Second-stage features from first-stage scores, computed page by page."""
    n = len(inputs)
    pages: dict[str, list[int]] = defaultdict(list)
    for row, key in enumerate(page_keys(inputs)):
        pages[key].append(row)
    near = np.zeros((n, 3))  # previous, next, mean of ±window (own score where there is none)
    page = np.zeros((n, 4))  # mean, max, share >= 0.5, title score
    page_events = np.zeros_like(events)
    for rows in pages.values():
        rows.sort(key=lambda r: inputs[r].position)
        r = relevance[rows]
        title = inputs[rows[0]].title
        title_rows = [j for j, row in enumerate(rows) if inputs[row].text == title]
        title_score = r[title_rows[0]] if title_rows else r.max()
        page[rows] = [r.mean(), r.max(), (r >= 0.5).mean(), title_score]
        page_events[rows] = (events[rows] * r[:, None]).sum(0) / max(r.sum(), 1e-6)
        for j, row in enumerate(rows):
            lo, hi = max(0, j - window), min(len(rows), j + window + 1)
            near[row] = [
                r[j - 1] if j > 0 else r[j],
                r[j + 1] if j + 1 < len(rows) else r[j],
                r[lo:hi].mean(),
            ]
    cue = np.array([[float(_DATELINE in x.doc_text[:400])] for x in inputs])
    return np.hstack(
        [
            _logit(relevance)[:, None],
            relevance[:, None],
            near,
            page,
            events,
            page_events,
            cue,
            cue * relevance[:, None],
            shape_features(inputs, use_context=True),
        ]
    )


def fit_event_offsets(
    events: np.ndarray, gold: np.ndarray, weight: np.ndarray, rounds: int = 3
) -> np.ndarray:
    """Per-type log-score offsets that maximise the weighted macro-F1 of ``argmax(log p + offset)``
    on out-of-fold event probabilities (coordinate ascent over a grid; zeros when nothing helps)."""
    from sklearn.metrics import f1_score

    logp = np.log(np.clip(events, 1e-6, 1.0))
    present = np.unique(gold)
    offsets = np.zeros(events.shape[1])

    def score(o):
        return f1_score(gold, (logp + o).argmax(1), labels=present, average="macro", sample_weight=weight)

    best = score(offsets)
    for _ in range(rounds):
        for k in present:
            for step in np.linspace(-1.5, 1.5, 13):
                trial = offsets.copy()
                trial[k] = step
                value = score(trial)
                if value > best + 1e-9:
                    best, offsets = value, trial
    return offsets


class PageStackModel(Predictor):
    """A first-stage family (``base_family`` with ``base_params``) and a page-level second stage.

    Args:
        use_context: passed to the first stage.
        base_family: the first stage's family (``tfidf`` or ``encoder``).
        base_params: the first stage's other hyper-parameters.
        window: neighbours on each side whose scores the second stage reads.
        inner_folds: page-grouped folds for the out-of-fold first-stage scores.
        C: inverse regularisation strength of the second stage's heads.
        page_events: take event types from the second stage too (default: the first stage's, which
            cross-validated better; the second stage decides relevance).
        event_offsets: fit per-type offsets of the event scores on out-of-fold scores, so that the
            most likely type maximises macro-F1 (a per-type decision rule fitted in training; off by
            default: on held-out sources it cost macro-F1, see the README's benchmark).
        threshold: relevance score at or above which a segment is on-topic.
        seed: random seed.
    """

    family = "stacked"
    param_bounds: ClassVar[dict[str, Bound]] = {
        **Predictor.param_bounds,
        "window": NON_NEGATIVE,
        "inner_folds": Bound(2),
        "C": POSITIVE,
    }

    def __init__(
        self,
        use_context: bool = True,
        base_family: str = "encoder",
        base_params: dict | None = None,
        window: int = 2,
        inner_folds: int = 3,
        C: float = 1.0,
        page_events: bool = False,
        event_offsets: bool = False,
        threshold: float = DEFAULT_THRESHOLD,
        seed: int = 13,
    ):
        self.use_context = use_context
        self.base_family = base_family
        self.base_params = base_params
        self.window = window
        self.inner_folds = inner_folds
        self.C = C
        self.page_events = page_events
        self.event_offsets = event_offsets
        self.threshold = threshold
        self.seed = seed

    def _base(self):
        from nkdiplomacy.estimators import make_estimator

        params = {**(self.base_params or {}), "use_context": self.use_context, "seed": self.seed}
        return make_estimator(self.base_family, **params)

    def _fit(self, inputs, relevant, event, weight):
        labels = np.array(label_space(), dtype=object)[np.where(relevant, event + 1, 0)]
        relevance = np.zeros(len(inputs))
        events = np.zeros((len(inputs), len(event_type_names())))
        groups = _fold_groups(inputs)
        for train, held in self._inner_folds(groups):
            part = self._base().fit([inputs[i] for i in train], labels[train], sample_weight=weight[train])
            relevance[held], events[held] = part.score_segments([inputs[i] for i in held])
        self.base_ = self._base().fit(inputs, labels, sample_weight=weight)
        F = stack_features(inputs, relevance, events, self.window)
        self.heads_ = LinearHeads.fit(F, relevant, event, weight, self.C, self.seed)
        self.offsets_ = np.zeros(events.shape[1])
        if self.event_offsets:
            on = np.flatnonzero(relevant)
            if self.page_events:  # offsets for the scores that decide: the second stage's, out of fold
                events = self._oof_page_events(F, relevant, event, weight, groups)
            self.offsets_ = fit_event_offsets(events[on], event[on], weight[on])

    def _inner_folds(self, groups: list[str]):
        """Page-grouped ``(train, held)`` index arrays of the inner cross-validation."""
        from sklearn.model_selection import GroupKFold

        return GroupKFold(n_splits=self.inner_folds).split(np.zeros(len(groups)), groups=groups)

    def _oof_page_events(self, F, relevant, event, weight, groups) -> np.ndarray:
        out = np.zeros((len(F), len(event_type_names())))
        for train, held in self._inner_folds(groups):
            heads = LinearHeads.fit(F[train], relevant[train], event[train], weight[train], self.C, self.seed)
            out[held] = heads.score(F[held])[1]
        return out

    def _score(self, inputs):
        relevance, events = self.base_.score_segments(inputs)
        stacked, stacked_events = self.heads_.score(stack_features(inputs, relevance, events, self.window))
        events = stacked_events if self.page_events else events
        if self.offsets_.any():
            shifted = np.exp(np.log(np.clip(events, 1e-6, 1.0)) + self.offsets_)
            events = shifted / shifted.sum(axis=1, keepdims=True)
        return stacked, events

    def _save_payload(self, path: Path) -> None:
        self.base_.save(path / BASE_DIR)
        self.heads_.save(path)
        save_json(path / OFFSETS_FILE, self.offsets_.tolist())

    def _load_payload(self, path: Path) -> None:
        self.base_ = load_model(path / BASE_DIR)
        self.heads_ = LinearHeads.load(path)
        offsets = load_json(path / OFFSETS_FILE, "event offsets")
        try:
            self.offsets_ = np.asarray(offsets, dtype=float).reshape(len(event_type_names()))
        except (TypeError, ValueError):
            raise ModelError(f"{path / OFFSETS_FILE}: expected {len(event_type_names())} numbers") from None
