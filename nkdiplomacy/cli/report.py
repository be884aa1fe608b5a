"""``predict --format html``: one self-contained HTML page of the classified articles.

The page works offline and loads nothing (no external asset, no font, no image): its style and
script are inline, allowed by a Content-Security-Policy that names their SHA-256 hashes and nothing
else, so no other script can run, whatever the page text holds. Every byte of page text and every
file name is escaped (control and bidi characters shown as escapes first, as in the terminal).

Each article is written as it is classified (memory bounded by one article); the script builds the
index (counts per event type and counterpart), the filters and the threshold slider from the
segments' data attributes when the page opens.
"""

from __future__ import annotations

import base64
import hashlib
import html
from importlib import resources
from typing import TextIO

from nkdiplomacy.schema import event_type_names
from nkdiplomacy.serving.pages import ArticleResult
from nkdiplomacy.text.display import for_terminal


def _asset(name: str) -> str:
    return resources.files("nkdiplomacy.cli").joinpath("static", name).read_text(encoding="utf-8")


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def _text(value: object) -> str:
    """Untrusted text as HTML text or attribute value: visible escapes for controls, then entities."""
    return html.escape(for_terminal(str(value)), quote=True)


def content_security_policy(style: str, script: str) -> str:
    """Nothing may load or run but the page's own inline style and script (by hash)."""
    return (
        f"default-src 'none'; style-src {_hash(style)}; script-src {_hash(script)}; "
        "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


class HtmlWriter:
    """The page's head, filters and index container when created; an ``<article>`` per result; the
    closing tags at :meth:`close` (a page cut short by an error is never put in place: see
    :class:`~nkdiplomacy.cli.output.Output`)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._articles = 0
        style, script = _asset("report.css"), _asset("report.js")
        self._script = script
        types = "".join(f'<option value="{t}">{t}</option>' for t in event_type_names())
        legend = "".join(f'<span class="tag t-{t}">{t}</span>' for t in event_type_names())
        stream.write(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(style, script)}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>nkdiplomacy report</title>\n"
            f"<style>{style}</style></head>\n"
            "<body>\n"
            "<header><h1>North Korea diplomacy passages</h1>\n"
            '<div class="controls">'
            '<label>Relevance threshold <input id="threshold" type="range" min="0" max="1" step="0.01"> '
            '<output id="threshold-value"></output></label>'
            f'<label>Event type <select id="filter-type"><option value="">any</option>{types}</select></label>'
            '<label>Counterpart <select id="filter-counterpart"><option value="">any</option></select></label>'
            '<label><input id="hide-off" type="checkbox"> hide off-topic lines</label>'
            "</div>\n"
            f'<p class="legend">{legend} <span class="note">Counterparts are read at the model\'s '
            "threshold.</span></p></header>\n"
            '<main><table id="index"><thead><tr><th>Article</th><th>On-topic</th>'
            + "".join(f"<th>{t}</th>" for t in event_type_names())
            + '<th>Counterparts</th></tr></thead><tbody></tbody></table>\n<div id="articles">\n'
        )

    def write(self, result: ArticleResult) -> None:
        self._articles += 1
        head = (
            f'<article class="page" id="a{self._articles}" data-threshold="{result.threshold:.4f}">'
            f"<details open><summary><h2>{_text(result.doc_id)}</h2> "
            f'<span class="source">{_text(result.source)}</span></summary>'
        )
        out = [head]
        for p in result.predictions:
            kind = p.event_type or max(p.event_scores, key=p.event_scores.get)
            out.append(
                f'<p class="seg" data-score="{p.score:.6f}" data-type="{kind}" '
                f'data-counterparts="{_text(" ".join(p.counterparts))}">'
                f'<span class="label"></span><span class="line">{_text(p.text)}</span></p>'
            )
        out.append("</details></article>\n")
        self.stream.write("".join(out))

    def close(self) -> None:
        self.stream.write(f"</div></main>\n<script>{self._script}</script>\n</body></html>\n")
