"""Speed of a model on real pages, as a user runs it: article by article, distinct segments counted.

    python benchmarks/speed.py [--model models/default] [--articles DIR ...] [--cli-runs 5]
    python benchmarks/speed.py --abp-mirror MIRROR [--pages 480]   # unseen pages, >= 10,000 distinct lines

Loads the model once, classifies every ``.txt`` page under the folders (default: the bundled real
pages, ``data/raw/real``; with ``--abp-mirror``, a seeded draw of Article-Bias-Prediction pages of
any subject that are not in the corpus, written to a temporary folder) with
``Classifier.classify_article``, and prints segments per second over
all and over distinct segments, words per second, the load time and the peak resident memory (VmHWM)
of this process; then the cold start of ``nkdiplomacy predict`` on one article against
``python -c "import sklearn"`` (medians, same run). Each model measured is a row of
``benchmarks/results/speed.json`` (``--label`` names it, e.g. ``default`` or ``previous default``), with
the model's training-data digest, the commit and the machine: rerun it for every model to compare, in
one session, on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "data" / "raw" / "003_254259dacc8f1105.txt"


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def draw_unseen_pages(mirror: Path, pages: int, out: Path, seed: int = 20261201) -> None:
    """Write ``pages`` ABP articles (3-60 lines, any subject, none in ``data/raw/real``) to ``out``."""
    import importlib.util
    import json
    import random

    # The page reader of training/make_real_texts.py, loaded from its file (training/ is not a package).
    spec = importlib.util.spec_from_file_location("make_real_texts", ROOT / "training" / "make_real_texts.py")
    texts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(texts)
    git, git_dir, lines_of = texts.git, texts.git_dir, texts.lines_of

    mirror = git_dir(mirror)
    corpus = {json.loads(line).get("doc_id") for line in (ROOT / "data/raw/real/manifest.jsonl").open()}
    names = sorted(git(mirror, "ls-tree", "--name-only", "HEAD", "data/jsons/").decode().split())
    random.Random(seed).shuffle(names)
    seen, written = set(), 0
    for name in names:
        art = json.loads(git(mirror, "show", f"HEAD:{name}"))
        lines = lines_of(f"{art.get('title') or ''}\n{art.get('content_original') or ''}")
        if f"abp_{art['ID']}" in corpus or not 3 <= len(lines) <= 60 or lines[1] in seen:
            continue
        seen.add(lines[1])
        (out / f"abp_{art['ID']}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        written += 1
        if written == pages:
            return


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="model folder or MLflow URI (default: the shipped default model)")
    ap.add_argument("--articles", nargs="+", type=Path, default=[ROOT / "data" / "raw" / "real"])
    ap.add_argument(
        "--abp-mirror", type=Path, help="draw unseen pages from this Article-Bias-Prediction mirror"
    )
    ap.add_argument("--pages", type=int, default=480, help="pages to draw with --abp-mirror")
    ap.add_argument("--cli-runs", type=int, default=5)
    ap.add_argument("--label", default="default", help="the row's name in benchmarks/results/speed.json")
    args = ap.parse_args(argv)
    if args.abp_mirror:
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="nkd-speed-"))
        draw_unseen_pages(args.abp_mirror, args.pages, tmp)
        args.articles = [tmp]
    import nkdiplomacy
    from nkdiplomacy.serving.locate import default_model_path

    args.model = args.model or str(default_model_path())
    pages = sorted(p for folder in args.articles for p in folder.rglob("*.txt"))
    start = time.perf_counter()
    clf = nkdiplomacy.load(args.model)
    load = time.perf_counter() - start
    texts, n, words = set(), 0, 0
    start = time.perf_counter()
    for page in pages:
        preds = clf.classify_article(page.read_text(encoding="utf-8"), doc_id=page.stem)
        n += len(preds)
        words += sum(len(p.text.split()) for p in preds)
        texts.update(p.text for p in preds)
    wall = time.perf_counter() - start
    model_path = Path(args.model).resolve()
    row = {
        # Relative to the checkout when inside it: no path of this machine in the results.
        "model": str(model_path.relative_to(ROOT))
        if model_path.is_relative_to(ROOT)
        else Path(args.model).name,
        "training_data_digest": _training_digest(args.model),
        "pages": len(pages),
        "segments": n,
        "distinct_segments": len(texts),
        "words": words,
        "load_seconds": round(load, 3),
        "predict_seconds": round(wall, 2),
        "segments_per_second": round(n / wall, 1),
        "words_per_second": round(words / wall),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    print(f"model {args.model}; {len(pages)} pages, {n} segments ({len(texts)} distinct), {words} words")
    print(
        f"load {load:.2f} s; predict {wall:.1f} s: {n / wall:.0f} segments/s, {words / wall:.0f} words/s; "
        f"peak RSS {row['peak_rss_mb']} MB"
    )
    if args.cli_runs:
        exe = Path(sys.executable).parent / "nkdiplomacy"
        base = median_seconds([sys.executable, "-c", "import sklearn"], args.cli_runs)
        cold = median_seconds(
            [str(exe), "predict", str(ARTICLE), "--model", args.model, "--format", "jsonl"], args.cli_runs
        )
        row.update(import_sklearn_seconds=round(base, 3), cold_predict_seconds=round(cold, 3))
        print(f"import sklearn {base:.2f} s; cold `nkdiplomacy predict` {cold:.2f} s ({cold / base:.2f}x)")
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    _record(args.label, row)
    return 0


def _training_digest(model: str) -> str | None:

    from nkdiplomacy.estimators.persist import ManifestKey, read_manifest
    from nkdiplomacy.serving.locate import resolve_model

    return read_manifest(resolve_model(model)).get(ManifestKey.TRAINING_DATA, {}).get("digest")


def _record(label: str, row: dict) -> None:
    """Add the row to benchmarks/results/speed.json (rows of other labels kept)."""
    import datetime as dt
    import json

    from machine import machine_info, machine_line

    out = ROOT / "benchmarks" / "results" / "speed.json"
    results = json.loads(out.read_text()) if out.exists() else {"rows": {}}
    info = machine_info()
    row.update(
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        commit=info["git_commit"],
        machine=machine_line(info),
        load_average=round(os.getloadavg()[0], 2),
    )
    results["rows"][label] = row
    out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
