"""The one-line errors of a batch job, and the telling line of a failed Spark call."""

from __future__ import annotations

import re

# Exceptions of the JVM side, whose class names look like Python ones.
_JVM_PACKAGES = ("org.", "java.", "javax.", "scala.", "com.", "py4j.")


class BatchError(Exception):
    """A batch job that cannot run: missing input, missing column, unreadable model. One line, naming it."""


def job_error(exc: BaseException) -> str:
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


def spark_errors() -> tuple[type[BaseException], ...]:
    """What a failed Spark call raises on the driver (pyspark's errors and the JVM's, through py4j)."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)
