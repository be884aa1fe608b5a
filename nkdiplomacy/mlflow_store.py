"""MLflow plumbing: where runs go, what tags they carry, and the champion alias.

Without ``MLFLOW_TRACKING_URI`` runs go to a SQLite store ``mlflow.db`` in the
current folder (artifacts under ``mlartifacts/``): no server needed.
"""

from __future__ import annotations

import os
import subprocess
from importlib import metadata
from pathlib import Path

CHAMPION = "champion"


LOCAL_STORE = "mlflow.db"


def existing_tracking_uri() -> str | None:
    """``MLFLOW_TRACKING_URI`` if set, else the local SQLite store if it exists; ``None`` creates nothing."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    local = Path.cwd() / LOCAL_STORE
    return f"sqlite:///{local}" if local.is_file() else None


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the local SQLite store (created on first use)."""
    return existing_tracking_uri() or f"sqlite:///{Path.cwd() / LOCAL_STORE}"


def setup(experiment: str) -> str:
    """Point MLflow at the tracking store and experiment; returns the experiment id."""
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        exp_id = found.experiment_id
    elif uri.startswith("sqlite:"):
        # Keep artifacts beside the local store rather than wherever the process started.
        exp_id = mlflow.create_experiment(experiment, artifact_location=(Path.cwd() / "mlartifacts").as_uri())
    else:
        exp_id = mlflow.create_experiment(experiment)
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


def run_tags() -> dict[str, str]:
    """Git commit of the package's source checkout (``unknown`` when installed) and package versions."""
    tags = {}
    source = Path(__file__).resolve().parent.parent  # not the current folder: training may run anywhere
    git = {"capture_output": True, "text": True, "timeout": 5, "cwd": source}
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], check=True, **git).stdout.strip()
        tags["mlflow.source.git.commit"] = commit
        dirty = subprocess.run(["git", "status", "--porcelain"], check=False, **git).stdout
        tags["git_dirty"] = str(bool(dirty.strip())).lower()
    except (OSError, subprocess.SubprocessError):
        tags["mlflow.source.git.commit"] = "unknown"
    for dist in ("nkdiplomacy", "scikit-learn", "transformers", "datasets", "mlflow", "torch", "onnxruntime"):
        try:
            tags[f"version.{dist}"] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return tags


def promote_if_better(name: str, version: str, metric: str, value: float) -> bool:
    """Move the ``champion`` alias to ``version`` when its ``metric`` beats the current champion's.

    The first registered version becomes champion. Returns whether the alias moved.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        current = None
    if current is not None:
        best = client.get_run(current.run_id).data.metrics.get(metric, float("-inf"))
        if not value > best:
            return False
    client.set_registered_model_alias(name, CHAMPION, version)
    return True
