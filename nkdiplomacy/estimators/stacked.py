"""The page-level stage: labels the lines of a page jointly, on top of a first-stage model.

Inside a North Korean statement a line about a third country is on-topic; inside a domestic
story every line is off. A line's own words cannot tell these apart, its page can. The second
stage reads, for each line, the first stage's scores of the line and of its neighbours (±
``window``), page aggregates (mean and maximum relevance, share of on-topic lines, the title's
score, the page's mean event-type profile), a state-media dateline cue and the line's shape; with
``mentions``, also where North Korea is named: in the line, how near, and in the line's turn of a
transcript (from one question to the next), with that turn's scores.
It is fitted on out-of-fold first-stage scores (grouped by page), so it learns how the first stage
errs on pages it has not seen.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from nkdiplomacy.bounds import POSITIVE, Bound
from nkdiplomacy.estimators.heads import LinearHeads
from nkdiplomacy.estimators.model import SegmentModel, label_space, load_model
from nkdiplomacy.estimators.persist import ModelError, load_json, save_json
from nkdiplomacy.schema import DEFAULT_THRESHOLD, event_type_names
from nkdiplomacy.text.context import (
    SegmentInput,
    names_north_korea,
    opens_question,
    page_keys,
    page_rows,
    shape_features,
)

BASE_DIR = "base"
OFFSETS_FILE = "event_offsets.json"
_DATELINE = "(KCNA)"


def _fold_groups(inputs: list[SegmentInput]) -> list[str]:
    """Page keys for the inner folds, with a lone copy of a line grouped with the page it comes
    from, so that no line is scored out of fold by a model that saw its lone copy."""
    keys = page_keys(inputs)
    home = {x.text: k for x, k in zip(inputs, keys) if not k.startswith("lone-")}
    return [home.get(x.text, k) if k.startswith("lone-") else k for x, k in zip(inputs, keys)]


def _base_dir(b: int) -> str:
    """The sub-folder of the ``b``-th first stage: ``base``, then ``base_1``, ``base_2``..."""
    return BASE_DIR if b == 0 else f"{BASE_DIR}_{b}"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def stack_features(
    inputs: list[SegmentInput],
    relevance: np.ndarray,
    events: np.ndarray,
    window: int,
    mentions: bool = False,
    mention_cue: bool = False,
):
    """Second-stage features from first-stage scores, computed page by page.

    ``relevance`` is ``(n,)``, or ``(n_bases, n)`` when several first stages score the lines: the
    first gets every feature, each further one its own score, neighbour and page blocks; with
    ``mentions``, the :func:`mention_block` of the first's scores; with ``mention_cue`` too, that block
    twice, once on pages with the state-media cue and once on the others (zero where it does not apply),
    so that naming North Korea can weigh differently where every page is about it.
    """
    scores = np.atleast_2d(relevance)
    pages = page_rows(inputs)
    blocks = [_relevance_block(inputs, pages, r, window) for r in scores]
    r0 = scores[0]
    page_events = np.zeros_like(events)
    for rows in pages.values():
        r = r0[rows]
        page_events[rows] = (events[rows] * r[:, None]).sum(0) / max(r.sum(), 1e-6)
    cue = np.array([[float(_DATELINE in x.doc_text[:400])] for x in inputs])
    return np.hstack(
        [
            blocks[0],
            events,
            page_events,
            cue,
            cue * r0[:, None],
            shape_features(inputs, use_context=True),
            *blocks[1:],
            *(_mention_blocks(inputs, pages, r0, cue, mention_cue) if mentions else []),
        ]
    )


def _mention_blocks(inputs, pages, relevance, cue: np.ndarray, by_cue: bool) -> list[np.ndarray]:
    block = mention_block(inputs, pages, relevance)
    return [block * (1.0 - cue), block * cue] if by_cue else [block]


def mention_block(
    inputs: list[SegmentInput], pages: dict[str, list[int]], relevance: np.ndarray
) -> np.ndarray:
    """Where North Korea is named around each line: the line names it; nearness of the closest line
    that does (``exp(-distance / 2)``, 0 when none); the page names it (title included); and, over the
    line's turn (the lines from one question of a transcript to the next; the whole page when it has
    no questions), whether the turn names it, the share of its lines that do, and its mean and
    maximum scores."""
    n = len(inputs)
    out = np.zeros((n, 7))
    for rows in pages.values():
        named = np.array([names_north_korea(inputs[row].text) for row in rows], dtype=float)
        where = np.flatnonzero(named)
        page_named = float(named.any() or names_north_korea(inputs[rows[0]].title))
        turn = np.cumsum([opens_question(inputs[row].text) for row in rows])
        r = relevance[rows]
        for j, row in enumerate(rows):
            near = np.exp(-np.abs(where - j).min() / 2.0) if len(where) else 0.0
            mine = turn == turn[j]
            out[row] = [
                named[j],
                near,
                page_named,
                named[mine].max(),
                named[mine].mean(),
                r[mine].mean(),
                r[mine].max(),
            ]
    return out


def _relevance_block(inputs: list[SegmentInput], pages: dict[str, list[int]], relevance, window: int):
    """A line's score (logit and raw), its neighbours' (previous, next, mean of ±window; its own
    where there is none) and its page's (mean, max, share >= 0.5, title score)."""
    n = len(inputs)
    near = np.zeros((n, 3))
    page = np.zeros((n, 4))
    for rows in pages.values():
        r = relevance[rows]
        title = inputs[rows[0]].title
        title_rows = [j for j, row in enumerate(rows) if inputs[row].text == title]
        title_score = r[title_rows[0]] if title_rows else r.max()
        page[rows] = [r.mean(), r.max(), (r >= 0.5).mean(), title_score]
        for j, row in enumerate(rows):
            lo, hi = max(0, j - window), min(len(rows), j + window + 1)
            near[row] = [
                r[j - 1] if j > 0 else r[j],
                r[j + 1] if j + 1 < len(rows) else r[j],
                r[lo:hi].mean(),
            ]
    return np.hstack([_logit(relevance)[:, None], relevance[:, None], near, page])


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


class PageStackModel(SegmentModel):
    """A first-stage family (``base_family`` with ``base_params``) and a page-level second stage.

    Args:
        use_context: passed to the first stage.
        base_family: the first stage's family (``tfidf`` or ``encoder``).
        base_params: the first stage's other hyper-parameters.
        extra_bases: further first stages, each ``{"family": ..., **params}``, whose out-of-fold
            scores the second stage reads beside the first's; event types are the mean of all
            first stages' (e.g. ``[{"family": "tfidf", "names": "masked"}]``: words beside meaning).
        window: neighbours on each side whose scores the second stage reads.
        inner_folds: page-grouped folds for the out-of-fold first-stage scores.
        C: inverse regularisation strength of the second stage's heads.
        page_events: take event types from the second stage too (default: the first stage's, which
            cross-validated better; the second stage decides relevance).
        mentions: read where North Korea is named (the line, its nearness, its transcript turn and
            page: :func:`mention_block`).
        mention_cue: with ``mentions``, read them apart on pages with the state-media cue and on the
            others (in grouped CV the shared block cost KCNA pages recall; see docs/benchmarks.md).
        event_offsets: fit per-type offsets of the event scores on out-of-fold scores, so that the
            most likely type maximises macro-F1 (a per-type decision rule fitted in training; off by
            default: on held-out sources it cost macro-F1, see the README's benchmark).
        threshold: relevance score at or above which a segment is on-topic.
        seed: random seed.
    """

    family = "stacked"
    line_wise = False  # the page stage reads a page's lines together; its first stages chunk themselves
    param_bounds: ClassVar[dict[str, Bound]] = {
        **SegmentModel.param_bounds,
        "window": Bound(0, 50),  # neighbours each side; past a page's length more only costs time
        "inner_folds": Bound(2),
        "C": POSITIVE,
    }

    def __init__(
        self,
        use_context: bool = True,
        base_family: str = "encoder",
        base_params: dict | None = None,
        extra_bases: list | None = None,
        window: int = 2,
        inner_folds: int = 3,
        C: float = 1.0,
        page_events: bool = False,
        event_offsets: bool = False,
        mentions: bool = False,
        mention_cue: bool = False,
        threshold: float = DEFAULT_THRESHOLD,
        seed: int = 13,
    ):
        self.use_context = use_context
        self.base_family = base_family
        self.base_params = base_params
        self.extra_bases = extra_bases
        self.window = window
        self.inner_folds = inner_folds
        self.C = C
        self.page_events = page_events
        self.event_offsets = event_offsets
        self.mentions = mentions
        self.mention_cue = mention_cue
        self.threshold = threshold
        self.seed = seed

    @classmethod
    def nested_params(cls, params: dict) -> list[tuple[str, str, dict]]:
        """The first stages' parameters: ``base_params`` (family ``base_family``) and each of ``extra_bases``."""
        base = params.get("base_params") or {}
        if not isinstance(base, dict):
            raise TypeError(f"base_params must be a mapping, got {base!r}")
        out = [("base_params", params.get("base_family", "encoder"), base)]
        for i, spec in enumerate(params.get("extra_bases") or ()):
            if not isinstance(spec, dict) or "family" not in spec:
                raise TypeError(f"each of extra_bases must be a mapping with a 'family', got {spec!r}")
            out.append(
                (f"extra_bases[{i}]", spec["family"], {k: v for k, v in spec.items() if k != "family"})
            )
        return out

    def _bases(self) -> list:
        """New, unfitted first stages: ``base_family`` then each of ``extra_bases``."""
        from nkdiplomacy.estimators import make_estimator

        specs = [{**(self.base_params or {}), "family": self.base_family}, *(self.extra_bases or ())]
        shared = {"use_context": self.use_context, "seed": self.seed}
        bases = []
        for spec in specs:
            if not isinstance(spec, dict) or "family" not in spec:
                raise ValueError(f"each of extra_bases must be a mapping with a 'family', got {spec!r}")
            params = {k: v for k, v in spec.items() if k != "family"}
            bases.append(make_estimator(spec["family"], **{**params, **shared}))
        return bases

    def _fit(self, inputs, relevant, event, weight):
        labels = np.array(label_space(), dtype=object)[np.where(relevant, event + 1, 0)]
        n_bases = 1 + len(self.extra_bases or ())
        relevance = np.zeros((n_bases, len(inputs)))
        events = np.zeros((n_bases, len(inputs), len(event_type_names())))
        groups = _fold_groups(inputs)
        for train, held in self._inner_folds(groups):
            for b, base in enumerate(self._bases()):
                part = base.fit([inputs[i] for i in train], labels[train], sample_weight=weight[train])
                relevance[b, held], events[b, held] = part.score_segments([inputs[i] for i in held])
        self.bases_ = [base.fit(inputs, labels, sample_weight=weight) for base in self._bases()]
        events = events.mean(axis=0)
        F = stack_features(inputs, relevance, events, self.window, self.mentions, self.mention_cue)
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
        scores = [base.score_segments(inputs) for base in self.bases_]
        relevance = np.array([r for r, _ in scores])
        events = np.mean([e for _, e in scores], axis=0)
        features = stack_features(inputs, relevance, events, self.window, self.mentions, self.mention_cue)
        stacked, stacked_events = self.heads_.score(features)
        events = stacked_events if self.page_events else events
        if self.offsets_.any():
            shifted = np.exp(np.log(np.clip(events, 1e-6, 1.0)) + self.offsets_)
            events = shifted / shifted.sum(axis=1, keepdims=True)
        return stacked, events

    def _save_payload(self, path: Path) -> None:
        for b, base in enumerate(self.bases_):
            base.save(path / _base_dir(b))
        self.heads_.save(path)
        save_json(path / OFFSETS_FILE, self.offsets_.tolist())

    def _load_payload(self, path: Path) -> None:
        self.bases_ = [load_model(path / _base_dir(b)) for b in range(1 + len(self.extra_bases or ()))]
        self.heads_ = LinearHeads.load(path)
        offsets = load_json(path / OFFSETS_FILE, "event offsets")
        try:
            self.offsets_ = np.asarray(offsets, dtype=float).reshape(len(event_type_names()))
        except (TypeError, ValueError):
            raise ModelError(f"{path / OFFSETS_FILE}: expected {len(event_type_names())} numbers") from None
