"""spark-submit entry for ``nkdiplomacy batch`` (see :mod:`nkdiplomacy.serving.batch`).

    spark-submit --master yarn jobs/spark_batch.py --input hdfs:///corpus/articles.parquet \\
        --output hdfs:///corpus/predictions --model models:/nk-diplomacy-segments@champion

The options are those of ``nkdiplomacy batch``; ``--master`` defaults to the one spark-submit sets.
The package must be installed in the Python of the driver and of every executor.
"""

import sys

from nkdiplomacy.cli import spark_submit_main

if __name__ == "__main__":
    sys.exit(spark_submit_main())
