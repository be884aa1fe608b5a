"""Benchmark nkdiplomacy against the alternatives a user would pick instead: quality and speed.

Quality (:mod:`quality`, :mod:`baselines`): leave-one-article-out over the 5 real seed articles
(synthetic articles only ever train), the same folds for every row, pooled over the held-out
articles, scored with the package's own metric functions (:mod:`nkdiplomacy.trainer.metrics`).
Rows: every model family from its recipe (``configs/*.yaml``) with and without article context,
through the trainer's own cross-validation; a North Korea keyword filter; trafilatura and jusText
boilerplate removal, alone and followed by the keyword filter; zero-shot event typing by MiniLM
embedding similarity to the event-type descriptions.

Speed (:mod:`throughput`, this machine): per family, the final model fit once on all data by the
trainer's ``fit_final`` (time, size on disk, peak RSS) and batch prediction over repeated seed
articles (segments per second, peak RSS), each in a fresh subprocess; the cold start of
``nkdiplomacy predict`` and ``nkdiplomacy --help`` relative to ``python -c "import sklearn"``.

Usage (from the repository root)::

    python benchmarks/run.py                   # default run: about 12-15 min on 2 idle cores
    python benchmarks/run.py --finetune-cv     # also cross-validate finetune (about 13 min more)
    python benchmarks/run.py --families tfidf  # some families only (the baselines always run)
    python benchmarks/run.py --quick           # smoke run: tiny training data, not for reporting

finetune's cross-validation is not in the default run: its rows come from the last
``--finetune-cv`` run (``benchmarks/results/finetune_cv.json``) while recipes, data and model
code are unchanged, and say "not run" otherwise.

Writes ``benchmarks/results/latest.json`` and ``latest.md`` (``--output`` changes the JSON path;
the Markdown file sits beside it); :mod:`report` renders them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, log, seed_folds

from nkdiplomacy.estimators import FAMILIES as ESTIMATOR_FAMILIES

# The families measured here: those with a recipe with and without context (finetune's CV only with
# --finetune-cv, see quality.SLOW_FAMILIES).
FAMILIES = tuple(f for f in ESTIMATOR_FAMILIES if (ROOT / "configs" / f"{f}_nocontext.yaml").is_file())
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from quality import CV_STORE

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--families", default=",".join(FAMILIES), help="comma-separated model families (default: all)"
    )
    parser.add_argument(
        "--output", default=str(DEFAULT_OUTPUT), help="JSON results file (a .md file is written beside it)"
    )
    parser.add_argument(
        "--model", help="model folder for the CLI timing (default: the shipped model, else one saved here)"
    )
    parser.add_argument(
        "--segments", type=int, default=10000, help="segments for the throughput test (default: 10000)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 5 synthetic articles, 1 fine-tuning epoch"
    )
    parser.add_argument(
        "--finetune-cv",
        "--slow",  # its earlier name
        dest="finetune_cv",
        action="store_true",
        help="also cross-validate the finetune recipes (10 fine-tunings: about 13 min more on 2 idle cores) "
        f"and store the rows in {CV_STORE.relative_to(ROOT)}; default runs reuse them while valid",
    )
    parser.add_argument("--skip-quality", action="store_true", help="speed measurements only")
    parser.add_argument("--skip-speed", action="store_true", help="quality measurements only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.family_list = [f.strip() for f in args.families.split(",") if f.strip()]
    bad = [f for f in args.family_list if f not in FAMILIES]
    if bad:
        parser.error(f"unknown family {bad[0]!r}; known: {', '.join(FAMILIES)}")
    return args


def new_report(args, argv: list[str] | None) -> dict:
    from baselines import KEYWORDS
    from report import NOTES, machine_info
    from throughput import CLI_RUNS

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]) if argv is None else shlex.join(argv),
        "machine": machine_info(),
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
        "quick": args.quick,
        "families": args.family_list,
        "segments_target": args.segments,
        "quality": [],
        "speed": [],
        "timings": {},
        "notes": [n.format(keywords=KEYWORDS.pattern, runs=CLI_RUNS) for n in NOTES],
    }


def measure_quality(args, report: dict) -> dict[str, dict]:
    """The quality rows into ``report``; returns the variant each family's rows chose."""
    from baselines import rule_rows, zero_shot_row
    from quality import quality_rows

    chosen: dict[str, dict] = {}
    t = time.perf_counter()
    for family in args.family_list:
        ft = time.perf_counter()
        rows = quality_rows(family, args.finetune_cv, args.quick, report)
        report["quality"] += rows
        report["timings"][f"quality_{family}"] = time.perf_counter() - ft
        if variant := next((r["chosen_variant"] for r in rows if r.get("chosen_variant")), None):
            chosen[family] = variant
    log("keyword filter, trafilatura, jusText")
    ft = time.perf_counter()
    seed_folds()
    report["quality"] += rule_rows()
    log("zero-shot event typing")
    report["quality"].append(zero_shot_row())
    report["timings"]["quality_baselines"] = time.perf_counter() - ft
    report["timings"]["quality"] = time.perf_counter() - t
    return chosen


def measure_speed(args, report: dict, chosen: dict[str, dict]) -> None:
    """The speed rows and CLI timings into ``report``."""
    from throughput import CLI_RUNS, cli_timings, pick_cli_model, speed_rows

    with tempfile.TemporaryDirectory(prefix="nkdiplomacy-bench-") as tmp:
        t = time.perf_counter()
        report["speed"] = speed_rows(args.family_list, args.quick, args.segments, chosen, Path(tmp))
        report["timings"]["speed_models"] = time.perf_counter() - t
        t = time.perf_counter()
        model, described = pick_cli_model(args.model, report["speed"])
        if described:
            report["cli_model"] = described
            report["cli"] = cli_timings(model, CLI_RUNS)
        else:
            report["notes"].append("CLI timing skipped: no shipped default model and none saved here.")
        report["timings"]["speed_cli"] = time.perf_counter() - t
    for r in report["speed"]:
        r.pop("model_dir", None)


def write_report(report: dict, output: str, t0: float) -> None:
    from report import markdown

    report["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
    report["total_seconds"] = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report["total_cpu_seconds"] = time.process_time() + children.ru_utime + children.ru_stime
    md = markdown(report)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    print(f"Wrote {out} and {out.with_suffix('.md')} in {report['total_seconds'] / 60:.1f} min.")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        from throughput import worker_predict, worker_train

        fn = {"train": worker_train, "predict": worker_predict}[args.worker]
        print(json.dumps(fn(json.loads(args.spec))))
        return 0
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    t0 = time.perf_counter()
    report = new_report(args, argv)
    chosen = {} if args.skip_quality else measure_quality(args, report)
    if not args.skip_speed:
        measure_speed(args, report, chosen)
    write_report(report, args.output, t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
