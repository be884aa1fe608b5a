"""The ``nkdiplomacy`` command: segment, predict, evaluate, train, batch.

Only the standard library (and the package's light ``inputs`` and ``render``
modules, for the parser) is imported here; each command imports what it needs
when it runs, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Self, TextIO

from nkdiplomacy.extras import MissingExtra

if TYPE_CHECKING:
    from nkdiplomacy.text.articles import Article
    from nkdiplomacy.serving.classifier import Classifier
    from nkdiplomacy.serving.render import ArticleResult

PROG = "nkdiplomacy"


class CliError(Exception):
    """An error reported as one line on standard error, exit status 1."""


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _max_bytes(text: str) -> int:
    from nkdiplomacy.text.articles import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Output:
    """Where ``predict`` writes: standard output, flushed after each article, or FILE whole or not at all.

    FILE is written to a temporary file beside it, created at the first article and renamed
    over FILE at the end of a run; a run with no classified article, or one that stops early,
    leaves FILE as it was (or absent). FILE keeps its mode; a new one gets 0666 less the umask.
    """

    def __init__(self, path: str | None, writer_class: type):
        self.target = None if path is None else Path(path)
        if self.target is not None:
            if self.target.is_dir():
                raise CliError(f"{self.target}: --output is a folder")
            if not self.target.absolute().parent.is_dir():
                raise CliError(f"{self.target}: no such folder {self.target.parent}")
        self.writer_class = writer_class
        self.stream: TextIO | None = None
        self.writer = None
        self.tmp: Path | None = None

    def write(self, result: ArticleResult) -> None:
        """Write one article's results (an ``ArticleResult``) and flush them."""
        if self.writer is None:
            self.stream = sys.stdout if self.target is None else self._open_temp(self.target)
            self.writer = self.writer_class(self.stream)
        try:
            self.writer.write(result)
            self.stream.flush()
        except OSError as exc:
            if self.target is None:  # standard output: a closed pipe is handled by main()
                raise
            raise CliError(f"{self.target}: cannot write ({exc.strerror})") from None

    def _open_temp(self, target: Path) -> TextIO:
        tmp = target.absolute().parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise CliError(f"{target}: cannot write ({exc.strerror})") from None
        self.tmp = tmp
        if target.exists():
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        return os.fdopen(fd, "w", encoding="utf-8", newline="")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.tmp is None:
            return
        try:
            self.stream.close()
            if exc_type is None:
                os.replace(self.tmp, self.target)
        except OSError as error:
            raise CliError(f"{self.target}: cannot write ({error.strerror})") from None
        finally:
            self.tmp.unlink(missing_ok=True)


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
    from nkdiplomacy.serving.classifier import ModelLoadError, load

    try:
        return load(model, threshold=threshold)
    except ModelLoadError as exc:
        raise CliError(str(exc)) from None


@contextmanager
def _progress(paths: list[str], results_on_terminal: bool) -> Iterator[Callable[[], None]]:
    """A function advancing a progress bar on standard error, shown for ten or more files in a terminal.

    No bar when the results themselves stream to the terminal.
    """
    from nkdiplomacy.text.articles import expand

    wanted = sys.stderr.isatty() and not results_on_terminal
    total = sum(1 for _ in expand(paths)) if wanted else 0
    if total < 10:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    # Error lines (standard error) print above the bar; standard output is left alone.
    with Progress(console=Console(stderr=True), transient=True, redirect_stdout=False) as progress:
        task = progress.add_task("Classifying articles", total=total)
        yield lambda: progress.advance(task)


def _classify(clf: Classifier, article: Article, seen: dict[str, int], only_relevant: bool) -> ArticleResult:
    """An article's ``ArticleResult``; an ``InputError`` when it has no text line."""
    from nkdiplomacy.text.articles import InputError
    from nkdiplomacy.serving.render import ArticleResult

    # Two files with the same name in different folders keep distinct ids.
    seen[article.doc_id] = seen.get(article.doc_id, 0) + 1
    count = seen[article.doc_id]
    doc_id = article.doc_id if count == 1 else f"{article.doc_id}#{count}"
    preds = clf.classify_article(article.text, doc_id=doc_id)
    if not preds:
        raise InputError(f"{article.source}: no text lines")
    shown = [p for p in preds if p.relevant] if only_relevant else preds
    return ArticleResult(doc_id=doc_id, source=article.source, predictions=shown, n_segments=len(preds))


def cmd_predict(args) -> int:
    from nkdiplomacy.text.articles import InputError, iter_articles
    from nkdiplomacy.serving.render import WRITERS

    _check_threshold(args.threshold)
    output = _Output(args.output, WRITERS[args.format])
    clf = _load_classifier(args.model, args.threshold)
    failed = False
    seen: dict[str, int] = {}
    on_terminal = args.output is None and sys.stdout.isatty()
    with output, _progress(args.paths, results_on_terminal=on_terminal) as advance:
        for item in iter_articles(args.paths, args.max_bytes):
            try:
                if isinstance(item, InputError):
                    raise item
                output.write(_classify(clf, item, seen, args.only_relevant))
            except InputError as exc:
                _error(str(exc))
                failed = True
            advance()
    return 1 if failed else 0


# -- evaluate -----------------------------------------------------------------
def _note(message: str) -> None:
    """A note or warning on standard error, after the program's name."""
    print(f"{PROG}: {message}", file=sys.stderr)


def cmd_evaluate(args) -> int:
    from nkdiplomacy.corpus.annotations import DataError
    from nkdiplomacy.serving.classifier import ModelLoadError
    from nkdiplomacy.trainer.evaluation import EvaluationError, evaluate_model

    _check_threshold(args.threshold)
    try:
        result = evaluate_model(args.model, args.files, args.threshold, warn=_note)
    except (DataError, EvaluationError, ModelLoadError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(result.metrics, indent=2))
    else:
        from nkdiplomacy.serving.render import metrics_table

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
    from nkdiplomacy.trainer.recipe import ConfigError, load_config
    from nkdiplomacy.corpus.annotations import DataError

    try:
        cfg = load_config(args.config, _parse_set(args.set))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    from nkdiplomacy.trainer.train import train_recipe

    try:
        result = train_recipe(cfg, config_path=args.config, save_to=args.save_model)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find North Korea diplomacy passages in scraped news articles and label their event type.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from nkdiplomacy.text.articles import DEFAULT_MAX_BYTES
    from nkdiplomacy.serving.render import FORMATS

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
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except (CliError, MissingExtra) as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a second error when Python flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
