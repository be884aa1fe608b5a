"""Which unlabeled segments to label next: the ones whose labels would teach the model most.

A segment is worth an analyst's answer when the model is unsure about it:

- **relevance uncertainty**: its relevance score is near the model's threshold
  (1 at the threshold, 0 at a score of 0 or 1);
- **event disagreement**: the two likeliest event types are close (1 - their margin), counted in
  proportion to how likely the segment is on-topic (an off-topic line's type does not matter).

Its **utility** is ``relevance_uncertainty + EVENT_WEIGHT * event_disagreement``. The picks are
made greedily, best utility first, with **diversity**: each segment already picked from the same
page multiplies a candidate's utility by ``PAGE_DECAY``, each one from the same outlet (or source
group) by ``GROUP_DECAY``, and a text already picked (a repeated caption, a boilerplate line) is
not picked again. Ties break on ``(doc_id, seg_id)``, so the same inputs give the same list.

The picks are written as a to-do file: JSON Lines records of the labeling guide's format, with
the model's guess in ``relevant`` and ``event_type`` (to be confirmed or corrected), and extra
fields (:data:`EXTRA_FIELDS`) that ``nkdiplomacy annotate`` reads and drops from its output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nkdiplomacy.schema import DEFAULT_THRESHOLD, decide, event_type_names

EVENT_WEIGHT = 0.5
PAGE_DECAY = 0.35
GROUP_DECAY = 0.85
# Fields of a to-do record that are not part of the annotation record format.
EXTRA_FIELDS = ("score", "event_scores", "utility", "rank", "file")


@dataclass(frozen=True)
class Candidate:
    """An unlabeled segment with the model's scores."""

    doc_id: str
    seg_id: int
    text: str
    score: float
    event_probs: tuple[float, ...]
    group: str = ""  # outlet or source: picks are spread across groups as across pages
    file: str | None = None  # the article file the segment comes from (to show it in its page)
    counterparts: tuple[str, ...] = ()  # the model's counterparts when it judges the segment on-topic


def utilities(scores: Sequence[float], event_probs, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """The utility of labeling each segment (see the module's docstring), shape ``(n,)``."""
    s = np.asarray(scores, dtype=float)
    if len(s) == 0:
        return np.zeros(0)
    probs = np.asarray(event_probs, dtype=float).reshape(len(s), -1)
    span = max(threshold, 1.0 - threshold)
    relevance_uncertainty = np.clip(1.0 - np.abs(s - threshold) / span, 0.0, 1.0)
    top2 = np.sort(probs, axis=1)[:, -2:] if probs.shape[1] > 1 else np.hstack([np.zeros_like(probs), probs])
    disagreement = 1.0 - (top2[:, 1] - top2[:, 0])
    on_topic = np.clip(s / threshold, 0.0, 1.0) if threshold > 0 else np.ones_like(s)
    return relevance_uncertainty + EVENT_WEIGHT * disagreement * on_topic


def _text_key(text: str) -> str:
    return " ".join(text.lower().split())


def pick(
    candidates: Sequence[Candidate], n: int, threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[Candidate, float]]:
    """Up to ``n`` candidates, most useful first, spread across pages and groups; with their utility."""
    if not candidates or n <= 0:
        return []
    base = utilities([c.score for c in candidates], [c.event_probs for c in candidates], threshold)
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].doc_id, candidates[i].seg_id))
    rank_of = np.empty(len(candidates), dtype=int)
    rank_of[order] = np.arange(len(candidates))
    texts: set[str] = set()
    alive = np.ones(len(candidates), dtype=bool)
    for i, c in enumerate(candidates):
        if not c.text.strip():
            alive[i] = False
    doc_index = {d: k for k, d in enumerate(sorted({c.doc_id for c in candidates}))}
    group_index = {g: k for k, g in enumerate(sorted({c.group for c in candidates}))}
    docs = np.array([doc_index[c.doc_id] for c in candidates])
    groups = np.array([group_index[c.group] for c in candidates])
    page_count = np.zeros(len(doc_index))
    group_count = np.zeros(len(group_index))
    picked: list[tuple[Candidate, float]] = []
    while len(picked) < n and alive.any():
        value = base * PAGE_DECAY ** page_count[docs] * GROUP_DECAY ** group_count[groups]
        value = np.where(alive, value, -np.inf)
        best_value = value.max()
        # Deterministic tie-break: the lowest (doc_id, seg_id) among the best.
        ties = np.flatnonzero(value >= best_value - 1e-12)
        i = int(ties[np.argmin(rank_of[ties])])
        alive[i] = False
        c = candidates[i]
        key = _text_key(c.text)
        if key in texts:
            continue
        texts.add(key)
        page_count[docs[i]] += 1
        group_count[groups[i]] += 1
        picked.append((c, float(base[i])))
    return picked


def todo_record(c: Candidate, utility: float, rank: int, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """A to-do record: the guide's fields with the model's guess, plus :data:`EXTRA_FIELDS`."""
    types = event_type_names()
    (relevant,), (event_type,) = decide([c.score], [c.event_probs], threshold)
    record = {
        "doc_id": c.doc_id,
        "seg_id": c.seg_id,
        "text": c.text,
        "relevant": relevant,
        "event_type": event_type,
        "origin": "real",
        "score": round(float(c.score), 6),
        "event_scores": {t: round(float(p), 6) for t, p in zip(types, c.event_probs)},
        "utility": round(utility, 6),
        "rank": rank,
    }
    if relevant:
        record["counterparts"] = list(c.counterparts)
    if c.file is not None:
        record["file"] = c.file
    return record


def candidates_from_predictions(predictions, group: str = "", file: str | None = None) -> list[Candidate]:
    """Candidates from a page's ``Prediction`` records (``Classifier.classify_article``)."""
    types = event_type_names()
    return [
        Candidate(
            doc_id=p.doc_id,
            seg_id=p.seg_id,
            text=p.text,
            score=p.score,
            event_probs=tuple(p.event_scores[t] for t in types),
            group=group,
            file=file,
            counterparts=p.counterparts,
        )
        for p in predictions
    ]


def write_todo(records: Sequence[dict], stream) -> None:
    for r in records:
        stream.write(json.dumps(r, ensure_ascii=False) + "\n")


def page_group(path: str | Path) -> str:
    """The group of an article file, for diversity: its folder (one folder per outlet is the usual layout)."""
    return str(Path(path).parent)


@dataclass(frozen=True)
class Suggestions:
    """What :func:`suggest` found: the to-do records, best first, and one line per bad input."""

    records: list[dict]
    errors: list[str]


def suggest(
    paths: list[str],
    model: str | None = None,
    n: int = 50,
    exclude: Sequence[str] = (),
    max_bytes: int | None = None,
    relative_to: str | Path | None = None,
) -> Suggestions:
    """Score the articles under ``paths`` and return the to-do records of the best ``n`` segments.

    Bad inputs are skipped, each an error line; segments already labeled in ``exclude`` files are
    not suggested. Each record's ``file`` is its page's path relative to ``relative_to`` (the to-do
    file's folder, which ``annotate`` reads it from; default the current folder), so that a shared
    to-do file carries no absolute path of this machine. Raises ``ModelLoadError`` or ``DataError``
    (an ``exclude`` file).
    """
    import os

    from nkdiplomacy.corpus.annotations import read_annotations
    from nkdiplomacy.serving.classifier import load
    from nkdiplomacy.serving.pages import article_results
    from nkdiplomacy.text.articles import DEFAULT_MAX_BYTES, STDIN_SOURCE, InputError, iter_articles

    base = os.getcwd() if relative_to is None else str(relative_to)
    labeled = {(r.doc_id, r.seg_id) for r in read_annotations(list(exclude))} if exclude else set()
    clf = load(model)
    candidates: list[Candidate] = []
    errors: list[str] = []
    articles = iter_articles(paths, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)
    for result in article_results(clf, articles):
        if isinstance(result, InputError):
            errors.append(str(result))
            continue
        file = None if result.source == STDIN_SOURCE else os.path.relpath(result.source, base)
        group = "" if file is None else page_group(result.source)
        candidates += [
            c
            for c in candidates_from_predictions(result.predictions, group, file)
            if (c.doc_id, c.seg_id) not in labeled
        ]
    picked = pick(candidates, n, clf.threshold)
    records = [todo_record(c, u, rank, clf.threshold) for rank, (c, u) in enumerate(picked, start=1)]
    return Suggestions(records, errors)
