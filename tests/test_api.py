"""The importable model: nkdiplomacy.load(), Classifier, typed records, light imports."""

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RAW, REPO, run_cli

import nkdiplomacy
from nkdiplomacy.estimators.persist import MANIFEST, WRAPPED_MODEL
from nkdiplomacy.records import Prediction
from nkdiplomacy.schema import event_type_names
from nkdiplomacy.serving.locate import ModelLoadError, default_model_path

ARTICLE = RAW / "003_254259dacc8f1105.txt"
HEAVY = ("torch", "transformers", "mlflow", "datasets")


@pytest.fixture(scope="module")
def default():
    return nkdiplomacy.load()


def test_default_model_is_the_shipped_mlflow_model_folder():
    assert default_model_path() == REPO / "models" / "default"
    assert (default_model_path() / "MLmodel").exists()


def test_classify_article_scores_every_segment_in_order(default):
    preds = default.classify_article(ARTICLE.read_text(), doc_id="003")
    assert [p.seg_id for p in preds] == list(range(20))
    assert all(isinstance(p, Prediction) and p.doc_id == "003" for p in preds)
    assert all((p.event_type is not None) == p.relevant for p in preds)
    assert all(set(p.event_scores) == set(event_type_names()) for p in preds)
    assert sum(p.relevant for p in preds) >= 10  # a diplomacy article: most lines are on-topic
    assert not preds[19].relevant  # "Leave a Reply"


def test_classify_scores_lone_segments(default):
    preds = default.classify(
        ["Sign up for our newsletter", "Kim Jong Un and Vladimir Putin signed a treaty."]
    )
    assert [p.doc_id for p in preds] == [None, None]
    assert preds[0].score < preds[1].score


def test_classify_accepts_a_single_string(default):
    assert len(default.classify("Kim Jong Un met Xi Jinping.")) == 1


def test_predictions_convert_to_json_and_dataframe(default):
    preds = default.classify_article("Kim Jong Un met Xi Jinping in Beijing.\nShare this article\n")
    row = json.loads(json.dumps(preds[0].to_dict()))
    assert set(row) == {
        "doc_id", "seg_id", "text", "relevant", "score", "event_type", "event_scores", "counterparts"
    }  # fmt: skip
    assert row["counterparts"] == (["CHN"] if row["relevant"] else [])
    frame = nkdiplomacy.Classifier.to_frame(preds)
    assert list(frame["seg_id"]) == [0, 1]
    assert {f"p_{t}" for t in event_type_names()} | {"counterparts"} <= set(frame.columns)


def test_counterparts_are_read_in_page_context_and_only_for_on_topic_passages(default):
    page = (
        "Kim Jong Un receives Russian delegation\n"
        "Kim Jong Un received a delegation led by Russian Defence Minister Sergei Shoigu in Pyongyang.\n"
        "The two sides discussed military cooperation and the regional situation.\n"
        "Russia and China held a trade fair in Harbin.\n"
    )
    preds = default.classify_article(page)
    assert preds[1].relevant and preds[1].counterparts == ("RUS",)
    # "the two sides" names no state: it takes the page's counterpart.
    assert preds[2].relevant and preds[2].counterparts == ("RUS",)
    assert all(p.counterparts == () for p in preds if not p.relevant)
    alone = default.classify("The two sides discussed military cooperation and the regional situation.")[0]
    assert alone.counterparts == ()  # alone, "the two sides" has no page to point to


def test_threshold_changes_decisions(default):
    strict = nkdiplomacy.load(threshold=0.999999)
    text = ARTICLE.read_text()
    assert sum(p.relevant for p in strict.classify_article(text)) < sum(
        p.relevant for p in default.classify_article(text)
    )


def test_predict_segments_reads_segments_in_their_article(default):
    segs = nkdiplomacy.segment(ARTICLE.read_text(), "a")
    by_segments = default.predict_segments(list(reversed(segs)))
    by_article = default.classify_article(ARTICLE.read_text(), "a")
    assert {p.seg_id: p.score for p in by_segments} == {p.seg_id: p.score for p in by_article}


def test_load_accepts_a_native_model_folder_and_an_mlflow_folder():
    native = nkdiplomacy.load(REPO / "models" / "default" / WRAPPED_MODEL)
    assert native.estimator.family == nkdiplomacy.load(REPO / "models" / "default").estimator.family


@pytest.mark.parametrize(
    "bad", ["/nonexistent/model", "models:/no-such-model/1", "runs:/0123456789abcdef/model"]
)
def test_unreadable_model_is_a_one_line_error(bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(ModelLoadError) as err:
        nkdiplomacy.load(bad)
    assert bad in str(err.value) and "\n" not in str(err.value)


def test_folder_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(ModelLoadError, match="not a model folder"):
        nkdiplomacy.load(tmp_path)


@pytest.mark.slow  # a tracked training run end to end, registered in MLflow
def test_load_by_runs_and_models_uri(trained_model_dir, tmp_path, monkeypatch):
    import mlflow

    monkeypatch.chdir(trained_model_dir.parent)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    mlflow.set_tracking_uri(f"sqlite:///{trained_model_dir.parent / 'mlflow.db'}")
    version = mlflow.MlflowClient().get_model_version_by_alias("nk-diplomacy-segments", "champion")
    text = ARTICLE.read_text()
    expected = [p.score for p in nkdiplomacy.load(trained_model_dir).classify_article(text)]
    for uri in ("models:/nk-diplomacy-segments@champion", f"runs:/{version.run_id}/model"):
        assert [p.score for p in nkdiplomacy.load(uri).classify_article(text)] == expected


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_package_and_cli_pulls_no_heavy_library():
    loaded = _modules_after("import nkdiplomacy, nkdiplomacy.cli; nkdiplomacy.cli.build_parser()")
    assert not loaded & set(HEAVY)
    assert "sklearn" not in loaded and "pandas" not in loaded


def test_predicting_with_the_default_model_imports_no_training_serving_or_pickle_library():
    loaded = _modules_after(
        "import nkdiplomacy; nkdiplomacy.load().classify_article('Kim Jong Un met Xi Jinping.\\nShare this')"
    )
    assert not loaded & {*HEAVY, "sklearn", "joblib"}


# -- damaged and unsafe model folders -------------------------------------------------------
NATIVE = REPO / "models" / "default" / WRAPPED_MODEL


@pytest.fixture
def model_copy(tmp_path) -> Path:
    """A copy of the default model's native folder, to damage."""
    return Path(shutil.copytree(NATIVE, tmp_path / "model"))


def _load_error(folder: Path) -> str:
    with pytest.raises(ModelLoadError) as err:
        nkdiplomacy.load(folder)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_truncated_head_file_is_a_one_line_error_naming_it(model_copy):
    head = model_copy / "base" / "event_head.npz"
    head.write_bytes(head.read_bytes()[:100])
    assert str(head) in _load_error(model_copy)


def test_manifest_that_is_a_json_list_is_refused(model_copy):
    (model_copy / MANIFEST).write_text("[1, 2]")
    assert "expected a JSON object" in _load_error(model_copy)


def test_manifest_with_an_unknown_parameter_is_refused(model_copy):
    manifest = json.loads((model_copy / MANIFEST).read_text())
    manifest["params"]["evaluate"] = "os.system('true')"
    (model_copy / MANIFEST).write_text(json.dumps(manifest))
    message = _load_error(model_copy)
    assert str(model_copy / MANIFEST) in message and "'evaluate'" in message


def test_truncated_onnx_encoder_is_found_at_load_not_at_the_first_article(model_copy):
    onnx = model_copy / "base" / "encoder" / "encoder.onnx"
    onnx.write_bytes(onnx.read_bytes()[:4096])
    assert str(onnx.parent) in _load_error(model_copy)


class _Exploit:
    """Unpickling this creates ``marker``: proof that a file was unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


@pytest.mark.parametrize("name", ["relevance_head.joblib", "relevance_head.npz"])
def test_model_folder_holding_a_pickle_is_refused_without_running_it(name, model_copy, tmp_path):
    marker = tmp_path / "pwned"
    (model_copy / name).write_bytes(pickle.dumps(_Exploit(marker)))
    message = _load_error(model_copy)
    if name.endswith(".joblib"):
        assert "old, unsafe format" in message
    result = run_cli("predict", str(ARTICLE), "--model", str(model_copy), cwd=tmp_path)
    stderr = result.stderr.decode().strip()
    assert result.returncode == 1 and stderr.startswith("nkdiplomacy: error:") and "\n" not in stderr
    assert not marker.exists()


# -- the model locator ----------------------------------------------------------------------
def test_locator_finds_the_saved_model_in_every_way_of_naming_it(monkeypatch):
    from nkdiplomacy.serving.locate import open_model, resolve_model

    monkeypatch.delenv("NKDIPLOMACY_MODEL", raising=False)
    for ref in (None, REPO / "models" / "default", NATIVE, f"file://{NATIVE}"):
        assert resolve_model(ref) == NATIVE, ref
    assert open_model(NATIVE).family == nkdiplomacy.load().estimator.family


def test_default_model_can_be_named_by_the_environment(monkeypatch):
    monkeypatch.setenv("NKDIPLOMACY_MODEL", str(NATIVE))
    assert default_model_path() == NATIVE


@pytest.mark.parametrize(
    ("ref", "remote"),
    [
        ("models:/m/1", True),
        ("runs:/0123/model", True),
        ("mlflow-artifacts:/x", True),
        ("s3://bucket/model", True),
        ("hdfs://nn/model", True),
        ("file:///tmp/model", False),
        ("models/default", False),
    ],
)
def test_locator_tells_mlflow_uris_from_folders(ref, remote):
    from nkdiplomacy.serving.locate import is_model_uri

    assert is_model_uri(ref) is remote
