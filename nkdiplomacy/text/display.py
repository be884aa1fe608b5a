"""Page text is untrusted wherever it is shown: neutralised for terminals and for spreadsheets.

- :func:`for_terminal`: control characters (ESC and the rest of C0 and C1, DEL; tab and newline
  too, so that a file name cannot forge a line) and Unicode bidirectional controls (overrides,
  embeddings, isolates, marks) are written as visible escapes (``\\x1b``, ``\\u202e``), so page text
  or a file name can neither move the cursor, retitle the terminal, clear the screen nor reorder
  what is shown. ``table``, ``text`` and ``csv`` output and error lines go through it; ``jsonl``
  escapes them already.
- :func:`for_spreadsheet`: a CSV cell starting with ``=``, ``+``, ``-``, ``@`` (or tab or carriage
  return) gets a leading apostrophe, so a spreadsheet shows it as text instead of running a formula.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """``text`` with every control and bidi character written as a visible escape."""
    return _UNSAFE.sub(_escape, text)


def for_spreadsheet(cell: str) -> str:
    """A CSV cell that spreadsheets read as text, never as a formula."""
    return "'" + cell if cell.startswith(_FORMULA) else cell
