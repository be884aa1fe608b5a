"""The core install, from a built wheel into a fresh virtualenv: it predicts, and names missing extras.

One virtualenv per session (minutes: the wheel's dependencies come from the package index).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import RAW, REPO, local_env

pytestmark = pytest.mark.slow

ARTICLE = RAW / "003_254259dacc8f1105.txt"
# Libraries of the extras that the core install must leave out (distribution names).
NOT_IN_CORE = ("mlflow", "pandas", "torch", "transformers", "datasets", "matplotlib", "pyspark")


def _isolated_env() -> dict[str, str]:
    """:func:`local_env` without ``PYTHONPATH``: the virtualenv sees only what is installed in it."""
    return {k: v for k, v in local_env().items() if k != "PYTHONPATH"}


class CoreInstall:
    """A fresh virtualenv with only ``pip install <the wheel>``."""

    def __init__(self, root: Path, wheel: Path):
        self.root, self.wheel = root, wheel
        self.bin = root / "venv" / "bin"

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        """Run a program of the virtualenv (``nkdiplomacy``, ``python``) in ``cwd``; text output."""
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=cwd, env=_isolated_env(), capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip


def _step(cmd: list[str], what: str, skip: bool = False) -> None:
    done = subprocess.run(cmd, env=_isolated_env(), capture_output=True, text=True, timeout=1200, check=False)
    if done.returncode != 0:
        message = f"{what} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}"
        if skip:
            pytest.skip(message)
        pytest.fail(message)


def _git_files(folder: Path) -> list[str]:
    """The files git sees under ``folder`` (tracked or new, not ignored), relative to it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
        cwd=folder, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [name for name in listed.stdout.split("\0") if name and (folder / name).is_file()]


def _source_tree(dest: Path) -> Path:
    """A copy of the repository as a fresh checkout has it: no stale ``build/`` from an earlier build."""
    for name in _git_files(REPO):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="session")
def core(tmp_path_factory) -> CoreInstall:
    root = tmp_path_factory.mktemp("core-install")
    source = _source_tree(root / "source")
    venv = root / "venv"
    _step([sys.executable, "-m", "venv", str(venv)], "creating a virtualenv", skip=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    _step([*pip, "--version"], "pip in a new virtualenv", skip=True)
    _step([*pip, "wheel", "-q", "--no-deps", "-w", str(root / "dist"), str(source)], "building the wheel")
    (wheel,) = (root / "dist").glob("nkdiplomacy-*.whl")
    _step([*pip, "install", "-q", str(wheel)], "installing the wheel")
    return CoreInstall(root, wheel)


def test_wheel_ships_every_file_of_the_default_model(core):
    prefix = "nkdiplomacy/_default_model/"
    with zipfile.ZipFile(core.wheel) as whl:
        shipped = {n.removeprefix(prefix) for n in whl.namelist() if n.startswith(prefix)}
    tracked = _git_files(REPO / "models" / "default")
    assert tracked and set(tracked) <= shipped


def test_core_install_leaves_out_tracking_training_and_spark_libraries(core, tmp_path):
    listed = core.run("python", "-m", "pip", "list", "--format", "json", cwd=tmp_path)
    installed = {d["name"].lower() for d in json.loads(listed.stdout)}
    assert "nkdiplomacy" in installed and "onnxruntime" in installed
    assert not installed & set(NOT_IN_CORE)


def test_wheel_install_predicts_with_its_own_copy_of_the_default_model(core, tmp_path):
    article = tmp_path / ARTICLE.name
    shutil.copy(ARTICLE, article)
    code = "from nkdiplomacy.serving.locate import default_model_path; print(default_model_path())"
    used = Path(core.run("python", "-c", code, cwd=tmp_path).stdout.strip())
    assert used.is_relative_to(core.root) and used.parts[-2:] == ("nkdiplomacy", "_default_model")
    done = core.run("nkdiplomacy", "predict", "--format", "jsonl", article.name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    import nkdiplomacy  # the repository's model, in this process: the wheel's copy gives the same scores

    expected = nkdiplomacy.load(REPO / "models" / "default").classify_article(ARTICLE.read_text(), doc_id="x")
    assert [r["score"] for r in rows] == [p.score for p in expected]


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nkdiplomacy: error: "), done.stderr
    return lines[0]


def test_batch_without_the_spark_extra_names_it(core, tmp_path):
    (tmp_path / "articles.jsonl").write_text(json.dumps({"doc_id": "a", "text": "Kim met Xi."}) + "\n")
    done = core.run("nkdiplomacy", "batch", "--input", "articles.jsonl", "--output", "out", cwd=tmp_path)
    assert "pip install 'nkdiplomacy[spark]'" in _one_error_line(done)


def test_train_without_the_train_extra_names_it(core):
    done = core.run("nkdiplomacy", "train", "--config", "configs/tfidf.yaml", cwd=REPO)
    assert "pip install 'nkdiplomacy[train]'" in _one_error_line(done)


@pytest.mark.parametrize("uri", ["models:/nk-diplomacy-segments@champion", "runs:/0123456789abcdef/model"])
def test_mlflow_model_uri_without_the_mlflow_extra_names_it(core, tmp_path, uri):
    (tmp_path / "a.txt").write_text("Kim Jong Un met Xi Jinping.\n")
    done = core.run("nkdiplomacy", "predict", "--model", uri, "a.txt", cwd=tmp_path)
    assert "pip install 'nkdiplomacy[mlflow]'" in _one_error_line(done)


def test_load_annotations_without_the_train_extra_is_an_import_error_naming_it(core, tmp_path):
    code = (
        "import nkdiplomacy\n"
        "try:\n"
        f"    nkdiplomacy.load_annotations([{str(REPO / 'data' / 'annotations' / 'seed.jsonl')!r}])\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = core.run("python", "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "datasets" in done.stdout and "pip install 'nkdiplomacy[train]'" in done.stdout
