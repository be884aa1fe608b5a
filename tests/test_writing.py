"""Nothing overwritten that was not ours: --output and --save-model (probes T12, T13, T17, N14-N16, G5)."""

from __future__ import annotations

import errno
import os
import stat
import threading

import pytest
from conftest import RAW, REPO, SEED, SYNTHETIC, run_cli
from test_cli import ARTICLE, assert_no_mlflow_store, assert_only_error, stderr

from nkdiplomacy.writing import WriteError, check_model_folder, replace_folder, resolve_output

TRAIN = [
    "train",
    "--config",
    str(REPO / "configs" / "tfidf.yaml"),
    "--set",
    f"data.files=[{SEED},{SYNTHETIC}]",
]


def test_save_model_refuses_a_folder_holding_other_files_before_training(tmp_path):
    folder = tmp_path / "mymodels"
    (folder / "precious").mkdir(parents=True)
    (folder / "notes.txt").write_text("important\n")
    result = run_cli(*TRAIN, "--save-model", str(folder), cwd=tmp_path)
    assert_only_error(result, f"{folder}: --save-model holds files that are not a model")
    assert (folder / "notes.txt").read_text() == "important\n" and (folder / "precious").is_dir()
    assert_no_mlflow_store(tmp_path)  # refused before any run was tracked


@pytest.mark.parametrize("name", [".", ".."])
def test_save_model_refuses_the_working_folder_and_its_parents(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli(*TRAIN, "--save-model", name, cwd=work)
    assert_only_error(result, f"{name}: --save-model would replace the working folder")
    assert_no_mlflow_store(work)


def test_save_model_refuses_a_regular_file_and_a_folder_inside_the_data(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("keep\n")
    with pytest.raises(WriteError, match="is a file, not a folder"):
        check_model_folder(path)
    assert path.read_text() == "keep\n"
    data = tmp_path / "data" / "labels.jsonl"
    data.parent.mkdir()
    data.write_text("")
    with pytest.raises(WriteError, match="inside or around the data file"):
        check_model_folder(tmp_path / "data" / "model", keep=[data])


def test_save_model_replaces_an_empty_folder_or_a_model_folder(tmp_path):
    empty, model = tmp_path / "empty", tmp_path / "model"
    empty.mkdir()
    model.mkdir()
    (model / "MLmodel").write_text("old\n")
    for target in (empty, model, tmp_path / "new"):
        replace_folder(check_model_folder(target), lambda d: (d.mkdir(), (d / "MLmodel").write_text("new\n")))
        assert (target / "MLmodel").read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "model", "new"]  # nothing left beside


def test_a_full_disk_while_saving_leaves_the_old_model_whole_and_no_partial_folder(tmp_path):
    model = tmp_path / "m1"
    model.mkdir()
    (model / "MLmodel").write_text("old\n")

    def fill(staging):
        staging.mkdir()
        (staging / "part").write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(
        WriteError, match=r"^.*m1: cannot write the model folder \(No space left on device\)$"
    ):
        replace_folder(check_model_folder(model), fill)
    assert (model / "MLmodel").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m1"]


def test_output_to_a_device_is_written_through_and_the_device_stays(tmp_path):
    result = run_cli("predict", str(ARTICLE), "--output", os.devnull)
    assert result.returncode == 0, stderr(result)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_output_into_a_fifo_reaches_its_reader(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run_cli("predict", str(ARTICLE), "--output", str(fifo), "--format", "jsonl", timeout=300)
    reader.join(timeout=60)
    assert result.returncode == 0, stderr(result)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got and got[0].count(b"\n") == 20


def test_output_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "target.csv"
    target.write_text("original\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = run_cli("predict", str(ARTICLE), "--output", str(link), "--format", "csv")
    assert result.returncode == 0, stderr(result)
    assert link.is_symlink() and target.read_text().startswith("doc_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "target.csv"]


def test_output_that_is_an_input_of_the_run_is_refused_and_left_untouched(tmp_path):
    page = tmp_path / "page.txt"
    page.write_bytes(ARTICLE.read_bytes())
    result = run_cli("predict", str(tmp_path), "--output", str(page))
    assert_only_error(result, f"{page}: --output is also an input of this run")
    assert page.read_bytes() == ARTICLE.read_bytes()
    with pytest.raises(WriteError, match="also an input"):
        resolve_output(page, [RAW / "001_b40ffef1be30475f.txt", page])


def test_suggest_output_to_a_device_is_written_through_and_checked_before_scoring(tmp_path):
    result = run_cli("suggest", str(ARTICLE), "--n", "2", "--output", os.devnull)
    assert result.returncode == 0, stderr(result)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    missing = tmp_path / "nodir" / "todo.jsonl"
    assert_only_error(
        run_cli("suggest", str(ARTICLE), "--output", str(missing)), f"{missing}: no such folder"
    )


def test_a_read_only_output_file_is_refused_and_kept(tmp_path):
    target = tmp_path / "ro.csv"
    target.write_text("precious\n")
    target.chmod(0o444)
    assert_only_error(run_cli("predict", str(ARTICLE), "--output", str(target)), f"{target}: is read-only")
    assert target.read_text() == "precious\n"
