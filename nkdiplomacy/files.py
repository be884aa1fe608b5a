"""Reading a user's file: each way it can fail is one line naming the file."""

from __future__ import annotations

from pathlib import Path


def os_error_line(path: str | Path, exc: OSError, kind: str) -> str:
    """One line for an ``OSError`` raised while opening or reading ``path``, expected to be ``kind``
    (e.g. ``"a recipe file"``): missing, a folder, or the system's reason."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a folder, not {kind}"
    return f"{path}: cannot read ({exc.strerror})"


def utf8_error_line(path: str | Path, exc: UnicodeDecodeError) -> str:
    """One line for bytes of ``path`` that are not UTF-8, naming the first bad byte."""
    return f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"


def read_utf8(path: Path, error: type[Exception], kind: str) -> str:
    """The UTF-8 text of ``path``, or ``error`` with one line naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(utf8_error_line(path, exc)) from None
    except OSError as exc:
        raise error(os_error_line(path, exc, kind)) from None
