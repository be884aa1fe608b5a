"""Benchmark nkdiplomacy against the alternatives a user would pick instead: quality and speed.

Quality: leave-one-article-out over the 5 real seed articles (synthetic articles
only ever train), the same folds for every row, pooled over the held-out
articles, scored with the package's own metric functions
(:mod:`nkdiplomacy.trainer.metrics`). Rows: every model family from its recipe
(``configs/*.yaml``) with and without article context; a North Korea keyword
filter; trafilatura and jusText boilerplate removal, alone and followed by the
keyword filter; zero-shot event typing by MiniLM embedding similarity to the
event-type descriptions.

Speed (this machine): per family, the final model trained once on all data
(time, size on disk, peak RSS) and batch prediction over repeated seed articles
(segments per second, peak RSS), each in a fresh subprocess; the cold start of
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
the Markdown file sits beside it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import html
import json
import math
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ("tfidf", "encoder", "finetune")
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "latest.json"
CLI_ARTICLE = "data/raw/003_254259dacc8f1105.txt"
RAW_DIR = ROOT / "data" / "raw"
CLI_RUNS = 5
# Families whose cross-validation is too slow for the default run (finetune: 10 fine-tunings, about
# 13 minutes on 2 idle cores and far more on a busy machine). --finetune-cv runs it and stores the rows in
# CV_STORE; default runs reuse them, marked, while a hash of the recipes, data and model code (see
# fingerprint) is unchanged. Their speed measurements always run.
SLOW_FAMILIES = ("finetune",)
CV_STORE = ROOT / "benchmarks" / "results" / "finetune_cv.json"
FINGERPRINT_CODE = (
    "nkdiplomacy/trainer/recipe.py",
    "nkdiplomacy/corpus/annotations.py",
    "nkdiplomacy/text/context.py",
    "nkdiplomacy/schema.yaml",
    "nkdiplomacy/estimators/base.py",
    "nkdiplomacy/estimators/predictor.py",
    "nkdiplomacy/trainer/metrics.py",
    "nkdiplomacy/estimators/export.py",
    "nkdiplomacy/estimators/finetune.py",
    "nkdiplomacy/trainer/train.py",
)
# Quick mode: small training data and one epoch, for checking the script, never for reporting.
QUICK_OVERRIDES = {"data.max_synthetic_docs": 5}
QUICK_FINETUNE = {"model.epochs": 1.0}

# Names that mark a North Korea passage: the country, its capital, its leaders, its state media.
KEYWORDS = re.compile(
    r"\b(?:north[\s-]+korean?s?|n\.\s?korean?|dprk|pyongyang"
    r"|kcna|korean\s+central\s+news\s+agency|rodong\s+sinmun"
    r"|democratic\s+people['’]s\s+republic\s+of\s+korea"
    r"|kim\s+jong[\s-]?un|kim\s+jong[\s-]?il|kim\s+il[\s-]?sung|kim\s+yo[\s-]?jong)\b",
    re.IGNORECASE,
)


# -- helpers ------------------------------------------------------------------
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


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def recipe(name: str, quick: bool):
    from nkdiplomacy.trainer.recipe import load_config

    cfg_path = ROOT / "configs" / f"{name}.yaml"
    overrides = dict(QUICK_OVERRIDES) if quick else {}
    if quick and name.startswith("finetune"):
        overrides.update(QUICK_FINETUNE)
    # This script keeps the first protocol (leave one seed page out, seed and synthetic data only), for
    # comparison with the alternatives; benchmarks/grouped_cv.py runs the main one on the real corpus.
    first_protocol = {"data.files": [str(ROOT / "data" / "annotations" / f) for f in ("seed.jsonl", "synthetic.jsonl")],
                      "cv.scheme": "article"}  # fmt: skip
    return load_config(cfg_path, {**overrides, **first_protocol})


# -- quality ------------------------------------------------------------------
def family_rows(family: str, quick: bool) -> list[dict]:
    """Cross-validated rows of a family's recipe and its no-context variant.

    The encoder recipe's ``precision: auto`` is resolved as training does: both
    precisions are cross-validated and int8 is kept unless it costs a point of
    relevance F1 or event macro-F1. Both are reported.
    """
    from nkdiplomacy.trainer.train import cross_validate, estimator_params, load_training_data

    rows = []
    for name in (family, f"{family}_nocontext"):
        cfg = recipe(name, quick)
        ds = load_training_data(cfg)
        params = estimator_params(cfg)
        variants = [params]
        if params.get("precision") == "auto":
            variants = [{**params, "precision": p} for p in ("fp32", "int8")]
        results = []
        for p in variants:
            label = cfg.name + (f" [{p['precision']}]" if len(variants) > 1 else "")
            log(f"cross-validating {label} ({len(ds)} records)")
            start, cpu = time.perf_counter(), time.process_time()
            metrics, predictions = cross_validate(cfg, ds, p, track=False)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            log(f"  {label}: {seconds:.0f} s ({cpu:.0f} s CPU), relevance F1 {metrics['relevance_f1']:.3f}")
            results.append((label, p, metrics, predictions, seconds, cpu))
        chosen = None
        if len(results) == 2:
            fp32, int8 = results[0][2], results[1][2]
            ok = all(int8[k] >= fp32[k] - 0.01 for k in ("event_macro_f1", "relevance_f1"))
            chosen = "int8" if ok else "fp32"
        for label, p, metrics, predictions, seconds, cpu in results:
            note = "context" if cfg.use_context else "no context"
            if p.get("precision"):
                note += f", {p['precision']}"
            if chosen:
                note += ", picked by precision: auto" if p["precision"] == chosen else ", not picked by auto"
            rows.append(
                {
                    "name": label,
                    "kind": "model",
                    "family": family,
                    "recipe": f"configs/{name}.yaml",
                    "use_context": cfg.use_context,
                    "params": {k: v for k, v in p.items() if k not in ("seed",)},
                    "metrics": metrics,
                    "folds": sorted(predictions["fold"].unique().tolist()),
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "note": note,
                    "chosen_precision": chosen,
                }
            )
    return rows


@functools.cache
def fingerprint(family: str) -> str:
    """A hash of what a family's measurements depend on: its recipes, their data, the model code and
    the versions of torch, transformers and tokenizers."""
    import hashlib
    import importlib.metadata as md

    h = hashlib.sha256()
    paths = []
    for name in (family, f"{family}_nocontext"):
        cfg_path = ROOT / "configs" / f"{name}.yaml"
        paths.append(cfg_path)
        paths += [ROOT / f for f in recipe(name, False).data.files]
    paths += [ROOT / f for f in FINGERPRINT_CODE]
    for path in sorted(set(paths)):
        h.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    for pkg in ("torch", "transformers", "tokenizers"):
        try:
            h.update(f"{pkg}=={md.version(pkg)}".encode())
        except md.PackageNotFoundError:
            pass
    return h.hexdigest()[:16]


def _read_store() -> dict:
    try:
        return json.loads(CV_STORE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stored_rows(family: str) -> list[dict] | None:
    """The quality rows of an earlier --finetune-cv run, if its fingerprint still matches."""
    entry = _read_store().get(family)
    if not entry or entry.get("fingerprint") != fingerprint(family):
        return None
    rows = entry["rows"]
    for r in rows:
        r["stored_run"] = {k: entry[k] for k in ("date", "commit", "fingerprint", "load_average_at_start")}
        r["note"] += f"; CV stored by the --finetune-cv run of {entry['date'][:10]}"
    return rows


def store_rows(family: str, rows: list[dict], report: dict, fp: str) -> None:
    data = _read_store()
    data[family] = {
        "fingerprint": fp,
        "date": report["date"],
        "commit": report["machine"]["git_commit"],
        "machine": report["machine"],
        "load_average_at_start": report["load_average"]["start"],
        "rows": rows,
    }
    CV_STORE.parent.mkdir(parents=True, exist_ok=True)
    CV_STORE.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def skipped_family_rows(family: str) -> list[dict]:
    return [
        {
            "name": recipe(name, False).name,
            "kind": "model",
            "family": family,
            "recipe": f"configs/{name}.yaml",
            "metrics": {},
            "seconds": None,
            "note": "CV not run: too slow for the default run, and no valid stored run (use --finetune-cv)",
        }
        for name in (family, f"{family}_nocontext")
    ]


@functools.cache
def seed_folds() -> tuple:
    """``(held-out doc, its records in seg_id order)`` for each leave-one-article-out fold."""
    from nkdiplomacy.corpus.annotations import load_annotations, to_annotations
    from nkdiplomacy.corpus.splits import grouped_folds

    ds = load_annotations(
        [ROOT / "data" / "annotations" / "seed.jsonl", ROOT / "data" / "annotations" / "synthetic.jsonl"]
    )
    records = to_annotations(ds)
    folds = []
    for fold in grouped_folds(records, "article"):
        test = sorted((records[i] for i in fold.test), key=lambda r: r.seg_id)
        assert all(r.origin != "synthetic" for r in test)
        folds.append((fold.name, test))
    return tuple(folds)


def article_html(texts: list[str]) -> str:
    """A plain page: the headline as <title>, one <p> per segment, text escaped."""
    from nkdiplomacy.text.context import article_title

    body = "\n".join(f"<p>{html.escape(t)}</p>" for t in texts)
    title = html.escape(article_title(texts))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def kept_by_text(texts: list[str], kept_blocks: list[str]) -> list[bool]:
    """Which segments the extractor kept: a segment is kept when its normalised text is one
    of the extractor's output lines (or blocks); each output line is used once, in order of
    the segments, so a duplicate segment counts only as often as the extractor kept it."""
    from nkdiplomacy.text.segment import normalize

    pool = Counter()
    for block in kept_blocks:
        for line in str(block).splitlines():
            line = normalize(line)
            if line:
                pool[line] += 1
    out = []
    for t in texts:
        t = normalize(t)
        if pool[t] > 0:
            pool[t] -= 1
            out.append(True)
        else:
            out.append(False)
    return out


def trafilatura_keep(texts: list[str]) -> list[bool]:
    import trafilatura

    # Defaults: neither favor_precision nor favor_recall, fallbacks on, plain text out.
    out = trafilatura.extract(article_html(texts), output_format="txt") or ""
    return kept_by_text(texts, [out])


def justext_keep(texts: list[str]) -> list[bool]:
    import justext

    page = article_html(texts).encode("utf-8")
    paragraphs = justext.justext(page, justext.get_stoplist("English"), encoding="utf-8")
    return kept_by_text(texts, [p.text for p in paragraphs if not p.is_boilerplate])


def keyword_keep(texts: list[str]) -> list[bool]:
    return [bool(KEYWORDS.search(t)) for t in texts]


def rule_rows() -> list[dict]:
    """Keyword filter and boilerplate removers, applied to each held-out article (no training)."""
    from nkdiplomacy.trainer.metrics import relevance_metrics

    rules = {
        "keyword filter (regex)": keyword_keep,
        "trafilatura": trafilatura_keep,
        "trafilatura + keyword": lambda t: [a and b for a, b in zip(trafilatura_keep(t), keyword_keep(t))],
        "jusText": justext_keep,
        "jusText + keyword": lambda t: [a and b for a, b in zip(justext_keep(t), keyword_keep(t))],
    }
    folds = seed_folds()
    rows = []
    for name, rule in rules.items():
        start = time.perf_counter()
        gold, pred = [], []
        for _doc, recs in folds:
            texts = [r.text for r in recs]
            gold += [r.relevant for r in recs]
            pred += rule(texts)
        metrics = relevance_metrics(gold, [float(p) for p in pred], 0.5)
        metrics.update(
            {"n_segments": float(len(gold)), "n_on_topic": float(sum(gold)), "n_kept": float(sum(pred))}
        )
        rows.append(
            {
                "name": name,
                "kind": "baseline",
                "metrics": metrics,
                "folds": [d for d, _ in folds],
                "seconds": time.perf_counter() - start,
                "pr_auc_degenerate": True,
                "note": "hard filter, relevance only",
            }
        )
    return rows


def zero_shot_row() -> dict:
    """Event type = the event type whose "name: description" embedding is nearest (cosine)."""
    import numpy as np

    from nkdiplomacy.schema import event_types
    from nkdiplomacy.trainer.metrics import event_metrics
    from nkdiplomacy.estimators.export import cached_base_encoder
    from nkdiplomacy.estimators.onnx_encoder import OnnxEncoder

    start = time.perf_counter()
    encoder = OnnxEncoder(cached_base_encoder("", "fp32"), max_length=128)
    types = event_types()
    prototypes = encoder.encode([f"{e.name}: {e.description}" for e in types])
    gold, pred = [], []
    folds = seed_folds()
    for _doc, recs in folds:
        on = [r for r in recs if r.relevant]
        if not on:
            continue
        sims = encoder.encode([r.text for r in on]) @ prototypes.T
        gold += [r.event_type for r in on]
        pred += [types[j].name for j in np.asarray(sims).argmax(axis=1)]
    metrics = event_metrics(gold, pred)
    metrics["n_on_topic"] = float(len(gold))
    return {
        "name": "zero-shot MiniLM similarity",
        "kind": "baseline",
        "metrics": metrics,
        "folds": [d for d, _ in folds],
        "seconds": time.perf_counter() - start,
        "note": "event type only (gold on-topic segments); fp32 ONNX MiniLM, 'name: description'",
    }


# -- speed: workers run in fresh subprocesses ----------------------------------
def worker_train(spec: dict) -> dict:
    """Fit the final model on all data (seed + synthetic, weighted as training does) and save it."""
    from nkdiplomacy.trainer.recipe import load_config
    from nkdiplomacy.corpus.annotations import to_annotations
    from nkdiplomacy.text.context import grouped_inputs
    from nkdiplomacy.estimators import make_estimator
    from nkdiplomacy.estimators.predictor import OFF_TOPIC
    from nkdiplomacy.trainer.train import estimator_params, load_training_data, training_weights

    cfg = load_config(spec["config"], spec["overrides"])
    params = {**estimator_params(cfg), **spec["params"]}
    rss_before = peak_rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    ds = load_training_data(cfg)
    records = to_annotations(ds)
    inputs = grouped_inputs(
        [r.doc_id for r in records], [r.seg_id for r in records], [r.text for r in records]
    )
    weights = training_weights([r.origin for r in records], cfg.data.min_real_weight_share)
    labels = [r.event_type if r.relevant else OFF_TOPIC for r in records]
    model = make_estimator(cfg.family, **params).fit(inputs, labels, sample_weight=weights)
    fit_seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    saved = model.save(spec["save_to"], extra={"recipe": cfg.name, "benchmark": True})
    return {
        "train_seconds": fit_seconds,
        "train_cpu_seconds": cpu,
        "n_train": len(records),
        "size_bytes": dir_size(saved),
        "train_peak_rss_mb": peak_rss_mb(),
        "rss_after_imports_mb": rss_before,
        "params": {k: v for k, v in params.items() if k != "seed"},
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
    from nkdiplomacy.text.context import article_inputs
    from nkdiplomacy.estimators.base import load_estimator

    articles = repeated_articles(spec["segments"])
    start = time.perf_counter()
    model = load_estimator(spec["model"])
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
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--spec", json.dumps(spec)]
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def speed_rows(families: list[str], quick: bool, segments: int, precision: dict, workdir: Path) -> list[dict]:
    rows = []
    for family in families:
        cfg = recipe(family, quick)
        params = {}
        if family == "encoder":
            params["precision"] = precision.get("encoder") or "int8"
            # Export the base encoder once beforehand so training time is the fit, not the one-off export.
            from nkdiplomacy.estimators.export import cached_base_encoder

            cached_base_encoder(cfg.model.get("base_model", ""), params["precision"])
        overrides = {"data.files": cfg.data.files}
        if quick:
            overrides.update(QUICK_OVERRIDES)
            if family == "finetune":
                overrides.update(QUICK_FINETUNE)
        save_to = workdir / f"model_{family}"
        log(f"speed: training final {family} model")
        spec = {"config": str(ROOT / "configs" / f"{family}.yaml"), "overrides": overrides, "params": params}
        train = run_worker("train", {**spec, "save_to": str(save_to)})
        log(f"  trained in {train['train_seconds']:.0f} s; predicting {segments} segments")
        pred = run_worker("predict", {"model": str(save_to), "segments": segments})
        log(f"  {pred['segments_per_second']:.0f} segments/s")
        rows.append(
            {
                "family": family,
                "recipe": f"configs/{family}.yaml",
                "model_dir": str(save_to),
                **train,
                **pred,
            }
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
    from nkdiplomacy.serving.classifier import ModelLoadError, default_model_path

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


# -- report -------------------------------------------------------------------
def machine_info() -> dict:
    import importlib.metadata as md

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = psutil.virtual_memory().total
    except ImportError:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions = {}
    for pkg in (
        "nkdiplomacy",
        "numpy",
        "scikit-learn",
        "torch",
        "transformers",
        "tokenizers",
        "onnxruntime",
        "datasets",
        "trafilatura",
        "justext",
        "psutil",
    ):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], check=False, cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", False
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": commit + ("+dirty" if dirty else ""),
    }


def fmt(value, digits: int = 3, mark: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}{mark}"


def quality_table(rows: list[dict]) -> list[str]:
    head = [
        "Approach",
        "Rel. P",
        "Rel. R",
        "Rel. F1",
        "PR-AUC",
        "Event acc.",
        "Event macro-F1",
        "Time (s)",
        "Notes",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * 7 + ["---"]) + "|"]
    for r in rows:
        m = r["metrics"]
        auc_mark = "†" if r.get("pr_auc_degenerate") else ""
        cells = [
            r["name"],
            fmt(m.get("relevance_precision")),
            fmt(m.get("relevance_recall")),
            fmt(m.get("relevance_f1")),
            fmt(m.get("relevance_pr_auc"), mark=auc_mark),
            fmt(m.get("event_accuracy")),
            fmt(m.get("event_macro_f1")),
            fmt(r.get("seconds"), 0),
            r.get("note", ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def speed_table(rows: list[dict]) -> list[str]:
    head = [
        "Family",
        "Train wall (s)",
        "Train CPU (s)",
        "Size (MB)",
        "Train peak RSS (MB)",
        "Load (s)",
        "Segments",
        "Predict wall (s)",
        "Predict CPU (s)",
        "Segments/s",
        "Predict peak RSS (MB)",
    ]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    for r in rows:
        precision = r.get("params", {}).get("precision")
        size = r.get("size_bytes")
        cells = [
            r["family"] + (f" ({precision})" if precision else ""),
            fmt(r.get("train_seconds"), 1),
            fmt(r.get("train_cpu_seconds"), 1),
            fmt(size / 1e6 if size is not None else None, 1),
            fmt(r.get("train_peak_rss_mb"), 0),
            fmt(r.get("load_seconds"), 2),
            f"{r['n_segments']:,}" if r.get("n_segments") else "n/a",
            fmt(r.get("predict_seconds"), 1),
            fmt(r.get("predict_cpu_seconds"), 1),
            fmt(r.get("segments_per_second"), 0),
            fmt(r.get("predict_peak_rss_mb"), 0),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def cli_table(cli: dict) -> list[str]:
    lines = ["| Command | Median wall time (s) | Ratio to `import sklearn` |", "|---|---:|---:|"]
    for key in ("import_sklearn", "help", "predict"):
        c = cli[key]
        lines.append(
            f"| `{c['command']}` | {c['median_seconds']:.2f} | {c.get('ratio_to_import_sklearn', 1.0):.2f} |"
        )
    return lines


def markdown(report: dict) -> str:
    m = report["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    out = [
        "## Benchmarks",
        "",
        (
            f"Run {report['date']} on {m['cpu']}, {m['usable_cores']} cores, {m['ram_gb']} GB RAM, "
            f"Python {m['python']} ({pk}); commit {m['git_commit']}."
        ),
        (
            f"Command: `{report['command']}`. Total runtime {report['total_seconds'] / 60:.1f} min; "
            f"load average at start/end {report['load_average']['start']} / {report['load_average']['end']}."
        ),
    ]
    if report["quick"]:
        out += ["", "**QUICK RUN (small training data, 1 fine-tuning epoch): do not report these numbers.**"]
    if report["quality"]:
        out += ["", "### Quality: leave-one-article-out over the 5 seed articles (pooled)", ""]
        out += quality_table(report["quality"])
    if report["speed"]:
        out += [
            "",
            f"### Speed on this machine ({report['segments_target']:,}+ segments, article by article)",
            "",
        ]
        out += speed_table(report["speed"])
    if report.get("cli"):
        out += [
            "",
            f"### Command-line start-up (median of {CLI_RUNS} runs; model: {report['cli_model']})",
            "",
        ]
        out += cli_table(report["cli"])
    out += ["", "Notes:", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(out) + "\n"


NOTES = [
    (
        "Quality rows share the folds: each of the 5 real seed articles is held out once; synthetic "
        "articles only train. Metrics are pooled over the held-out articles with "
        "nkdiplomacy.trainer.metrics (relevance: the on-topic class at the model's threshold, 0.5; "
        "event type: on gold on-topic segments only, the event head judged on its own)."
    ),
    (
        "Model rows are the recipes in configs/ run through cross_validate(track=False). The encoder "
        "recipe's `precision: auto` is resolved as training does (both precisions cross-validated, int8 "
        "kept unless it costs a point of relevance F1 or event macro-F1); both are listed."
    ),
    (
        "finetune's cross-validation (10 fine-tunings) is too slow for the default run: `--finetune-cv` "
        "runs it and stores the rows in benchmarks/results/finetune_cv.json; a default run reuses them, "
        "marked 'CV stored by the --finetune-cv run of <date>' (Time (s) is that run's), only while a "
        "hash of the finetune recipes, the annotation files, the model code and the "
        "torch/transformers/tokenizers versions is unchanged; otherwise the rows say 'not run'. "
        "finetune's speed row is always measured afresh."
    ),
    (
        "Hard filters (keyword, trafilatura, jusText) have no score: Rel. P/R/F1 are of the kept "
        "segments, and PR-AUC† is the degenerate average precision of the 0/1 decision (not comparable "
        "with the models' PR-AUC)."
    ),
    "Keyword filter: a segment is on-topic when it matches (case-insensitive) `{keywords}`.",
    (
        "Extractors see each held-out article as a plain HTML page built from its segments: the headline "
        "(nkdiplomacy.text.context.article_title) as <title>, then one <p> per segment in order, text "
        "HTML-escaped, no other markup (scraped text has lost the page's DOM, so tag and class cues are "
        "unavailable to them). trafilatura.extract(output_format='txt') with default settings (neither "
        "favor_precision nor favor_recall, fallbacks on); justext.justext with the English stoplist and "
        "default thresholds, keeping paragraphs not classed as boilerplate. A segment counts as kept when "
        "its normalised text (nkdiplomacy.text.segment.normalize) equals one of the extractor's normalised "
        "output lines; each output line matches one segment at most, so a duplicate line counts only as "
        "often as the extractor kept it. '+ keyword' = kept AND keyword match."
    ),
    (
        "Zero-shot typing embeds 'name: description' of each event type (nkdiplomacy/schema.yaml) and "
        "each gold on-topic seed segment with the fp32 ONNX all-MiniLM-L6-v2; type = argmax cosine. It "
        "makes no relevance decision."
    ),
    "Time (s) in the quality table is the wall time of the row's cross-validation in that run.",
    (
        "Speed: each family's final model is trained once on all data (seed + synthetic, weighted by "
        "training_weights) in a fresh subprocess; train time covers reading the annotations and the "
        "fit, not imports or the one-off ONNX export of the base encoder (cached in "
        "~/.cache/nkdiplomacy); size = the files .save() writes. "
        "Prediction runs in another fresh subprocess: load the saved model, then score_segments on "
        "nkdiplomacy.text.context.article_inputs of each article, one article per call, as "
        "Classifier.classify_article does. The articles are the 5 seed articles (data/raw) repeated, so "
        "segments repeat; no cache spans calls (the encoder de-duplicates texts only within a call). "
        "Load (s) includes scoring the first article. Peak RSS = VmHWM of that subprocess "
        "(/proc/self/status; ru_maxrss would inherit the parent's from fork). CPU (s) = process CPU "
        "time, all threads."
    ),
    (
        "CLI timings: the nkdiplomacy console script beside sys.executable; each command runs once "
        "untimed (page cache), then the three commands take turns {runs} times; medians, and ratios to "
        "`python -c 'import sklearn'` from the same run."
    ),
]


def main(argv: list[str] | None = None) -> int:
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

    if args.worker:
        fn = {"train": worker_train, "predict": worker_predict}[args.worker]
        print(json.dumps(fn(json.loads(args.spec))))
        return 0

    families = [f.strip() for f in args.families.split(",") if f.strip()]
    bad = [f for f in families if f not in FAMILIES]
    if bad:
        parser.error(f"unknown family {bad[0]!r}; known: {', '.join(FAMILIES)}")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    t0 = time.perf_counter()
    report = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]) if argv is None else shlex.join(argv),
        "machine": machine_info(),
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
        "quick": args.quick,
        "families": families,
        "segments_target": args.segments,
        "quality": [],
        "speed": [],
        "timings": {},
        "notes": [n.format(keywords=KEYWORDS.pattern, runs=CLI_RUNS) for n in NOTES],
    }
    precision: dict[str, str] = {}
    if not args.skip_quality:
        t = time.perf_counter()
        for family in families:
            ft = time.perf_counter()
            if family in SLOW_FAMILIES and not (args.finetune_cv or args.quick):
                rows = stored_rows(family)
                how = f"reused from {CV_STORE.name}" if rows else "not run"
                log(f"{family}: CV {how} (--finetune-cv runs it)")
                rows = rows or skipped_family_rows(family)
            else:
                fp = fingerprint(family) if family in SLOW_FAMILIES else ""  # the inputs as the CV starts
                rows = family_rows(family, args.quick)
                if fp and not args.quick:
                    store_rows(family, rows, report, fp)
            report["quality"] += rows
            report["timings"][f"quality_{family}"] = time.perf_counter() - ft
            chosen = next((r["chosen_precision"] for r in rows if r.get("chosen_precision")), None)
            if chosen:
                precision[family] = chosen
        log("keyword filter, trafilatura, jusText")
        ft = time.perf_counter()
        seed_folds()
        report["quality"] += rule_rows()
        log("zero-shot event typing")
        report["quality"].append(zero_shot_row())
        report["timings"]["quality_baselines"] = time.perf_counter() - ft
        report["timings"]["quality"] = time.perf_counter() - t

    with tempfile.TemporaryDirectory(prefix="nkdiplomacy-bench-") as tmp:
        if not args.skip_speed:
            t = time.perf_counter()
            report["speed"] = speed_rows(families, args.quick, args.segments, precision, Path(tmp))
            report["timings"]["speed_models"] = time.perf_counter() - t
            t = time.perf_counter()
            model, described = pick_cli_model(args.model, report["speed"])
            if described:
                report["cli_model"] = described
                report["cli"] = cli_timings(model, CLI_RUNS)
            else:
                report["notes"].append("CLI timing skipped: no shipped default model and none saved here.")
            report["timings"]["speed_cli"] = time.perf_counter() - t

    report["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
    report["total_seconds"] = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report["total_cpu_seconds"] = time.process_time() + children.ru_utime + children.ru_stime
    for r in report["speed"]:
        r.pop("model_dir", None)
    md = markdown(report)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    print(f"Wrote {out} and {out.with_suffix('.md')} in {report['total_seconds'] / 60:.1f} min.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
