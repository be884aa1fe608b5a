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
is shipped by MLflow, the code is not), submit ``jobs/spark_batch.py`` of a
source checkout, which takes the same options::

    spark-submit --master yarn jobs/spark_batch.py \\
        --input hdfs:///corpus/articles.parquet --output hdfs:///corpus/predictions \\
        --model models:/nk-diplomacy-segments@champion

The modules: :mod:`.formats` (telling Parquet from JSON Lines), :mod:`.session`
(a quiet Spark session), :mod:`.udfs` (the segmenting UDF and the Spark types),
:mod:`.errors` (one-line errors out of Spark's), :mod:`.job` (the job).
At module level they import the standard library and the package's light
modules only; pyspark and MLflow load when the job runs.
"""

from nkdiplomacy.serving.batch.errors import BatchError
from nkdiplomacy.serving.batch.formats import INPUT_FORMATS, detect_format
from nkdiplomacy.serving.batch.job import run_batch
from nkdiplomacy.serving.batch.session import spark_session

__all__ = ["INPUT_FORMATS", "BatchError", "detect_format", "run_batch", "spark_session"]
