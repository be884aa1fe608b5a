import pytest
from conftest import REPO

from nkdiplomacy.config import ConfigError, load_config, parse_config
from nkdiplomacy.modeling import FAMILIES

BASE = {"name": "t", "family": "tfidf"}


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_recipe_is_valid(path):
    cfg = load_config(path)
    assert cfg.family in FAMILIES
    assert all((REPO / f).exists() for f in cfg.data.files)


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
    ],
)
def test_invalid_recipe_names_the_key(raw, message):
    with pytest.raises(ConfigError, match="^recipe.yaml: ") as err:
        parse_config(raw, "recipe.yaml")
    assert message in str(err.value)


def test_int_is_accepted_where_float_is_expected():
    assert parse_config({**BASE, "model": {"C": 2}}, "r").model == {"C": 2}


def test_overrides_set_dotted_keys(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: r\nfamily: tfidf\n")
    cfg = load_config(path, {"data.max_synthetic_docs": 3, "model.C": 0.5, "seed": 7})
    assert (cfg.data.max_synthetic_docs, cfg.model["C"], cfg.seed) == (3, 0.5, 7)


def test_unreadable_yaml_is_one_line_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match=f"^{path}: not valid YAML") as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_missing_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "none.yaml")


def test_flat_params_use_dotted_keys():
    flat = parse_config({**BASE, "model": {"C": 2.0}}, "r").flat()
    assert flat["model.C"] == 2.0 and flat["data.min_real_weight_share"] == 0.5
    assert flat["data.files"].endswith("synthetic.jsonl")
