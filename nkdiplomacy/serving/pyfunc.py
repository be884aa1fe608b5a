"""The MLflow pyfunc flavour of a segment classifier.

Input: a DataFrame with a ``text`` column and, optionally, ``doc_id`` and
``seg_id`` (rows of one article are then read together, so the model sees
each segment's context) or the explicit context columns that the batch job
fills. Output: one row per input row with ``relevant``, ``score``,
``event_type`` (null when off-topic) and ``p_<type>`` for every event type.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from nkdiplomacy.text.context import CONTEXT_COLUMNS, inputs_from_frame
from nkdiplomacy.schema import event_type_names

ARTIFACT_KEY = "model"
# Models from code: MLflow stores this file instead of a cloudpickled object.
MODEL_CODE = str(Path(__file__).with_name("pyfunc_model.py"))


def scores_frame(clf, df: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """Score a DataFrame of segments with a fitted classifier; the pyfunc output format."""
    relevance, events = clf.score_segments(inputs_from_frame(df))
    threshold = clf.threshold if threshold is None else threshold
    types = event_type_names()
    relevant = relevance >= threshold
    out = pd.DataFrame(
        {
            "relevant": relevant,
            "score": relevance,
            # object dtype keeps None (pandas 3 would infer `str` and turn None into NaN, served as bare NaN).
            "event_type": pd.Series(
                [types[i] if r else None for i, r in zip(events.argmax(axis=1), relevant)], dtype=object
            ),
        }
    )
    for j, name in enumerate(types):
        out[f"p_{name}"] = events[:, j]
    return out


class SegmentModel(mlflow.pyfunc.PythonModel):
    """Wraps a saved model folder (``artifacts/model``) for MLflow serving and ``spark_udf``."""

    def load_context(self, context):
        from nkdiplomacy.estimators.predictor import load_model

        self.clf = load_model(context.artifacts[ARTIFACT_KEY])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return scores_frame(self.clf, model_input, (params or {}).get("threshold"))


def signature(threshold: float = 0.5):
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
        [
            ColSpec("boolean", "relevant"),
            ColSpec("double", "score"),
            ColSpec("string", "event_type", required=False),
        ]
        + [ColSpec("double", f"p_{t}") for t in event_type_names()]
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
    manifest = json.loads((Path(native_dir) / "manifest.json").read_text(encoding="utf-8"))
    return float(manifest["params"].get("threshold", 0.5))


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
        name="model",
        python_model=MODEL_CODE,
        artifacts={ARTIFACT_KEY: str(native_dir)},
        signature=signature(_threshold(native_dir)),
        input_example=input_example(),
        pip_requirements=pip_requirements(),
        registered_model_name=registered_model_name,
    )
