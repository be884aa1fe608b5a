"""Agreement between two blind readings of the same pages.

    python training/agreement.py data/annotations/agreement/first_reading.jsonl \\
        data/annotations/agreement/second_reading.jsonl [--disagreements]

Prints relevance agreement and Cohen's kappa over all shared segments; event-type agreement and
kappa over the segments both readers called on-topic; and, with ``--disagreements``, every segment
the readers labeled differently (the list that adjudication works through).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nkdiplomacy.corpus.annotations import read_annotations


def label(rec) -> str:
    return rec.event_type if rec.relevant else "off"


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import cohen_kappa_score

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    ap.add_argument("--disagreements", action="store_true")
    args = ap.parse_args(argv)
    first = {(r.doc_id, r.seg_id): r for r in read_annotations(args.first)}
    second = {(r.doc_id, r.seg_id): r for r in read_annotations(args.second)}
    keys = sorted(first.keys() & second.keys())
    rel_a = [first[k].relevant for k in keys]
    rel_b = [second[k].relevant for k in keys]
    both_on = [k for k in keys if first[k].relevant and second[k].relevant]
    ev_a = [first[k].event_type for k in both_on]
    ev_b = [second[k].event_type for k in both_on]
    n_docs = len({k[0] for k in keys})
    agree = sum(a == b for a, b in zip(rel_a, rel_b)) / len(keys)
    print(f"pages: {n_docs}, segments: {len(keys)}")
    print(f"relevance: agreement {agree:.3f}, Cohen's kappa {cohen_kappa_score(rel_a, rel_b):.3f}")
    ev_agree = sum(a == b for a, b in zip(ev_a, ev_b)) / max(1, len(both_on))
    print(
        f"event type (both on-topic, {len(both_on)} segments): agreement {ev_agree:.3f}, "
        f"Cohen's kappa {cohen_kappa_score(ev_a, ev_b):.3f}"
    )
    full = [label(first[k]) == label(second[k]) for k in keys]
    print(
        f"full label (off or type): agreement {sum(full) / len(keys):.3f}, "
        f"kappa {cohen_kappa_score([label(first[k]) for k in keys], [label(second[k]) for k in keys]):.3f}"
    )
    if args.disagreements:
        for k in keys:
            if label(first[k]) != label(second[k]):
                print(f"{k[0]}\t{k[1]}\t{label(first[k])}\t{label(second[k])}\t{first[k].text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
