"""Output formats of ``nkdiplomacy predict`` and ``evaluate``.

- ``jsonl``: one JSON object per segment: ``doc_id``, ``seg_id``, ``text``,
  ``relevant``, ``score``, ``event_type`` (null when off-topic) and
  ``event_scores`` (probability of each event type given on-topic).
- ``csv``: the same fields with one ``p_<type>`` column per event type, text last.
- ``table``: a readable terminal table per article.
"""

from __future__ import annotations

import csv
import json
from typing import TextIO

from nkdiplomacy.labels import event_type_names


def write_jsonl(results, stream: TextIO) -> None:
    for _, preds in results:
        stream.writelines(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in preds)


def csv_columns() -> list[str]:
    return [
        "doc_id",
        "seg_id",
        "relevant",
        "score",
        "event_type",
        *[f"p_{t}" for t in event_type_names()],
        "text",
    ]


def write_csv(results, stream: TextIO) -> None:
    writer = csv.writer(stream)
    writer.writerow(csv_columns())
    for _, preds in results:
        for p in preds:
            writer.writerow(
                [p.doc_id, p.seg_id, str(p.relevant).lower(), f"{p.score:.4f}", p.event_type or ""]
                + [f"{p.event_scores[t]:.4f}" for t in event_type_names()]
                + [p.text]
            )


def write_table(results, stream: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, width=None if stream.isatty() else 120)
    for article, preds in results:
        table = Table(title=article.source, title_justify="left", show_lines=False, expand=False)
        table.add_column("seg", justify="right", style="dim")
        table.add_column("on-topic", justify="center")
        table.add_column("score", justify="right")
        table.add_column("event type")
        table.add_column("text", overflow="fold", ratio=1)
        for p in preds:
            mark = "[bold green]yes[/]" if p.relevant else "[dim]no[/]"
            text = p.text if len(p.text) <= 160 else p.text[:157] + "..."
            table.add_row(
                str(p.seg_id),
                mark,
                f"{p.score:.2f}",
                p.event_type or "",
                text,
                style=None if p.relevant else "dim",
            )
        console.print(table)
        on = sum(p.relevant for p in preds)
        console.print(f"{on} of {len(preds)} segments on-topic\n")


def metrics_table(metrics: dict[str, float], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.0f}" if key.startswith("n_") else f"{value:.3f}")
    Console().print(table)
