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


def counterpart_agreement(first: dict, second: dict, keys: list) -> None:
    """Exact-set agreement and per-code F1 (one reading as reference) of counterparts, over the
    segments both readers called on-topic and both gave counterparts."""
    keys = [k for k in keys if first[k].counterparts is not None and second[k].counterparts is not None]
    if not keys:
        return
    exact = sum(set(first[k].counterparts) == set(second[k].counterparts) for k in keys) / len(keys)
    codes = sorted({c for k in keys for c in (*first[k].counterparts, *second[k].counterparts)})
    tp = {c: 0 for c in codes}
    fp, fn = dict(tp), dict(tp)
    for k in keys:
        a, b = set(first[k].counterparts), set(second[k].counterparts)
        for c in a & b:
            tp[c] += 1
        for c in b - a:
            fp[c] += 1
        for c in a - b:
            fn[c] += 1
    micro = 2 * sum(tp.values()) / max(1, 2 * sum(tp.values()) + sum(fp.values()) + sum(fn.values()))
    print(
        f"counterparts ({len(keys)} segments both on-topic): exact-set agreement {exact:.3f}, micro-F1 {micro:.3f}"
    )
    for c in sorted(codes, key=lambda c: -(tp[c] + fn[c] + fp[c])):
        f1 = 2 * tp[c] / max(1, 2 * tp[c] + fp[c] + fn[c])
        print(f"  {c}: F1 {f1:.3f} (both {tp[c]}, first only {fn[c]}, second only {fp[c]})")


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
    counterpart_agreement(first, second, both_on)
    if args.disagreements:
        for k in keys:
            if label(first[k]) != label(second[k]):
                print(f"{k[0]}\t{k[1]}\t{label(first[k])}\t{label(second[k])}\t{first[k].text}")
            elif first[k].relevant and (first[k].counterparts or ()) != (second[k].counterparts or ()):
                cps = [",".join(r[k].counterparts or ()) for r in (first, second)]
                print(
                    f"{k[0]}\t{k[1]}\t{label(first[k])} [{cps[0]}]\t{label(second[k])} [{cps[1]}]\t{first[k].text}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
