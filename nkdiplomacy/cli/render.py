"""Output formats of ``nkdiplomacy predict`` and ``evaluate``, and the progress bar of ``predict``.

- ``table``: a readable terminal table per article.
- ``text``: each article's on-topic passages as plain paragraphs with their event type, for reading.
- ``jsonl``: one JSON object per segment: ``doc_id``, ``seg_id``, ``text``,
  ``relevant``, ``score``, ``event_type`` (null when off-topic) and
  ``event_scores`` (probability of each event type given on-topic).
- ``csv``: the same fields with one ``p_<type>`` column per event type, counterparts as one cell,
  text last.
- ``html``: one self-contained page to look at (:mod:`nkdiplomacy.cli.report`).

Page text and file names are untrusted: ``table``, ``text`` and ``csv`` show control and bidi
characters as visible escapes, and a CSV cell that a spreadsheet would run as a formula gets a
leading apostrophe (:mod:`nkdiplomacy.text.display`).

Each format is written article by article (:class:`ArticleResult`), so output
can be streamed while later articles are still being classified.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from nkdiplomacy.cli.report import HtmlWriter
from nkdiplomacy.schema import output_columns
from nkdiplomacy.serving.pages import ArticleResult
from nkdiplomacy.text.display import for_spreadsheet, for_terminal

__all__ = ["FORMATS", "WRITERS", "ArticleResult", "csv_columns", "metrics_table", "progress"]


class JsonlWriter:
    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, result: ArticleResult) -> None:
        self.stream.writelines(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in result.predictions)


def csv_columns() -> list[str]:
    """The CSV header: the segment's ids, the model output columns, the text last."""
    return ["doc_id", "seg_id", *output_columns(), "text"]


class CsvWriter:
    """The header row when created, then one row per segment."""

    def __init__(self, stream: TextIO):
        self.writer = csv.writer(stream)
        self.writer.writerow(csv_columns())

    def write(self, result: ArticleResult) -> None:
        columns = csv_columns()
        for p in result.predictions:
            row = p.row()
            self.writer.writerow([_cell(row[c]) for c in columns])


def _cell(value) -> str:
    """A CSV cell: booleans as ``true``/``false``, scores to 4 decimals, page text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return str(value)
    return for_spreadsheet(for_terminal(value))


class TextWriter:
    """A header line per article, then each on-topic passage as a paragraph led by its type and score."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, result: ArticleResult) -> None:
        passages = [p for p in result.predictions if p.relevant]
        header = f"## {for_terminal(str(result.doc_id))} ({for_terminal(result.source)})"
        if not passages:
            self.stream.write(f"{header}: no on-topic passage ({result.n_segments} segments)\n\n")
            return
        self.stream.write(f"{header}: {result.summary}\n\n")
        self.stream.writelines(
            f"[{' '.join([p.event_type or '', f'{p.score:.2f}', *p.counterparts])}] {for_terminal(p.text)}\n\n"
            for p in passages
        )


def _console(**kwargs):
    """A rich Console whose closed pipe (``| head``) is a ``BrokenPipeError`` for the CLI to end quietly
    with status 0, where rich itself would exit with status 1."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return PipeConsole(**kwargs)


class TableWriter:
    """A rich table per article. Every string from the input is a ``Text``, never parsed as markup."""

    def __init__(self, stream: TextIO):
        self.console = _console(file=stream, width=None if stream.isatty() else 120)

    def write(self, result: ArticleResult) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(
            title=Text(for_terminal(result.source)), title_justify="left", show_lines=False, expand=False
        )
        table.add_column("seg", justify="right", style="dim")
        table.add_column("on-topic", justify="center")
        table.add_column("score", justify="right")
        table.add_column("event type")
        table.add_column("with")
        table.add_column("text", overflow="fold", ratio=1)
        for p in result.predictions:
            text = for_terminal(p.text if len(p.text) <= 160 else p.text[:157] + "...")
            table.add_row(
                str(p.seg_id),
                Text("yes", style="bold green") if p.relevant else Text("no", style="dim"),
                f"{p.score:.2f}",
                p.event_type or "",
                " ".join(p.counterparts),
                Text(text),
                style=None if p.relevant else "dim",
            )
        self.console.print(table)
        self.console.print(Text(for_terminal(result.summary) + "\n"))


WRITERS = {
    "table": TableWriter,
    "text": TextWriter,
    "jsonl": JsonlWriter,
    "csv": CsvWriter,
    "html": HtmlWriter,
}
FORMATS = tuple(WRITERS)


def metrics_table(metrics: dict[str, float], title: str) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(for_terminal(title)), title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.0f}" if key.startswith("n_") else f"{value:.3f}")
    _console().print(table)


@contextmanager
def progress(total: int) -> Iterator[Callable[[], None]]:
    """A function advancing a progress bar on standard error, shown for ten or more articles."""
    if total < 10:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    # Error lines (standard error) print above the bar; standard output is left alone.
    with Progress(console=Console(stderr=True), transient=True, redirect_stdout=False) as bar:
        task = bar.add_task("Classifying articles", total=total)
        yield lambda: bar.advance(task)
