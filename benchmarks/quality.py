"""Quality rows of the model families on the seed pages (leave one article out), through the
trainer's own :func:`~nkdiplomacy.trainer.crossval.cross_validate` and variant rule.

finetune's cross-validation is too slow for the default run: ``--finetune-cv`` runs it and stores
the rows in ``benchmarks/results/finetune_cv.json``; default runs reuse them while a fingerprint of
the recipes, data, model code and library versions is unchanged.
"""

from __future__ import annotations

import functools
import json
import time

from common import ROOT, log, recipe

# Families whose cross-validation is too slow for the default run (finetune: 10 fine-tunings, about
# 13 minutes on 2 idle cores and far more on a busy machine). Their speed measurements always run.
SLOW_FAMILIES = ("finetune",)
CV_STORE = ROOT / "benchmarks" / "results" / "finetune_cv.json"
FINGERPRINT_CODE = (
    "nkdiplomacy/trainer/recipe.py",
    "nkdiplomacy/corpus/annotations.py",
    "nkdiplomacy/text/context.py",
    "nkdiplomacy/labels.yaml",
    "nkdiplomacy/estimators/model.py",
    "nkdiplomacy/trainer/metrics.py",
    "nkdiplomacy/estimators/export.py",
    "nkdiplomacy/estimators/finetune.py",
    "nkdiplomacy/trainer/fitting.py",
    "nkdiplomacy/trainer/crossval.py",
)


def family_rows(family: str, quick: bool) -> list[dict]:
    """Cross-validated rows of a family's recipe and its no-context recipe. A recipe with
    ``choose_variant`` gets one row per declared variant, each marked picked or not by the
    trainer's rule (:func:`~nkdiplomacy.trainer.crossval.pick_variant`)."""
    from nkdiplomacy.estimators import family_variants
    from nkdiplomacy.trainer.crossval import cross_validate, pick_variant, variant_name
    from nkdiplomacy.trainer.fitting import estimator_params, load_training_records

    rows = []
    for name in (family, f"{family}_nocontext"):
        cfg = recipe(name, quick)
        records = load_training_records(cfg)
        variants = family_variants(cfg.family) if cfg.choose_variant else ({},)
        results = {}
        for variant in variants:
            label = cfg.name + (f" [{variant_name(variant)}]" if variant else "")
            log(f"cross-validating {label} ({len(records)} records)")
            params = {**estimator_params(cfg), **variant}
            start, cpu = time.perf_counter(), time.process_time()
            metrics, predictions = cross_validate(cfg, records, params)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            log(f"  {label}: {seconds:.0f} s ({cpu:.0f} s CPU), relevance F1 {metrics['relevance_f1']:.3f}")
            results[variant_name(variant)] = (label, variant, params, metrics, predictions, seconds, cpu)
        chosen = pick_variant({k: r[3] for k, r in results.items()}) if cfg.choose_variant else None
        for key, (label, variant, params, metrics, predictions, seconds, cpu) in results.items():
            note = "context" if cfg.use_context else "no context"
            if chosen:
                note += f", {key}, " + ("picked by choose_variant" if key == chosen else "not picked")
            rows.append(
                {
                    "name": label,
                    "kind": "model",
                    "family": family,
                    "recipe": f"configs/{name}.yaml",
                    "use_context": cfg.use_context,
                    "params": {k: v for k, v in params.items() if k != "seed"},
                    "metrics": metrics,
                    "folds": sorted(predictions["fold"].unique().tolist()),
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "note": note,
                    "chosen_variant": variant if key == chosen else None,
                }
            )
    return rows


@functools.cache
def fingerprint(family: str) -> str:
    """A hash of what a family's measurements depend on: its recipes, their data, the model code and
    the versions of torch, transformers and tokenizers."""
    import hashlib
    import importlib.metadata as md

    h = hashlib.sha256()
    paths = []
    for name in (family, f"{family}_nocontext"):
        paths.append(ROOT / "configs" / f"{name}.yaml")
        paths += [ROOT / f for f in recipe(name, False).data.files]
    paths += [ROOT / f for f in FINGERPRINT_CODE]
    for path in sorted(set(paths)):
        h.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    for pkg in ("torch", "transformers", "tokenizers"):
        try:
            h.update(f"{pkg}=={md.version(pkg)}".encode())
        except md.PackageNotFoundError:
            pass
    return h.hexdigest()[:16]


def _read_store() -> dict:
    try:
        return json.loads(CV_STORE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stored_rows(family: str) -> list[dict] | None:
    """The quality rows of an earlier --finetune-cv run, if its fingerprint still matches."""
    entry = _read_store().get(family)
    if not entry or entry.get("fingerprint") != fingerprint(family):
        return None
    rows = entry["rows"]
    for r in rows:
        r["stored_run"] = {k: entry[k] for k in ("date", "commit", "fingerprint", "load_average_at_start")}
        r["note"] += f"; CV stored by the --finetune-cv run of {entry['date'][:10]}"
    return rows


def store_rows(family: str, rows: list[dict], report: dict, fp: str) -> None:
    data = _read_store()
    data[family] = {
        "fingerprint": fp,
        "date": report["date"],
        "commit": report["machine"]["git_commit"],
        "machine": report["machine"],
        "load_average_at_start": report["load_average"]["start"],
        "rows": rows,
    }
    CV_STORE.parent.mkdir(parents=True, exist_ok=True)
    CV_STORE.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def skipped_family_rows(family: str) -> list[dict]:
    return [
        {
            "name": recipe(name, False).name,
            "kind": "model",
            "family": family,
            "recipe": f"configs/{name}.yaml",
            "metrics": {},
            "seconds": None,
            "note": "CV not run: too slow for the default run, and no valid stored run (use --finetune-cv)",
        }
        for name in (family, f"{family}_nocontext")
    ]


def quality_rows(family: str, run_slow: bool, quick: bool, report: dict) -> list[dict]:
    """A family's rows: cross-validated, or for a slow family without ``run_slow`` the stored ones."""
    if family in SLOW_FAMILIES and not (run_slow or quick):
        rows = stored_rows(family)
        log(f"{family}: CV {f'reused from {CV_STORE.name}' if rows else 'not run'} (--finetune-cv runs it)")
        return rows or skipped_family_rows(family)
    fp = fingerprint(family) if family in SLOW_FAMILIES else ""  # the inputs as the CV starts
    rows = family_rows(family, quick)
    if fp and not quick:
        store_rows(family, rows, report, fp)
    return rows
