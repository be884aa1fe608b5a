"""Figures are generated, never pasted: the README, docs/benchmarks.md and docs/cli.md agree with
benchmarks/results/*.json and with the shipped model (python benchmarks/docs.py rewrites them)."""

from __future__ import annotations

import json
import shutil
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import docs


def test_generated_pages_agree_with_their_results_and_the_shipped_model():
    assert docs.main(["--check"]) == 0, "run: python benchmarks/docs.py"


def test_a_changed_result_makes_the_pages_stale(tmp_path, monkeypatch):
    results = tmp_path / "results"
    shutil.copytree(docs.RESULTS, results)
    path = results / "grouped_cv_source.json"
    data = json.loads(path.read_text())
    row = next(iter(data["rows"].values()))
    row["metrics"]["relevance_f1"] = 0.123456
    path.write_text(json.dumps(data))
    monkeypatch.setattr(docs, "RESULTS", results)
    assert docs.benchmarks_page() != docs.PAGE.read_text()
    assert docs.main(["--check"]) == 1


def test_the_readme_stays_short_and_points_to_the_docs():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for page in ("cli", "api", "training", "evaluation", "benchmarks", "labeling", "serving", "layout"):
        assert f"](docs/{page}.md)" in readme and (REPO / "docs" / f"{page}.md").is_file()


def test_every_picture_the_docs_show_exists():
    import re

    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name}: {target}"
    assert {p.name for p in docs.PLOTS.glob("*.png")} == set(docs.PLOT_FILES)
