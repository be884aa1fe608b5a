"""What runs inside Spark: the check of each input article, the scoring of whole articles, and the
Spark types of the output rows (the model's columns, :func:`nkdiplomacy.schema.output_columns`)."""

from __future__ import annotations

from collections.abc import Iterator

from nkdiplomacy.schema import OFF_TOPIC, output_columns
from nkdiplomacy.serving.columns import output_kinds
from nkdiplomacy.text.articles import DEFAULT_MAX_BYTES, format_size
from nkdiplomacy.text.segment import iter_lines

# The classifier of each shipped model file, loaded once per Python worker (Spark reuses workers),
# never once per batch.
_LOADED: dict[str, object] = {}


def text_problem(text: str | None) -> str | None:
    """Why an article's text cannot be scored (``None`` when it can): null, over ``predict``'s size
    limit, or no text line."""
    if text is None:
        return "text is null"
    if len(text) > DEFAULT_MAX_BYTES or len(text.encode("utf-8")) > DEFAULT_MAX_BYTES:
        return f"text larger than the {format_size(DEFAULT_MAX_BYTES)} limit"
    if next(iter_lines(text), None) is None:
        return "text has no text lines (empty or whitespace only)"
    return None


def _classifier(model_file: str, threshold: float):
    clf = _LOADED.get(model_file)
    if clf is None:
        import os

        from pyspark import SparkFiles

        from nkdiplomacy.estimators.onnx_encoder import THREADS_ENV

        # Spark runs a task per core: its encoder takes one thread too, unless told otherwise.
        os.environ.setdefault(THREADS_ENV, "1")

        from nkdiplomacy.serving.classifier import Classifier
        from nkdiplomacy.serving.locate import open_model

        clf = _LOADED[model_file] = Classifier(open_model(SparkFiles.get(model_file)), threshold=threshold)
    return clf


def score_articles(batches: Iterator, model_file: str, threshold: float) -> Iterator:
    """``mapInPandas`` over whole articles (``doc_id``, ``text``): each article is segmented and
    scored as ``nkdiplomacy predict`` scores it (``Classifier.classify_article``), so its lines are
    read together as one page whatever the batch sizes; one row per segment (:func:`output_type`)."""
    import pandas as pd

    clf = _classifier(model_file, threshold)
    columns = output_type().fieldNames()
    for frame in batches:
        rows = []
        for doc_id, text in zip(frame["doc_id"], frame["text"]):
            for p in clf.classify_article(text, doc_id=doc_id):
                values = p.row()
                rows.append(
                    (
                        p.doc_id,
                        p.seg_id,
                        p.text,
                        *(values[c] for c in _model_columns()),
                        p.event_type or OFF_TOPIC,
                    )
                )
        yield pd.DataFrame(rows, columns=columns)


def _model_columns() -> list[str]:
    """The model's output columns but ``event_type`` (which goes last, never null, as the partition)."""
    return [c for c in output_columns() if c != "event_type"]


def output_type():
    """The Spark struct of an output row: ids, text, the model's columns, ``event_type`` last."""
    from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType, StructField, StructType

    spark_types = {"boolean": BooleanType, "double": DoubleType, "string": StringType}
    kinds = output_kinds()
    return StructType(
        [
            StructField("doc_id", StringType()),
            StructField("seg_id", LongType()),
            StructField("text", StringType()),
            *(StructField(c, spark_types[kinds[c]]()) for c in _model_columns()),
            StructField("event_type", StringType()),
        ]
    )
