"""Counterparts: the gazetteer with page context against a plain dictionary, on the labeled pages.

    python benchmarks/counterparts.py [FILE.jsonl ...]   # default: every real annotation file

Scores the on-topic segments that carry gold ``counterparts`` (given the gold relevance: this measures
who, not whether), page by page, with :class:`nkdiplomacy.text.counterparts.CounterpartFinder` and with
:func:`~nkdiplomacy.text.counterparts.plain_dictionary` (each state by its own name only, no page
context). Neither is fitted on data, but the gazetteer's page rule and its added states were tuned by
reading the errors on half of the labeled pages (the tuning half: :func:`tuning_half`, a page by the hash
of its id); the main figures are those of the other half, whose errors were never looked at, with the
tuning half and all pages beside them, and per source on the held-out half. Writes
``benchmarks/results/counterparts.json`` (rendered in docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import defaultdict
from pathlib import Path

from nkdiplomacy.trainer.metrics import counterpart_scores

ROOT = Path(__file__).resolve().parent.parent


def tuning_half(doc_id: str) -> bool:
    """Whether a page is in the half whose errors the gazetteer was tuned on (even SHA-1 of its id)."""
    import hashlib

    return int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest(), 16) % 2 == 0


def evaluate(records, finder) -> tuple[dict, dict[str, dict]]:
    """Pooled scores and scores per source of ``finder`` on the labeled on-topic segments, each page
    read as predicting reads it (:func:`~nkdiplomacy.text.counterparts.counterparts_of`)."""
    from nkdiplomacy.text.context import record_inputs
    from nkdiplomacy.text.counterparts import counterparts_of

    found = counterparts_of(record_inputs(records), [r.relevant for r in records], finder)
    pooled, by_source = [], defaultdict(list)
    for r, codes in zip(records, found):
        if r.relevant and r.counterparts is not None:
            pair = (set(r.counterparts), set(codes))
            pooled.append(pair)
            by_source[r.source or r.origin].append(pair)
    return counterpart_scores(pooled), {s: counterpart_scores(p) for s, p in sorted(by_source.items())}


def main(argv: list[str] | None = None) -> int:
    from machine import machine_info

    from nkdiplomacy.corpus.annotations import read_annotations
    from nkdiplomacy.text.counterparts import CounterpartFinder, plain_dictionary

    files = [Path(a) for a in (argv or [])] or sorted(
        (ROOT / "data" / "annotations" / "real").glob("*.jsonl")
    )
    records = read_annotations(files)
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": machine_info()["git_commit"],
        "files": [str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f) for f in files],
        "methods": {},
    }
    for name, finder in (
        ("gazetteer + page context", CounterpartFinder()),
        ("plain dictionary", plain_dictionary()),
    ):
        held, per_source = evaluate([r for r in records if not tuning_half(r.doc_id)], finder)
        tuning, _ = evaluate([r for r in records if tuning_half(r.doc_id)], finder)
        pooled, _ = evaluate(records, finder)
        out["methods"][name] = {
            "held_out": held,
            "tuning": tuning,
            "pooled": pooled,
            "per_source": per_source,
        }
        print(f"{name}: held-out half micro-F1 {held['micro_f1']:.3f}, exact set {held['exact_set_accuracy']:.3f} "
              f"({held['segments']} segments); tuning half {tuning['micro_f1']:.3f}; all {pooled['micro_f1']:.3f}")  # fmt: skip
    path = ROOT / "benchmarks" / "results" / "counterparts.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
