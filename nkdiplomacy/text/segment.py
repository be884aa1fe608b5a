"""Split a scraped article into segments, as the labeling guide defines them.

A segment is one non-empty line after stripping whitespace. Text is normalised:
Unicode NFC, ``\\'`` and ``\\"`` unescaped, runs of whitespace (tabs, no-break
spaces, other Unicode spaces) collapsed to one space. Duplicate lines are kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from nkdiplomacy.records import Segment

# Line ends: CRLF, lone CR, LF, and the Unicode line/paragraph separators.
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
# `\s` in Python's re covers tabs, NBSP (U+00A0), U+2000-U+200A, U+3000 and so on;
# zero-width spaces and the BOM are not whitespace, so they are removed explicitly.
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060]")


def normalize(text: str) -> str:
    """Normalise one line: NFC, unescape ``\\'``/``\\"``, collapse whitespace, strip."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\\'", "'").replace('\\"', '"')
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def iter_lines(text: str) -> Iterator[str]:
    """Normalised non-empty lines of ``text``, in order."""
    for line in _LINE_BREAK.split(text):
        line = normalize(line)
        if line:
            yield line


def segment(text: str, doc_id: str = "doc") -> list[Segment]:
    """Split an article into segments with ``seg_id`` 0, 1, 2, ...

    >>> [s.text for s in segment("Title\\r\\n\\r\\n  Body\\u00a0text \\n")]
    ['Title', 'Body text']
    """
    return [Segment(doc_id=doc_id, seg_id=i, text=line) for i, line in enumerate(iter_lines(text))]
