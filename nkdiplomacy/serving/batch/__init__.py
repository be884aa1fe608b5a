"""Score a corpus of articles with Apache Spark: ``nkdiplomacy batch`` and ``spark-submit``.

Input: Parquet or JSON Lines (file or folder) with one article per row, columns
``doc_id`` and ``text`` (other columns are ignored). Whole articles are scored
inside Spark (``mapInPandas`` over articles): each is segmented and scored by
``Classifier.classify_article``, exactly as ``nkdiplomacy predict`` scores it, so
an article's lines are always read together as one page (the default model's
page stage needs that) whatever the batch sizes; the segments, decisions and
scores equal ``predict --format jsonl`` (tested with batches forced down to a
few rows). The model folder is handed to every executor once
(``SparkContext.addFile``) and loaded once per Python worker.

Output: a Parquet folder, one row per segment, partitioned by event type
(``<output>/event_type=meeting/``, ..., ``<output>/event_type=off_topic/``)::

    doc_id string, seg_id long, text string, relevant boolean, score double,
    p_meeting double, ..., p_analysis double, event_type string

``event_type`` is never null here: off-topic segments have ``"off_topic"``
(where :class:`~nkdiplomacy.records.Prediction` and the pyfunc model give
``None``), so ``relevant == (event_type != "off_topic")`` on every row. Scores
are rounded to 6 decimals, as ``predict`` writes them.

Articles that cannot be scored are never dropped silently: each is written to
``<output>/_rejects/`` (JSON Lines, ``doc_id`` and a one-line ``reason``: null
``doc_id``; null, empty, whitespace-only or non-string ``text``; a ``doc_id``
seen before, whose first article is the one scored) and counted in the job's
summary (``rejected_articles``). A malformed JSON line fails the job. The output
folder must not exist.

Locally (the CLI)::

    nkdiplomacy batch --input articles.parquet --output predictions/ --model models:/nk-diplomacy-segments@champion

On a cluster, with this package installed in the Python that runs the driver
and every executor (``PYSPARK_PYTHON`` or ``spark.pyspark.python``; the model
folder is shipped by Spark once per executor, the code is not), submit
``jobs/spark_batch.py`` of a source checkout, which takes the same options::

    spark-submit --master yarn jobs/spark_batch.py \\
        --input hdfs:///corpus/articles.parquet --output hdfs:///corpus/predictions \\
        --model models:/nk-diplomacy-segments@champion

The modules: :mod:`.formats` (telling Parquet from JSON Lines), :mod:`.session`
(a quiet Spark session), :mod:`.udfs` (the article check, the scoring of whole articles, the Spark types),
:mod:`.errors` (one-line errors out of Spark's), :mod:`.job` (the job).
At module level they import the standard library and the package's light
modules only; pyspark and MLflow load when the job runs.
"""

from nkdiplomacy.serving.batch.errors import BatchError
from nkdiplomacy.serving.batch.formats import INPUT_FORMATS, detect_format
from nkdiplomacy.serving.batch.job import run_batch
from nkdiplomacy.serving.batch.session import spark_session

__all__ = ["INPUT_FORMATS", "BatchError", "detect_format", "run_batch", "spark_session"]
