"""A quiet Spark session for the batch job: log4j errors only, no progress bars, no needless notes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path

# Messages of MLflow and pyspark that say nothing to a batch user: env_manager="local" is deliberate
# (executors run the driver's environment), the backend choice is an INFO line.
_DROPPED = ('env_manager="local"', "Selected backend for flavor")
_NOTE_LOGGERS = ("mlflow.pyfunc", "mlflow.models.flavor_backend_registry")
_PROGRESS_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"

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


class _DropNotes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(s in record.getMessage() for s in _DROPPED)


@contextlib.contextmanager
def _without_pandas_version_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support", category=FutureWarning
        )
        yield


@contextlib.contextmanager
def quiet():
    """Without MLflow's download progress bars, its notes above and pyspark's pandas-version warning."""
    loggers = [logging.getLogger(n) for n in _NOTE_LOGGERS]
    note_filter = _DropNotes()
    old_bar = os.environ.get(_PROGRESS_BAR)
    os.environ[_PROGRESS_BAR] = "false"
    for lg in loggers:
        lg.addFilter(note_filter)
    try:
        with _without_pandas_version_warning():
            yield
    finally:
        for lg in loggers:
            lg.removeFilter(note_filter)
        if old_bar is None:
            os.environ.pop(_PROGRESS_BAR, None)
        else:
            os.environ[_PROGRESS_BAR] = old_bar


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
    with _without_pandas_version_warning():
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True
