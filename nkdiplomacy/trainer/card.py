"""The model card (``README.md``) that ``--save-model`` writes into a model folder.

Its sections follow the Hugging Face model card: model details, intended and out-of-scope uses,
training data (per source and genre), evaluation (the cross-validation of the run that trained it,
pooled, per held-out fold, per genre and per type), the decision threshold, known limitations, and
license and provenance. Every figure comes from the model's manifest (written by the same run), so
the card cannot disagree with the model it describes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from nkdiplomacy.estimators.persist import ManifestKey as K
from nkdiplomacy.records import Annotation
from nkdiplomacy.schema import event_type_names

CARD = "README.md"
_MAIN = (
    ("relevance_precision", "Rel. P"),
    ("relevance_recall", "Rel. R"),
    ("relevance_f1", "Rel. F1"),
    ("relevance_pr_auc", "PR-AUC"),
    ("event_accuracy", "Event acc."),
    ("event_macro_f1", "Event macro-F1"),
)


def data_counts(records: Sequence[Annotation]) -> dict[str, list[dict]]:
    """Pages, segments and on-topic segments of the training records, per source and per genre."""
    out: dict[str, list[dict]] = {}
    for key in ("source", "genre"):
        pages: dict[str, set] = {}
        segs, on = Counter(), Counter()
        for r in records:
            name = f"{r.origin} (training only)" if r.train_only else (getattr(r, key) or r.origin)
            pages.setdefault(name, set()).add(r.doc_id)
            segs[name] += 1
            on[name] += r.relevant
        out[key] = [
            {"name": n, "pages": len(pages[n]), "segments": segs[n], "on_topic": on[n]} for n in sorted(pages)
        ]
    return out


def _fmt(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _table(rows: list[dict], key: str, title: str) -> list[str]:
    lines = [
        f"| {title} | Segments | " + " | ".join(h for _, h in _MAIN) + " |",
        "|---|" + "---:|" * (1 + len(_MAIN)),
    ]
    for row in rows:
        cells = " | ".join(_fmt(row.get(k)) for k, _ in _MAIN)
        lines.append(f"| {row[key]} | {int(row['n_segments']):,} | {cells} |")
    return lines


def model_card(manifest: dict) -> str:
    """The Markdown card of a model folder whose manifest is ``manifest``."""
    cv = {k.removeprefix("cv_"): v for k, v in manifest.get(K.CV_METRICS, {}).items()}
    recipe = manifest.get(K.RESOLVED_RECIPE, {})
    data = manifest.get(K.TRAINING_DATA, {})
    threshold = manifest.get(K.PARAMS, {}).get("threshold")
    scheme = recipe.get("cv", {}).get("scheme", "source")
    lines = [
        f"# nkdiplomacy model: `{manifest.get(K.RECIPE, '?')}` ({manifest[K.FAMILY]} family)",
        "",
        "Flags each line (segment) of a scraped web page as an on-topic North Korea diplomacy passage or",
        "off-topic, and gives each on-topic passage an event type (`"
        + "`, `".join(event_type_names())
        + "`;",
        "PLOVER codes in the package's labeling guide).",
        "",
        "## Model details",
        "",
        f"- Family: `{manifest[K.FAMILY]}`; recipe `{manifest.get(K.RECIPE, '?')}` (resolved form in `manifest.json`).",
        f"- Package version {manifest.get(K.VERSION, '?')}; {manifest.get(K.N_TRAIN, 0):,} training rows.",
        f"- Training data digest `{data.get('digest', '?')}`: {data.get('n_records', 0):,} records of "
        + f"{len(data.get('doc_ids', [])):,} pages.",
        f"- Decision threshold: a segment is on-topic when its relevance score is at least {threshold}.",
        "- Data-only folder: JSON, `.npz`, ONNX and tokenizer files; loading it runs no code from it.",
        "",
        "## Uses",
        "",
        "Intended: analysts, researchers and newsroom desks who read scraped pages about North Korea's",
        "foreign relations and want the on-topic passages, with their event types, separated from page",
        "furniture (navigation, bylines, captions, prompts, teasers of unrelated news).",
        "",
        "Out of scope: deciding facts (a passage flagged `military` is a passage about military matters, not",
        "evidence that an event happened); pages in languages other than English; subjects other than North",
        "Korea's foreign relations; scoring people or outlets.",
        "",
        "## Training data",
        "",
        "Real pages read and labeled line by line under the project's labeling guide, plus synthetic pages",
        "written for training only (never evaluated). Provenance, licenses and agreement figures of every",
        "source: `data/README.md` of the package's repository.",
        "",
    ]
    for key, title in (("genre", "Genre"), ("source", "Source")):
        rows = data.get("counts", {}).get(key, [])
        if rows:
            lines += [f"| {title} | Pages | Segments | On-topic |", "|---|---:|---:|---:|"]
            lines += [
                f"| {r['name']} | {r['pages']:,} | {r['segments']:,} | {r['on_topic']:,} |" for r in rows
            ]
            lines.append("")
    lines += [
        "## Evaluation",
        "",
        f"Grouped cross-validation of the training run itself (`cv.scheme: {scheme}`): no held-out page, nor",
        "any other page of its held-out group, is in that fold's training data; synthetic pages only ever",
        "train. Pooled over the held-out pages:",
        "",
        "| View | " + " | ".join(h for _, h in _MAIN) + " |",
        "|---|" + "---:|" * len(_MAIN),
        "| in page | " + " | ".join(_fmt(cv.get(k)) for k, _ in _MAIN) + " |",
        "| lone segment | " + " | ".join(_fmt(cv.get(f"lone_{k}")) for k, _ in _MAIN) + " |",
        "",
        "Per event type (F1, in page): "
        + ", ".join(f"`{t}` {_fmt(cv.get(f'event_f1_{t}'))}" for t in event_type_names())
        + ".",
        "",
    ]
    if manifest.get(K.CV_PER_FOLD):
        lines += ["Per held-out fold:", "", *_table(manifest[K.CV_PER_FOLD], "fold", "Held out"), ""]
    if manifest.get(K.CV_PER_GENRE):
        lines += ["Per genre (each genre's pages, pooled over the folds that held them out):", ""]
        lines += [*_table(manifest[K.CV_PER_GENRE], "genre", "Genre"), ""]
    lines += [
        "## Limitations",
        "",
        "- Quality falls on genres and outlets unlike the training pages; the per-genre figures above are",
        "  the guide. Lines that are on-topic only through their page (an essay's body lines that never",
        "  name North Korea) are the most often missed; concrete events inside essays drift to `analysis`.",
        "- `domestic` has few real training examples; its figures are the least reliable.",
        "- A lone sentence is judged without its page, which costs accuracy (the lone-segment row).",
        "- Scores are calibrated out of fold on the training sources; on a new outlet they may run high.",
        "",
        "## License and provenance",
        "",
        "Code under the package's license. Training pages come from public repositories listed, with their",
        "commits and licenses, in the repository's `data/README.md`; pages reserved for independent",
        "evaluation were excluded before any draw. The sentence encoder is all-MiniLM-L6-v2 (Apache-2.0).",
    ]
    return "\n".join(lines) + "\n"
