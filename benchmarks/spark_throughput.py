"""Throughput of the Spark batch job (local mode) against single-process ``classify_article``.

The corpus: the bundled articles (data/raw/*.txt) recombined line by line, with
a seeded RNG, into N articles (default 2,000). Both runs score the same
articles with the same model; the table gives segments per second.

    python benchmarks/spark_throughput.py --model /path/to/mlflow-model-folder
    python benchmarks/spark_throughput.py --articles 500 --master 'local[2]'

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


def single_process(model: str | None, articles: list[dict]) -> dict:
    import nkdiplomacy

    start = time.perf_counter()
    clf = nkdiplomacy.load(model)
    loaded = time.perf_counter()
    segments = sum(len(clf.classify_article(a["text"], doc_id=a["doc_id"])) for a in articles)
    seconds = time.perf_counter() - loaded
    return {
        "segments": segments,
        "seconds": round(seconds, 3),
        "segments_per_second": round(segments / seconds, 1),
        "load_seconds": round(loaded - start, 3),
    }


def spark_job(model: str | None, articles: list[dict], master: str) -> dict:
    import pandas as pd

    from nkdiplomacy.serving.batch import run_batch

    with tempfile.TemporaryDirectory(prefix="spark-throughput-") as tmp:
        src = Path(tmp) / "articles.parquet"
        pd.DataFrame(articles).to_parquet(src, index=False)
        start = time.perf_counter()
        stats = run_batch(str(src), str(Path(tmp) / "predictions"), model, master)
        stats["total_seconds"] = round(time.perf_counter() - start, 3)
    # Start-up: the Spark session, the model check on the driver and MLflow's UDF set-up.
    stats["startup_seconds"] = round(stats["total_seconds"] - stats["seconds"], 3)
    return stats


def print_table(n_articles: int, model: str | None, master: str, single: dict, spark: dict) -> None:
    rows = [
        (
            "single process (classify_article)",
            single["segments"],
            single["seconds"],
            single["segments_per_second"],
        ),
        (f"Spark {master}", spark["segments"], spark["seconds"], spark["segments_per_second"]),
    ]
    print(f"\n{n_articles} articles, model {model or 'default'}")
    print(f"{'run':<36} {'segments':>9} {'seconds':>9} {'segments/s':>11}")
    for name, segs, secs, rate in rows:
        print(f"{name:<36} {segs:>9} {secs:>9.2f} {rate:>11.1f}")
    print(
        f"(Spark start-up, not counted above: {spark['startup_seconds']:.1f} s; "
        f"model load for the single process: {single['load_seconds']:.1f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="MLflow model folder or URI (default: the shipped default model)")
    parser.add_argument("--articles", type=int, default=2000, help="articles to score (default: 2000)")
    parser.add_argument("--master", default="local[*]", help="Spark master (default: local[*])")
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
    single = single_process(args.model, articles)
    spark = spark_job(args.model, articles, args.master)
    if spark["segments"] != single["segments"]:
        print(
            f"warning: Spark wrote {spark['segments']} segments, predict gave {single['segments']}",
            file=sys.stderr,
        )

    print_table(args.articles, args.model, args.master, single, spark)

    result = {
        "machine": host,
        "articles": args.articles,
        "seed": args.seed,
        "model": args.model or "default",
        "master": args.master,
        "single_process": single,
        "spark": spark,
        "speedup": round(spark["segments_per_second"] / single["segments_per_second"], 3),
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
