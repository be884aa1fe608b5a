"""Throughput and parity of the Spark batch job (local mode) against single-process ``classify_article``.

The corpus: the bundled articles (data/raw/*.txt) recombined line by line, with
a seeded RNG, into N articles (default 2,500, about 30,000 segments). Every run scores the same
articles with the same model; the table gives segments per second, and for each Spark master
how its rows compare with the single process's (the same segments, the largest score difference,
the decisions, event types and counterparts that differ).

    python benchmarks/spark_throughput.py                       # local[1] and local[2]
    python benchmarks/spark_throughput.py --articles 500 --masters 'local[2]'

Spark's figure is the job's wall time (read, segment, score, write) after the
session has started; its start-up is reported separately. Results go to
benchmarks/results/spark_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
RESULTS = ROOT / "benchmarks" / "results" / "spark_throughput.json"


def recombined_articles(n: int, seed: int = 0, raw: Path = RAW) -> list[dict]:
    """``n`` articles (doc_id, text) built from the lines of the bundled articles."""
    from nkdiplomacy.text.articles import read_article

    bundled = [read_article(p).text for p in sorted(raw.glob("*.txt"))]
    pools = [[ln for ln in t.splitlines() if ln.strip()] for t in bundled]
    every = [ln for pool in pools for ln in pool]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = rng.choice(pools)
        k = rng.randint(min(3, len(base)), len(base))
        first = rng.randint(0, len(base) - k)
        lines = [rng.choice(every) if rng.random() < 0.2 else ln for ln in base[first : first + k]]
        if rng.random() < 0.3:
            rng.shuffle(lines)
        out.append(
            {"doc_id": f"gen-{i:05d}", "text": rng.choice(["\n", "\n\n", "\r\n", "\n \n"]).join(lines)}
        )
    return out


def machine() -> dict:
    from machine import machine_info  # benchmarks/ is this script's folder, first on sys.path

    return {
        **machine_info(),
        # Other processes compete for the cores: compare runs made at similar load only.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def single_process(model: str | None, articles: list[dict]):
    """The single process's figures, and its predictions by ``(doc_id, seg_id)``."""
    import nkdiplomacy

    start = time.perf_counter()
    clf = nkdiplomacy.load(model)
    loaded = time.perf_counter()
    rows = {}
    for a in articles:
        for p in clf.classify_article(a["text"], doc_id=a["doc_id"]):
            rows[(p.doc_id, p.seg_id)] = (p.score, p.relevant, p.event_type, " ".join(p.counterparts))
    seconds = time.perf_counter() - loaded
    figures = {
        "segments": len(rows),
        "seconds": round(seconds, 3),
        "segments_per_second": round(len(rows) / seconds, 1),
        "load_seconds": round(loaded - start, 3),
    }
    return figures, rows


def parity(out, expected: dict) -> dict:
    """How the Spark rows ``out`` (a DataFrame) differ from the single process's ``expected`` rows."""
    from nkdiplomacy.schema import OFF_TOPIC

    got = {
        (d, int(s)): (score, rel, None if et == OFF_TOPIC else et, cp)
        for d, s, score, rel, et, cp in zip(
            out["doc_id"],
            out["seg_id"],
            out["score"],
            out["relevant"],
            out["event_type"],
            out["counterparts"],
        )
    }
    both = got.keys() & expected.keys()
    return {
        "same_segments": got.keys() == expected.keys(),
        "missing": len(expected.keys() - got.keys()),
        "extra": len(got.keys() - expected.keys()),
        "max_score_difference": max((abs(got[k][0] - expected[k][0]) for k in both), default=0.0),
        "decisions_differing": sum(got[k][1] != expected[k][1] for k in both),
        "event_types_differing": sum(got[k][2] != expected[k][2] for k in both),
        "counterparts_differing": sum(got[k][3] != expected[k][3] for k in both),
    }


def spark_job(model: str | None, articles: list[dict], master: str, expected: dict) -> dict:
    import pandas as pd

    from nkdiplomacy.serving.batch import run_batch

    with tempfile.TemporaryDirectory(prefix="spark-throughput-") as tmp:
        src = Path(tmp) / "articles.parquet"
        pd.DataFrame(articles).to_parquet(src, index=False)
        start = time.perf_counter()
        stats = run_batch(str(src), str(Path(tmp) / "predictions"), model, master)
        stats["total_seconds"] = round(time.perf_counter() - start, 3)
        out = pd.read_parquet(Path(tmp) / "predictions")
        out["event_type"] = out["event_type"].astype(str)
        stats["parity"] = parity(out, expected)
    # Start-up: the Spark session, the model check on the driver and MLflow's UDF set-up.
    stats["startup_seconds"] = round(stats["total_seconds"] - stats["seconds"], 3)
    stats["master"] = master
    return stats


def print_table(n_articles: int, model: str | None, single: dict, sparks: list[dict]) -> None:
    rows = [
        (
            "single process (classify_article)",
            single["segments"],
            single["seconds"],
            single["segments_per_second"],
        )
    ]
    rows += [(f"Spark {s['master']}", s["segments"], s["seconds"], s["segments_per_second"]) for s in sparks]
    print(f"\n{n_articles} articles, model {model or 'default'}")
    print(f"{'run':<36} {'segments':>9} {'seconds':>9} {'segments/s':>11}")
    for name, segs, secs, rate in rows:
        print(f"{name:<36} {segs:>9} {secs:>9.2f} {rate:>11.1f}")
    for s in sparks:
        print(
            f"Spark {s['master']}: start-up {s['startup_seconds']:.1f} s (not counted); parity {s['parity']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="MLflow model folder or URI (default: the shipped default model)")
    parser.add_argument("--articles", type=int, default=2500, help="articles to score (default: 2500)")
    parser.add_argument(
        "--masters",
        default="local[1],local[2]",
        help="comma-separated Spark masters (default: local[1],local[2])",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default: {RESULTS})")
    args = parser.parse_args(argv)

    if args.model is None:
        from nkdiplomacy.serving.locate import ModelLoadError, default_model_path

        try:
            default_model_path()
        except ModelLoadError as exc:
            print(f"spark_throughput: error: {exc}", file=sys.stderr)
            return 1
    articles = recombined_articles(args.articles, args.seed)
    host = machine()
    print(
        f"machine: {host['cores']} cores, {host['cpu']}, Python {host['python']}, "
        f"load average {host['load_average_1min']}",
        flush=True,
    )
    single, expected = single_process(args.model, articles)
    sparks = [
        spark_job(args.model, articles, m.strip(), expected) for m in args.masters.split(",") if m.strip()
    ]
    print_table(args.articles, args.model, single, sparks)

    result = {
        "machine": host,
        "articles": args.articles,
        "seed": args.seed,
        "model": args.model or "default",
        "single_process": single,
        "spark_runs": sparks,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    tmp.replace(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
