from pathlib import Path

import pytest
from conftest import REPO

from nkdiplomacy.estimators import FAMILIES, model_class
from nkdiplomacy.trainer.recipe import ConfigError, load_config, parse_config

BASE = {"name": "t", "family": "tfidf"}


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_recipe_is_valid_and_finds_its_data_from_any_folder(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(path)
    assert cfg.family in FAMILIES
    assert all(Path(f).is_file() for f in cfg.data.files)


@pytest.mark.parametrize(
    "raw, message",
    [
        ({**BASE, "sed": 1}, "unknown key 'sed'"),
        ({**BASE, "seed": "1"}, "key 'seed' must be int, got str"),
        ({**BASE, "use_context": "yes"}, "key 'use_context' must be bool"),
        ({**BASE, "data": {"file": []}}, "unknown key 'data.file'"),
        ({**BASE, "data": {"files": "a.jsonl"}}, "key 'data.files' must be list[str]"),
        ({**BASE, "mlflow": {"register": 1}}, "key 'mlflow.register' must be bool"),
        ({**BASE, "model": {"CC": 1.0}}, "unknown key 'model.CC' for family 'tfidf'"),
        ({**BASE, "model": {"C": "big"}}, "key 'model.C' must be float, got str"),
        ({**BASE, "family": "svm"}, "key 'family' must be one of tfidf, encoder, finetune"),
        ({"family": "tfidf"}, "missing key 'name'"),
        ({**BASE, "data": {"min_real_weight_share": 1.5}}, "between 0 and 1"),
        ({**BASE, "model": {"C": -1.0}}, "key 'model.C' must be greater than 0, got -1.0"),
        ({**BASE, "model": {"C": float("nan")}}, "key 'model.C' must be greater than 0"),
        ({**BASE, "model": {"threshold": 2}}, "key 'model.threshold' must be between 0 and 1, got 2"),
        ({**BASE, "model": {"max_features": -5}}, "key 'model.max_features' must be 1 or more, got -5"),
        (
            {**BASE, "family": "stacked", "model": {"inner_folds": 1}},
            "key 'model.inner_folds' must be 2 or more",
        ),
        ({**BASE, "max_folds": -3}, "key 'max_folds' must be 0 or more, got -3"),
        ({**BASE, "cv": {"kcna_folds": 0}}, "key 'cv.kcna_folds' must be 1 or more, got 0"),
        ({**BASE, "data": {"files": []}}, "key 'data.files' must not be empty"),
        ({**BASE, "name": ""}, "key 'name' must not be empty"),
        ({**BASE, "name": "  "}, "key 'name' must not be empty"),
        (
            {**BASE, "mlflow": {"champion_metric": "cv_relevence_f1"}},
            "key 'mlflow.champion_metric' must be one of",
        ),
        ([BASE], "'top level' must be a mapping"),
        ({**BASE, "model": {"seed": 3}}, "key 'model.seed' belongs at the top level: set 'seed' there only"),
        ({**BASE, "model": {"use_context": False}}, "key 'model.use_context' belongs at the top level"),
        (
            {**BASE, "family": "encoder", "model": {"precision": "auto"}},
            "key 'model.precision' must be one of int8, fp32, static, got 'auto'",
        ),
        ({**BASE, "choose_variant": True}, "key 'choose_variant': family 'tfidf' declares no variants"),
        ({**BASE, "model": {"names": "hidden"}}, "key 'model.names' must be one of raw, masked, both"),
        (
            {**BASE, "model": {"context_weight": float("inf")}},
            "key 'model.context_weight' must be a finite number",
        ),
        (
            {**BASE, "data": {"lone_view_weight": float("inf")}},
            "key 'data.lone_view_weight' must be a finite number",
        ),
        (
            {**BASE, "family": "stacked", "model": {"base_params": {"Cx": 1}}},
            "unknown key 'model.base_params.Cx' for family 'encoder'",
        ),
        (
            {**BASE, "family": "stacked", "model": {"base_params": {"precision": "int4"}}},
            "key 'model.base_params.precision' must be one of int8, fp32, static",
        ),
        (
            {**BASE, "family": "stacked", "model": {"base_family": "tfidf", "base_params": {"C": -2.0}}},
            "key 'model.base_params.C' must be greater than 0",
        ),
        (
            {**BASE, "family": "stacked", "model": {"extra_bases": [{"family": "svm"}]}},
            "key 'model.extra_bases[0].family' must be one of",
        ),
        (
            {**BASE, "family": "stacked", "model": {"extra_bases": [{"family": "tfidf", "names": "x"}]}},
            "key 'model.extra_bases[0].names' must be one of raw, masked, both",
        ),
        (
            {**BASE, "family": "stacked", "model": {"extra_bases": [{"names": "masked"}]}},
            "each of extra_bases must be a mapping with a 'family'",
        ),
        (
            {**BASE, "family": "stacked", "model": {"base_params": "fast"}},
            "base_params must be a mapping, got 'fast'",
        ),
    ],
)
def test_invalid_recipe_names_the_key(raw, message):
    with pytest.raises(ConfigError, match="^recipe.yaml: ") as err:
        parse_config(raw, "recipe.yaml")
    assert message in str(err.value)


@pytest.mark.parametrize("family", FAMILIES)
def test_bounds_are_declared_for_the_family_s_own_parameters(family):
    cls = model_class(family)
    assert set(cls.param_bounds) <= set(cls.default_params())
    assert all(b.violation(cls.default_params()[k]) is None for k, b in cls.param_bounds.items())


def test_int_is_accepted_where_float_is_expected():
    assert parse_config({**BASE, "model": {"C": 2}}, "r").model == {"C": 2}


def test_overrides_set_dotted_keys(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: r\nfamily: tfidf\n")
    cfg = load_config(path, {"data.max_synthetic_docs": 3, "model.C": 0.5, "seed": 7})
    assert (cfg.data.max_synthetic_docs, cfg.model["C"], cfg.seed) == (3, 0.5, 7)


def test_override_under_a_scalar_names_the_scalar_key(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: r\nfamily: tfidf\n")
    with pytest.raises(
        ConfigError, match=f"^{path}: key 'name' is str 'r', not a mapping: cannot set 'name.x'$"
    ):
        load_config(path, {"name.x": 1})


def test_override_on_a_recipe_that_is_a_list_is_one_line_error(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("- name: r\n  family: tfidf\n")
    with pytest.raises(ConfigError, match=f"^{path}: 'top level' must be a mapping$"):
        load_config(path, {"seed": 1})


def test_recipe_data_paths_are_relative_to_the_recipe_folder(tmp_path, monkeypatch):
    (tmp_path / "recipes").mkdir()
    path = tmp_path / "recipes" / "r.yaml"
    path.write_text(f"name: r\nfamily: tfidf\ndata:\n  files: [../data/a.jsonl, {tmp_path / 'b.jsonl'}]\n")
    monkeypatch.chdir(tmp_path)
    assert load_config("recipes/r.yaml").data.files == ["data/a.jsonl", str(tmp_path / "b.jsonl")]
    monkeypatch.chdir(REPO)
    assert load_config(path).data.files == [str(tmp_path / "data" / "a.jsonl"), str(tmp_path / "b.jsonl")]


def test_a_recipe_naming_no_data_reads_the_annotations_beside_its_folder_not_the_package(tmp_path):
    (tmp_path / "configs").mkdir()
    path = tmp_path / "configs" / "r.yaml"
    path.write_text("name: r\nfamily: tfidf\n")
    files = load_config(path).data.files
    assert files[0] == str(tmp_path / "data" / "annotations" / "seed.jsonl")
    assert all(f.startswith(str(tmp_path / "data" / "annotations")) for f in files)


def test_data_files_given_as_override_are_relative_to_the_current_folder(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: r\nfamily: tfidf\ndata:\n  files: [a.jsonl]\n")
    assert load_config(path, {"data.files": ["data/x.jsonl"]}).data.files == ["data/x.jsonl"]


@pytest.mark.parametrize(
    "content, reason",
    [
        (None, "is a folder, not a recipe file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file, not a YAML recipe"),
        ("name: caf\u00e9\nfamily: tfidf\n".encode("latin-1"), "not UTF-8 text"),
        (b"[" * 100_000, "not valid YAML"),
    ],
    ids=["folder", "binary", "latin-1", "deeply-nested"],
)
def test_config_that_is_not_a_yaml_text_file_is_one_line_error(tmp_path, content, reason):
    path = tmp_path / "recipe.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=f"^{path}: {reason}") as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_unreadable_yaml_is_one_line_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match=f"^{path}: not valid YAML") as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_missing_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "none.yaml")


def test_flat_params_use_dotted_keys():
    flat = parse_config({**BASE, "model": {"C": 2.0}}, "r").flat()
    assert flat["model.C"] == 2.0 and flat["data.min_real_weight_share"] == 0.5
    assert flat["data.files"].endswith("synthetic.jsonl")


def test_shipped_recipes_state_only_what_differs_from_the_defaults():
    import yaml

    from nkdiplomacy.trainer.recipe import TrainConfig

    for path in sorted((REPO / "configs").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        defaults = model_class(raw["family"]).default_params()
        assert all(defaults.get(k) != v for k, v in raw.get("model", {}).items()), path.name
        top = {k: v for k, v in raw.items() if k not in ("model", "data", "cv", "mlflow")}
        assert all(
            getattr(TrainConfig(name="x", family="tfidf"), k) != v
            for k, v in top.items()
            if k not in ("name", "family")
        ), path.name


def test_resolved_recipe_fills_in_every_default():
    resolved = parse_config(BASE, "r").resolved()
    assert resolved["seed"] == 13 and resolved["data"]["min_real_weight_share"] == 0.5
    assert resolved["mlflow"]["registered_model"] == "nk-diplomacy-segments"
    assert resolved["model"]["C"] == 4.0 and "seed" not in resolved["model"]
    encoder = parse_config({"name": "e", "family": "encoder", "choose_variant": True}, "r").resolved()
    assert "precision" not in encoder["model"] and encoder["model"]["max_length"] == 128


def test_a_yaml_alias_bomb_is_refused_before_anything_walks_it(tmp_path):
    lines = ["name: bomb", "family: stacked", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)
    ]
    lines += ["model:", "  base_params: {nested: *a8}"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="recipe too large or too deeply nested"):
        load_config(path)


def test_a_recipe_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("name: big\nfamily: tfidf\n# " + "x" * 300_000 + "\n")
    with pytest.raises(ConfigError, match="over the 256,000-byte limit of a recipe"):
        load_config(path)
