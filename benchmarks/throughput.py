"""Speed on this machine: per family, the final model fit once on all data (time, size on disk, peak
RSS) and batch prediction over repeated seed articles, each in a fresh subprocess (``run.py
--worker``); and the cold start of ``nkdiplomacy predict`` and ``--help`` against ``import sklearn``."""

from __future__ import annotations

import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import RAW_DIR, ROOT, log, peak_rss_mb, recipe

CLI_ARTICLE = "data/raw/003_254259dacc8f1105.txt"
CLI_RUNS = 5


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def worker_train(spec: dict) -> dict:
    """Fit the final model on all data (seed + synthetic, weighted as training does) and save it."""
    from nkdiplomacy.trainer.fitting import estimator_params, fit_final, load_training_records

    cfg = recipe(spec["recipe"], spec["quick"])
    params = {**estimator_params(cfg), **spec["variant"]}
    rss_before = peak_rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    records = load_training_records(cfg)
    model = fit_final(cfg, records, params)
    fit_seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    saved = model.save(spec["save_to"], extra={"recipe": cfg.name, "benchmark": True})
    return {
        "train_seconds": fit_seconds,
        "train_cpu_seconds": cpu,
        "n_train": len(records),
        "size_bytes": dir_size(saved),
        "train_peak_rss_mb": peak_rss_mb(),
        "rss_after_imports_mb": rss_before,
        "params": {k: v for k, v in model.get_params().items() if k != "seed"},
    }


def repeated_articles(n_segments: int) -> list[list[str]]:
    """The seed articles (data/raw, segmented as predict does) repeated until there are ``n_segments``."""
    from nkdiplomacy.text.segment import segment

    articles = [
        [s.text for s in segment(p.read_text(encoding="utf-8"))] for p in sorted(RAW_DIR.glob("*.txt"))
    ]
    out, total = [], 0
    while total < n_segments:
        for a in articles:
            out.append(a)
            total += len(a)
            if total >= n_segments:
                break
    return out


def worker_predict(spec: dict) -> dict:
    """Load a saved model and score repeated articles one by one, as ``Classifier.classify_article`` does."""
    from nkdiplomacy.estimators.model import load_model
    from nkdiplomacy.text.context import article_inputs

    articles = repeated_articles(spec["segments"])
    start = time.perf_counter()
    model = load_model(spec["model"])
    model.score_segments(article_inputs(articles[0]))  # first call: lazy sessions, allocations
    load_seconds = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    for texts in articles:
        model.score_segments(article_inputs(texts))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    n = sum(map(len, articles))
    return {
        "n_segments": n,
        "n_articles": len(articles),
        "load_seconds": load_seconds,
        "predict_seconds": seconds,
        "predict_cpu_seconds": cpu,
        "segments_per_second": n / seconds,
        "predict_peak_rss_mb": peak_rss_mb(),
    }


def run_worker(kind: str, spec: dict) -> dict:
    """Run a worker in a fresh interpreter so its peak memory is its own."""
    script = Path(__file__).resolve().with_name("run.py")
    cmd = [sys.executable, str(script), "--worker", kind, "--spec", json.dumps(spec)]
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def speed_rows(families: list[str], quick: bool, segments: int, variants: dict, workdir: Path) -> list[dict]:
    """Per family: train its recipe's final model (with the variant its quality rows chose, if any)
    and measure prediction, each in a worker."""
    rows = []
    for family in families:
        variant = variants.get(family) or {}
        if family == "encoder":
            # Export the base encoder once beforehand so training time is the fit, not the one-off export.
            from nkdiplomacy.estimators.export import cached_base_encoder

            cfg = recipe(family, quick)
            params = {**cfg.model, **variant}
            cached_base_encoder(params.get("base_model", ""), params.get("precision", "int8"))
        save_to = workdir / f"model_{family}"
        log(f"speed: training final {family} model")
        spec = {"recipe": family, "quick": quick, "variant": variant, "save_to": str(save_to)}
        train = run_worker("train", spec)
        log(f"  trained in {train['train_seconds']:.0f} s; predicting {segments} segments")
        pred = run_worker("predict", {"model": str(save_to), "segments": segments})
        log(f"  {pred['segments_per_second']:.0f} segments/s")
        rows.append(
            {"family": family, "recipe": f"configs/{family}.yaml", "model_dir": str(save_to), **train, **pred}
        )
    return rows


def run_once(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed: {proc.stderr.decode()[-2000:]}")
    return seconds


def cli_timings(model: str | None, runs: int) -> dict:
    """Median wall time of each command; the commands take turns, so load on the machine hits all alike."""
    exe = Path(sys.executable).parent / "nkdiplomacy"
    predict = [str(exe), "predict", CLI_ARTICLE, "--format", "jsonl"] + (["--model", model] if model else [])
    commands = {
        "import_sklearn": [sys.executable, "-c", "import sklearn"],
        "help": [str(exe), "--help"],
        "predict": predict,
    }
    for cmd in commands.values():
        log(f"timing {shlex.join(cmd)}")
        run_once(cmd)  # warm the page cache, not timed
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(runs):
        for key, cmd in commands.items():
            times[key].append(run_once(cmd))
    out = {
        key: {"command": shlex.join(cmd), "runs": times[key], "median_seconds": statistics.median(times[key])}
        for key, cmd in commands.items()
    }
    base = out["import_sklearn"]["median_seconds"]
    for key in ("help", "predict"):
        out[key]["ratio_to_import_sklearn"] = out[key]["median_seconds"] / base
    return out


def model_family(path: Path) -> str:
    """The family and recipe of a saved model folder (or MLflow model folder), from its manifest."""
    for manifest in (path / "manifest.json", path / "artifacts" / "model" / "manifest.json"):
        if manifest.exists():
            m = json.loads(manifest.read_text(encoding="utf-8"))
            precision = m.get("params", {}).get("precision")
            return (
                m.get("family", "?")
                + (f" {precision}" if precision else "")
                + (f", recipe {m['recipe']}" if m.get("recipe") else "")
            )
    return "unknown family"


def pick_cli_model(arg: str | None, speed: list[dict]) -> tuple[str | None, str]:
    """The model for the CLI timing: --model, else the shipped default, else one saved here."""
    if arg:
        return arg, f"--model {arg}"
    from nkdiplomacy.serving.locate import ModelLoadError, default_model_path

    try:
        path = default_model_path()
        if path.exists():
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            return None, f"the shipped default model, {model_family(path)} ({shown})"
    except ModelLoadError:
        pass
    by_family = {r["family"]: r["model_dir"] for r in speed if "model_dir" in r}
    for family in ("encoder", "tfidf", "finetune"):
        if family in by_family:
            return by_family[
                family
            ], f"no shipped default model yet: the {family} model saved by this benchmark"
    return None, ""
