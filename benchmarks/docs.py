"""Write the pages whose figures come from ``benchmarks/results/*.json``, so no figure is pasted.

    python benchmarks/docs.py          # rewrite docs/benchmarks.md and the README's generated block
    python benchmarks/docs.py --check  # exit 1 when a page disagrees with its results (the test runs this)

- ``docs/benchmarks.md``: every benchmark, rendered from its results file by the renderer of the
  script that measured it (grouped cross-validation under each view, with per-fold, per-genre and
  per-type tables and reliability; active learning; Spark throughput; the first protocol).
- ``README.md``, between ``<!-- generated: shipped model -->`` and ``<!-- end generated -->``: the
  shipped default's figures under each cross-validation view, from the rows that name it.
- ``docs/cli.md``: the example of ``predict --format text``, run with the shipped model.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
# The shipped default's row in the grouped-CV results (configs/stacked.yaml as it is).
DEFAULT_ROW = "stacked (encoder + tfidf names masked) + lone views + mentions apart on state media"
BEGIN, END = "<!-- generated: shipped model (python benchmarks/docs.py) -->", "<!-- end generated -->"
CLI_PAGE = ROOT / "docs" / "cli.md"
EXAMPLE_BEGIN = "  <!-- generated: text example (python benchmarks/docs.py) -->"
EXAMPLE_ARTICLE = ROOT / "data" / "raw" / "003_254259dacc8f1105.txt"
VIEWS = {
    "source": "whole sources (outlets, KCNA, seed pages) held out: the main figure",
    "genre": "whole genres held out (news, KCNA, official, think tank, Asian outlet)",
    "story": "KCNA split by story, the other sources whole",
}


def _load(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def _demote(markdown: str, levels: int = 1) -> str:
    """Headings one level down, so that a script's own page nests under a section here."""
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m[1]) + levels) + " ", markdown, flags=re.MULTILINE)


def _fmt(value) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def benchmarks_page() -> str:
    """docs/benchmarks.md, rendered from the results files."""
    import active_learning
    import grouped_cv
    import report

    out = [
        "# Benchmarks",
        "",
        "Written by `python benchmarks/docs.py` from `benchmarks/results/*.json` (a test fails when this page",
        "and its results disagree). Each row says what it measured: the recipe and overrides, the corpus (real",
        "pages), the machine and date; rows measured on earlier corpora or models are kept, marked as such.",
        "",
    ]
    for scheme, what in VIEWS.items():
        results = _load(f"grouped_cv_{scheme}.json")
        if results:
            out += [
                f"## Cross-validation: {what}",
                "",
                _demote(grouped_cv.markdown(results, scheme), 2).strip(),
                "",
            ]
    speed = _load("speed.json")
    if speed:
        out += ["## Speed, article by article (`python benchmarks/speed.py --label NAME`)", ""]
        out += _speed_table(speed["rows"]) + [""]
    counterparts = _load("counterparts.json")
    if counterparts:
        out += _counterparts_section(counterparts)
    learning = _load("active_learning.json")
    if learning:
        meta = learning["meta"]
        out += ["## Active learning: suggested against random labels", ""]
        out += [active_learning.render_md(meta, learning["rows"], meta["sizes"]).strip(), ""]
    spark = _load("spark_throughput.json")
    if spark:
        out += _spark_section(spark)
    out += plots_section()
    first = _load("latest.json")
    if first:
        out += ["## The first protocol (seed pages, leave one article out; an older default)", ""]
        out += [_demote(report.markdown(first), 1).strip(), ""]
    return "\n".join(out).rstrip() + "\n"


def _spark_section(spark: dict) -> list[str]:
    one = spark["single_process"]
    runs = spark.get("spark_runs") or [{**spark["spark"], "master": spark["master"]}]  # older files: one run
    out = [
        "## Spark batch throughput and parity",
        "",
        (
            f"`python benchmarks/spark_throughput.py`, {spark['when']}, model `{spark['model']}` (the default of that date), {spark['articles']:,}"
            f" articles, {spark['machine']['cores']} cores ({spark['machine']['cpu']}), load average"
            f" {spark['machine']['load_average_1min']}."
        ),
        "",
        "| Run | Segments | Seconds | Segments/s | Same segments | Max score diff. | Decisions / types / counterparts differing |",
        "|---|---:|---:|---:|---|---:|---|",
        f"| single process | {one['segments']:,} | {one['seconds']:.1f} | {one['segments_per_second']:.1f} | | | |",
    ]
    for run in runs:
        par = run.get("parity")
        cells = (
            f"{'yes' if par['same_segments'] else 'no'} | {par['max_score_difference']:.1e} | "
            f"{par['decisions_differing']} / {par['event_types_differing']} / {par['counterparts_differing']}"
            if par
            else "not measured | | "
        )
        out.append(
            f"| Spark {run['master']} | {run['segments']:,} | {run['seconds']:.1f} | {run['segments_per_second']:.1f} | {cells} |"
        )
    return out + [""]


def _counterparts_section(results: dict) -> list[str]:
    methods = results["methods"]
    out = [
        "## Counterparts: with whom (`python benchmarks/counterparts.py`)",
        "",
        f"{results['date'][:10]}, commit {results['commit']}; gold on-topic segments with counterparts of "
        + ", ".join(f"`{f}`" for f in results["files"])
        + " (given the gold relevance). Nothing is fitted; the gazetteer's page rule and added states were tuned"
        " on the errors of half of the pages (by the hash of the page id): the held-out half is the figure.",
        "",
        "| Method | Pages | Segments | Micro-P | Micro-R | Micro-F1 | Exact set |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, m in methods.items():
        for part, label in (("held_out", "held-out half"), ("tuning", "tuning half"), ("pooled", "all")):
            p = m[part]
            out.append(
                f"| {name} | {label} | {p['segments']:,} | {_fmt(p['micro_precision'])} | {_fmt(p['micro_recall'])} "
                f"| {_fmt(p['micro_f1'])} | {_fmt(p['exact_set_accuracy'])} |"
            )
    names = list(methods)
    sources = sorted(methods[names[0]]["per_source"])
    out += [
        "",
        "Micro-F1 per source (held-out half):",
        "",
        "| Source | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for src in sources:
        cells = " | ".join(_fmt(methods[n]["per_source"][src]["micro_f1"]) for n in names)
        out.append(f"| {src} ({methods[names[0]]['per_source'][src]['segments']:,}) | {cells} |")
    codes = list(methods[names[0]]["held_out"]["per_code"])[:15]
    out += [
        "",
        "F1 per code (held-out half; the 15 most frequent in its gold):",
        "",
        "| Code | Gold | " + " | ".join(names) + " |",
    ]
    out += ["|---|---:|" + "---:|" * len(names)]
    for code in codes:
        gold = methods[names[0]]["held_out"]["per_code"][code]["gold"]
        cells = " | ".join(_fmt(methods[n]["held_out"]["per_code"].get(code, {}).get("f1")) for n in names)
        out.append(f"| {code} | {gold:,} | {cells} |")
    return out + [""]


def _speed_table(rows: dict) -> list[str]:
    lines = [
        "| Model | Pages | Segments | Words/s | Segments/s | Load (s) | Peak RSS (MB) | Cold predict / import sklearn | Measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, r in rows.items():
        cold = r.get("cold_predict_seconds")
        ratio = f"{cold / r['import_sklearn_seconds']:.2f}x" if cold else "n/a"
        lines.append(
            f"| {label} (`{r['model']}`, data `{(r.get('training_data_digest') or '?')[:12]}`) | {r['pages']:,} "
            f"| {r['segments']:,} | {r['words_per_second']:,} | {r['segments_per_second']:.1f} | {r['load_seconds']:.2f} "
            f"| {r['peak_rss_mb']:,} | {ratio} | {r['date'][:10]}, {r['commit']}, {r['machine']}, load {r['load_average']} |"
        )
    return lines


def model_block() -> str:
    """The README's table of the shipped default, from the rows that name it."""
    lines = [
        BEGIN,
        "| Cross-validation view | Real pages | Rel. P | Rel. R | Rel. F1 | Event macro-F1 | Lone rel. F1 | Worst group (rel. F1) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    dates = []
    for scheme, what in VIEWS.items():
        row = (_load(f"grouped_cv_{scheme}.json") or {"rows": {}})["rows"].get(DEFAULT_ROW)
        if row is None:
            lines.append(f"| {what} | not measured yet | | | | | | |")
            continue
        m = row["metrics"]
        worst = min(row["per_fold"], key=lambda f: f["relevance_f1"])
        pages = row.get("corpus", {}).get("real_pages", 355)
        lines.append(
            f"| {what} | {pages} | {_fmt(m['relevance_precision'])} | {_fmt(m['relevance_recall'])} "
            f"| {_fmt(m['relevance_f1'])} | {_fmt(m.get('event_macro_f1'))} | {_fmt(m.get('lone_relevance_f1'))} "
            f"| {worst['fold']} ({_fmt(worst['relevance_f1'])}) |"
        )
        dates.append(
            f"{scheme} {row.get('date', '?')[:10]}" + (f" at {row['commit']}" if row.get("commit") else "")
        )
    speed = (_load("speed.json") or {"rows": {}})["rows"].get("default")
    if speed:
        lines += [
            "",
            "Speed, article by article on the bundled real pages:",
            "",
            *_speed_table({"default": speed}),
        ]
    lines += [
        "",
        f"Recipe `configs/stacked.yaml` as shipped (row `{DEFAULT_ROW}` of `benchmarks/results/grouped_cv_*.json`;"
        + f" measured {', '.join(dates) or 'never'}). Per source, genre and type: [docs/benchmarks.md](docs/benchmarks.md).",
        END,
    ]
    return "\n".join(lines)


def _replace_block(text: str, begin: str, block: str) -> str:
    start = text.index(begin)
    end = text.index(END, start) + len(END)
    return text[:start] + block + text[end:]


def readme_text() -> str:
    return _replace_block(README.read_text(), BEGIN, model_block())


def text_example() -> str:
    """The first three paragraphs of ``predict --format text`` on a bundled page, by the shipped model."""
    import io

    import nkdiplomacy
    from nkdiplomacy.cli.render import TextWriter
    from nkdiplomacy.serving.pages import article_results
    from nkdiplomacy.text.articles import iter_articles

    stream = io.StringIO()
    rel = str(EXAMPLE_ARTICLE.relative_to(ROOT))
    for result in article_results(nkdiplomacy.load(), iter_articles([rel]), only_relevant=False):
        TextWriter(stream).write(result)
    paragraphs = [p for p in stream.getvalue().split("\n\n") if p][:3]
    body = "\n".join(("  " + line).rstrip() for line in "\n\n".join(paragraphs).split("\n")).lstrip()
    return f"{EXAMPLE_BEGIN}\n  ```text\n  {body}\n  ```\n  {END}"


def cli_text() -> str:
    return _replace_block(CLI_PAGE.read_text(), EXAMPLE_BEGIN, text_example())


LABELING_PAGE = ROOT / "docs" / "labeling.md"
TODO_BEGIN = "<!-- generated: to-do example (python benchmarks/docs.py) -->"


def labeling_text() -> str:
    """docs/labeling.md with a to-do record: the first on-topic guess of ``suggest --n 5`` on the bundled
    page, by the shipped model."""
    import json

    from nkdiplomacy.labeling.suggest import suggest

    found = suggest([str(EXAMPLE_ARTICLE)], n=5, relative_to=EXAMPLE_ARTICLE.parent)
    record = json.dumps(next(r for r in found.records if r["relevant"]), ensure_ascii=False)
    return _replace_block(
        LABELING_PAGE.read_text(), TODO_BEGIN, f"{TODO_BEGIN}\n```json\n{record}\n```\n{END}"
    )


PLOTS = ROOT / "docs" / "plots"
PLOT_FILES = {
    "per_genre.png": "Relevance and event macro-F1 of the shipped recipe per genre, source and genre views",
    "reliability.png": "Reliability of the shipped recipe's relevance scores (source view)",
    "speed.png": "Segments per second, article by article, per model",
}


def plots_section() -> list[str]:
    """The plots' references on the benchmarks page (the PNGs are drawn by :func:`draw_plots`)."""
    out = [
        "## Plots",
        "",
        f"Drawn by `python benchmarks/docs.py` from the same results files (row `{DEFAULT_ROW}`).",
        "",
    ]
    for name, title in PLOT_FILES.items():
        out += [f"![{title}](plots/{name})", ""]
    return out


def draw_plots() -> None:
    """docs/plots/*.png from the results files (needs matplotlib, in the [train] extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(parents=True, exist_ok=True)
    views = {
        s: (_load(f"grouped_cv_{s}.json") or {"rows": {}})["rows"].get(DEFAULT_ROW)
        for s in ("source", "genre")
    }
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, metric, goal in zip(axes, ("relevance_f1", "event_macro_f1"), (0.88, 0.65)):
        for k, (scheme, row) in enumerate(views.items()):
            if row is None:
                continue
            genres = [g["genre"] for g in row["per_genre"]]
            ax.bar([i + 0.4 * k for i in range(len(genres))], [g[metric] for g in row["per_genre"]], 0.4,
                   label=f"{scheme} view")  # fmt: skip
            ax.set_xticks([i + 0.2 for i in range(len(genres))], genres, rotation=20)
        ax.axhline(goal, color="k", linestyle=":", linewidth=1, label=f"goal {goal}")
        ax.set_ylim(0, 1)
        ax.set_title(metric.replace("_", " "))
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(PLOTS / "per_genre.png", dpi=90)
    plt.close(fig)
    row = views["source"]
    fig, ax = plt.subplots(figsize=(4.2, 4))
    if row is not None:
        bins = row["reliability"]
        ax.plot([b["mean_score"] for b in bins], [b["on_topic_rate"] for b in bins], "o-", label="observed")
    ax.plot([0, 1], [0, 1], "k:", linewidth=1, label="calibrated")
    ax.set_xlabel("relevance score (bin mean)")
    ax.set_ylabel("share on-topic")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOTS / "reliability.png", dpi=90)
    plt.close(fig)
    speed = (_load("speed.json") or {"rows": {}})["rows"]
    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.barh(list(speed), [r["segments_per_second"] for r in speed.values()])
    ax.set_xlabel("segments per second (2 cores)")
    fig.tight_layout()
    fig.savefig(PLOTS / "speed.png", dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = ap.parse_args(argv)
    pages = {
        PAGE: benchmarks_page(),
        README: readme_text(),
        CLI_PAGE: cli_text(),
        LABELING_PAGE: labeling_text(),
    }
    stale = [p for p, text in pages.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(
                f"{path.relative_to(ROOT)}: out of date with benchmarks/results; run python benchmarks/docs.py"
            )
        return 1 if stale else 0
    for path, text in pages.items():
        path.write_text(text)
    draw_plots()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
