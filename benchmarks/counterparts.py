"""Counterparts: the gazetteer with page context against a plain dictionary, on the labeled pages.

    python benchmarks/counterparts.py [FILE.jsonl ...]   # default: every real annotation file

Scores the on-topic segments that carry gold ``counterparts`` (given the gold relevance: this measures
who, not whether), page by page, with :class:`nkdiplomacy.text.counterparts.CounterpartFinder` and with
:func:`~nkdiplomacy.text.counterparts.plain_dictionary` (each state by its own name only, no page
context). Neither is fitted on any data, so every page is a held-out page; figures are also given per
source. Writes ``benchmarks/results/counterparts.json`` (rendered in docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import defaultdict
from pathlib import Path

from nkdiplomacy.trainer.metrics import counterpart_scores

ROOT = Path(__file__).resolve().parent.parent


def evaluate(records, finder) -> tuple[dict, dict[str, dict]]:
    """Pooled scores and scores per source of ``finder`` on the labeled on-topic segments."""
    pages = defaultdict(list)
    for r in records:
        pages[r.doc_id].append(r)
    pooled, by_source = [], defaultdict(list)
    for recs in pages.values():
        recs.sort(key=lambda r: r.seg_id)
        found = finder.for_page([r.text for r in recs], [r.relevant for r in recs])
        for r, codes in zip(recs, found):
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
        pooled, per_source = evaluate(records, finder)
        out["methods"][name] = {"pooled": pooled, "per_source": per_source}
        print(f"{name}: micro-F1 {pooled['micro_f1']:.3f}, exact set {pooled['exact_set_accuracy']:.3f} "
              f"({pooled['segments']} segments)")  # fmt: skip
    path = ROOT / "benchmarks" / "results" / "counterparts.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
