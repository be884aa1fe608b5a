"""Shared paths, the CLI runner and a trained-model fixture."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "annotations" / "seed.jsonl"
SYNTHETIC = REPO / "data" / "annotations" / "synthetic.jsonl"
RAW = REPO / "data" / "raw"


def local_env(**extra: str) -> dict[str, str]:
    """This environment without MLflow settings, so runs go to the local SQLite store in the cwd.

    In-process tests leave ``MLFLOW_EXPERIMENT_ID`` behind (``mlflow.set_experiment`` sets it); a
    subprocess must not inherit it, nor a run id, any more than a tracking URI.
    """
    mlflow_state = (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_RUN_ID",
    )
    env = {k: v for k, v in os.environ.items() if k not in mlflow_state}
    return {**env, **extra}


def run_cli(*args: str, stdin: bytes | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run ``nkdiplomacy ARGS`` in a subprocess (default env: :func:`local_env`); stdout/stderr are bytes."""
    kwargs.setdefault("env", local_env())
    return subprocess.run(
        [sys.executable, "-m", "nkdiplomacy.cli", *args], input=stdin, capture_output=True, check=False, **kwargs
    )  # fmt: skip


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """A small tfidf model trained by the CLI and saved as an MLflow model folder."""
    tmp = tmp_path_factory.mktemp("trained")
    target = tmp / "model"
    result = run_cli(
        "train",
        "--config", str(REPO / "configs" / "tfidf.yaml"),
        "--set", "data.max_synthetic_docs=10",
        "--set", f"data.files=[{SEED},{SYNTHETIC}]",
        "--set", "cv.scheme=article",
        "--set", "max_folds=2",  # CV only; the saved model is fit on all the data either way
        "--save-model", str(target),
        cwd=tmp,
        timeout=900,
    )  # fmt: skip
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace")[-4000:]
        pytest.fail(f"training failed ({result.returncode}):\n{stderr}")
    return target


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        missing = "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):  # .ci/run installs them: a missing browser there is a failure, not a skip
            pytest.fail(missing)
        pytest.skip(missing)
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,860"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()
