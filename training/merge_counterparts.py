"""Write readers' counterpart decisions into the gold annotation files (issue: counterparts).

    python training/merge_counterparts.py --readings DIR [--second DIR] [--adjudication TSV]

Each reader left one ``<doc_id>.tsv`` per page under ``DIR`` (any depth): ``seg_id<TAB>codes``, one line
per on-topic segment. This script only writes those decisions down: it sets ``counterparts`` on the
on-topic records of ``data/annotations/seed.jsonl`` and ``data/annotations/real/*.jsonl`` (replaced by
the adjudicated set, ``--adjudication`` with columns ``doc_id seg_id first second final``, where two
readings differ; then :data:`SETTLED`), and with ``--second`` writes the doubly read pages as each reader left them to
``data/annotations/agreement/counterparts/{first,second}_reading.jsonl`` (for ``training/agreement.py``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from merge_readings import ReadingError, find, parse_codes, write_jsonl, write_readings

ANNOTATIONS = ROOT / "data" / "annotations"
# Codes some readers used before the conventions were settled: the "UN Command" is US-led (USA);
# international bodies of no one state have no code.
SETTLED = {"UNC": "USA", "IASSJI": None}


def read_codes(path: Path, on_topic: list[int]) -> dict[int, list[str]]:
    """The codes of each on-topic seg_id of a reader's page file, checked for completeness."""
    out: dict[int, list[str]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        seg, _, codes = line.partition("\t")
        if not seg.strip().isdigit():
            raise ReadingError(f"{path}:{lineno}: expected 'seg_id<TAB>codes', got {line!r}")
        out[int(seg)] = parse_codes(codes)
    if sorted(out) != on_topic:
        raise ReadingError(
            f"{path}: seg_ids {sorted(out)[:5]}... are not the page's on-topic ones {on_topic[:5]}..."
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readings", type=Path, required=True)
    ap.add_argument("--second", type=Path)
    ap.add_argument("--adjudication", type=Path)
    args = ap.parse_args(argv)
    first, second = find(args.readings), find(args.second) if args.second else {}
    final: dict[tuple[str, int], list[str]] = {}
    if args.adjudication:
        with args.adjudication.open(encoding="utf-8") as fh:
            for a in csv.DictReader(fh, delimiter="\t"):
                final[(a["doc_id"], int(a["seg_id"]))] = parse_codes(a["final"])
    files = [ANNOTATIONS / "seed.jsonl", *sorted((ANNOTATIONS / "real").glob("*.jsonl"))]
    readings: dict[str, list[dict]] = {"first": [], "second": []}
    for path in files:
        records = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        pages: dict[str, list[dict]] = {}
        for r in records:
            pages.setdefault(r["doc_id"], []).append(r)
        changed = 0
        for doc, recs in pages.items():
            if doc not in first:
                continue
            on = sorted(r["seg_id"] for r in recs if r["relevant"])
            codes = read_codes(first[doc], on)
            other = read_codes(second[doc], on) if doc in second else None
            for r in recs:
                if not r["relevant"]:
                    continue
                if other is not None:
                    readings["first"].append({**r, "counterparts": codes[r["seg_id"]]})
                    readings["second"].append({**r, "counterparts": other[r["seg_id"]]})
                # The first reading, unless the two readings differed and were adjudicated; then the
                # conventions that the double reading settled (LABELING.md section 5).
                chosen = final.get((doc, r["seg_id"]), codes[r["seg_id"]])
                r["counterparts"] = sorted({SETTLED.get(c, c) for c in chosen} - {None})
                changed += 1
        if changed:
            write_jsonl(path, records)
            print(f"{path.relative_to(ROOT)}: counterparts on {changed} on-topic segments")
    if second:
        write_readings(readings, ANNOTATIONS / "agreement" / "counterparts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
