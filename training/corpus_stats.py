"""Label counts of annotation files, as Markdown tables: per genre, source and outlet, per event type.

python training/corpus_stats.py [FILE.jsonl ...]   # default: every file under data/annotations/
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.schema import event_type_names


def table(title: str, groups: dict[str, list]) -> str:
    types = event_type_names()
    head = f"| {title} | pages | segments | on-topic | off-topic | " + " | ".join(types) + " |"
    lines = [head, "|" + "---|" * (5 + len(types))]
    for name, recs in groups.items():
        on = Counter(r.event_type for r in recs if r.relevant)
        cells = [
            name,
            len({r.doc_id for r in recs}),
            len(recs),
            sum(on.values()),
            len(recs) - sum(on.values()),
        ]
        lines.append(
            "| "
            + " | ".join(f"{c:,}" if isinstance(c, int) else c for c in cells + [on[t] for t in types])
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    default = sorted((ROOT / "data" / "annotations").glob("*.jsonl")) + sorted(
        (ROOT / "data" / "annotations" / "real").glob("*.jsonl")
    )
    records = read_annotations([Path(a) for a in argv] or default)
    by_genre, by_source, by_outlet = defaultdict(list), defaultdict(list), defaultdict(list)
    for r in records:
        by_source[r.source or r.origin].append(r)
        if r.origin != "synthetic":
            by_genre[r.genre or "?"].append(r)
        if r.origin == "real":
            by_outlet[r.outlet or "?"].append(r)
    real = [r for r in records if r.origin != "synthetic"]
    print(table("genre (seed + real)", dict(sorted(by_genre.items()))))
    print()
    print(table("source", {**dict(sorted(by_source.items())), "all real (seed + real)": real}))
    print()
    print(table("outlet", dict(sorted(by_outlet.items(), key=lambda kv: (-len(kv[1]), kv[0])))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
