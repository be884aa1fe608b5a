"""The MLflow pyfunc flavour of a segment classifier.

Input: a DataFrame with a ``text`` column and, optionally, ``doc_id`` and
``seg_id`` (rows of one article are then read together, so the model sees
each segment's context) or the explicit context columns that the batch job
fills. Output: one row per input row with ``relevant``, ``score``,
``event_type`` (null when off-topic) and ``p_<type>`` for every event type.
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd

from nkdiplomacy.estimators.persist import ARTIFACT_KEY, ManifestKey, read_manifest
from nkdiplomacy.schema import (
    COUNTERPARTS,
    DEFAULT_THRESHOLD,
    checked_threshold,
    joined_codes,
    output_columns,
    threshold_of,
)
from nkdiplomacy.serving.columns import NULLABLE, output_kinds
from nkdiplomacy.serving.outputs import model_outputs
from nkdiplomacy.text.context import CONTEXT_COLUMNS, inputs_from_frame

# Models from code: MLflow stores this file instead of a cloudpickled object.
MODEL_CODE = str(Path(__file__).with_name("pyfunc_model.py"))
# The most text one request may carry (as ``predict --max-bytes`` bounds one article): a larger
# request is a 400, so a server's memory is bounded by what one request may hold.
MAX_REQUEST_TEXT_BYTES = 5_000_000
# Where a training run logs the model (``runs:/<run id>/model``).
RUN_ARTIFACT_PATH = "model"


def scores_frame(clf, df: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """Score a DataFrame of segments with a fitted classifier; the pyfunc output format."""
    inputs = inputs_from_frame(df)
    relevance, events = clf.score_segments(inputs)
    columns = model_outputs(inputs, relevance, events, clf.threshold if threshold is None else threshold)
    columns[COUNTERPARTS] = pd.Series([joined_codes(c) for c in columns[COUNTERPARTS]], dtype=object)
    columns["relevant"] = np.asarray(columns["relevant"], dtype=bool)
    # object dtype keeps None (pandas 3 would infer `str` and turn None into NaN, served as bare NaN).
    columns["event_type"] = pd.Series(columns["event_type"], dtype=object)
    return pd.DataFrame(columns, columns=list(output_columns()))


class PyfuncModel(mlflow.pyfunc.PythonModel):
    """Wraps a saved model folder (the artifact ``ARTIFACT_KEY``) for MLflow serving and ``spark_udf``."""

    def load_context(self, context):
        from nkdiplomacy.serving.locate import open_model

        self.clf = open_model(context.artifacts[ARTIFACT_KEY])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        size = sum(len(t.encode("utf-8")) for t in model_input.get("text", []) if isinstance(t, str))
        if size > MAX_REQUEST_TEXT_BYTES:
            raise MlflowException(
                f"{size:,} bytes of text, over the {MAX_REQUEST_TEXT_BYTES:,}-byte limit of a request; "
                "send fewer or shorter texts per request",
                error_code=INVALID_PARAMETER_VALUE,
            )
        try:
            threshold = (params or {}).get("threshold")
            threshold = None if threshold is None else checked_threshold(threshold, "param 'threshold'")
            return scores_frame(self.clf, model_input, threshold)
        except (ValueError, TypeError) as exc:  # a bad request: MLflow answers 400 with this message
            raise MlflowException(str(exc), error_code=INVALID_PARAMETER_VALUE) from None


def signature(threshold: float = DEFAULT_THRESHOLD):
    """Input, output and params schema of the pyfunc model.

    MLflow fills in the ``threshold`` param's default on every request that
    omits it, so the default must be the model's own threshold.
    """
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    optional_text = ["doc_id", *[c for c in CONTEXT_COLUMNS if c != "position"]]
    inputs = Schema(
        [ColSpec("string", "text")]
        + [ColSpec("string", c, required=False) for c in optional_text]
        + [ColSpec("long", "seg_id", required=False), ColSpec("double", "position", required=False)]
    )
    outputs = Schema(
        [ColSpec(kind, name, required=name not in NULLABLE) for name, kind in output_kinds().items()]
    )
    params = ParamSchema([ParamSpec("threshold", "double", float(threshold))])
    return ModelSignature(inputs=inputs, outputs=outputs, params=params)


def input_example() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc_id": ["example", "example", "example"],
            "seg_id": [0, 1, 2],
            "text": [
                "Kim Jong Un meets Chinese envoy in Pyongyang",
                "Kim Jong Un held talks with a visiting Chinese delegation on Tuesday, state media said.",
                "Sign up for our newsletter",
            ],
        }
    )


def pip_requirements() -> list[str]:
    """What a serving environment needs: this package (which pulls the rest)."""
    from nkdiplomacy import __version__

    return [f"nkdiplomacy=={__version__}"]


def _threshold(native_dir) -> float:
    return threshold_of(read_manifest(Path(native_dir))[ManifestKey.PARAMS])


def save_pyfunc(native_dir, path) -> None:
    """Write an MLflow model folder at ``path`` around a saved native model folder."""
    mlflow.pyfunc.save_model(
        path=str(path),
        python_model=MODEL_CODE,
        artifacts={ARTIFACT_KEY: str(native_dir)},
        signature=signature(_threshold(native_dir)),
        input_example=input_example(),
        pip_requirements=pip_requirements(),
    )


def log_pyfunc(native_dir, registered_model_name: str | None = None):
    """Log the pyfunc model to the active run (and register it); returns MLflow's ``ModelInfo``."""
    return mlflow.pyfunc.log_model(
        name=RUN_ARTIFACT_PATH,
        python_model=MODEL_CODE,
        artifacts={ARTIFACT_KEY: str(native_dir)},
        signature=signature(_threshold(native_dir)),
        input_example=input_example(),
        pip_requirements=pip_requirements(),
        registered_model_name=registered_model_name,
    )
