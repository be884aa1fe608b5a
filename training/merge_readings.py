"""Write readers' decisions on the genre pages down as annotation files.

    python training/merge_readings.py --readings DIR [--second DIR] [--adjudication TSV]

Each reader left one ``<doc_id>.tsv`` per page under ``DIR`` (any depth): ``seg_id<TAB>label<TAB>
counterparts``, one line per segment, ``label`` being ``off`` or an event type and ``counterparts``
comma-separated codes. This script only writes those decisions down, with the page's text and
provenance from ``data/raw/real/manifest_genres.jsonl``; it decides nothing. Outputs:

- ``data/annotations/real/<genre>.jsonl``: every segment of every genre page, the first reading's
  label, replaced by the adjudicated one (``--adjudication``, columns ``doc_id seg_id first second
  final`` and, for counterparts, ``final_counterparts``) where the two readings disagreed, then the
  counterparts of ``agreement/genres/counterparts_review.tsv`` (the consistency review);
- with ``--second``: ``data/annotations/agreement/genres/{first,second}_reading.jsonl``, the doubly
  read pages as each reader left them (for ``training/agreement.py``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.schema import event_type_names
from nkdiplomacy.text.segment import segment

RAW = ROOT / "data" / "raw" / "real"
OUT = ROOT / "data" / "annotations"


class ReadingError(ValueError):
    pass


def parse_codes(text: str | None) -> list[str]:
    """Comma-separated counterpart codes as a sorted list without repeats (empty for none)."""
    return sorted({c.strip() for c in (text or "").split(",") if c.strip()})


def write_readings(readings: dict[str, list[dict]], folder: Path) -> None:
    """The doubly read pages as each reader left them: ``folder/{first,second}_reading.jsonl``."""
    for name, records in readings.items():
        write_jsonl(folder / f"{name}_reading.jsonl", records)


def read_page_labels(path: Path, n_segments: int) -> list[tuple[str, list[str]]]:
    """One (label, counterparts) per segment of a reader's page file, checked for completeness."""
    labels = {"off", *event_type_names()}
    out: dict[int, tuple[str, list[str]]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) < 2 or not cells[0].strip().isdigit() or cells[1].strip() not in labels:
            raise ReadingError(f"{path}:{lineno}: expected 'seg_id<TAB>label[<TAB>codes]', got {line!r}")
        codes = parse_codes(cells[2] if len(cells) > 2 else "")
        out[int(cells[0])] = (cells[1].strip(), codes)
    if sorted(out) != list(range(n_segments)):
        raise ReadingError(
            f"{path}: labels for seg_ids {sorted(out)[:3]}... do not cover 0..{n_segments - 1}"
        )
    return [out[i] for i in range(n_segments)]


def record(row: dict, seg, label: str, codes: list[str]) -> dict:
    on = label != "off"
    rec = {
        "doc_id": row["doc_id"], "seg_id": seg.seg_id, "text": seg.text, "relevant": on,
        "event_type": label if on else None, "origin": "real", "source": row["source"],
        "outlet": row["outlet"], "date": row["date"], "url": row["url"], "genre": row["genre"],
    }  # fmt: skip
    if on:
        rec["counterparts"] = codes
    return rec


def find(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.tsv")):
        if path.stem in files:
            raise ReadingError(f"{path}: a second reading of {path.stem} in {folder}")
        files[path.stem] = path
    return files


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    read_annotations(path)  # the loader's validation, on what was written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readings", type=Path, required=True)
    ap.add_argument("--second", type=Path)
    ap.add_argument("--adjudication", type=Path)
    args = ap.parse_args(argv)
    rows = [json.loads(x) for x in (RAW / "manifest_genres.jsonl").read_text().splitlines()[1:]]
    first, second = find(args.readings), find(args.second) if args.second else {}
    final: dict[tuple[str, int], tuple[str, list[str]]] = {}
    if args.adjudication:
        with args.adjudication.open(encoding="utf-8") as fh:
            for a in csv.DictReader(fh, delimiter="\t"):
                codes = parse_codes(a.get("final_counterparts"))
                final[(a["doc_id"], int(a["seg_id"]))] = (a["final"], codes)
    by_genre: dict[str, list[dict]] = {}
    readings: dict[str, list[dict]] = {"first": [], "second": []}
    for row in rows:
        doc = row["doc_id"]
        if doc not in first:
            raise ReadingError(f"no reading of {doc} under {args.readings}")
        segs = segment((RAW / row["path"]).read_text(encoding="utf-8"), doc)
        labels = read_page_labels(first[doc], len(segs))
        if doc in second:
            other = read_page_labels(second[doc], len(segs))
            readings["first"] += [record(row, s, *lab) for s, lab in zip(segs, labels)]
            readings["second"] += [record(row, s, *lab) for s, lab in zip(segs, other)]
            labels = [final.get((doc, s.seg_id), lab) for s, lab in zip(segs, labels)]
        by_genre.setdefault(row["genre"], []).extend(record(row, s, *lab) for s, lab in zip(segs, labels))
    review = OUT / "agreement" / "genres" / "counterparts_review.tsv"
    if review.exists():  # the consistency review of counterparts, applied after adjudication
        with review.open(encoding="utf-8") as fh:
            changes = {(c["doc_id"], int(c["seg_id"])): c["new"] for c in csv.DictReader(fh, delimiter="\t")}
        for records in by_genre.values():
            for r in records:
                if (r["doc_id"], r["seg_id"]) in changes:
                    r["counterparts"] = parse_codes(changes[(r["doc_id"], r["seg_id"])])
    for genre, records in sorted(by_genre.items()):
        write_jsonl(OUT / "real" / f"{genre}.jsonl", records)
        print(f"{genre}: {len({r['doc_id'] for r in records})} pages, {len(records)} segments")
    if second:
        write_readings(readings, OUT / "agreement" / "genres")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
