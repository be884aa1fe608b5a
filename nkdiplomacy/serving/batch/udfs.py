"""What runs inside Spark: the segmenting UDF over articles, and the Spark types of its rows and of the
model's output (:func:`nkdiplomacy.schema.output_columns`)."""

from __future__ import annotations

from nkdiplomacy.schema import output_columns
from nkdiplomacy.serving.columns import output_kinds
from nkdiplomacy.text.context import CONTEXT_COLUMNS, article_inputs
from nkdiplomacy.text.segment import segment


def segment_article(text: str | None) -> list[dict]:
    """The segments of one article with their context, as rows of the segment UDF."""
    if not text:
        return []
    segments = segment(text)
    inputs = article_inputs([s.text for s in segments])
    return [
        {"seg_id": s.seg_id, "text": x.text, **{c: getattr(x, c) for c in CONTEXT_COLUMNS}}
        for s, x in zip(segments, inputs)
    ]


def segment_type():
    """The Spark type of :func:`segment_article`'s rows."""
    from pyspark.sql.types import ArrayType, DoubleType, LongType, StringType, StructField, StructType

    fields = [StructField("seg_id", LongType(), False), StructField("text", StringType(), False)]
    for c in CONTEXT_COLUMNS:
        fields.append(StructField(c, DoubleType() if c == "position" else StringType(), False))
    return ArrayType(StructType(fields), containsNull=False)


def result_type():
    """The Spark struct of the pyfunc model's output columns."""
    from pyspark.sql.types import BooleanType, DoubleType, StringType, StructField, StructType

    spark_types = {"boolean": BooleanType, "double": DoubleType, "string": StringType}
    kinds = output_kinds()
    return StructType([StructField(c, spark_types[kinds[c]]()) for c in output_columns()])
