"""The model folder on disk: its layout, its manifest and its data-only files.

A saved-model folder holds ``manifest.json`` and its family's data files (JSON, ``.npz``, ONNX,
tokenizer and safetensors files). An MLflow model folder (``MLmodel``) holds one inside, at
``artifacts/model``. This module is the one place that knows those names.

A model folder holds no pickle (joblib's included): unpickling a crafted file runs any code, so
fitted parts are stored as plain arrays and JSON and rebuilt from them (see :mod:`.heads`).
Reading errors become one-line :class:`ModelError` messages naming the file.
"""

from __future__ import annotations

import json
import stat
import zipfile
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from nkdiplomacy.schema import event_type_names

# A saved-model folder: its manifest (the keys of ManifestKey) and its family's data files.
MANIFEST = "manifest.json"


class ManifestKey(StrEnum):
    """The keys of a model's manifest, the one list of what a model folder says about itself."""

    # Written by every model's save, required to load it.
    FAMILY = "family"
    PARAMS = "params"
    EVENT_TYPES = "event_types"
    N_TRAIN = "n_train"
    VERSION = "nkdiplomacy_version"
    # Written by training (``nkdiplomacy train --save-model``), read by the model card and evaluate.
    RECIPE = "recipe"
    RESOLVED_RECIPE = "resolved_recipe"
    TRAINING_DATA = "training_data"
    CV_METRICS = "cv_metrics"
    CV_PER_FOLD = "cv_per_fold"
    CV_PER_GENRE = "cv_per_genre"


# The keys a manifest must have to load, with their JSON types.
REQUIRED_KEYS = {
    ManifestKey.FAMILY: str,
    ManifestKey.PARAMS: dict,
    ManifestKey.N_TRAIN: int,
    ManifestKey.EVENT_TYPES: list,
}
# An MLflow model folder: MLflow's own description of it, and the saved-model folder it wraps,
# logged as the pyfunc artifact ARTIFACT_KEY (MLflow keeps an artifact folder under its own name).
MLMODEL = "MLmodel"
ARTIFACT_KEY = "model"
WRAPPED_MODEL = Path("artifacts", ARTIFACT_KEY)
# Models saved by old versions (pickles), refused.
_OLD_FORMAT = "*.joblib"
# What reading a missing, truncated or malformed data file raises.
_UNREADABLE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


class ModelError(ValueError):
    """A saved model that cannot be read; the message names the file."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- the folder ---------------------------------------------------------------
def is_mlflow_model(folder: Path) -> bool:
    """Whether ``folder`` is an MLflow model folder (it has an ``MLmodel`` file)."""
    return (Path(folder) / MLMODEL).is_file()


def saved_model_in(folder: str | Path) -> Path | None:
    """The saved-model folder that ``folder`` is or wraps (as an MLflow model folder); ``None`` if neither."""
    folder = Path(folder)
    if (folder / MANIFEST).exists():
        return folder
    if (folder / MLMODEL).exists() and (folder / WRAPPED_MODEL / MANIFEST).exists():
        return folder / WRAPPED_MODEL
    return None


def not_a_model_folder(folder: Path) -> str:
    """Why ``folder`` is not a model folder, in one line."""
    return f"{folder}: not a model folder (no {MANIFEST} or {MLMODEL} with {WRAPPED_MODEL.as_posix()})"


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    (Path(path) / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


# The largest file a model folder may hold (the int8 MiniLM is 23 MB, the fp32 one 90 MB).
MAX_MODEL_FILE_BYTES = 1_000_000_000


def check_model_files(path: Path) -> None:
    """Every file under ``path``, links followed, is a regular file of at most
    :data:`MAX_MODEL_FILE_BYTES` (never a device, FIFO or socket read until memory runs out)."""
    for item in sorted(Path(path).rglob("*")):
        try:
            info = item.stat()
        except OSError as exc:
            raise ModelError(f"{item}: cannot read ({exc.strerror})") from None
        if stat.S_ISDIR(info.st_mode):
            continue
        if not stat.S_ISREG(info.st_mode):
            raise ModelError(f"{item}: not a regular file (a model folder holds only files and folders)")
        if info.st_size > MAX_MODEL_FILE_BYTES:
            raise ModelError(f"{item}: {info.st_size:,} bytes, over the {MAX_MODEL_FILE_BYTES:,}-byte limit")


def read_manifest(path: Path) -> dict[str, Any]:
    """The checked manifest of the saved-model folder ``path`` (whose files are checked first)."""
    path = Path(path)
    file = path / MANIFEST
    check_model_files(path)
    if any(path.glob(_OLD_FORMAT)):
        raise ModelError(
            f"{path}: model saved in an old, unsafe format (joblib pickles, not loaded); "
            "re-save or retrain it with this version"
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not a model folder (no {MANIFEST})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{file}: malformed JSON ({first_line(exc)})") from None
    if not isinstance(manifest, dict):
        raise ModelError(f"{file}: expected a JSON object, got a {type(manifest).__name__}")
    for key, kind in REQUIRED_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            raise ModelError(f"{file}: {str(key)!r} missing or not a {kind.__name__}")
    names = tuple(e.get("name") if isinstance(e, dict) else e for e in manifest[ManifestKey.EVENT_TYPES])
    if names != event_type_names():
        raise ModelError(
            f"{path}: model was trained on event types {names}, this package has {event_type_names()}"
        )
    return manifest


# -- data files ---------------------------------------------------------------
def save_arrays(file: Path, **arrays: np.ndarray) -> None:
    np.savez(file, **arrays)


def load_arrays(file: Path, what: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file (object arrays, which would need pickle, are refused)."""
    try:
        with np.load(file, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except _UNREADABLE as exc:
        raise ModelError(f"{file}: unreadable {what} ({first_line(exc)})") from None


def save_json(file: Path, value: Any) -> None:
    file.write_text(json.dumps(value, ensure_ascii=False) + "\n", encoding="utf-8")


def load_json(file: Path, what: str) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except _UNREADABLE as exc:
        raise ModelError(f"{file}: unreadable {what} ({first_line(exc)})") from None
