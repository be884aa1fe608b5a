"""Data-only model files: arrays in ``.npz`` and values in JSON, read without pickle.

A model folder holds no pickle (joblib's included): unpickling a crafted file runs any code, so
fitted parts are stored as plain arrays and JSON and rebuilt from them (see :mod:`.heads`).
Reading errors become one-line :class:`ModelError` messages naming the file.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nkdiplomacy.estimators.predictor import ModelError, first_line

# What reading a missing, truncated or malformed data file raises.
_UNREADABLE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


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
