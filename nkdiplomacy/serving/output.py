"""Where ``nkdiplomacy predict`` writes: standard output, flushed after each article, or a file
written whole or not at all."""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path
from typing import Self, TextIO

from nkdiplomacy.serving.results import ArticleResult


class OutputError(Exception):
    """The output file cannot be written; one line naming it."""


class Output:
    """Standard output, flushed after each article, or FILE whole or not at all.

    FILE is written to a temporary file beside it, created at the first article and renamed
    over FILE at the end of a run; a run with no classified article, or one that stops early,
    leaves FILE as it was (or absent). FILE keeps its mode; a new one gets 0666 less the umask.
    """

    def __init__(self, path: str | None, writer_class: type):
        self.target = None if path is None else Path(path)
        if self.target is not None:
            if self.target.is_dir():
                raise OutputError(f"{self.target}: --output is a folder")
            if not self.target.absolute().parent.is_dir():
                raise OutputError(f"{self.target}: no such folder {self.target.parent}")
        self.writer_class = writer_class
        self.stream: TextIO | None = None
        self.writer = None
        self.tmp: Path | None = None

    def write(self, result: ArticleResult) -> None:
        """Write one article's results and flush them."""
        if self.writer is None:
            self.stream = sys.stdout if self.target is None else self._open_temp(self.target)
            self.writer = self.writer_class(self.stream)
        try:
            self.writer.write(result)
            self.stream.flush()
        except OSError as exc:
            if self.target is None:  # standard output: a closed pipe is the caller's to handle
                raise
            raise OutputError(f"{self.target}: cannot write ({exc.strerror})") from None

    def _open_temp(self, target: Path) -> TextIO:
        tmp = target.absolute().parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror})") from None
        self.tmp = tmp
        if target.exists():
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        return os.fdopen(fd, "w", encoding="utf-8", newline="")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.tmp is None:
            return
        try:
            self.stream.close()
            if exc_type is None:
                os.replace(self.tmp, self.target)
        except OSError as error:
            raise OutputError(f"{self.target}: cannot write ({error.strerror})") from None
        finally:
            self.tmp.unlink(missing_ok=True)
