"""Training recipes: YAML files validated into typed dataclasses.

A recipe names the model family, its hyper-parameters, the data files, the
seed and the MLflow experiment. Unknown keys, wrong types, empty strings or
lists and numbers out of bounds are errors that name the key, so a typo never
silently falls back to a default. Data paths in a recipe file are relative to
that file's folder; paths given as overrides (``--set``) are used as given.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nkdiplomacy.bounds import AT_LEAST_ONE, NON_NEGATIVE, UNIT, Bound
from nkdiplomacy.estimators import FAMILIES
from nkdiplomacy.files import os_error_line, utf8_error_line

# A recipe is a short file: bounds on its bytes and on its values once YAML aliases are expanded.
MAX_RECIPE_BYTES = 256_000
MAX_RECIPE_VALUES = 10_000


class ConfigError(ValueError):
    """An invalid recipe; the message names the file and the key."""


class FoldError(ValueError):
    """A recipe whose folds cannot be trained on its data: one line naming the scheme and the fold
    (raised by :func:`nkdiplomacy.trainer.crossval.checked_folds`, before anything is tracked)."""


# The annotation files a recipe trains on unless it names others (data.files).
DEFAULT_DATA_FILES = tuple(
    f"../data/annotations/{name}"
    for name in (
        "seed.jsonl",
        "real/kcna.jsonl",
        "real/western.jsonl",
        "real/official.jsonl",
        "real/think_tank.jsonl",
        "real/asian_outlet.jsonl",
        "synthetic.jsonl",
    )
)


def _bounded(default: float, bound: Bound) -> Any:
    """A numeric field whose value must lie within ``bound``."""
    return field(default=default, metadata={"bound": bound})


@dataclass(frozen=True)
class DataConfig:
    """Annotation files. Real and seed records are evaluated; synthetic ones only train."""

    # Default: the project's annotation files, relative to the recipe's folder (a recipe in
    # configs/ finds data/ beside it); without a recipe file, relative to the current folder.
    files: list[str] = field(default_factory=lambda: list(DEFAULT_DATA_FILES))
    # Real records keep at least this share of the total training weight.
    min_real_weight_share: float = _bounded(0.5, UNIT)
    # Use at most this many synthetic documents (0 = all); for quick recipes and tests.
    max_synthetic_docs: int = _bounded(0, NON_NEGATIVE)
    # Also train on every segment alone (a one-line article), at this weight relative to its page
    # view (0 = off), so that lone sentences are judged as they are in training.
    lone_view_weight: float = _bounded(0.0, NON_NEGATIVE)


@dataclass(frozen=True)
class CVConfig:
    """How real pages are grouped into cross-validation folds (see :mod:`nkdiplomacy.corpus.splits`)."""

    # "source": seed pages, KCNA and groups of outlets each held out whole; "story": KCNA split by
    # story; "article": leave one page out.
    scheme: str = "source"
    outlet_groups: int = _bounded(5, AT_LEAST_ONE)
    kcna_folds: int = _bounded(5, AT_LEAST_ONE)


@dataclass(frozen=True)
class MlflowConfig:
    """Where and how the run is tracked."""

    experiment: str = "nkdiplomacy"
    registered_model: str = "nk-diplomacy-segments"
    register: bool = True
    # The CV metric that decides whether the new version takes the `champion` alias.
    champion_metric: str = "cv_relevance_f1"


@dataclass(frozen=True)
class TrainConfig:
    """One training recipe."""

    name: str
    family: str
    seed: int = _bounded(13, Bound(0, 2**32 - 1))
    use_context: bool = True
    # Folds to run (0 = all folds of the scheme); smaller only for smoke tests.
    max_folds: int = _bounded(0, NON_NEGATIVE)
    # Cross-validate each variant the family declares (encoder: fp32 and int8) and keep the
    # cheapest one within one F1 point of the first (see nkdiplomacy.trainer.crossval).
    choose_variant: bool = False
    model: dict[str, Any] = field(default_factory=dict)
    data: DataConfig = field(default_factory=DataConfig)
    cv: CVConfig = field(default_factory=CVConfig)
    mlflow: MlflowConfig = field(default_factory=MlflowConfig)

    def flat(self) -> dict[str, Any]:
        """The config as dotted keys, for MLflow params."""
        out: dict[str, Any] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(f"{prefix}.{k}" if prefix else k, v)
            else:
                out[prefix] = ",".join(map(str, value)) if isinstance(value, list) else value

        walk("", self.resolved())
        return out

    def resolved(self) -> dict[str, Any]:
        """The whole recipe, defaults filled in (the family's own under ``model``, but for the
        top-level keys and the parameters ``choose_variant`` decides), as plain data: logged as the
        run's params and saved beside a trained model."""
        from nkdiplomacy.estimators import family_variants, model_class

        out = dataclasses.asdict(self)
        skip = {f.name for f in dataclasses.fields(self)}
        if self.choose_variant:
            skip |= {k for variant in family_variants(self.family) for k in variant}
        defaults = model_class(self.family).default_params()
        out["model"] = {**{k: v for k, v in defaults.items() if k not in skip}, **self.model}
        return out


def _type_ok(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (types.UnionType, typing.Union):
        return any(_type_ok(value, t) for t in typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is type(None):
        return value is None
    return isinstance(value, tp)


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is None and hasattr(tp, "__name__"):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _violation(value: Any, bound: Bound | None) -> str | None:
    """Why a number is out of ``bound`` or not finite; ``None`` when it is within, or is no number."""
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if numeric and isinstance(value, float) and math.isinf(value):
        return "must be a finite number"
    return bound.violation(value) if bound is not None and numeric else None


def _problem(value: Any, bound: Bound | None) -> str | None:
    """Why a well-typed recipe value is unacceptable: an empty string or list, or out of ``bound``."""
    if isinstance(value, (str, list)) and not (value.strip() if isinstance(value, str) else value):
        return "must not be empty"
    return _violation(value, bound)


def _require_mapping(raw: Any, where: str, key: str) -> None:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: '{key or 'top level'}' must be a mapping")


def _build(cls: type, raw: Any, where: str, prefix: str = "") -> Any:
    _require_mapping(raw, where, prefix.rstrip("."))
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in names:
            raise ConfigError(f"{where}: unknown key '{prefix}{key}'")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{where}: missing key '{prefix}{f.name}'")
            continue
        value, tp = raw[f.name], hints[f.name]
        if dataclasses.is_dataclass(tp):
            value = _build(tp, value, where, f"{prefix}{f.name}.")
        elif not _type_ok(value, tp):
            raise ConfigError(
                f"{where}: key '{prefix}{f.name}' must be {_type_name(tp)}, got {type(value).__name__} {value!r}"
            )
        elif problem := _problem(value, f.metadata.get("bound")):
            raise ConfigError(f"{where}: key '{prefix}{f.name}' {problem}, got {value!r}")
        elif tp is float:
            value = float(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def _one_of(where: str, key: str, value: str, choices: typing.Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(f"{where}: key '{key}' must be one of {', '.join(choices)}, got {value!r}")


def _check_model(cfg: TrainConfig, where: str) -> None:
    """The ``model`` keys against the family's hyper-parameters: known, well-typed, within bounds,
    one of the declared choices and not a top-level key; the parameters of nested first stages likewise."""
    from nkdiplomacy.estimators import family_variants

    variant_keys = {k for variant in family_variants(cfg.family) for k in variant}
    # Estimator parameters that are recipe keys too (use_context, seed): the trainer passes them on.
    top_level = {f.name for f in dataclasses.fields(TrainConfig)}
    _check_params(cfg.family, cfg.model, where, "model", top_level)
    if cfg.choose_variant and not variant_keys:
        raise ConfigError(f"{where}: key 'choose_variant': family {cfg.family!r} declares no variants")


def _check_params(family: str, given: dict, where: str, prefix: str, top_level: set[str]) -> None:
    from nkdiplomacy.estimators import model_class

    cls = model_class(family)
    params = cls.default_params()
    shared = top_level & set(params)
    known = ", ".join(sorted(set(params) - shared))
    for key, value in given.items():
        if key in shared:
            raise ConfigError(
                f"{where}: key '{prefix}.{key}' belongs at the top level: set '{key}' there only"
            )
        if key not in params:
            raise ConfigError(f"{where}: unknown key '{prefix}.{key}' for family {family!r} (known: {known})")
        default = params[key]
        expected = float if isinstance(default, float) else type(default)
        if default is not None and not _type_ok(value, expected):
            raise ConfigError(
                f"{where}: key '{prefix}.{key}' must be {expected.__name__}, got {type(value).__name__} {value!r}"
            )
        if problem := _violation(value, cls.param_bounds.get(key)):
            raise ConfigError(f"{where}: key '{prefix}.{key}' {problem}, got {value!r}")
        choices = cls.param_choices.get(key)
        if choices and value not in choices:
            raise ConfigError(
                f"{where}: key '{prefix}.{key}' must be one of {', '.join(choices)}, got {value!r}"
            )
    try:
        nested = cls.nested_params({**params, **given})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: key '{prefix}': {exc}") from None
    for key, sub_family, sub_params in nested:
        if sub_family not in FAMILIES:
            raise ConfigError(
                f"{where}: key '{prefix}.{key}.family' must be one of {', '.join(FAMILIES)}, got {sub_family!r}"
            )
        _check_params(sub_family, sub_params, where, f"{prefix}.{key}", top_level)


def champion_metrics() -> tuple[str, ...]:
    """The cross-validated metrics that may pick the ``champion`` (higher is better)."""
    from nkdiplomacy.trainer.metrics import SUMMARY_METRICS

    return tuple(f"cv_{view}{name}" for view in ("", "lone_") for name in SUMMARY_METRICS)


def parse_config(raw: Any, where: str = "<config>") -> TrainConfig:
    """Validate a parsed YAML mapping into a :class:`TrainConfig`."""
    from nkdiplomacy.corpus.splits import SCHEMES

    cfg = _build(TrainConfig, raw, where)
    _one_of(where, "family", cfg.family, FAMILIES)
    _check_model(cfg, where)
    _one_of(where, "cv.scheme", cfg.cv.scheme, SCHEMES)
    _one_of(where, "mlflow.champion_metric", cfg.mlflow.champion_metric, champion_metrics())
    return cfg


def _read_yaml(path: Path) -> Any:
    """A recipe file's YAML, or a one-line :class:`ConfigError` naming the file."""
    import yaml

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(os_error_line(path, exc, "a recipe file")) from None
    if b"\0" in data:
        raise ConfigError(f"{path}: a binary file, not a YAML recipe")
    if len(data) > MAX_RECIPE_BYTES:
        raise ConfigError(
            f"{path}: {len(data):,} bytes, over the {MAX_RECIPE_BYTES:,}-byte limit of a recipe"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(utf8_error_line(path, exc)) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML (nested too deeply)") from None
    _check_size(raw, path)
    return raw


def _check_size(raw: Any, path: Path) -> None:
    """At most :data:`MAX_RECIPE_VALUES` values, counted as YAML aliases expand them (so an alias
    bomb is refused here, before anything walks it) and at most 20 levels deep."""
    stack, seen = [(raw, 0)], 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_RECIPE_VALUES or depth > 20:
            raise ConfigError(
                f"{path}: recipe too large or too deeply nested (over {MAX_RECIPE_VALUES:,} values "
                "once YAML aliases are expanded, or over 20 levels)"
            )
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)


def _resolve_data_files(raw: dict, folder: Path) -> None:
    """Make the recipe's data paths, or :data:`DEFAULT_DATA_FILES` when it names none, relative to
    its folder (absolute ones stay as they are)."""
    data = raw.setdefault("data", {})
    if isinstance(data, dict) and "files" not in data:
        data["files"] = list(DEFAULT_DATA_FILES)
    files = data.get("files") if isinstance(data, dict) else None
    if isinstance(files, list):
        data["files"] = [os.path.normpath(folder / f) if isinstance(f, str) else f for f in files]


def _override(raw: dict, dotted: str, value: Any, where: str) -> None:
    node = raw
    *parents, leaf = dotted.split(".")
    for depth, key in enumerate(parents, start=1):
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(
                f"{where}: key '{'.'.join(parents[:depth])}' is {type(node).__name__} {node!r}, "
                f"not a mapping: cannot set '{dotted}'"
            )
    node[leaf] = value


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read and validate a recipe file; ``overrides`` maps dotted keys to values.

    Data paths in the file (:data:`DEFAULT_DATA_FILES` when it names none) are resolved against
    its folder; ``data.files`` given as an override is taken as given (relative to the current folder).

    Raises:
        ConfigError: on an unreadable file or YAML, an unknown key, a wrong type or a value out of bounds.
    """
    path = Path(path)
    where = str(path)
    raw = _read_yaml(path)
    raw = {} if raw is None else raw
    _require_mapping(raw, where, "")
    _resolve_data_files(raw, path.parent)
    for dotted, value in (overrides or {}).items():
        _override(raw, dotted, value, where)
    return parse_config(raw, where)
