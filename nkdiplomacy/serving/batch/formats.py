"""Telling the input format of a batch job (Parquet or JSON Lines) from its name or its folder's files."""

from __future__ import annotations

from pathlib import Path

from nkdiplomacy.serving.batch.errors import BatchError
from nkdiplomacy.serving.locate import is_remote, local_path

INPUT_FORMATS = ("auto", "parquet", "jsonl")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zst", ".snappy", ".lz4", ".deflate")


def _format_of_name(name: str) -> str | None:
    name = name.lower()
    for comp in _COMPRESSION_SUFFIXES:
        if name.endswith(comp) and not name.endswith(".parquet" + comp):
            name = name[: -len(comp)]
    if name.endswith(_PARQUET_SUFFIXES) or ".parquet" in name:
        return "parquet"
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    return None


def _format_of_folder(path: Path, input_path: str) -> str:
    """The one format of a folder's data files (Spark's ``_SUCCESS``, ``.crc`` and the like left out)."""
    files = [
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
    ]
    found = {_format_of_name(p.name) for p in files} - {None}
    if len(found) == 1:
        return found.pop()
    what = "both Parquet and JSON Lines files" if found else "no .parquet or .jsonl/.json files"
    raise BatchError(f"{input_path}: folder has {what}; pass the input format (parquet or jsonl)")


def detect_format(input_path: str, input_format: str = "auto") -> str:
    """``parquet`` or ``jsonl``: as given, or from the file's suffix or the folder's files.

    Raises:
        BatchError: the input does not exist (local paths) or its format cannot be told.
    """
    if input_format not in INPUT_FORMATS:
        raise BatchError(f"input format must be one of {', '.join(INPUT_FORMATS)}, got {input_format!r}")
    if not is_remote(input_path):
        path = local_path(input_path)
        if not path.exists():
            raise BatchError(f"{input_path}: no such input file or folder")
        if input_format != "auto":
            return input_format
        if path.is_dir():
            return _format_of_folder(path, input_path)
        fmt = _format_of_name(path.name)
    else:
        if input_format != "auto":
            return input_format
        fmt = _format_of_name(input_path.rstrip("/").rsplit("/", 1)[-1])
    if fmt is None:
        raise BatchError(
            f"{input_path}: cannot tell the format from the name (.parquet or .jsonl/.json); "
            "pass the input format (parquet or jsonl)"
        )
    return fmt
