"""Cross-validation folds over real pages, grouped so that no page (or source) is on both sides.

Schemes:

- ``source`` (the main protocol): every source is held out whole: the seed pages as one group,
  KCNA as one group (state media never seen in training), and the other outlets in
  ``outlet_groups`` groups of whole outlets (desks of one brand together, see :func:`outlet_brand`).
- ``story``: as ``source``, but KCNA split by story into ``kcna_folds`` folds (never by line).
- ``genre``: every genre (``news``, ``kcna``, ``official``, ...) with at least ``MIN_GENRE_PAGES``
  real pages held out whole in turn (seed pages with their genre); the rarer genres together.
- ``article``: leave one real page out (the first protocol, kept for comparison).

Synthetic records are never held out: they are in every fold's training side.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from nkdiplomacy.records import Annotation

SCHEMES = ("source", "story", "genre", "article")
STATE_MEDIA = "kcna"
MIN_GENRE_PAGES = 15
RARE_GENRES = "rare-genres"


@dataclass(frozen=True)
class Fold:
    """One fold: its held-out group and row indices into the records."""

    name: str
    train: list[int]
    test: list[int]


def _stable(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def outlet_brand(outlet: str) -> str:
    """The brand behind an outlet's name, so that its desks are held out together:
    "Fox Online News", "Fox News" -> "Fox"; "CNN (Web News)", "CNN - Editorial" -> "CNN"."""
    name = re.sub(r"\s*\(.*?\)", "", outlet).split(" - ")[0].strip()
    return re.sub(r"\s+(?:Online\s+)?News$", "", name) or outlet


def outlet_of(rec: Annotation) -> str:
    """The outlet a record is grouped by: its brand, else its source, else its page."""
    return outlet_brand(rec.outlet) if rec.outlet else rec.source or rec.doc_id


def _balanced(keys: Counter, n: int, prefix: str) -> dict[str, str]:
    """Assign keys to ``n`` groups, heaviest first to the lightest group (deterministic)."""
    loads = [0] * max(1, min(n, len(keys)))
    out = {}
    for key, weight in sorted(keys.items(), key=lambda kv: (-kv[1], kv[0])):
        g = min(range(len(loads)), key=lambda i: (loads[i], i))
        loads[g] += weight
        out[key] = f"{prefix}-{g + 1}"
    return out


def held_out_groups(
    records: Sequence[Annotation], scheme: str = "source", outlet_groups: int = 5, kcna_folds: int = 5
) -> list[str | None]:
    """The group each record is held out with (``None`` for synthetic records: train only)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown fold scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    if scheme == "article":
        return [None if r.train_only else r.doc_id for r in records]
    if scheme == "genre":
        return _genre_groups(records)
    other = Counter(outlet_of(r) for r in records if r.origin == "real" and r.source != STATE_MEDIA)
    outlet_group = _balanced(other, outlet_groups, "outlets")
    kcna_docs = sorted({r.doc_id for r in records if r.source == STATE_MEDIA}, key=_stable)
    story_group = {d: f"kcna-{i % kcna_folds + 1}" for i, d in enumerate(kcna_docs)}
    groups: list[str | None] = []
    for r in records:
        if r.train_only:
            groups.append(None)
        elif r.origin == "seed":
            groups.append("seed")
        elif r.source == STATE_MEDIA:
            groups.append(STATE_MEDIA if scheme == "source" else story_group[r.doc_id])
        else:
            groups.append(outlet_group[outlet_of(r)])
    return groups


def _genre_groups(records: Sequence[Annotation]) -> list[str | None]:
    missing = next((r for r in records if not r.train_only and not r.genre), None)
    if missing is not None:
        raise ValueError(f"the genre scheme needs a genre on every real record; {missing.doc_id!r} has none")
    pages = Counter(g for g, _ in {(r.genre, r.doc_id) for r in records if not r.train_only})
    return [
        None if r.train_only else r.genre if pages[r.genre] >= MIN_GENRE_PAGES else RARE_GENRES
        for r in records
    ]


def grouped_folds(
    records: Sequence[Annotation], scheme: str = "source", outlet_groups: int = 5, kcna_folds: int = 5
) -> list[Fold]:
    """One fold per held-out group, in sorted group order."""
    groups = held_out_groups(records, scheme, outlet_groups, kcna_folds)
    return [
        Fold(
            name=g,
            train=[i for i, h in enumerate(groups) if h != g],
            test=[i for i, h in enumerate(groups) if h == g],
        )
        for g in sorted({g for g in groups if g is not None})
    ]
