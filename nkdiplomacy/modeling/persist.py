"""Persistence of fitted scikit-learn parts with joblib.

joblib files are pickles: load model folders only from sources you trust, as
with any pickled model (MLflow's pyfunc models included). skops was tried and
dropped: it imports torch through scikit-learn's array-API shims and loads
~100x slower, which the torch-free, two-second prediction goal cannot afford.
"""

from __future__ import annotations

from pathlib import Path


def dump_sklearn(obj, path: Path) -> None:
    import joblib

    joblib.dump(obj, path, compress=3)


def load_sklearn(path: Path):
    import joblib

    return joblib.load(path)
