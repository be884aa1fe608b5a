"""What the seed-page benchmarks (:mod:`run`, :mod:`quality`, :mod:`baselines`, :mod:`throughput`)
share: paths, the recipes under the first protocol, logging and memory measurement."""

from __future__ import annotations

import functools
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RAW_DIR = ROOT / "data" / "raw"
# The first protocol's data: the seed pages and the synthetic ones (which only ever train).
FIRST_PROTOCOL_FILES = [str(ROOT / "data" / "annotations" / f) for f in ("seed.jsonl", "synthetic.jsonl")]
# Quick mode: small training data and one epoch, for checking the script, never for reporting.
QUICK_OVERRIDES = {"data.max_synthetic_docs": 5}
QUICK_FINETUNE = {"model.epochs": 1.0}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's RSS high-water mark in MB.

    ``VmHWM`` of /proc/self/status belongs to the current address space, so it starts afresh at
    exec; ``ru_maxrss`` (the fallback) would carry over the parent's RSS from fork.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quick_overrides(name: str, quick: bool) -> dict:
    """The ``--quick`` overrides of a recipe (none without ``quick``)."""
    if not quick:
        return {}
    return {**QUICK_OVERRIDES, **(QUICK_FINETUNE if name.startswith("finetune") else {})}


def recipe(name: str, quick: bool):
    """``configs/<name>.yaml`` under the first protocol: leave one seed page out, seed and synthetic
    data only (benchmarks/grouped_cv.py runs the main protocol on the real corpus)."""
    from nkdiplomacy.trainer.recipe import load_config

    first_protocol = {"data.files": FIRST_PROTOCOL_FILES, "cv.scheme": "article"}
    return load_config(ROOT / "configs" / f"{name}.yaml", {**quick_overrides(name, quick), **first_protocol})


@functools.cache
def seed_folds() -> tuple:
    """``(held-out doc, its records in seg_id order)`` for each leave-one-article-out fold."""
    from nkdiplomacy.corpus.annotations import read_annotations
    from nkdiplomacy.corpus.splits import grouped_folds

    records = read_annotations(FIRST_PROTOCOL_FILES)
    folds = []
    for fold in grouped_folds(records, "article"):
        test = sorted((records[i] for i in fold.test), key=lambda r: r.seg_id)
        assert all(r.origin != "synthetic" for r in test)
        folds.append((fold.name, test))
    return tuple(folds)
