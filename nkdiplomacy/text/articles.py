"""Read articles for prediction: files, folders (recursively) and standard input.

Each problem with one input is reported as an :class:`InputError` naming it;
the other inputs are still read.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nkdiplomacy.files import os_error_line

ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
STDIN = "-"
# The source name of the article read from standard input.
STDIN_SOURCE = "<stdin>"
DEFAULT_MAX_BYTES = 5_000_000
MAX_SIZE = 1_000_000_000_000  # 1 TB: past it a size is a typo, and would overflow a read

_SIZE = re.compile(r"(\d+)\s*([kmg]?)b?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
# Byte-order marks, which win over any declared charset (UTF-8's is stripped by utf-8-sig).
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">.
_META_CHARSET = re.compile(rb"""<meta\b[^>]{0,1024}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_CHARSET_SCAN = 65_536
# Browsers decode these labels as their supersets (WHATWG Encoding Standard), and so do we;
# a page cannot declare UTF-16 in a meta tag it could be read from as ASCII, so that means UTF-8;
# browsers never decode UTF-7 (it hides markup in plain letters), so neither do we: UTF-8.
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "euc_kr": "cp949",
    "utf-16": "utf-8",
    "utf-7": "utf-8",
}


class InputError(ValueError):
    """One input that cannot be read; the message names it."""


@dataclass(frozen=True)
class Article:
    """An article's text, named by where it came from."""

    doc_id: str
    source: str
    text: str


def parse_size(text: str) -> int:
    """Bytes in ``5000000``, ``500K``, ``5M`` or ``1GB`` (decimal units); ``0`` means no limit."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 5M, 500K or a number of bytes)")
    size = int(match[1]) * _UNITS[match[2].lower()]
    if size > MAX_SIZE:
        raise ValueError(f"{text!r} is larger than any file this can read (at most {format_size(MAX_SIZE)})")
    return size


def format_size(n: int) -> str:
    """``5 MB``, ``500 KB`` or ``1234 bytes``."""
    for unit, size in (("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


# inscriptis walks the tree recursively: tags nested deeper than this are unwrapped (their text
# kept, in order) so that no page is cut short; libxml2 itself reads at most MAX_HTML_DEPTH levels.
_WALK_DEPTH = 200
MAX_HTML_DEPTH = 2048
_XML_DECLARATION = re.compile(r"^<\?xml [^>]+?\?>")


def html_to_text(html: str, name: str = "<html>") -> str:
    """Visible text of an HTML page, one block (paragraph, heading, list item, caption...) per line.

    Nothing visible is dropped: navigation, captions and teasers stay, so the
    model classifies the furniture instead of an extractor silently removing it.
    Scripts, styles and other invisible elements are skipped. Tags nested past
    ``_WALK_DEPTH`` (unclosed ``<font>`` runs, say) are unwrapped, their text kept; a page nested
    past :data:`MAX_HTML_DEPTH`, which the HTML parser cannot read whole, is an :class:`InputError`.
    """
    import lxml.html
    from inscriptis import Inscriptis
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.model.config import ParserConfig
    from lxml.etree import ParserError

    html = html.strip()
    if not html:
        return ""
    if html.startswith("<?xml "):  # as inscriptis does: lxml refuses a str with an encoding declaration
        html = _XML_DECLARATION.sub("", html, count=1)
    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        tree = lxml.html.document_fromstring(html, parser=parser)
    except ParserError:
        tree = lxml.html.document_fromstring("<pre>" + html + "</pre>", parser=parser)
    if any("depth" in str(e.message).lower() for e in parser.error_log):
        raise InputError(f"{name}: HTML nested deeper than {MAX_HTML_DEPTH} tags, cannot be read whole")
    _unwrap_deep(tree, _WALK_DEPTH)
    return Inscriptis(tree, ParserConfig(css=CSS_PROFILES["strict"], display_images=False)).get_text()


def _unwrap_deep(tree, max_depth: int) -> None:
    """Unwrap every element nested deeper than ``max_depth`` (deepest first), keeping its text and tail."""
    deep, stack = [], [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            deep.append(node)
        stack.extend((child, depth + 1) for child in node if isinstance(child.tag, str))
    for node in reversed(deep):
        node.drop_tag()


def _encoding(data: bytes, html: bool) -> tuple[str, str]:
    """The codec for ``data`` and the name to report: a BOM's, else an HTML page's charset, else UTF-8."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, codec.removesuffix("-sig").upper()
    declared = _META_CHARSET.search(data[:_CHARSET_SCAN]) if html else None
    if declared is None:
        return "utf-8", "UTF-8"
    label = declared[1].decode("ascii")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        name = label  # reported as unknown when decoding
    return _SUPERSETS.get(name, name), label


def _binary(name: str) -> InputError:
    return InputError(f"{name}: binary file, not text")


def decode(data: bytes, name: str, html: bool = False) -> str:
    """Text of an input, refusing empty and binary data and bytes invalid in its encoding.

    The encoding is UTF-8, unless a byte-order mark says UTF-16, or an HTML page
    (``html=True``) declares its charset in a ``<meta>`` tag.
    """
    if not data.strip():
        raise InputError(f"{name}: empty file")
    codec, label = _encoding(data, html)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        if b"\x00" in data:
            raise _binary(name) from None
        raise InputError(f"{name}: not {label} text (invalid byte at offset {exc.start})") from None
    except (LookupError, UnicodeError):  # no such codec, or not a text encoding (base64, rot13...)
        raise InputError(f"{name}: unknown charset {label!r} declared in the page") from None
    if "\x00" in text:
        raise _binary(name)
    return text


def _read_limited(stream: BinaryIO, name: str, max_bytes: int) -> bytes:
    """All of ``stream``, or an error when it holds more than ``max_bytes`` (0: no limit)."""
    data = stream.read(max_bytes + 1) if max_bytes else stream.read()
    if max_bytes and len(data) > max_bytes:
        raise InputError(f"{name}: larger than the {format_size(max_bytes)} limit (see --max-bytes)")
    return data


def _doc_id(path: Path) -> str:
    return path.stem


def read_article(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """One article file (``.html``/``.htm`` are turned into text lines first)."""
    try:
        with path.open("rb") as stream:
            data = _read_limited(stream, str(path), max_bytes)
    except OSError as exc:
        raise InputError(os_error_line(path, exc, "an article file")) from None
    html = path.suffix.lower() in HTML_SUFFIXES
    text = decode(data, str(path), html=html)
    if html:
        text = html_to_text(text, str(path))
        if not text.strip():
            raise InputError(f"{path}: HTML page with no visible text")
    return Article(doc_id=_doc_id(path), source=str(path), text=text)


def read_stdin(max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """The article on standard input, read as text."""
    if sys.stdin is None:  # started with standard input closed (`<&-`)
        raise InputError(f"{STDIN_SOURCE}: standard input is closed")
    data = _read_limited(sys.stdin.buffer, STDIN_SOURCE, max_bytes)
    return Article(doc_id="stdin", source=STDIN_SOURCE, text=decode(data, STDIN_SOURCE))


def _folder_files(folder: Path) -> tuple[list[Path], list[InputError]]:
    """The article files under ``folder``, sorted, and an error for each sub-folder that cannot be read.

    Symbolic links to folders are followed, except to ``folder`` itself, a folder above it or one
    already searched (so a link loop ends)."""
    root = folder.resolve()
    seen: set[Path] = set()
    files: list[Path] = []
    errors: list[InputError] = []

    def visit(current: Path) -> None:
        real = current.resolve()
        if real in seen or (current != folder and (real == root or real in root.parents)):
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            errors.append(InputError(f"{current}: cannot read folder ({exc.strerror})"))
            return
        for entry in entries:
            try:
                is_dir, is_file = entry.is_dir(), entry.is_file()
            except OSError:
                continue
            if is_dir:
                visit(Path(entry.path))
            elif is_file and Path(entry.name).suffix.lower() in ARTICLE_SUFFIXES:
                files.append(Path(entry.path))

    visit(folder)
    return sorted(files), errors


def expand(paths: list[str]) -> Iterator[Path | str | InputError]:
    """Files named by ``paths``: folders are searched recursively for article files (links to folders
    followed); a sub-folder that cannot be read is an error of its own, the rest is still read."""
    for raw in paths:
        if raw == STDIN:
            yield STDIN
            continue
        path = Path(raw)
        if path.is_dir():
            files, errors = _folder_files(path)
            yield from errors
            if not files and not errors:
                yield InputError(f"{path}: folder has no .txt or .html files")
            yield from files
        elif not path.exists():
            yield InputError(f"{path}: no such file or folder")
        else:
            yield path


def iter_articles(paths: list[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | InputError]:
    """Articles from files, folders and ``-``, with an :class:`InputError` in place of each bad one.

    An input larger than ``max_bytes`` (0: no limit) is an error.
    """
    for item in expand(paths):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield read_stdin(max_bytes) if item == STDIN else read_article(item, max_bytes)
        except InputError as exc:
            yield exc
