"""The batch job: read the articles, segment them in Spark, score the segments with the MLflow pyfunc
model, write the predictions partitioned by event type (see :mod:`nkdiplomacy.serving.batch`)."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

from nkdiplomacy.estimators.persist import first_line
from nkdiplomacy.schema import OFF_TOPIC
from nkdiplomacy.serving.batch.errors import BatchError, job_error, spark_errors
from nkdiplomacy.serving.batch.formats import detect_format
from nkdiplomacy.serving.batch.session import quiet, spark_session
from nkdiplomacy.serving.batch.udfs import result_type, segment_article, segment_type
from nkdiplomacy.serving.locate import ModelLoadError, is_remote, local_path, open_model, resolve_mlflow_model
from nkdiplomacy.text.context import CONTEXT_COLUMNS

PARTITION_COLUMN = "event_type"
# Articles per Spark partition at most, so that a large single input file still spreads over the cluster.
ARTICLES_PER_PARTITION = 2000


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
        output_path: Parquet folder to create, partitioned by ``event_type`` (see the package docstring).
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
    if not is_remote(output_path) and local_path(output_path).exists():
        raise BatchError(f"{output_path}: output already exists; remove it or choose another")
    with quiet(), tempfile.TemporaryDirectory(prefix="nkdiplomacy-batch-") as tmp:
        workdir = Path(tmp)
        model_name, model_path, threshold = _checked_model(model_uri, workdir)
        spark, created = spark_session(master, workdir)
        try:
            if _output_exists(spark, output_path):
                raise BatchError(f"{output_path}: output already exists; remove it or choose another")
            predict = _model_udf(spark, model_name, model_path, threshold)
            return _run(spark, input_path, fmt, output_path, predict)
        finally:
            if created:
                spark.stop()


def _checked_model(model_uri: str | None, workdir: Path) -> tuple[str, str, float]:
    """``(name, local MLflow model folder, relevance threshold)``; the model is opened once to check it.

    A URI is downloaded into ``workdir``.
    """
    try:
        folder = resolve_mlflow_model(model_uri, dst=workdir)
        name = str(folder) if model_uri is None else str(model_uri)
        threshold = float(open_model(folder, name=name).threshold)
    except ModelLoadError as exc:
        raise BatchError(str(exc)) from None
    return name, str(folder.resolve()), threshold


def _model_udf(spark, model_name: str, model_path: str, threshold: float):
    import mlflow.pyfunc

    try:
        return mlflow.pyfunc.spark_udf(
            spark,
            model_path,
            result_type=result_type(),
            env_manager="local",
            # Without it the signature's default would replace the model's own threshold.
            params={"threshold": threshold},
        )
    except Exception as exc:  # noqa: BLE001 - MLflow fails in many ways; one line names the model
        raise BatchError(f"{model_name}: cannot load model ({first_line(exc)})") from None


def _read_articles(spark, input_path: str, fmt: str):
    from pyspark.sql import functions as F

    try:
        if fmt == "parquet":
            df = spark.read.parquet(input_path)
        else:  # a malformed line fails the job rather than becoming an article without text
            df = spark.read.json(input_path, mode="FAILFAST")
    except spark_errors() as exc:
        raise BatchError(f"{input_path}: cannot read as {fmt} ({job_error(exc)})") from None
    missing = [c for c in ("doc_id", "text") if c not in df.columns]
    if missing:
        names = " and ".join(f"'{c}'" for c in missing)
        found = ", ".join(df.columns) or "none"
        raise BatchError(f"{input_path}: no {names} column (columns: {found})")
    return df.select(
        F.col("doc_id").cast("string").alias("doc_id"), F.col("text").cast("string").alias("text")
    )


def _output_exists(spark, output_path: str) -> bool:
    if not is_remote(output_path):
        return local_path(output_path).exists()
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(output_path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(hpath)


def _scored_segments(spark, articles, n_articles: int, predict):
    """One row per segment: ``doc_id``, ``seg_id``, ``text``, the model's output, ``event_type`` last."""
    from pyspark.sql import functions as F

    # Every core busy, and no partition so large that a lost task costs much; each task loads the model.
    target = max(spark.sparkContext.defaultParallelism, math.ceil(n_articles / ARTICLES_PER_PARTITION))
    if articles.rdd.getNumPartitions() < target:
        articles = articles.repartition(target)
    split = F.udf(segment_article, segment_type(), useArrow=True)
    segments = articles.select("doc_id", F.explode(split("text")).alias("s")).select("doc_id", "s.*")
    scored = segments.withColumn("pred", predict(F.struct("text", *CONTEXT_COLUMNS)))
    return scored.select(
        "doc_id",
        "seg_id",
        "text",
        *[F.col(f"pred.{c}").alias(c) for c in result_type().fieldNames() if c != PARTITION_COLUMN],
        # From `relevant`, not from a null: Spark would write a null partition value as a Hive placeholder.
        F.when(F.col("pred.relevant"), F.col("pred.event_type"))
        .otherwise(F.lit(OFF_TOPIC))
        .alias(PARTITION_COLUMN),
    )


def _run(spark, input_path: str, fmt: str, output_path: str, predict) -> dict:
    start = time.perf_counter()
    articles = _read_articles(spark, input_path, fmt)
    try:
        n_articles = articles.count()
    except spark_errors() as exc:
        raise BatchError(f"{input_path}: cannot read as {fmt} ({job_error(exc)})") from None
    out = _scored_segments(spark, articles, n_articles, predict)
    try:
        out.write.partitionBy(PARTITION_COLUMN).parquet(output_path)
    except spark_errors() as exc:
        raise BatchError(f"Spark job failed ({job_error(exc)})") from exc
    n_segments = spark.read.parquet(output_path).count()
    seconds = time.perf_counter() - start
    return {
        "articles": n_articles,
        "segments": n_segments,
        "seconds": round(seconds, 3),
        "segments_per_second": round(n_segments / seconds, 1) if seconds > 0 else 0.0,
    }
