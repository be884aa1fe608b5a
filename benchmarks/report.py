"""The seed-page benchmark report: the machine, the quality, speed and CLI tables, and the notes
on method, as Markdown (``benchmarks/results/latest.md``)."""

from __future__ import annotations

import math

from machine import machine_info  # noqa: F401  (the report's machine section)
from throughput import CLI_RUNS


def fmt(value, digits: int = 3, mark: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}{mark}"


def quality_table(rows: list[dict]) -> list[str]:
    head = [
        "Approach",
        "Rel. P",
        "Rel. R",
        "Rel. F1",
        "PR-AUC",
        "Event acc.",
        "Event macro-F1",
        "Time (s)",
        "Notes",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * 7 + ["---"]) + "|"]
    for r in rows:
        m = r["metrics"]
        auc_mark = "†" if r.get("pr_auc_degenerate") else ""
        cells = [
            r["name"],
            fmt(m.get("relevance_precision")),
            fmt(m.get("relevance_recall")),
            fmt(m.get("relevance_f1")),
            fmt(m.get("relevance_pr_auc"), mark=auc_mark),
            fmt(m.get("event_accuracy")),
            fmt(m.get("event_macro_f1")),
            fmt(r.get("seconds"), 0),
            r.get("note", ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def speed_table(rows: list[dict]) -> list[str]:
    head = [
        "Family",
        "Train wall (s)",
        "Train CPU (s)",
        "Size (MB)",
        "Train peak RSS (MB)",
        "Load (s)",
        "Segments",
        "Predict wall (s)",
        "Predict CPU (s)",
        "Segments/s",
        "Predict peak RSS (MB)",
    ]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    for r in rows:
        precision = r.get("params", {}).get("precision")
        size = r.get("size_bytes")
        cells = [
            r["family"] + (f" ({precision})" if precision else ""),
            fmt(r.get("train_seconds"), 1),
            fmt(r.get("train_cpu_seconds"), 1),
            fmt(size / 1e6 if size is not None else None, 1),
            fmt(r.get("train_peak_rss_mb"), 0),
            fmt(r.get("load_seconds"), 2),
            f"{r['n_segments']:,}" if r.get("n_segments") else "n/a",
            fmt(r.get("predict_seconds"), 1),
            fmt(r.get("predict_cpu_seconds"), 1),
            fmt(r.get("segments_per_second"), 0),
            fmt(r.get("predict_peak_rss_mb"), 0),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def cli_table(cli: dict) -> list[str]:
    lines = ["| Command | Median wall time (s) | Ratio to `import sklearn` |", "|---|---:|---:|"]
    for key in ("import_sklearn", "help", "predict"):
        c = cli[key]
        lines.append(
            f"| `{c['command']}` | {c['median_seconds']:.2f} | {c.get('ratio_to_import_sklearn', 1.0):.2f} |"
        )
    return lines


def markdown(report: dict) -> str:
    m = report["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    out = [
        "## Benchmarks",
        "",
        (
            f"Run {report['date']} on {m['cpu']}, {m['usable_cores']} cores, {m['ram_gb']} GB RAM, "
            f"Python {m['python']} ({pk}); commit {m['git_commit']}."
        ),
        (
            f"Command: `{report['command']}`. Total runtime {report['total_seconds'] / 60:.1f} min; "
            f"load average at start/end {report['load_average']['start']} / {report['load_average']['end']}."
        ),
    ]
    if report["quick"]:
        out += ["", "**QUICK RUN (small training data, 1 fine-tuning epoch): do not report these numbers.**"]
    if report["quality"]:
        out += ["", "### Quality: leave-one-article-out over the 5 seed articles (pooled)", ""]
        out += quality_table(report["quality"])
    if report["speed"]:
        out += [
            "",
            f"### Speed on this machine ({report['segments_target']:,}+ segments, article by article)",
            "",
        ]
        out += speed_table(report["speed"])
    if report.get("cli"):
        out += [
            "",
            f"### Command-line start-up (median of {CLI_RUNS} runs; model: {report['cli_model']})",
            "",
        ]
        out += cli_table(report["cli"])
    out += ["", "Notes:", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(out) + "\n"


NOTES = [
    (
        "Quality rows share the folds: each of the 5 real seed articles is held out once; synthetic "
        "articles only train. Metrics are pooled over the held-out articles with "
        "nkdiplomacy.trainer.metrics (relevance: the on-topic class at the model's threshold, 0.5; "
        "event type: on gold on-topic segments only, the event head judged on its own)."
    ),
    (
        "Model rows are the recipes in configs/ run through the trainer's cross_validate, untracked. The "
        "encoder recipe's `choose_variant` is resolved by the trainer's rule (both declared precisions "
        "cross-validated, int8 kept unless it costs a point of relevance F1 or event macro-F1); both are "
        "listed."
    ),
    (
        "finetune's cross-validation (10 fine-tunings) is too slow for the default run: `--finetune-cv` "
        "runs it and stores the rows in benchmarks/results/finetune_cv.json; a default run reuses them, "
        "marked 'CV stored by the --finetune-cv run of <date>' (Time (s) is that run's), only while a "
        "hash of the finetune recipes, the annotation files, the model code and the "
        "torch/transformers/tokenizers versions is unchanged; otherwise the rows say 'not run'. "
        "finetune's speed row is always measured afresh."
    ),
    (
        "Hard filters (keyword, trafilatura, jusText) have no score: Rel. P/R/F1 are of the kept "
        "segments, and PR-AUC† is the degenerate average precision of the 0/1 decision (not comparable "
        "with the models' PR-AUC)."
    ),
    "Keyword filter: a segment is on-topic when it matches (case-insensitive) `{keywords}`.",
    (
        "Extractors see each held-out article as a plain HTML page built from its segments: the headline "
        "(nkdiplomacy.text.context.article_title) as <title>, then one <p> per segment in order, text "
        "HTML-escaped, no other markup (scraped text has lost the page's DOM, so tag and class cues are "
        "unavailable to them). trafilatura.extract(output_format='txt') with default settings (neither "
        "favor_precision nor favor_recall, fallbacks on); justext.justext with the English stoplist and "
        "default thresholds, keeping paragraphs not classed as boilerplate. A segment counts as kept when "
        "its normalised text (nkdiplomacy.text.segment.normalize) equals one of the extractor's normalised "
        "output lines; each output line matches one segment at most, so a duplicate line counts only as "
        "often as the extractor kept it. '+ keyword' = kept AND keyword match."
    ),
    (
        "Zero-shot typing embeds 'name: description' of each event type (nkdiplomacy/labels.yaml) and "
        "each gold on-topic seed segment with the fp32 ONNX all-MiniLM-L6-v2; type = argmax cosine. It "
        "makes no relevance decision."
    ),
    "Time (s) in the quality table is the wall time of the row's cross-validation in that run.",
    (
        "Speed: each family's final model is trained once on all data (seed + synthetic, weighted by "
        "training_weights) in a fresh subprocess; train time covers reading the annotations and the "
        "fit, not imports or the one-off ONNX export of the base encoder (cached in "
        "~/.cache/nkdiplomacy); size = the files .save() writes. "
        "Prediction runs in another fresh subprocess: load the saved model, then score_segments on "
        "nkdiplomacy.text.context.article_inputs of each article, one article per call, as "
        "Classifier.classify_article does. The articles are the 5 seed articles (data/raw) repeated, so "
        "segments repeat; no cache spans calls (the encoder de-duplicates texts only within a call). "
        "Load (s) includes scoring the first article. Peak RSS = VmHWM of that subprocess "
        "(/proc/self/status; ru_maxrss would inherit the parent's from fork). CPU (s) = process CPU "
        "time, all threads."
    ),
    (
        "CLI timings: the nkdiplomacy console script beside sys.executable; each command runs once "
        "untimed (page cache), then the three commands take turns {runs} times; medians, and ratios to "
        "`python -c 'import sklearn'` from the same run."
    ),
]
