"""Score a corpus of articles with Apache Spark: ``nkdiplomacy batch`` and ``spark-submit``.

Input: Parquet or JSON Lines (file or folder) with one article per row, columns
``doc_id`` and ``text`` (other columns are ignored). Each article is split into
segments by the package's own segmenter inside Spark (a UDF over articles,
then ``explode``), each segment gets its article context
(:func:`nkdiplomacy.text.context.article_inputs`) and is scored by the MLflow
pyfunc model through :func:`mlflow.pyfunc.spark_udf`. The segments, decisions
and scores are those of ``nkdiplomacy predict`` (``Classifier.classify_article``)
for the same articles, to 1e-6 (tested with the tfidf family and the shipped
encoder model, whose ONNX encoder embeds every text on its own, so a score never
depends on how rows are batched).

Output: a Parquet folder, one row per segment, partitioned by event type
(``<output>/event_type=meeting/``, ..., ``<output>/event_type=off_topic/``)::

    doc_id string, seg_id long, text string, relevant boolean, score double,
    p_meeting double, ..., p_analysis double, event_type string

``event_type`` is never null here: off-topic segments have ``"off_topic"``
(where :class:`~nkdiplomacy.records.Prediction` and the pyfunc model give
``None``), so ``relevant == (event_type != "off_topic")`` on every row. Scores
are the model's doubles, not rounded (``predict`` rounds them to 6 decimals).
Articles with no text lines yield no rows; ``doc_id`` should be unique. A
malformed JSON line fails the job. The output folder must not exist.

Locally (the CLI)::

    nkdiplomacy batch --input articles.parquet --output predictions/ --model models:/nk-diplomacy-segments@champion

On a cluster, with this package installed in the Python that runs the driver
and every executor (``PYSPARK_PYTHON`` or ``spark.pyspark.python``; the model
is shipped by MLflow, the code is not)::

    spark-submit --master yarn /path/to/nkdiplomacy/serving/batch.py \\
        --input hdfs:///corpus/articles.parquet --output hdfs:///corpus/predictions \\
        --model models:/nk-diplomacy-segments@champion

``--master`` may be left out there (spark-submit sets it); run as a file, the
module takes the same options as ``nkdiplomacy batch``.

Only the standard library is imported at module level; pyspark and MLflow
load when the job runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

OFF_TOPIC = "off_topic"
PARTITION_COLUMN = "event_type"
INPUT_FORMATS = ("auto", "parquet", "jsonl")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zst", ".snappy", ".lz4", ".deflate")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Articles per Spark partition at most, so that a large single input file still spreads over the cluster.
ARTICLES_PER_PARTITION = 2000


class BatchError(Exception):
    """A batch job that cannot run: missing input, missing column, unreadable model. One line, naming it."""


# -- inputs -------------------------------------------------------------------
def _is_remote(path: str) -> bool:
    return bool(_URI.match(path)) and not path.startswith("file://")


def _local(path: str) -> Path:
    return Path(path.removeprefix("file://"))


def _format_of_name(name: str) -> str | None:
    name = name.lower()
    for comp in _COMPRESSION_SUFFIXES:
        if name.endswith(comp) and not name.endswith(".parquet" + comp):
            name = name[: -len(comp)]
    if name.endswith(_PARQUET_SUFFIXES) or ".parquet" in name:
        return "parquet"
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    return None


def detect_format(input_path: str, input_format: str = "auto") -> str:
    """``parquet`` or ``jsonl``: as given, or from the file's suffix or the folder's files.

    Raises:
        BatchError: the input does not exist (local paths) or its format cannot be told.
    """
    if input_format not in INPUT_FORMATS:
        raise BatchError(f"input format must be one of {', '.join(INPUT_FORMATS)}, got {input_format!r}")
    if not _is_remote(input_path):
        path = _local(input_path)
        if not path.exists():
            raise BatchError(f"{input_path}: no such input file or folder")
        if input_format != "auto":
            return input_format
        if path.is_dir():
            files = [
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
            ]
            found = {_format_of_name(p.name) for p in files} - {None}
            if len(found) == 1:
                return found.pop()
            what = "both Parquet and JSON Lines files" if found else "no .parquet or .jsonl/.json files"
            raise BatchError(f"{input_path}: folder has {what}; pass the input format (parquet or jsonl)")
        fmt = _format_of_name(path.name)
    else:
        if input_format != "auto":
            return input_format
        fmt = _format_of_name(input_path.rstrip("/").rsplit("/", 1)[-1])
    if fmt is None:
        raise BatchError(
            f"{input_path}: cannot tell the format from the name (.parquet or .jsonl/.json); "
            "pass the input format (parquet or jsonl)"
        )
    return fmt


# -- model --------------------------------------------------------------------
def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def resolve_model(model_uri: str | None, workdir: Path) -> tuple[str, str, float]:
    """``(name, local MLflow model folder, relevance threshold)``; the model is loaded once to check it.

    ``None`` is the shipped default model; a folder must be an MLflow model
    folder (with ``MLmodel``); other URIs (``models:/``, ``runs:/``, ...) are
    downloaded into ``workdir`` from the tracking server
    (:func:`nkdiplomacy.tracking.tracking_uri`).

    Raises:
        BatchError: the model cannot be found or loaded.
    """
    import mlflow

    from nkdiplomacy.serving.classifier import ModelLoadError, default_model_path
    from nkdiplomacy.tracking import tracking_uri

    if model_uri is None:
        try:
            folder = default_model_path()
        except ModelLoadError as exc:
            raise BatchError(str(exc)) from None
        name = str(folder)
    else:
        name = str(model_uri)
        if _is_remote(name) or name.startswith(("models:/", "runs:/", "mlflow-artifacts:", "dbfs:")):
            mlflow.set_tracking_uri(tracking_uri())
            try:
                folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=name, dst_path=str(workdir)))
            except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds; the user needs one line
                raise BatchError(f"{name}: cannot load model ({_first_line(exc)})") from None
        else:
            folder = _local(name)
    if not folder.exists():
        raise BatchError(f"{name}: no such model folder or MLflow model URI")
    if not (folder / "MLmodel").is_file():
        raise BatchError(
            f"{name}: not an MLflow model folder (no MLmodel file); "
            "`nkdiplomacy train --save-model DIR` writes one"
        )
    try:
        model = mlflow.pyfunc.load_model(str(folder))
        threshold = float(model.unwrap_python_model().clf.threshold)
    except Exception as exc:  # noqa: BLE001 - unpickling and loading fail in many ways; one line names the model
        raise BatchError(f"{name}: cannot load model ({_first_line(exc)})") from None
    return name, str(folder.resolve()), threshold


# -- Spark --------------------------------------------------------------------
# Messages of MLflow and pyspark that say nothing to a batch user: env_manager="local" is deliberate
# (executors run the driver's environment), the backend choice is an INFO line.
_DROPPED = ('env_manager="local"', "Selected backend for flavor")


class _DropNotes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(s in record.getMessage() for s in _DROPPED)


@contextlib.contextmanager
def _quiet():
    """Without MLflow's download progress bars, its notes above and pyspark's pandas-version warning."""
    loggers = [logging.getLogger(n) for n in ("mlflow.pyfunc", "mlflow.models.flavor_backend_registry")]
    note_filter = _DropNotes()
    old_bar = os.environ.get("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    for lg in loggers:
        lg.addFilter(note_filter)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="PySpark does not yet fully support", category=FutureWarning
            )
            yield
    finally:
        for lg in loggers:
            lg.removeFilter(note_filter)
        if old_bar is None:
            os.environ.pop("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", None)
        else:
            os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = old_bar


# Errors only. pyspark counts as a Spark shell, whose log level comes from the org.apache.spark loggers;
# when that differs from the root level Spark announces "Setting default log level", so both are set.
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.spark.name = org.apache.spark
logger.spark.level = error
"""


def spark_session(master: str | None, workdir: Path):
    """``(session, created)``: the active SparkSession, or a new quiet one.

    ``master`` None leaves the master to spark-submit. With a ``local`` master
    the Python workers run this interpreter (``PYSPARK_PYTHON``, unless set)
    and the driver JVM, started here, logs errors only; elsewhere the cluster's
    settings stand and the log level is set once the session is up.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    builder = SparkSession.builder.appName("nkdiplomacy-batch").config(
        "spark.ui.showConsoleProgress", "false"
    )
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit: the JVM starts now
            log4j = workdir / "log4j2.properties"
            log4j.write_text(_LOG4J2, encoding="utf-8")
            builder = builder.config(
                "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}"
            )
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support", category=FutureWarning
        )
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def _segment_type():
    from pyspark.sql.types import ArrayType, DoubleType, LongType, StringType, StructField, StructType

    from nkdiplomacy.text.context import CONTEXT_COLUMNS

    fields = [StructField("seg_id", LongType(), False), StructField("text", StringType(), False)]
    for c in CONTEXT_COLUMNS:
        fields.append(StructField(c, DoubleType() if c == "position" else StringType(), False))
    return ArrayType(StructType(fields), containsNull=False)


def segment_article(text: str | None) -> list[dict]:
    """The segments of one article with their context, as rows of the segment UDF."""
    from nkdiplomacy.text.context import CONTEXT_COLUMNS, article_inputs
    from nkdiplomacy.text.segment import segment

    if not text:
        return []
    segments = segment(text)
    inputs = article_inputs([s.text for s in segments])
    return [
        {"seg_id": s.seg_id, "text": x.text, **{c: getattr(x, c) for c in CONTEXT_COLUMNS}}
        for s, x in zip(segments, inputs)
    ]


def result_type():
    """The Spark struct of the pyfunc model's output columns."""
    from pyspark.sql.types import BooleanType, DoubleType, StringType, StructField, StructType

    from nkdiplomacy.schema import event_type_names

    return StructType(
        [
            StructField("relevant", BooleanType()),
            StructField("score", DoubleType()),
            StructField("event_type", StringType()),
            *[StructField(f"p_{t}", DoubleType()) for t in event_type_names()],
        ]
    )


def _read_articles(spark, input_path: str, fmt: str):
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    try:
        if fmt == "parquet":
            df = spark.read.parquet(input_path)
        else:  # a malformed line fails the job rather than becoming an article without text
            df = spark.read.json(input_path, mode="FAILFAST")
    except (PySparkException, Py4JJavaError) as exc:
        raise BatchError(f"{input_path}: cannot read as {fmt} ({_job_error(exc)})") from None
    missing = [c for c in ("doc_id", "text") if c not in df.columns]
    if missing:
        names = " and ".join(f"'{c}'" for c in missing)
        found = ", ".join(df.columns) or "none"
        raise BatchError(f"{input_path}: no {names} column (columns: {found})")
    return df.select(
        F.col("doc_id").cast("string").alias("doc_id"), F.col("text").cast("string").alias("text")
    )


def _output_exists(spark, output_path: str) -> bool:
    if not _is_remote(output_path):
        return _local(output_path).exists()
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(output_path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(hpath)


def run_batch(
    input_path: str,
    output_path: str,
    model_uri: str | None = None,
    master: str | None = "local[*]",
    input_format: str = "auto",
) -> dict:
    """Segment and score every article of ``input_path``; write segment predictions to ``output_path``.

    Args:
        input_path: Parquet or JSON Lines file or folder with ``doc_id`` and ``text`` columns.
        output_path: Parquet folder to create, partitioned by ``event_type`` (see the module docstring).
        model_uri: MLflow model folder or URI; ``None`` for the shipped default model.
        master: Spark master for a new session (``None``: whatever spark-submit set). An active
            SparkSession is used as it is, and left running.
        input_format: ``auto`` (by suffix, or by the files in a folder), ``parquet`` or ``jsonl``.

    Returns:
        ``{"articles", "segments", "seconds", "segments_per_second"}``; ``seconds`` is the job's
        wall time (read, segment, score, write), without starting Spark and checking the model.

    Raises:
        BatchError: missing input, missing ``doc_id``/``text`` column, unreadable model, existing
            output, or a failed Spark job; one line naming the culprit.
    """
    from nkdiplomacy.extras import require

    require("spark", "pyspark", "mlflow", what="nkdiplomacy batch")
    input_path, output_path = str(input_path), str(output_path)
    fmt = detect_format(input_path, input_format)
    if not _is_remote(output_path) and _local(output_path).exists():
        raise BatchError(f"{output_path}: output already exists; remove it or choose another")
    with _quiet(), tempfile.TemporaryDirectory(prefix="nkdiplomacy-batch-") as tmp:
        workdir = Path(tmp)
        model_name, model_path, threshold = resolve_model(model_uri, workdir)
        spark, created = spark_session(master, workdir)
        try:
            if _output_exists(spark, output_path):
                raise BatchError(f"{output_path}: output already exists; remove it or choose another")
            return _run(spark, input_path, fmt, output_path, model_name, model_path, threshold)
        finally:
            if created:
                spark.stop()


def _run(
    spark, input_path: str, fmt: str, output_path: str, model_name: str, model_path: str, threshold: float
):
    import mlflow.pyfunc
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    from nkdiplomacy.text.context import CONTEXT_COLUMNS

    try:
        predict = mlflow.pyfunc.spark_udf(
            spark,
            model_path,
            result_type=result_type(),
            env_manager="local",
            # Without it the signature's default (0.5) would replace the model's own threshold.
            params={"threshold": threshold},
        )
    except Exception as exc:  # noqa: BLE001 - as in resolve_model
        raise BatchError(f"{model_name}: cannot load model ({_first_line(exc)})") from None

    start = time.perf_counter()
    articles = _read_articles(spark, input_path, fmt)
    try:
        n_articles = articles.count()
    except (PySparkException, Py4JJavaError) as exc:
        raise BatchError(f"{input_path}: cannot read as {fmt} ({_job_error(exc)})") from None
    # Every core busy, and no partition so large that a lost task costs much; each task loads the model.
    target = max(spark.sparkContext.defaultParallelism, math.ceil(n_articles / ARTICLES_PER_PARTITION))
    if articles.rdd.getNumPartitions() < target:
        articles = articles.repartition(target)
    split = F.udf(segment_article, _segment_type(), useArrow=True)
    segments = articles.select("doc_id", F.explode(split("text")).alias("s")).select("doc_id", "s.*")
    scored = segments.withColumn("pred", predict(F.struct("text", *CONTEXT_COLUMNS)))
    out = scored.select(
        "doc_id",
        "seg_id",
        "text",
        *[F.col(f"pred.{c}").alias(c) for c in result_type().fieldNames() if c != "event_type"],
        # From `relevant`, not from a null: Spark would write a null partition value as a Hive placeholder.
        F.when(F.col("pred.relevant"), F.col("pred.event_type"))
        .otherwise(F.lit(OFF_TOPIC))
        .alias(PARTITION_COLUMN),
    )
    try:
        out.write.partitionBy(PARTITION_COLUMN).parquet(output_path)
    except (PySparkException, Py4JJavaError) as exc:
        raise BatchError(f"Spark job failed ({_job_error(exc)})") from exc
    n_segments = spark.read.parquet(output_path).count()
    seconds = time.perf_counter() - start
    return {
        "articles": n_articles,
        "segments": n_segments,
        "seconds": round(seconds, 3),
        "segments_per_second": round(n_segments / seconds, 1) if seconds > 0 else 0.0,
    }


def _job_error(exc: BaseException) -> str:
    """The telling line of a failed Spark call: a Python worker's exception, else Spark's error message."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    python = [
        ln
        for ln in lines
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception): ", ln) and not ln.startswith(_JVM_PACKAGES)
    ]
    if python:
        return python[-1]
    for ln in lines:
        found = re.search(r"\[[A-Z][A-Z_.]*\] (.+)", ln)  # Spark's "[ERROR_CLASS] message"
        if found:
            return found.group(1).strip()
    return lines[0] if lines else type(exc).__name__


_JVM_PACKAGES = ("org.", "java.", "javax.", "scala.", "com.", "py4j.")


# -- spark-submit -------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="batch.py",
        description="Score a corpus of articles (doc_id, text) with Spark; see the module docstring.",
    )
    parser.add_argument(
        "--input", required=True, help="Parquet or JSON Lines file or folder with doc_id and text"
    )
    parser.add_argument("--output", required=True, help="output Parquet folder (partitioned by event_type)")
    parser.add_argument("--model", help="MLflow model URI or folder (default: the shipped model)")
    parser.add_argument("--master", help="Spark master (default: the one spark-submit sets)")
    parser.add_argument("--input-format", choices=INPUT_FORMATS, default="auto")
    args = parser.parse_args(argv)
    from nkdiplomacy.extras import MissingExtra

    try:
        stats = run_batch(args.input, args.output, args.model, args.master, args.input_format)
    except (BatchError, MissingExtra) as exc:
        print(f"batch.py: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    # Run as a file (spark-submit .../nkdiplomacy/serving/batch.py): this folder is first on sys.path, where
    # segmenter.py, config.py, ... would shadow top-level modules of that name. Drop it and run the
    # installed module, so that Spark ships functions by reference to nkdiplomacy.serving.batch.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    from nkdiplomacy.serving.batch import main as _main

    sys.exit(_main())
