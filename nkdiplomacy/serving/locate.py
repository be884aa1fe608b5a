"""Finding a saved model from what a user names, and opening it: the one model locator.

A model is named by

- nothing: the shipped default, ``$NKDIPLOMACY_MODEL``, else the copy inside an installed wheel
  (``nkdiplomacy/_default_model``), else ``models/default`` of a source checkout;
- a folder (or ``file://`` URI): a saved-model folder, or an MLflow model folder wrapping one;
- an MLflow model URI (``models:/``, ``runs:/``, ``mlflow-artifacts:``, ``dbfs:``, or any other
  ``scheme://`` address): downloaded with MLflow, imported only then.

The folder layout itself belongs to :mod:`nkdiplomacy.estimators.persist`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from nkdiplomacy.estimators.persist import (
    MLMODEL,
    first_line,
    is_mlflow_model,
    not_a_model_folder,
    saved_model_in,
)

DEFAULT_MODEL_ENV = "NKDIPLOMACY_MODEL"
# Where the shipped default model lies, beside the package (a wheel) or beside its folder (a checkout).
_PACKAGE = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_PLACES = (_PACKAGE / "_default_model", _PACKAGE.parent / "models" / "default")
# MLflow's own schemes; any other ``scheme://`` except ``file://`` is a remote artifact too.
_MLFLOW_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:", "dbfs:")
_REGISTRY_SCHEMES = ("models:/", "runs:/")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class ModelLoadError(ValueError):
    """A model that cannot be found or read; the message names it."""


def is_remote(ref: str) -> bool:
    """Whether ``ref`` is an address other than a local path (``file://`` is local)."""
    return bool(_URI.match(ref)) and not ref.startswith("file://")


def is_model_uri(ref: str) -> bool:
    """Whether ``ref`` names a model that MLflow downloads (not a local folder)."""
    return ref.startswith(_MLFLOW_SCHEMES) or is_remote(ref)


def local_path(ref: str) -> Path:
    """A local path or ``file://`` URI as a path."""
    return Path(ref.removeprefix("file://"))


def default_model_path() -> Path:
    """The shipped default model: ``$NKDIPLOMACY_MODEL``, the copy inside a wheel, or ``models/default``."""
    if os.environ.get(DEFAULT_MODEL_ENV):
        return Path(os.environ[DEFAULT_MODEL_ENV])
    for candidate in DEFAULT_MODEL_PLACES:
        if candidate.exists():
            return candidate
    looked = " and ".join(str(p) for p in DEFAULT_MODEL_PLACES)
    raise ModelLoadError(
        f"no default model found (looked in {looked}); pass a model or set {DEFAULT_MODEL_ENV}"
    )


def download(uri: str, dst: Path | None = None) -> Path:
    """The local copy of an MLflow model URI (in ``dst``, else where MLflow chooses).

    Raises:
        ModelLoadError: MLflow is missing, no tracking store is set for a registry URI, or the
            download fails; one line naming ``uri``.
    """
    from nkdiplomacy.extras import require

    require("mlflow", "mlflow", what=f"loading {uri}")
    from nkdiplomacy.mlflow_store import existing_tracking_uri, tracking_uri

    if uri.startswith(_REGISTRY_SCHEMES) and existing_tracking_uri() is None:
        raise ModelLoadError(f"{uri}: no MLflow tracking store is configured (set MLFLOW_TRACKING_URI)")
    try:
        import mlflow

        mlflow.set_tracking_uri(tracking_uri())
        where = None if dst is None else str(dst)
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=where))
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds; the user needs one line
        raise ModelLoadError(f"{uri}: cannot load model ({first_line(exc)})") from None


def model_folder(ref: str | Path | None = None, dst: Path | None = None) -> Path:
    """The local folder (saved-model or MLflow model folder) that ``ref`` names, downloaded if need be."""
    if ref is None:
        return default_model_path()
    text = str(ref)
    if is_model_uri(text):
        return download(text, dst)
    path = local_path(text)
    if not path.exists():
        raise ModelLoadError(f"{path}: no such model folder or MLflow model URI")
    return path


def resolve_model(ref: str | Path | None = None) -> Path:
    """The local saved-model folder that ``ref`` names (see the module docstring).

    Raises:
        ModelLoadError: nothing there, or no saved model in it; one line naming it.
    """
    folder = model_folder(ref)
    found = saved_model_in(folder)
    if found is None:
        raise ModelLoadError(_from_env(ref, not_a_model_folder(folder)))
    return found


def _from_env(ref, message: str) -> str:
    """``message``, saying where the folder came from when it is ``$NKDIPLOMACY_MODEL``'s."""
    if ref is None and os.environ.get(DEFAULT_MODEL_ENV):
        return f"{DEFAULT_MODEL_ENV}={message}"
    return message


def resolve_mlflow_model(ref: str | Path | None, dst: Path | None = None) -> Path:
    """The local MLflow model folder (with ``MLmodel``) that ``ref`` names, as Spark's UDF needs.

    Raises:
        ModelLoadError: nothing there, or not an MLflow model folder; one line naming it.
    """
    folder = model_folder(ref, dst)
    if not is_mlflow_model(folder):
        raise ModelLoadError(
            f"{ref if ref is not None else folder}: not an MLflow model folder (no {MLMODEL} file); "
            "`nkdiplomacy train --save-model DIR` writes one"
        )
    return folder


def open_model(ref: str | Path | None = None, name: str | None = None):
    """The :class:`~nkdiplomacy.estimators.model.SegmentModel` that ``ref`` names (no MLflow for a folder).

    ``name`` is how an error names the model (default: ``ref``, or the folder found).

    Raises:
        ModelLoadError: the model cannot be found or read; one line naming it.
    """
    from nkdiplomacy.estimators.model import load_model
    from nkdiplomacy.estimators.persist import ModelError

    folder = resolve_model(ref)
    try:
        return load_model(folder)
    except (ModelError, OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"{name or ref or folder}: cannot load model ({exc})") from None
