"""Optional dependencies: the one check that names the extra to install.

The core install predicts with the shipped model; tracking, training and Spark
come with extras (``pip install 'nkdiplomacy[mlflow]'``, ``[train]``,
``[spark]``; see pyproject.toml). Code about to import a library of an extra
calls :func:`require` first, so that a missing one is one clear line rather
than a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

from importlib.util import find_spec


class MissingExtra(ImportError):
    """A library of an extra that is not installed (the command line prints it as one error line)."""


def require(extra: str, *modules: str, what: str) -> None:
    """Raise :class:`MissingExtra` unless every one of ``modules`` can be imported.

    ``what`` names the feature that needs them, e.g. ``"nkdiplomacy batch"``.
    Nothing is imported here.
    """
    for module in modules:
        if find_spec(module) is None:
            raise MissingExtra(
                f"{what} needs {module}, which is not installed: pip install 'nkdiplomacy[{extra}]'",
                name=module,
            )
