"""The ``nkdiplomacy`` command: segment, predict, evaluate, train, batch, suggest, annotate; and the
spark-submit entry.

Thin: argparse, a call into the layers below, errors as one line. Only the standard library and
the package's light modules (article reading, output formats) are imported here; each command
imports what it needs when it runs, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from nkdiplomacy.extras import MissingExtra
from nkdiplomacy.writing import WriteError

PROG = "nkdiplomacy"


class CliError(Exception):
    """An error reported as one line on standard error, exit status 1."""


def _error(message: str, prog: str = PROG) -> None:
    """One error line; file names and page text in it are shown escaped (never raw control characters)."""
    from nkdiplomacy.text.display import for_terminal

    print(f"{prog}: error: {for_terminal(message)}", file=sys.stderr)


def _max_bytes(text: str) -> int:
    from nkdiplomacy.text.articles import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {port}")
    return port


# -- segment ------------------------------------------------------------------
def cmd_segment(args) -> int:
    from nkdiplomacy.text.articles import InputError, iter_articles
    from nkdiplomacy.text.segment import segment

    failed = False
    for item in iter_articles(args.paths, args.max_bytes):
        if isinstance(item, InputError):
            _error(str(item))
            failed = True
            continue
        for seg in segment(item.text, item.doc_id):
            record = {"doc_id": seg.doc_id, "seg_id": seg.seg_id, "text": seg.text}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 1 if failed else 0


# -- predict ------------------------------------------------------------------
def _check_threshold(value: float | None) -> None:
    from nkdiplomacy.bounds import UNIT

    if value is not None and (problem := UNIT.violation(value)):
        raise CliError(f"--threshold: {problem}, got {value:g}")


def _load_classifier(model: str | None, threshold: float | None):
    from nkdiplomacy.serving.classifier import load
    from nkdiplomacy.serving.locate import ModelLoadError

    try:
        return load(model, threshold=threshold)
    except ModelLoadError as exc:
        raise CliError(str(exc)) from None


def cmd_predict(args) -> int:
    from pathlib import Path

    from nkdiplomacy.cli.output import Output
    from nkdiplomacy.cli.render import WRITERS, progress
    from nkdiplomacy.serving.pages import article_results
    from nkdiplomacy.text.articles import InputError, expand, iter_articles

    _check_threshold(args.threshold)
    counterparts = _checked_counterparts(args.counterpart or [])
    output = Output(
        args.output, WRITERS[args.format], inputs=[p for p in expand(args.paths) if isinstance(p, Path)]
    )
    clf = _load_classifier(args.model, args.threshold)
    # A progress bar on standard error, unless the results themselves stream to the terminal.
    on_terminal = args.output is None and sys.stdout.isatty()
    total = sum(1 for _ in expand(args.paths)) if sys.stderr.isatty() and not on_terminal else 0
    failed = False
    with output, progress(total) as advance:
        articles = iter_articles(args.paths, args.max_bytes)
        for result in article_results(clf, articles, args.only_relevant, counterparts):
            if isinstance(result, InputError):
                _error(str(result))
                failed = True
            else:
                output.write(result)
            advance()
    return 1 if failed else 0


def _checked_counterparts(codes: list[str]) -> set[str]:
    """``--counterpart`` codes, upper-cased, each a code of the gazetteer (else a one-line error)."""
    if not codes:
        return set()
    from nkdiplomacy.text.counterparts import gazetteer, unknown_codes

    wanted = {c.strip().upper() for c in codes}
    if unknown := unknown_codes(wanted):
        raise CliError(f"--counterpart: unknown code {unknown[0]!r}; known: {', '.join(sorted(gazetteer()))}")
    return wanted


# -- evaluate -----------------------------------------------------------------
def _note(message: str) -> None:
    """A note or warning on standard error, after the program's name (escaped as :func:`_error` is)."""
    from nkdiplomacy.text.display import for_terminal

    print(f"{PROG}: {for_terminal(message)}", file=sys.stderr)


def cmd_evaluate(args) -> int:
    from nkdiplomacy.corpus.annotations import DataError
    from nkdiplomacy.serving.locate import ModelLoadError
    from nkdiplomacy.trainer.evaluation import EvaluationError, evaluate_model

    _check_threshold(args.threshold)
    try:
        result = evaluate_model(args.model, args.files, args.threshold, warn=_note)
    except (DataError, EvaluationError, ModelLoadError) as exc:
        raise CliError(str(exc)) from None
    if args.json:  # strict JSON: a metric that is undefined (no on-topic segment, say) is null, not NaN
        metrics = {
            k: None if isinstance(v, float) and math.isnan(v) else v for k, v in result.metrics.items()
        }
        print(json.dumps(metrics, indent=2, allow_nan=False))
    else:
        from nkdiplomacy.cli.render import metrics_table

        metrics_table(result.metrics, title=f"{args.model or result.folder} on {', '.join(args.files)}")
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
    from nkdiplomacy.corpus.annotations import DataError
    from nkdiplomacy.trainer.recipe import ConfigError, FoldError, load_config

    try:
        cfg = load_config(args.config, _parse_set(args.set))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    from nkdiplomacy.trainer.train import train_recipe

    try:
        result = train_recipe(cfg, config_path=args.config, save_to=args.save_model)
    except DataError as exc:
        raise CliError(f"{exc} (data.files of {args.config})") from None
    except FoldError as exc:
        raise CliError(f"{args.config}: {exc}") from None
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
    from nkdiplomacy.serving.batch import BatchError, run_batch

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


def _batch_options(p: argparse.ArgumentParser, master: str | None, master_help: str) -> None:
    """The options of ``nkdiplomacy batch`` and of the spark-submit entry (``jobs/spark_batch.py``)."""
    p.add_argument("--input", required=True, help="Parquet or JSON Lines file or folder with doc_id and text")
    p.add_argument("--output", required=True, help="output Parquet folder (partitioned by event_type)")
    p.add_argument("--model", help="MLflow model URI or folder (default: the shipped model)")
    p.add_argument("--master", default=master, help=master_help)
    p.add_argument("--input-format", choices=("auto", "parquet", "jsonl"), default="auto")
    p.set_defaults(func=cmd_batch)


def spark_submit_main(argv: list[str] | None = None, prog: str = "spark_batch.py") -> int:
    """``nkdiplomacy batch`` as a spark-submit application: the master is left to spark-submit."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Score a corpus of articles (doc_id, text) with Spark, as `nkdiplomacy batch`."
    )
    _batch_options(parser, None, "Spark master (default: the one spark-submit sets)")
    return _run(parser, argv, prog)


# -- suggest, annotate (the labeling loop) -------------------------------------
def cmd_suggest(args) -> int:
    from pathlib import Path

    from nkdiplomacy.corpus.annotations import DataError
    from nkdiplomacy.labeling.suggest import suggest, write_todo
    from nkdiplomacy.serving.locate import ModelLoadError
    from nkdiplomacy.text.articles import expand
    from nkdiplomacy.writing import resolve_output, write_text_whole

    if args.n < 1:
        raise CliError(f"--n: must be at least 1, got {args.n}")
    # Checked before any scoring: not a folder, its folder exists, not one of the inputs.
    target = None
    if args.output is not None:
        target = resolve_output(args.output, [p for p in expand(args.paths) if isinstance(p, Path)])
    try:
        found = suggest(
            args.paths, args.model, args.n, args.exclude, args.max_bytes,
            relative_to=None if target is None else Path(args.output).absolute().parent,
        )  # fmt: skip
    except (ModelLoadError, DataError) as exc:
        raise CliError(str(exc)) from None
    for line in found.errors:
        _error(line)
    if target is None:
        write_todo(found.records, sys.stdout)
        sys.stdout.flush()
    else:
        try:
            write_text_whole(target, lambda stream: write_todo(found.records, stream), shown=args.output)
        except OSError as exc:
            raise CliError(f"{args.output}: cannot write ({exc.strerror})") from None
    return 1 if found.errors else 0


def cmd_annotate(args) -> int:
    from nkdiplomacy.labeling.annotate.session import AnnotateError, LabelsFile, Session, read_inputs

    try:
        items, pages = read_inputs(args.inputs, args.max_bytes)
        output = LabelsFile(args.output)
    except AnnotateError as exc:
        raise CliError(str(exc)) from None
    try:
        from nkdiplomacy.labeling.annotate.app import serve

        serve(Session(items, pages, output), args.port)
    except AnnotateError as exc:
        output.discard_if_unused()  # a failed start leaves no empty labels file behind
        raise CliError(str(exc)) from None
    return 0


def _add_loop_commands(sub, max_bytes: dict) -> None:
    p = sub.add_parser("suggest", help="pick the unlabeled segments worth labeling next (a to-do file)")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt/.html files, folders (recursive), or -")
    p.add_argument("--model", help="model folder or MLflow URI (default: the shipped model)")
    p.add_argument("--n", type=int, default=50, help="how many segments (default: 50)")
    p.add_argument("--output", metavar="FILE", help="to-do file (default: standard output)")
    p.add_argument("--exclude", nargs="*", default=[], metavar="LABELS.jsonl", help="labeled already")
    p.add_argument("--max-bytes", **max_bytes)
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("annotate", help="label segments in the browser (a local web app on 127.0.0.1)")
    p.add_argument("inputs", nargs="+", metavar="TODO_OR_PATH", help="to-do .jsonl, articles or folders")
    p.add_argument("--output", required=True, metavar="LABELS.jsonl", help="answers are appended here")
    p.add_argument("--port", type=_port, default=8765, help="port on 127.0.0.1 (default: 8765; 0: any)")
    p.add_argument("--max-bytes", **max_bytes)
    p.set_defaults(func=cmd_annotate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find North Korea diplomacy passages in scraped news articles and label their event type.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from nkdiplomacy.cli.render import FORMATS
    from nkdiplomacy.text.articles import DEFAULT_MAX_BYTES

    max_bytes = {
        "type": _max_bytes,
        "default": DEFAULT_MAX_BYTES,
        "metavar": "SIZE",
        "help": "report any input larger than this as an error and skip it: bytes, or 500K, 5M, ... "
        "(default: 5M; 0: no limit)",
    }
    p = sub.add_parser("segment", help="print an article's segments as JSON Lines")
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="article files or folders, or - for standard input"
    )
    p.add_argument("--max-bytes", **max_bytes)
    p.set_defaults(func=cmd_segment)

    p = sub.add_parser("predict", help="classify the segments of articles")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt/.html files, folders (recursive), or -")
    p.add_argument(
        "--model", help="model folder or MLflow URI (models:/nk-diplomacy-segments@champion, runs:/...)"
    )
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--max-bytes", **max_bytes)
    p.add_argument("--only-relevant", action="store_true", help="print on-topic segments only")
    p.add_argument(
        "--counterpart",
        action="append",
        metavar="CODE",
        help="print on-topic passages with this counterpart only (RUS, CHN, UN...; repeat for any of several)",
    )
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
    _batch_options(p, "local[*]", "Spark master (default: local[*])")
    _add_loop_commands(sub, max_bytes)
    return parser


def _version() -> str:
    from nkdiplomacy import __version__

    return __version__


def _run(parser: argparse.ArgumentParser, argv: list[str] | None, prog: str) -> int:
    try:
        args = parser.parse_args(argv)
        if sys.stdout is None:  # started with standard output closed (`>&-`)
            if not getattr(args, "output", None):
                raise CliError("standard output is closed; give --output FILE or open it")
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the status lines go nowhere, the results to FILE
        return args.func(args)
    except (CliError, MissingExtra, WriteError) as exc:
        _error(str(exc), prog)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a second error when Python flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def main(argv: list[str] | None = None) -> int:
    return _run(build_parser(), argv, PROG)
