"""The package's imports point one way: cli -> trainer/labeling -> serving -> estimators -> text/corpus -> schema.

Every ``import`` of a ``nkdiplomacy`` module, at the top of a file or inside a function, is read
from the source with :mod:`ast`; a module may import its own subpackage and any lower layer, never
a higher one or a sibling of its own layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nkdiplomacy"

# Layer of each top-level part of the package, lowest first.
LAYERS = {
    "records": 0,
    "schema": 0,
    "bounds": 0,
    "extras": 0,
    "mlflow_store": 0,
    "files": 0,
    "writing": 0,
    "text": 1,
    "corpus": 1,
    "estimators": 2,
    "serving": 3,
    "trainer": 4,
    "labeling": 4,
    "cli": 5,
    "__init__": 5,
}


def _part(module: str) -> str:
    """``nkdiplomacy.serving.batch`` -> ``serving``; a public name of the package -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "nkdiplomacy"]
        elif isinstance(node, ast.ImportFrom) and node.module == "nkdiplomacy":
            # ``from nkdiplomacy import mlflow_store`` names a module; ``__version__`` is the version string.
            found += [(node.lineno, f"nkdiplomacy.{a.name}") for a in node.names if a.name != "__version__"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "nkdiplomacy":
            found.append((node.lineno, node.module))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_default_model" not in p.parts)


def test_every_part_of_the_package_has_a_layer():
    parts = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in _modules()}
    assert parts <= set(LAYERS), f"no layer for {sorted(parts - set(LAYERS))}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_never_run_up_a_layer_or_across_one(path):
    importer = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    wrong = []
    for line, module in _imports(path):
        imported = _part(module)
        if imported == importer:
            continue
        if LAYERS[imported] >= LAYERS[importer] and not (LAYERS[imported] == LAYERS[importer] == 0):
            wrong.append(
                f"{path.relative_to(PACKAGE)}:{line} imports {module} ({imported} is not below {importer})"
            )
    assert not wrong, "\n".join(wrong)
