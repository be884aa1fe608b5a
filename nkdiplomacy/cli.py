"""The ``nkdiplomacy`` command: segment, predict, evaluate, train, batch.

Only the standard library is imported here; each command imports what it
needs when it runs, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

PROG = "nkdiplomacy"
FORMATS = ("table", "jsonl", "csv")


class CliError(Exception):
    """An error reported as one line on standard error, exit status 1."""


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _write_output(path: str | None, render) -> None:
    """Write ``render(stream)`` to standard output, or to ``path`` completely or not at all."""
    if path is None:
        render(sys.stdout)
        return
    target = Path(path)
    if target.is_dir():
        raise CliError(f"{target}: --output is a folder")
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", dir=target.parent if str(target.parent) else "."
        )
    except OSError as exc:
        raise CliError(f"{target}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            render(stream)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- segment ------------------------------------------------------------------
def cmd_segment(args) -> int:
    from nkdiplomacy.inputs import InputError, iter_articles
    from nkdiplomacy.segmenter import segment

    failed = False
    for item in iter_articles(args.paths):
        if isinstance(item, InputError):
            _error(str(item))
            failed = True
            continue
        for seg in segment(item.text, item.doc_id):
            print(
                json.dumps({"doc_id": seg.doc_id, "seg_id": seg.seg_id, "text": seg.text}, ensure_ascii=False)
            )
    return 1 if failed else 0


# -- predict ------------------------------------------------------------------
def _load_classifier(model: str | None, threshold: float | None):
    from nkdiplomacy.predict import ModelLoadError, load

    try:
        return load(model, threshold=threshold)
    except ModelLoadError as exc:
        raise CliError(str(exc)) from None


def _progress(paths: list[str]):
    """A progress bar on standard error for ten or more files in a terminal; ``None`` otherwise."""
    if not sys.stderr.isatty():
        return None
    from nkdiplomacy.inputs import expand

    total = sum(1 for _ in expand(paths))
    if total < 10:
        return None
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(console=Console(stderr=True), transient=True)
    task = progress.add_task("Classifying articles", total=total)
    progress.start()
    return progress, task


def cmd_predict(args) -> int:
    from nkdiplomacy import render
    from nkdiplomacy.inputs import InputError, iter_articles

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise CliError(f"--threshold must be between 0 and 1, got {args.threshold}")
    clf = _load_classifier(args.model, args.threshold)
    failed = False
    results = []  # (article, predictions)
    seen: dict[str, int] = {}
    progress = _progress(args.paths)
    try:
        for item in iter_articles(args.paths):
            if progress:
                progress[0].advance(progress[1])
            if isinstance(item, InputError):
                _error(str(item))
                failed = True
                continue
            # Two files with the same name in different folders keep distinct ids.
            seen[item.doc_id] = seen.get(item.doc_id, 0) + 1
            doc_id = item.doc_id if seen[item.doc_id] == 1 else f"{item.doc_id}#{seen[item.doc_id]}"
            preds = clf.classify_article(item.text, doc_id=doc_id)
            if not preds:
                _error(f"{item.source}: no text lines")
                failed = True
                continue
            if args.only_relevant:
                preds = [p for p in preds if p.relevant]
            results.append((item, preds))
    finally:
        if progress:
            progress[0].stop()
    renderer = {"jsonl": render.write_jsonl, "csv": render.write_csv, "table": render.write_table}[
        args.format
    ]
    if results or args.output:
        _write_output(args.output, lambda stream: renderer(results, stream))
    return 1 if failed else 0


# -- evaluate -----------------------------------------------------------------
def cmd_evaluate(args) -> int:
    from nkdiplomacy.bounds import UNIT
    from nkdiplomacy.dataset import DataError, read_annotations
    from nkdiplomacy.modeling.evaluate import evaluate_scores, seen_in_training
    from nkdiplomacy.predict import ModelLoadError, resolve_model

    if args.threshold is not None and (problem := UNIT.violation(args.threshold)):
        raise CliError(f"--threshold: {problem}, got {args.threshold:g}")
    try:
        records = read_annotations(args.files)
    except DataError as exc:
        raise CliError(str(exc)) from None
    real = [r for r in records if r.origin != "synthetic"]
    if len(real) < len(records):
        print(
            f"{PROG}: note: {len(records) - len(real)} synthetic records left out of the metrics",
            file=sys.stderr,
        )
    if not real:
        raise CliError("no real (non-synthetic) records to evaluate")
    try:
        folder = resolve_model(args.model)
    except ModelLoadError as exc:
        raise CliError(str(exc)) from None
    clf = _load_classifier(str(folder), args.threshold)
    pages = {r.doc_id for r in real}
    if seen := seen_in_training(folder, pages):
        print(
            f"{PROG}: warning: {len(seen)} of {len(pages)} evaluated pages were in the model's training data; "
            "these scores are not held-out",
            file=sys.stderr,
        )
    from nkdiplomacy.features import grouped_inputs

    inputs = grouped_inputs([r.doc_id for r in real], [r.seg_id for r in real], [r.text for r in real])
    relevance, events = clf.estimator.score_segments(inputs)
    metrics = evaluate_scores(
        [r.relevant for r in real], [r.event_type for r in real], relevance, events, clf.threshold
    )
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        from nkdiplomacy.render import metrics_table

        metrics_table(metrics, title=f"{args.model or folder} on {', '.join(args.files)}")
    return 0


# -- train --------------------------------------------------------------------
def _parse_set(items: list[str]) -> dict:
    """``--set KEY=VALUE`` items as dotted keys and YAML values."""
    import yaml

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or "" in key.split("."):
            raise CliError(f"--set: takes KEY=VALUE with a dotted KEY, got {item!r}")
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise CliError(f"--set {key}: not a valid YAML value ({str(exc).splitlines()[0]})") from None
    return out


def cmd_train(args) -> int:
    from nkdiplomacy.config import ConfigError, load_config
    from nkdiplomacy.dataset import DataError

    try:
        cfg = load_config(args.config, _parse_set(args.set))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    from nkdiplomacy.modeling.train import train

    try:
        result = train(cfg, config_path=args.config, save_to=args.save_model)
    except DataError as exc:
        raise CliError(f"{exc} (data.files of {args.config})") from None
    print(f"run {result.run_id}  model {result.model_uri}")
    if result.registered_version:
        state = "now champion" if result.promoted else "champion unchanged"
        print(f"registered {cfg.mlflow.registered_model} version {result.registered_version} ({state})")
    if args.save_model:
        print(f"saved MLflow model folder {args.save_model}")
    keys = ("cv_relevance_f1", "cv_relevance_pr_auc", "cv_event_accuracy", "cv_event_macro_f1", "cv_seconds")
    print("  ".join(f"{k}={result.metrics[k]:.3f}" for k in keys if k in result.metrics))
    return 0


# -- batch --------------------------------------------------------------------
def cmd_batch(args) -> int:
    from nkdiplomacy.batch import BatchError, run_batch

    try:
        stats = run_batch(
            input_path=args.input,
            output_path=args.output,
            model_uri=args.model,
            master=args.master,
            input_format=args.input_format,
        )
    except BatchError as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(stats))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find North Korea diplomacy passages in scraped news articles and label their event type.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("segment", help="print an article's segments as JSON Lines")
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="article files or folders, or - for standard input"
    )
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser("predict", help="classify the segments of articles")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt/.html files, folders (recursive), or -")
    p.add_argument(
        "--model", help="model folder or MLflow URI (models:/nk-diplomacy-segments@champion, runs:/...)"
    )
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--only-relevant", action="store_true", help="print on-topic segments only")
    p.add_argument("--threshold", type=float, help="relevance score at or above which a segment is on-topic")
    p.add_argument(
        "--output", metavar="FILE", help="write here (whole or not at all) instead of standard output"
    )
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="score a model on labeled JSON Lines files")
    p.add_argument("files", nargs="+", metavar="FILE.jsonl")
    p.add_argument("--model", help="model folder or MLflow URI (default: the shipped model)")
    p.add_argument("--threshold", type=float, help="relevance threshold (default: the model's)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", help="cross-validate and train a model from a recipe, tracked in MLflow")
    p.add_argument("--config", required=True, help="recipe file, e.g. configs/tfidf.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe key")
    p.add_argument("--save-model", metavar="DIR", help="also write the final model as an MLflow model folder")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("batch", help="score a corpus (Parquet or JSON Lines of doc_id, text) with Spark")
    p.add_argument("--input", required=True, help="Parquet or JSON Lines file or folder with doc_id and text")
    p.add_argument("--output", required=True, help="output Parquet folder (partitioned by event_type)")
    p.add_argument("--model", help="MLflow model URI or folder (default: the shipped model)")
    p.add_argument("--master", default="local[*]", help="Spark master (default: local[*])")
    p.add_argument("--input-format", choices=("auto", "parquet", "jsonl"), default="auto")
    p.set_defaults(func=cmd_batch)
    return parser


def _version() -> str:
    from nkdiplomacy import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
