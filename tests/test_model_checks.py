"""What a model is given is checked once: thresholds at every entry point (N23, N30, N31), a model
folder's parameters and files (N25)."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from conftest import REPO, run_cli
from test_cli import ARTICLE, assert_only_error

import nkdiplomacy
from nkdiplomacy.schema import checked_threshold, decide, event_type_names

DEFAULT = REPO / "models" / "default"


@pytest.mark.parametrize("bad", [math.nan, 5, -1, "x", True, None, math.inf])
def test_a_threshold_outside_zero_to_one_is_refused_everywhere(bad):
    with pytest.raises(ValueError, match="threshold must be a number between 0 and 1"):
        checked_threshold(bad)
    with pytest.raises(ValueError, match="threshold must be a number between 0 and 1"):
        decide(np.zeros(1), np.full((1, len(event_type_names())), 1 / 7), bad)
    if bad is not None:  # None means "the model's own" to load()
        with pytest.raises(ValueError, match="threshold must be a number between 0 and 1"):
            nkdiplomacy.load(threshold=bad)


def test_classify_refuses_what_is_not_text():
    clf = nkdiplomacy.load()
    for bad in ([None], b"Kim met Xi", ["ok", 3]):
        with pytest.raises(TypeError, match="classify takes a str or a sequence of str"):
            clf.classify(bad)
    assert len(clf.classify(iter(["Kim met Xi.", "Share this"]))) == 2  # any iterable of str


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("m") / "default"
    shutil.copytree(DEFAULT, folder)
    return folder


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("threshold", 2, "parameter 'threshold' must be between 0 and 1, got 2"),
        ("threshold", -1, "parameter 'threshold' must be between 0 and 1, got -1"),
        ("threshold", "x", "parameter 'threshold' must be a number, got 'x'"),
        ("threshold", None, "parameter 'threshold' must be a number, got None"),
        ("window", -3, "parameter 'window' must be between 0 and 50, got -3"),
    ],
)
def test_a_manifest_parameter_out_of_bounds_is_one_line_naming_the_file(model_copy, key, value, message):
    manifest = model_copy / "artifacts" / "model" / "manifest.json"
    original = manifest.read_text()
    data = json.loads(original)
    data["params"][key] = value
    manifest.write_text(json.dumps(data))
    try:
        assert_only_error(
            run_cli("predict", str(ARTICLE), "--model", str(model_copy)), f"{manifest}: {message}"
        )
    finally:
        manifest.write_text(original)


def test_a_nan_threshold_in_a_manifest_is_refused(model_copy):
    manifest = model_copy / "artifacts" / "model" / "manifest.json"
    original = manifest.read_text()
    manifest.write_text(original.replace('"threshold": 0.5', '"threshold": NaN', 1))
    try:
        assert_only_error(
            run_cli("predict", str(ARTICLE), "--model", str(model_copy)), "parameter 'threshold'"
        )
    finally:
        manifest.write_text(original)


def test_a_model_file_that_is_a_device_is_refused_before_reading(model_copy, tmp_path):
    heads = max((model_copy / "artifacts" / "model").rglob("*.json"))
    saved = tmp_path / "saved"
    heads.rename(saved)
    try:
        heads.symlink_to("/dev/zero")
        assert_only_error(
            run_cli("predict", str(ARTICLE), "--model", str(model_copy)), f"{heads}: not a regular file"
        )
    finally:
        heads.unlink()
        saved.rename(heads)
    assert run_cli("predict", str(ARTICLE), "--model", str(model_copy)).returncode == 0


def test_a_model_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    from nkdiplomacy.estimators import persist

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "big.npz").write_bytes(b"x" * 100)
    monkeypatch.setattr(persist, "MAX_MODEL_FILE_BYTES", 99)
    with pytest.raises(persist.ModelError, match=r"big.npz: 100 bytes, over the 99-byte limit"):
        persist.check_model_files(tmp_path)
