"""Training recipes: YAML files validated into typed dataclasses.

A recipe names the model family, its hyper-parameters, the data files, the
seed and the MLflow experiment. Unknown keys and wrong types are errors that
name the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nkdiplomacy.modeling import FAMILIES


class ConfigError(ValueError):
    """An invalid recipe; the message names the file and the key."""


@dataclass(frozen=True)
class DataConfig:
    """Annotation files. Real and seed records are evaluated; synthetic ones only train."""

    files: list[str] = field(
        default_factory=lambda: [
            "data/annotations/seed.jsonl",
            "data/annotations/real/kcna.jsonl",
            "data/annotations/real/western.jsonl",
            "data/annotations/synthetic.jsonl",
        ]
    )
    # Real records keep at least this share of the total training weight.
    min_real_weight_share: float = 0.5
    # Use at most this many synthetic documents (0 = all); for quick recipes and tests.
    max_synthetic_docs: int = 0
    # Also train on every segment alone (a one-line article), at this weight relative to its page
    # view (0 = off), so that lone sentences are judged as they are in training.
    lone_view_weight: float = 0.0


@dataclass(frozen=True)
class CVConfig:
    """How real pages are grouped into cross-validation folds (see :mod:`nkdiplomacy.splits`)."""

    # "source": seed pages, KCNA and groups of outlets each held out whole; "story": KCNA split by
    # story; "article": leave one page out.
    scheme: str = "source"
    outlet_groups: int = 5
    kcna_folds: int = 5


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
    seed: int = 13
    use_context: bool = True
    # Folds to run (0 = all folds of the scheme); smaller only for smoke tests.
    max_folds: int = 0
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

        walk("", dataclasses.asdict(self))
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


def _build(cls: type, raw: Any, where: str, prefix: str = "") -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: '{prefix or 'top level'}' must be a mapping")
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
        elif tp is float:
            value = float(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def parse_config(raw: Any, where: str = "<config>") -> TrainConfig:
    """Validate a parsed YAML mapping into a :class:`TrainConfig`."""
    cfg = _build(TrainConfig, raw, where)
    if cfg.family not in FAMILIES:
        raise ConfigError(f"{where}: key 'family' must be one of {', '.join(FAMILIES)}, got {cfg.family!r}")
    from nkdiplomacy.modeling import estimator_class  # light: no heavy imports

    params = estimator_class(cfg.family).default_params()
    for key, value in cfg.model.items():
        if key not in params:
            raise ConfigError(
                f"{where}: unknown key 'model.{key}' for family {cfg.family!r} (known: {', '.join(sorted(params))})"
            )
        default = params[key]
        expected = float if isinstance(default, float) else type(default)
        if default is not None and not _type_ok(value, expected):
            raise ConfigError(
                f"{where}: key 'model.{key}' must be {expected.__name__}, got {type(value).__name__} {value!r}"
            )
    from nkdiplomacy.splits import SCHEMES

    if cfg.cv.scheme not in SCHEMES:
        raise ConfigError(
            f"{where}: key 'cv.scheme' must be one of {', '.join(SCHEMES)}, got {cfg.cv.scheme!r}"
        )
    if cfg.cv.outlet_groups < 1 or cfg.cv.kcna_folds < 1:
        raise ConfigError(f"{where}: keys 'cv.outlet_groups' and 'cv.kcna_folds' must be at least 1")
    if cfg.data.lone_view_weight < 0:
        raise ConfigError(f"{where}: key 'data.lone_view_weight' must be 0 or more")
    if not 0.0 <= cfg.data.min_real_weight_share <= 1.0:
        raise ConfigError(f"{where}: key 'data.min_real_weight_share' must be between 0 and 1")
    return cfg


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read and validate a recipe file; ``overrides`` maps dotted keys to values.

    Raises:
        ConfigError: on unreadable YAML, an unknown key or a wrong type.
    """
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    raw = raw or {}
    for dotted, value in (overrides or {}).items():
        node = raw
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return parse_config(raw, str(path))
