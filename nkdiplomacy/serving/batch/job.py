"""The batch job: read the articles, set aside those that cannot be scored (with a reason each), score
whole articles in Spark as ``predict`` does, write the predictions partitioned by event type and the
rejects beside them (see :mod:`nkdiplomacy.serving.batch`)."""

from __future__ import annotations

import math
import shutil
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

from nkdiplomacy.serving.batch.errors import BatchError, job_error, spark_errors
from nkdiplomacy.serving.batch.formats import detect_format
from nkdiplomacy.serving.batch.session import quiet, spark_session
from nkdiplomacy.serving.batch.udfs import output_type, score_articles, text_problem
from nkdiplomacy.serving.locate import ModelLoadError, is_remote, local_path, open_model, resolve_mlflow_model

PARTITION_COLUMN = "event_type"
# Inside the output folder: Spark's readers skip folders whose names start with "_".
REJECTS = "_rejects"
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
        ``{"articles", "scored_articles", "rejected_articles", "rejects", "segments", "seconds",
        "segments_per_second"}``: ``rejects`` is the folder (JSON Lines, ``doc_id`` and ``reason``) of
        the articles set aside, none silently: null ``doc_id``, null, empty or non-string ``text``, a
        ``doc_id`` seen before (the first is scored). ``seconds`` is the job's wall time (read,
        score, write), without starting Spark and checking the model.

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
        model_path, threshold = _checked_model(model_uri, workdir)
        spark, created = spark_session(master, workdir)
        try:
            if _output_exists(spark, output_path):
                raise BatchError(f"{output_path}: output already exists; remove it or choose another")
            model_file = _ship_model(spark, model_path, workdir)
            return _run(
                spark,
                input_path,
                fmt,
                output_path,
                partial(score_articles, model_file=model_file, threshold=threshold),
            )
        finally:
            if created:
                spark.stop()


def _checked_model(model_uri: str | None, workdir: Path) -> tuple[str, float]:
    """``(local MLflow model folder, relevance threshold)``; the model is opened once to check it.

    A URI is downloaded into ``workdir``.
    """
    try:
        folder = resolve_mlflow_model(model_uri, dst=workdir)
        name = str(folder) if model_uri is None else str(model_uri)
        threshold = float(open_model(folder, name=name).threshold)
    except ModelLoadError as exc:
        raise BatchError(str(exc)) from None
    return str(folder.resolve()), threshold


def _ship_model(spark, model_path: str, workdir: Path) -> str:
    """Hand the model folder to every executor once (``SparkContext.addFile``), under a name of its own
    for this job; each Python worker loads it once from there (:func:`.udfs.score_articles`)."""
    name = f"nkdiplomacy-model-{uuid.uuid4().hex[:12]}"
    shutil.copytree(model_path, workdir / name)
    spark.sparkContext.addFile(str(workdir / name), recursive=True)
    return name


def _read_articles(spark, input_path: str, fmt: str):
    """The articles with a ``reason`` column: null where the article can be scored."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

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
    text_type = df.schema["text"].dataType
    df = df.select(
        F.col("doc_id").cast("string").alias("doc_id"),
        F.col("text").cast("string").alias("text"),
        F.monotonically_increasing_id().alias("_row"),
    )
    problem = F.udf(text_problem, StringType())
    first = F.row_number().over(Window.partitionBy("doc_id").orderBy("_row"))
    reason = (
        F.when(F.col("doc_id").isNull(), F.lit("doc_id is null"))
        .when(
            F.lit(not isinstance(text_type, StringType)),
            F.lit(f"text is {text_type.simpleString()}, not a string"),
        )
        .when(first > 1, F.lit("duplicate doc_id (its first article is scored)"))
        .otherwise(problem("text"))
    )
    return df.withColumn("reason", reason).drop("_row")


def _output_exists(spark, output_path: str) -> bool:
    if not is_remote(output_path):
        return local_path(output_path).exists()
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(output_path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(hpath)


def _scored_segments(spark, articles, n_articles: int, score):
    """One row per segment (:func:`.udfs.output_type`): whole articles scored by ``score``
    (``mapInPandas``), so an article's lines are always read together, whatever the batch sizes."""
    # Every core busy, and no partition so large that a lost task costs much.
    target = max(spark.sparkContext.defaultParallelism, math.ceil(n_articles / ARTICLES_PER_PARTITION))
    if articles.rdd.getNumPartitions() < target:
        articles = articles.repartition(target)
    return articles.select("doc_id", "text").mapInPandas(score, output_type())


def _run(spark, input_path: str, fmt: str, output_path: str, score) -> dict:
    from pyspark.sql import functions as F

    start = time.perf_counter()
    articles = _read_articles(spark, input_path, fmt).cache()
    try:
        n_articles = articles.count()
        rejects = articles.where(F.col("reason").isNotNull()).select("doc_id", "reason")
        n_rejected = rejects.count()
    except spark_errors() as exc:
        raise BatchError(f"{input_path}: cannot read as {fmt} ({job_error(exc)})") from None
    good = articles.where(F.col("reason").isNull())
    out = _scored_segments(spark, good, n_articles - n_rejected, score)
    rejects_path = f"{output_path.rstrip('/')}/{REJECTS}"
    try:
        out.write.partitionBy(PARTITION_COLUMN).parquet(output_path)
        rejects.coalesce(1).write.json(rejects_path)
    except spark_errors() as exc:
        raise BatchError(f"Spark job failed ({job_error(exc)})") from exc
    finally:
        articles.unpersist()
    try:
        n_segments = spark.read.parquet(output_path).count()
    except spark_errors():  # no article scored: a folder without data files, which Spark cannot read
        n_segments = 0
    seconds = time.perf_counter() - start
    return {
        "articles": n_articles,
        "scored_articles": n_articles - n_rejected,
        "rejected_articles": n_rejected,
        "rejects": rejects_path,
        "segments": n_segments,
        "seconds": round(seconds, 3),
        "segments_per_second": round(n_segments / seconds, 1) if seconds > 0 else 0.0,
    }
