"""Where a training run's record goes: MLflow (:class:`MlflowTracker`) or nowhere (:class:`NullTracker`).

The trainer's pieces (:func:`~nkdiplomacy.trainer.crossval.cross_validate`,
:func:`~nkdiplomacy.trainer.fitting.fit_final`, :func:`~nkdiplomacy.trainer.train.train_recipe`)
take a tracker, so benchmarks and tests run the very same code with nothing tracked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol


class Tracker(Protocol):
    """What the trainer records, and where."""

    def run(self, name: str, tags: dict[str, str]) -> contextlib.AbstractContextManager[str]:
        """The training run (yields its id)."""

    def fold(self, name: str, held_out: str) -> contextlib.AbstractContextManager[None]:
        """A cross-validation fold, nested in the run."""

    def log_params(self, params: dict[str, Any]) -> None: ...

    def log_metrics(self, metrics: dict[str, float]) -> None: ...

    def log_artifact(self, path: str | Path, folder: str) -> None: ...

    def log_dict(self, data: dict, path: str) -> None: ...

    def log_figure(self, figure, path: str) -> None: ...

    def log_datasets(self, files: Sequence[str]) -> None:
        """The annotation files, as the run's inputs."""

    def log_model(self, native: Path, registered_name: str | None) -> tuple[str, str | None]:
        """Log a saved native model folder as a pyfunc model; returns its URI and registered version."""

    def promote(self, registered_name: str, version: str, metric: str, value: float) -> bool:
        """Move the ``champion`` alias to ``version`` when it wins; returns whether it moved."""


class NullTracker:
    """Records nothing: cross-validation and fitting as plain functions."""

    @contextlib.contextmanager
    def run(self, name: str, tags: dict[str, str]) -> Iterator[str]:
        yield ""

    @contextlib.contextmanager
    def fold(self, name: str, held_out: str) -> Iterator[None]:
        yield

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float]) -> None:
        pass

    def log_artifact(self, path: str | Path, folder: str) -> None:
        pass

    def log_dict(self, data: dict, path: str) -> None:
        pass

    def log_figure(self, figure, path: str) -> None:
        pass

    def log_datasets(self, files: Sequence[str]) -> None:
        pass

    def log_model(self, native: Path, registered_name: str | None) -> tuple[str, str | None]:
        return "", None

    def promote(self, registered_name: str, version: str, metric: str, value: float) -> bool:
        return False


class MlflowTracker:
    """Records to the MLflow store of :mod:`nkdiplomacy.mlflow_store` under ``experiment``."""

    def __init__(self, experiment: str):
        from nkdiplomacy import mlflow_store

        mlflow_store.setup(experiment)

    @contextlib.contextmanager
    def run(self, name: str, tags: dict[str, str]) -> Iterator[str]:
        """A run tagged with ``tags`` besides the source commit and library versions."""
        import mlflow

        from nkdiplomacy import mlflow_store

        with mlflow.start_run(run_name=name) as run:
            mlflow.set_tags({**mlflow_store.run_tags(), **tags})
            yield run.info.run_id

    @contextlib.contextmanager
    def fold(self, name: str, held_out: str) -> Iterator[None]:
        import mlflow

        with mlflow.start_run(run_name=name, nested=True):
            mlflow.set_tag("held_out", held_out)
            yield

    def log_params(self, params: dict[str, Any]) -> None:
        import mlflow

        mlflow.log_params(params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        import mlflow

        mlflow.log_metrics(metrics)

    def log_artifact(self, path: str | Path, folder: str) -> None:
        import mlflow

        mlflow.log_artifact(str(path), artifact_path=folder)

    def log_dict(self, data: dict, path: str) -> None:
        import mlflow

        mlflow.log_dict(data, path)

    def log_figure(self, figure, path: str) -> None:
        import mlflow

        mlflow.log_figure(figure, path)

    def log_datasets(self, files: Sequence[str]) -> None:
        """Each file as an input: ``train`` when it holds only synthetic pages, else ``cross-validation``."""
        import mlflow
        import pandas as pd

        from nkdiplomacy.records import is_train_only

        for file in files:
            frame = pd.read_json(file, lines=True)
            context = "train" if all(is_train_only(o) for o in frame["origin"]) else "cross-validation"
            mlflow.log_input(
                mlflow.data.from_pandas(frame, source=str(file), name=Path(file).stem), context=context
            )

    def log_model(self, native: Path, registered_name: str | None) -> tuple[str, str | None]:
        from nkdiplomacy.serving.mlflow_model import log_pyfunc

        info = log_pyfunc(native, registered_model_name=registered_name)
        version = info.registered_model_version
        return info.model_uri, (str(version) if registered_name and version else None)

    def promote(self, registered_name: str, version: str, metric: str, value: float) -> bool:
        from nkdiplomacy import mlflow_store

        return mlflow_store.promote_if_better(registered_name, version, metric, value)
