"""Read articles for prediction: files, folders (recursively) and standard input.

Each problem with one input is reported as an :class:`InputError` naming it;
the other inputs are still read.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
STDIN = "-"


class InputError(ValueError):
    """One input that cannot be read; the message names it."""


@dataclass(frozen=True)
class Article:
    """An article's text, named by where it came from."""

    doc_id: str
    source: str
    text: str


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block (paragraph, heading, list item, caption...) per line.

    Nothing visible is dropped: navigation, captions and teasers stay, so the
    model classifies the furniture instead of an extractor silently removing it.
    Scripts, styles and other invisible elements are skipped.
    """
    from inscriptis import get_text
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.model.config import ParserConfig

    return get_text(html, ParserConfig(css=CSS_PROFILES["strict"], display_images=False))


def decode(data: bytes, name: str) -> str:
    """UTF-8 text of an input, refusing empty, binary and non-UTF-8 data."""
    if not data.strip():
        raise InputError(f"{name}: empty file")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (invalid byte at offset {exc.start})") from None


def _doc_id(path: Path) -> str:
    return path.stem


def read_article(path: Path) -> Article:
    """One article file (``.html``/``.htm`` are turned into text lines first)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    text = decode(data, str(path))
    if path.suffix.lower() in (".html", ".htm"):
        text = html_to_text(text)
        if not text.strip():
            raise InputError(f"{path}: HTML page with no visible text")
    return Article(doc_id=_doc_id(path), source=str(path), text=text)


def expand(paths: list[str]) -> Iterator[Path | str | InputError]:
    """Files named by ``paths``: folders are searched recursively for article files."""
    for raw in paths:
        if raw == STDIN:
            yield STDIN
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
            if not files:
                yield InputError(f"{path}: folder has no .txt or .html files")
            yield from files
        elif not path.exists():
            yield InputError(f"{path}: no such file or folder")
        else:
            yield path


def iter_articles(paths: list[str]) -> Iterator[Article | InputError]:
    """Articles from files, folders and ``-``, with an :class:`InputError` in place of each bad one."""
    for item in expand(paths):
        if isinstance(item, InputError):
            yield item
        elif item == STDIN:
            try:
                yield Article(
                    doc_id="stdin", source="<stdin>", text=decode(sys.stdin.buffer.read(), "<stdin>")
                )
            except InputError as exc:
                yield exc
        else:
            try:
                yield read_article(item)
            except InputError as exc:
                yield exc
