"""Where ``nkdiplomacy predict`` writes: standard output, flushed after each article, or a file
written whole or not at all."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Self, TextIO

from nkdiplomacy.serving.pages import ArticleResult
from nkdiplomacy.writing import WholeFile, WriteError, resolve_output


class Output:
    """Standard output, flushed after each article, or FILE whole or not at all.

    FILE (links followed) is resolved and checked at once (:func:`nkdiplomacy.writing.resolve_output`:
    not a folder, not an input of the run); it is opened at the first article and put in place at the
    end of a run (:class:`~nkdiplomacy.writing.WholeFile`: a regular file is replaced by rename and
    keeps its mode, a device or FIFO is written through). A run with no classified article, or one
    that stops early, leaves a regular FILE as it was (or absent).
    """

    def __init__(self, path: str | None, writer_class: type, inputs: Iterable[str | Path] = ()):
        self.shown = path
        self.target = None if path is None else resolve_output(path, inputs)
        self.writer_class = writer_class
        self.file: WholeFile | None = None
        self.stream: TextIO | None = None
        self.writer = None

    def write(self, result: ArticleResult) -> None:
        """Write one article's results and flush them."""
        if self.writer is None:
            if self.target is None:
                self.stream = sys.stdout
            else:
                self.file = WholeFile(self.target, self.shown)
                self.stream = self.file.stream
            self.writer = self.writer_class(self.stream)
        try:
            self.writer.write(result)
            self.stream.flush()
        except OSError as exc:
            if self.target is None:  # standard output: a closed pipe is the caller's to handle
                raise
            raise WriteError(f"{self.shown}: cannot write ({exc.strerror})") from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.writer is not None and hasattr(self.writer, "close"):
            self.writer.close()  # a format's closing part (the HTML page's end)
            self.stream.flush()
        if self.file is not None:
            self.file.finish(exc_type is None)
