"""Active learning against random sampling: does labeling the segments `nkdiplomacy suggest` picks
teach the model a new outlet faster than labeling random ones?

On the real corpus, each source group of the main protocol (``grouped_folds(records, "source")``:
the seed pages, KCNA, five groups of whole outlets) is held out in turn. Its pages are split by page
(seeded) into a **pool** half and a **test** half. A tfidf model (``configs/tfidf.yaml``'s
parameters and data weighting; synthetic pages train) is trained on the other sources, then

- **+N suggested**: N pool segments picked by :func:`nkdiplomacy.labeling.suggest.pick` from the
  model's scores (the pool pages read in their page, as `suggest` reads them), in rounds of
  ``--step`` segments: label a round, retrain, suggest the next round from the new model;
- **+N random**: N pool segments drawn at random (``--repeats`` draws, nested: the first N1 of a
  draw are in its N2), averaged;

are labeled with their gold labels (standing in for the analyst), added to the training data, and
the model retrained. Relevance F1 and event macro-F1 are measured on the test half, per group and
pooled over all groups' test halves.

    python benchmarks/active_learning.py                 # all groups, N = 50, 100 (about 20 min on 2 cores)
    python benchmarks/active_learning.py --groups kcna,outlets-1 --sizes 50

Writes ``benchmarks/results/active_learning.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from machine import machine_line

from nkdiplomacy.corpus.splits import grouped_folds, outlet_of
from nkdiplomacy.labeling.suggest import Candidate, pick
from nkdiplomacy.text.context import record_inputs
from nkdiplomacy.trainer.fitting import estimator_params, fit_model, load_training_records
from nkdiplomacy.trainer.metrics import evaluate_scores
from nkdiplomacy.trainer.recipe import load_config

RESULTS = ROOT / "benchmarks" / "results"
KEYS = ("relevance_f1", "event_macro_f1")


def _scores(model, inputs):
    relevance, events = model.score_segments(inputs)
    return np.asarray(relevance, dtype=float), np.asarray(events, dtype=float)


def _metrics(records, relevance, events, threshold):
    m = evaluate_scores(
        [r.relevant for r in records], [r.event_type for r in records], relevance, events, threshold
    )
    return {k: m[k] for k in KEYS}


def run_group(cfg, params, records, inputs, fold, sizes, step, repeats, seed, log):
    """One held-out group: the test-half scores of every arm (pooled later) and their metrics."""
    held = [records[i] for i in fold.test]
    docs = sorted({r.doc_id for r in held})
    rng = np.random.default_rng(seed)
    shuffled = [docs[i] for i in rng.permutation(len(docs))]
    pool_docs = set(shuffled[: len(docs) // 2])
    pool = [i for i in fold.test if records[i].doc_id in pool_docs]
    test = [i for i in fold.test if records[i].doc_id not in pool_docs]
    train = list(fold.train)
    test_recs = [records[i] for i in test]
    test_inputs = [inputs[i] for i in test]

    def fit_eval(extra: list[int]):
        rows = train + extra
        model = fit_model(cfg, params, [records[i] for i in rows], [inputs[i] for i in rows])
        rel, ev = _scores(model, test_inputs)
        return model, (rel, ev)

    out = {"group": fold.name, "pages": len(docs), "pool_pages": len(pool_docs),
           "test_pages": len(docs) - len(pool_docs), "pool_segments": len(pool),
           "test_segments": len(test), "arms": {}, "scores": {}}  # fmt: skip
    t0 = time.perf_counter()
    model, scores = fit_eval([])
    out["scores"]["before"] = scores
    threshold = model.threshold
    log(f"  {fold.name}: before fitted ({time.perf_counter() - t0:.0f} s)")

    # Suggested, in rounds: suggest from the current model, label, retrain.
    chosen: list[int] = []
    target_sizes = sorted(sizes)
    current = model
    while len(chosen) < min(max(target_sizes), len(pool)):
        taken = set(chosen)
        remaining = [i for i in pool if i not in taken]
        rel, ev = _scores(current, [inputs[i] for i in remaining])
        cands = [
            Candidate(records[i].doc_id, records[i].seg_id, records[i].text, float(rel[k]), tuple(ev[k]),
                      group=outlet_of(records[i]))
            for k, i in enumerate(remaining)
        ]  # fmt: skip
        want = min(step, max(target_sizes) - len(chosen))
        by_key = {(records[i].doc_id, records[i].seg_id): i for i in remaining}
        picks = [by_key[(c.doc_id, c.seg_id)] for c, _ in pick(cands, want, threshold)]
        if not picks:
            break
        chosen += picks
        current, scores = fit_eval(chosen)
        if len(chosen) in target_sizes or len(chosen) >= len(pool):
            out["scores"][f"suggested_{len(chosen)}"] = scores
        log(f"  {fold.name}: +{len(chosen)} suggested ({time.perf_counter() - t0:.0f} s)")

    for r in range(repeats):
        order = [pool[i] for i in np.random.default_rng(seed * 1000 + r + 1).permutation(len(pool))]
        for n in target_sizes:
            if n > len(pool) and f"random_{len(pool)}_r{r}" in out["scores"]:
                continue
            _, scores = fit_eval(order[: min(n, len(pool))])
            out["scores"][f"random_{min(n, len(pool))}_r{r}"] = scores
        log(f"  {fold.name}: random draw {r + 1} ({time.perf_counter() - t0:.0f} s)")
    out["test_records"] = test_recs
    out["threshold"] = threshold
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=str(ROOT / "configs" / "tfidf.yaml"))
    ap.add_argument("--groups", help="comma-separated held-out groups (default: all)")
    ap.add_argument("--sizes", default="50,100", help="N labeled segments added (default: 50,100)")
    ap.add_argument("--step", type=int, default=50, help="suggested segments per round (default: 50)")
    ap.add_argument("--repeats", type=int, default=2, help="random draws per N (default: 2)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-synthetic-docs", type=int, default=None,
                    help="cap the synthetic pages that train (default: the recipe's)")  # fmt: skip
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    overrides = (
        {} if args.max_synthetic_docs is None else {"data.max_synthetic_docs": args.max_synthetic_docs}
    )
    cfg = load_config(args.config, overrides)
    params = estimator_params(cfg)
    records = load_training_records(cfg)
    inputs = record_inputs(records)
    folds = grouped_folds(records, "source", cfg.cv.outlet_groups, cfg.cv.kcna_folds)
    if args.groups:
        wanted = args.groups.split(",")
        folds = [f for f in folds if f.name in wanted]
    start = time.perf_counter()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    results = []
    for fold in folds:
        results.append(
            run_group(cfg, params, records, inputs, fold, sizes, args.step, args.repeats, args.seed, log)
        )
        report(args, cfg, results, sizes, start)
    print((RESULTS / "active_learning.md").read_text())
    return 0


def report(args, cfg, results, sizes, start):
    """Write the results of the groups done so far."""

    def metrics_of(group, arm):
        """The metrics of an arm in a group: random arms averaged over their draws."""
        keys = [k for k in group["scores"] if k == arm or k.startswith(arm + "_r")]
        if not keys:
            return None
        ms = [_metrics(group["test_records"], *group["scores"][k], group["threshold"]) for k in keys]
        return {m: float(np.mean([x[m] for x in ms])) for m in KEYS}

    def pooled(arm_of_group):
        """Metrics over all groups' test halves together (random: per draw, then averaged)."""
        draws = []
        for r in range(max(1, args.repeats)):
            recs, rel, ev, ok = [], [], [], True
            for g in results:
                arm = arm_of_group(g)
                key = arm if arm in g["scores"] else f"{arm}_r{r}"
                if key not in g["scores"]:
                    ok = False
                    break
                recs += g["test_records"]
                rel.append(g["scores"][key][0])
                ev.append(g["scores"][key][1])
            if ok:
                draws.append(_metrics(recs, np.concatenate(rel), np.concatenate(ev), results[0]["threshold"]))
            if not arm_of_group(results[0]).startswith("random"):
                break
        return {m: float(np.mean([d[m] for d in draws])) for m in KEYS} if draws else None

    def n_arm(g, kind, n):
        return f"{kind}_{min(n, g['pool_segments'])}"

    table = []
    for g in results:
        row = {
            k: g[k] for k in ("group", "pages", "pool_pages", "test_pages", "pool_segments", "test_segments")
        }
        row["before"] = metrics_of(g, "before")
        for n in sizes:
            row[f"suggested_{n}"] = metrics_of(g, n_arm(g, "suggested", n))
            row[f"random_{n}"] = metrics_of(g, n_arm(g, "random", n))
        table.append(row)
    pooled_row = {"group": "pooled", "test_segments": sum(g["test_segments"] for g in results)}
    pooled_row["before"] = pooled(lambda g: "before")
    for n in sizes:
        pooled_row[f"suggested_{n}"] = pooled(lambda g, n=n: n_arm(g, "suggested", n))
        pooled_row[f"random_{n}"] = pooled(lambda g, n=n: n_arm(g, "random", n))
    table.append(pooled_row)

    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/active_learning.py " + " ".join(sys.argv[1:]),
        "config": str(Path(args.config).relative_to(ROOT))
        if Path(args.config).is_relative_to(ROOT)
        else args.config,
        "family": cfg.family,
        "sizes": sizes,
        "step": args.step,
        "random_repeats": args.repeats,
        "seed": args.seed,
        "seconds": round(time.perf_counter() - start, 1),
        "groups": [g["group"] for g in results],
        "machine": machine_line(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "active_learning.json").write_text(json.dumps({"meta": meta, "rows": table}, indent=2) + "\n")
    (RESULTS / "active_learning.md").write_text(render_md(meta, table, sizes))


def _cell(m, key):
    return "n/a" if m is None else f"{m[key]:.3f}"


def render_md(meta, table, sizes) -> str:
    lines = [
        (
            f"Active learning vs random sampling ({meta['family']}, `{meta['config']}`): a held-out source group's pages "
            f"split into a pool half and a test half; +N pool segments labeled (gold labels), retrained; scores on the "
            f"test half. Suggested in rounds of {meta['step']}; random averaged over {meta['random_repeats']} draws. "
            f"{meta['date']}, {meta['seconds']:.0f} s, `{meta['command']}`."
        ),
        "",
    ]
    for key, title in (("relevance_f1", "Relevance F1"), ("event_macro_f1", "Event macro-F1")):
        head = ["group", "pool / test segs", "before"]
        for n in sizes:
            head += [f"+{n} suggested", f"+{n} random"]
        lines += [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in table:
            sizes_cell = (
                f"{row.get('pool_segments', '')} / {row['test_segments']}" if "pool_segments" in row
                else f"{row['test_segments']} (test)"
            )  # fmt: skip
            cells = [row["group"], sizes_cell, _cell(row["before"], key)]
            for n in sizes:
                cells += [_cell(row[f"suggested_{n}"], key), _cell(row[f"random_{n}"], key)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
