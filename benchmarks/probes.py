"""Re-run the bad-input and fault probes of ``shared/probes/round-2.md`` that can run here.

    python benchmarks/probes.py [--only N4,T12,...]

Each probe runs the probe file's command (or its equivalent) in a scratch folder and checks what the
fixed package must do: a one-line error and a non-zero exit, nothing of the user's replaced, nothing
dropped silently. Prints one line per probe (``ok`` or ``FAIL`` with what happened) and exits 1 if any
failed. The tests cover the same ground (see the test named beside each probe); this script is the
probe list itself, for a reviewer to re-run end to end. Probes that need a second user, a tmpfs or a
long-running server are left to the tests named in the closing notes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "data" / "raw" / "003_254259dacc8f1105.txt"
SEED = ROOT / "data" / "annotations" / "seed.jsonl"
SYNTHETIC = ROOT / "data" / "annotations" / "synthetic.jsonl"
TRAIN = [
    "train",
    "--config",
    str(ROOT / "configs" / "tfidf.yaml"),
    "--set",
    f"data.files=[{SEED},{SYNTHETIC}]",
]


def cli(*args: str, cwd: Path, stdin: bytes | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{cwd / 'mlflow.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "nkdiplomacy.cli", *args],
        input=stdin, capture_output=True, cwd=cwd, env=env, timeout=timeout, check=False,
    )  # fmt: skip


def one_line_error(result, *parts: str) -> tuple[bool, str]:
    err = result.stderr.decode(errors="replace").strip()
    ok = result.returncode != 0 and len(err.splitlines()) == 1 and "Traceback" not in err
    ok = ok and all(p in err for p in parts)
    return ok, f"rc={result.returncode} stderr={err[-200:]!r}"


# -- the probes ----------------------------------------------------------------
def t12(tmp: Path):
    folder = tmp / "mymodels"
    (folder / "precious").mkdir(parents=True)
    (folder / "notes.txt").write_text("important\n")
    ok, detail = one_line_error(
        cli(*TRAIN, "--save-model", str(folder), cwd=tmp), "holds files that are not a model"
    )
    return ok and (folder / "notes.txt").read_text() == "important\n", detail


def t13(tmp: Path):
    return one_line_error(cli(*TRAIN, "--save-model", ".", cwd=tmp), "would replace the working folder")


def t14(tmp: Path):
    afile = tmp / "afile.txt"
    afile.write_text("file\n")
    ok, detail = one_line_error(cli(*TRAIN, "--save-model", str(afile), cwd=tmp), "is a file, not a folder")
    return ok and afile.read_text() == "file\n", detail


def t1(tmp: Path):
    result = cli(
        "train", "--config", str(ROOT / "configs" / "tfidf.yaml"), "--set", f"data.files=[{SEED}]", cwd=tmp
    )
    ok, detail = one_line_error(result, "has no page to train on")
    return ok and not (tmp / "mlflow.db").exists(), detail


def _recipe(tmp: Path, model: dict) -> Path:
    path = tmp / "r.yaml"
    path.write_text(json.dumps({"name": "p", "family": "stacked", "model": model}))
    return path


def t4(tmp: Path):
    lines = ["name: bomb", "family: stacked", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)
    ]
    lines += ["model:", "  base_params: {nested: *a8}"]
    (tmp / "bomb.yaml").write_text("\n".join(lines) + "\n")
    ok, detail = one_line_error(
        cli("train", "--config", str(tmp / "bomb.yaml"), cwd=tmp, timeout=60), "too large"
    )
    return ok and not (tmp / "mlflow.db").exists(), detail


def t6(tmp: Path):
    path = _recipe(tmp, {"base_family": "tfidf", "base_params": {"C": -1, "bogus_key": 3}})
    return one_line_error(cli("train", "--config", str(path), cwd=tmp), "model.base_params")


def t7(tmp: Path):
    path = _recipe(tmp, {"extra_bases": [{"family": "bogus"}]})
    return one_line_error(cli("train", "--config", str(path), cwd=tmp), "extra_bases[0].family")


def t8(tmp: Path):
    path = tmp / "r.yaml"
    path.write_text('{"name": "p", "family": "tfidf", "model": {"names": "bogus-mode"}}')
    return one_line_error(cli("train", "--config", str(path), cwd=tmp), "must be one of raw, masked, both")


def t11(tmp: Path):
    return one_line_error(
        cli(*TRAIN, "--set", "model.context_weight=.inf", cwd=tmp), "must be a finite number"
    )


def n14(tmp: Path):
    result = cli("predict", str(ARTICLE), "--output", os.devnull, cwd=tmp)
    return result.returncode == 0 and stat.S_ISCHR(os.stat(os.devnull).st_mode), f"rc={result.returncode}"


def n15(tmp: Path):
    target, link = tmp / "target.csv", tmp / "link.csv"
    target.write_text("original\n")
    link.symlink_to(target)
    result = cli("predict", str(ARTICLE), "--output", str(link), "--format", "csv", cwd=tmp)
    return link.is_symlink() and target.read_text().startswith("doc_id,"), f"rc={result.returncode}"


def n16(tmp: Path):
    fifo = tmp / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = cli("predict", str(ARTICLE), "--output", str(fifo), "--format", "jsonl", cwd=tmp)
    reader.join(timeout=60)
    return stat.S_ISFIFO(os.stat(fifo).st_mode) and bool(got and got[0]), f"rc={result.returncode}"


def n44(tmp: Path):
    page = tmp / "inout.txt"
    page.write_bytes(ARTICLE.read_bytes())
    ok, detail = one_line_error(cli("predict", str(page), "--output", str(page), cwd=tmp), "also an input")
    return ok and page.read_bytes() == ARTICLE.read_bytes(), detail


def n45(tmp: Path):
    target = tmp / "ro.csv"
    target.write_text("precious\n")
    target.chmod(0o444)
    ok, detail = one_line_error(cli("predict", str(ARTICLE), "--output", str(target), cwd=tmp), "read-only")
    return ok and target.read_text() == "precious\n", detail


def n4(tmp: Path):
    page = tmp / "ansi.txt"
    page.write_text(
        "North Korea \x1b[31mfired\x1b[0m a missile \x1b]0;PWNED\x07 toward Japan, officials said.\n"
    )
    outs = [cli("predict", str(page), "--format", f, cwd=tmp).stdout for f in ("table", "text", "csv")]
    return all(b"\x1b" not in o and b"\x07" not in o for o in outs), "ESC/BEL in output" if outs else ""


def n5(tmp: Path):
    page = tmp / "csvinj.txt"
    page.write_text('=HYPERLINK("http://evil.example","North Korea talks")\n')
    out = cli("predict", str(page), "--format", "csv", cwd=tmp).stdout.decode()
    return "'=HYPERLINK" in out, out[-120:]


def n6(tmp: Path):
    folder = tmp / "names"
    folder.mkdir()
    (folder / "\x1b]0;TITLE\x07evil.txt").write_text("")
    result = cli("predict", str(folder), cwd=tmp)
    return b"\x1b" not in result.stderr and result.returncode == 1, result.stderr.decode(errors="replace")[
        -120:
    ]


def n7(tmp: Path):
    page = tmp / "a\nfake_doc,0,true,1.0000,meeting.txt"
    page.write_text("Kim Jong Un met Xi Jinping in Beijing.\n")
    out = cli("predict", str(page), "--format", "text", cwd=tmp).stdout.decode()
    return not any(line.startswith("fake_doc") for line in out.splitlines()), out[:120]


def n12(tmp: Path):
    folder = tmp / "nob2"
    (folder / "locked").mkdir(parents=True)
    (folder / "ok.txt").write_text("Kim met Xi.\n")
    (folder / "locked" / "in.txt").write_text("Kim met Putin.\n")
    (folder / "locked").chmod(0)
    drop = [
        "setpriv",
        "--bounding-set=-dac_override,-dac_read_search",
        "--inh-caps=-dac_override,-dac_read_search",
    ]
    cmd = [
        *(drop if os.geteuid() == 0 else []),
        sys.executable,
        "-m",
        "nkdiplomacy.cli",
        "predict",
        str(folder),
    ]
    try:
        result = subprocess.run(cmd, capture_output=True, check=False, timeout=300)
    finally:
        (folder / "locked").chmod(0o755)
    err = result.stderr.decode()
    return result.returncode == 1 and "cannot read folder" in err, err[-160:]


def n19(tmp: Path):
    code = "import os,subprocess,sys; os.close(0); sys.exit(subprocess.run([sys.executable,'-m','nkdiplomacy.cli','predict','-']).returncode)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, cwd=tmp)
    return one_line_error(result, "standard input is closed")


def n20(tmp: Path):
    code = f"import os,subprocess,sys; os.close(1); sys.exit(subprocess.run([sys.executable,'-m','nkdiplomacy.cli','predict',{str(ARTICLE)!r}]).returncode)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, cwd=tmp)
    return one_line_error(result, "standard output is closed")


def n21(tmp: Path):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "nkdiplomacy.cli", "predict", str(ARTICLE), "--format", "table"],
            stdout=write_end, stderr=subprocess.PIPE, check=False, timeout=300,
        )  # fmt: skip
    finally:
        os.close(write_end)
    return result.returncode == 0 and not result.stderr, f"rc={result.returncode}"


def n23(tmp: Path):
    import nkdiplomacy

    bad = []
    for value in (math.nan, 5, "0.5"):
        try:
            nkdiplomacy.load(threshold=value)
            bad.append(value)
        except ValueError:
            pass
    return not bad, f"accepted {bad}"


def _model_copy(tmp: Path) -> Path:
    import shutil

    folder = tmp / "model"
    shutil.copytree(ROOT / "models" / "default", folder)
    return folder


def n25(tmp: Path):
    folder = _model_copy(tmp)
    target = max((folder / "artifacts" / "model").rglob("*.json"))
    target.unlink()
    target.symlink_to("/dev/zero")
    return one_line_error(cli("predict", str(ARTICLE), "--model", str(folder), cwd=tmp), "not a regular file")


def n30_n31(tmp: Path):
    folder = _model_copy(tmp)
    manifest = folder / "artifacts" / "model" / "manifest.json"
    original = json.loads(manifest.read_text())
    results = []
    for key, value in (
        ("threshold", "x"),
        ("threshold", None),
        ("threshold", 2),
        ("threshold", -1),
        ("window", -3),
    ):
        manifest.write_text(json.dumps({**original, "params": {**original["params"], key: value}}))
        results.append(
            one_line_error(cli("predict", str(ARTICLE), "--model", str(folder), cwd=tmp), f"'{key}'")
        )
    return all(ok for ok, _ in results), "; ".join(d for ok, d in results if not ok)


def n33(tmp: Path):
    page = tmp / "unclosed.html"
    page.write_text("<p>First.</p>" + "<font>" * 300 + "<p>Sanctions on North Korea last.</p>")
    out = cli("segment", str(page), cwd=tmp).stdout.decode()
    return "Sanctions on North Korea last." in out, out[-160:]


def n37(tmp: Path):
    env = {**os.environ, "NKDIPLOMACY_MODEL": "/nonexistent"}
    result = subprocess.run(
        [sys.executable, "-m", "nkdiplomacy.cli", "predict", str(ARTICLE)], capture_output=True, env=env, check=False
    )  # fmt: skip
    return one_line_error(result, "NKDIPLOMACY_MODEL=")


def n38(tmp: Path):
    result = cli("predict", str(ARTICLE), "--max-bytes", "99999999999999999999999G", cwd=tmp)
    err = result.stderr.decode()
    return result.returncode == 2 and "Traceback" not in err and "larger than any file" in err, err[-160:]


def n40(tmp: Path):
    page = tmp / "utf7.html"
    page.write_bytes(b'<meta charset="utf-7"><p>+ADw-b+AD4-North Korea+ADw-/b+AD4-</p>')
    out = cli("segment", str(page), cwd=tmp).stdout.decode()
    return "+ADw-" in out, out[-160:]


def n41(tmp: Path):
    off = tmp / "offonly.jsonl"
    rows = [json.loads(x) for x in SEED.read_text().splitlines()]
    off.write_text("".join(json.dumps(r) + "\n" for r in rows if not r["relevant"]))
    out = cli("evaluate", str(off), "--json", cwd=tmp).stdout.decode()
    try:
        json.loads(out, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError as exc:
        return False, f"not strict JSON ({exc})"
    return True, ""


def n43(tmp: Path):
    for sub, name in (("a", "f1"), ("b", "f1"), ("c", "f1#2")):
        (tmp / "coll" / sub).mkdir(parents=True)
        (tmp / "coll" / sub / f"{name}.txt").write_text("Kim Jong Un met Xi Jinping.\n")
    out = cli("predict", str(tmp / "coll"), "--format", "jsonl", cwd=tmp).stdout.decode()
    ids = [json.loads(x)["doc_id"] for x in out.splitlines()]
    return len(ids) == len(set(ids)) == 3, str(ids)


def a7(tmp: Path):
    out = tmp / "l3.jsonl"
    result = cli("annotate", str(ARTICLE), "--output", str(out), "--port", "99999", cwd=tmp)
    err = result.stderr.decode()
    return result.returncode == 2 and "Traceback" not in err and not out.exists(), err[-160:]


def g3(tmp: Path):
    return one_line_error(
        cli("suggest", str(ARTICLE), "--output", str(tmp / "nodir" / "x.jsonl"), cwd=tmp), "no such folder"
    )


def g4(tmp: Path):
    todo = tmp / "todo.jsonl"
    cli("suggest", str(ARTICLE), "--n", "2", "--output", str(todo), cwd=tmp)
    rows = [json.loads(x) for x in todo.read_text().splitlines()]
    return bool(rows) and not any(r["file"].startswith("/") for r in rows), str([r.get("file") for r in rows])


def g5(tmp: Path):
    result = cli("suggest", str(ARTICLE), "--n", "2", "--output", os.devnull, cwd=tmp)
    return result.returncode == 0 and stat.S_ISCHR(os.stat(os.devnull).st_mode), f"rc={result.returncode}"


def s3_s7(tmp: Path):
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.exceptions import MlflowException

    model = mlflow.pyfunc.load_model(str(ROOT / "models" / "default"))
    refused = []
    for frame, params in (
        (pd.DataFrame({"text": ["Kim met Xi.", None]}), None),
        (pd.DataFrame({"text": ["Kim met Xi."]}), {"threshold": -5.0}),
        (pd.DataFrame({"text": ["Kim met Xi."]}), {"threshold": 1e308}),
    ):
        try:
            model.predict(frame, params=params)
        except MlflowException:
            refused.append(True)
    return len(refused) == 3, f"{len(refused)} of 3 bad requests refused"


PROBES: dict[str, tuple[str, Callable]] = {
    "T1": ("train on folds with no training pages", t1),
    "T4": ("YAML alias bomb in a nested recipe value", t4),
    "T6": ("nested base_params validated", t6),
    "T7": ("extra_bases family validated", t7),
    "T8": ("string choices validated", t8),
    "T11": ("infinite recipe values", t11),
    "T12": ("--save-model onto a folder holding other files", t12),
    "T13": ("--save-model .", t13),
    "T14": ("--save-model onto a regular file", t14),
    "N4": ("terminal escapes in output", n4),
    "N5": ("CSV formula injection", n5),
    "N6": ("escapes in file names in error lines", n6),
    "N7": ("newline in a file name forging text output", n7),
    "N12": ("unreadable sub-folder reported", n12),
    "N14": ("--output /dev/null written through", n14),
    "N15": ("--output through a symlink", n15),
    "N16": ("--output into a FIFO", n16),
    "N19": ("closed standard input", n19),
    "N20": ("closed standard output", n20),
    "N21": ("table | head -1 exits 0", n21),
    "N23": ("load(threshold=nan/5/'0.5')", n23),
    "N25": ("model file symlinked to /dev/zero", n25),
    "N30/N31": ("manifest threshold x/null/2/-1 and window -3", n30_n31),
    "N33": ("300 unclosed tags keep the rest of the page", n33),
    "N37": ("NKDIPLOMACY_MODEL named", n37),
    "N38": ("--max-bytes overflow", n38),
    "N40": ("UTF-7 page not decoded as UTF-7", n40),
    "N41": ("evaluate --json strict JSON", n41),
    "N43": ("#2 suffix never collides", n43),
    "N44": ("--output that is an input", n44),
    "N45": ("read-only --output", n45),
    "A7": ("annotate --port 99999", a7),
    "G3": ("suggest --output nodir/x up front", g3),
    "G4": ("no absolute paths in to-do files", g4),
    "G5": ("suggest --output device", g5),
    "S3/S7": ("serving: null text and out-of-range thresholds refused", s3_s7),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated probe ids")
    args = ap.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",")] if args.only else list(PROBES)
    failed = 0
    for pid in chosen:
        what, probe = PROBES[pid]
        with tempfile.TemporaryDirectory(prefix=f"probe-{pid.replace('/', '-')}-") as tmp:
            try:
                ok, detail = probe(Path(tmp))
            except Exception as exc:  # noqa: BLE001 - a probe that crashes is a failed probe
                ok, detail = False, f"{type(exc).__name__}: {exc}"
        failed += not ok
        print(f"{pid:8} {'ok  ' if ok else 'FAIL'} {what}" + ("" if ok else f" -- {detail}"), flush=True)
    print(f"{len(chosen) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
