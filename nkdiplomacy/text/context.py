"""What a model sees of a segment: its text and, optionally, its article around it.

The same words are furniture in a teaser box and content in a body paragraph,
so every model family can read a segment's neighbours, the article's title and
the article's text. A lone segment (no article) has empty context.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# How much of the article travels with each segment: enough for the topic of
# the page, bounded so that corpus-scale batch jobs stay cheap.
DOC_CHARS = 3000
CONTEXT_COLUMNS = ("prev_text", "next_text", "title", "doc_text", "position")


@dataclass(frozen=True)
class SegmentInput:
    """A segment with its article context (empty strings when unknown)."""

    text: str
    prev_text: str = ""
    next_text: str = ""
    title: str = ""
    doc_text: str = ""
    position: float = 0.0  # 0 at the article's first segment, 1 at its last


def article_title(texts: Sequence[str]) -> str:
    """The page's headline: the first of its first three lines with four or more words."""
    for t in texts[:3]:
        if len(t.split()) >= 4:
            return t
    return texts[0] if texts else ""


def article_inputs(texts: Sequence[str]) -> list[SegmentInput]:
    """Context for every segment of one article, given its segment texts in order."""
    n = len(texts)
    title = article_title(texts)
    doc = "\n".join(texts)[:DOC_CHARS]
    return [
        SegmentInput(
            text=t,
            prev_text=texts[i - 1] if i > 0 else "",
            next_text=texts[i + 1] if i + 1 < n else "",
            title=title,
            doc_text=doc,
            position=i / (n - 1) if n > 1 else 0.0,
        )
        for i, t in enumerate(texts)
    ]


def grouped_inputs(
    doc_ids: Sequence[Any], seg_ids: Sequence[int], texts: Sequence[str]
) -> list[SegmentInput]:
    """Context for rows of many articles: rows sharing a ``doc_id`` form one article, ordered by ``seg_id``.

    The result is in the order of the input rows.
    """
    by_doc: dict[Any, list[int]] = defaultdict(list)
    for row, doc in enumerate(doc_ids):
        by_doc[doc].append(row)
    out: list[SegmentInput | None] = [None] * len(texts)
    for rows in by_doc.values():
        rows.sort(key=lambda r: seg_ids[r])
        for row, inp in zip(rows, article_inputs([texts[r] for r in rows])):
            out[row] = inp
    return out  # type: ignore[return-value]


def lone_input(text: str) -> SegmentInput:
    """A segment without its article, read as a one-line article of its own."""
    return article_inputs([text])[0]


def as_inputs(X: Iterable[Any]) -> list[SegmentInput]:
    """Accept strings (lone segments, see :func:`lone_input`) or :class:`SegmentInput` objects."""
    out = []
    for x in X:
        if isinstance(x, SegmentInput):
            out.append(x)
        elif isinstance(x, str):
            out.append(lone_input(x))
        else:
            raise TypeError(f"expected str or SegmentInput, got {type(x).__name__}")
    return out


def inputs_from_frame(df) -> list[SegmentInput]:
    """Inputs from a DataFrame with a ``text`` column.

    With the context columns (:data:`CONTEXT_COLUMNS`) present they are used as
    given (the batch job fills them); otherwise, with ``doc_id`` (and ``seg_id``)
    columns, rows are grouped into articles; otherwise each row is a lone segment.
    """
    if "text" not in df.columns:
        raise ValueError("input needs a 'text' column")
    texts = df["text"].tolist()
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise ValueError(f"row {bad[0]}: 'text' must be a string, got {texts[bad[0]]!r:.60}")
    if all(c in df.columns for c in CONTEXT_COLUMNS):
        cols = {c: df[c].tolist() for c in CONTEXT_COLUMNS}
        return [
            SegmentInput(
                text=t,
                prev_text=cols["prev_text"][i] or "",
                next_text=cols["next_text"][i] or "",
                title=cols["title"][i] or "",
                doc_text=cols["doc_text"][i] or "",
                position=float(cols["position"][i] or 0.0),
            )
            for i, t in enumerate(texts)
        ]
    if "doc_id" in df.columns:
        seg_ids = df["seg_id"].tolist() if "seg_id" in df.columns else list(range(len(df)))
        return grouped_inputs(df["doc_id"].tolist(), seg_ids, texts)
    return [lone_input(t) for t in texts]


# Names a model could learn as topic instead of meaning: replaced by their kind (see ``mask_names``).
_NAMES = {
    "LEADER": r"Kim(?:\s+|-)(?:Jong(?:\s+|-)?(?:Un|Il)|Il(?:\s+|-)?Sung|Yo(?:\s+|-)?Jong)|Xi(?:\s+Jinping)?|"
    r"(?:Vladimir\s+)?Putin|(?:Donald\s+)?Trump|(?:Joe\s+)?Biden|Obama|Moon(?:\s+Jae(?:-|\s)?in)?|"
    r"Yoon(?:\s+Suk(?:-|\s)?yeol)?|Abe|Kishida|Choe\s+Son\s+Hui|Pompeo|Tillerson|Kerry",
    "COUNTRY": r"North\s+Korean?s?|South\s+Korean?s?|DPRK|ROK|Korean?s?|United\s+States|U\.S\.A?|USA|US|"
    r"America(?:n|ns)?|China|Chinese|Japan(?:ese)?|Russian?s?|Iran(?:ian)?s?|Israel(?:i)?s?|Ukrain(?:e|ian)s?",
    "CAPITAL": r"Pyongyang|Seoul|Beijing|Moscow|Washington|Tokyo|Kremlin|White\s+House",
}
_NAME_PATTERN = re.compile("|".join(f"(?P<{kind}>(?<!\\w)(?:{rx})(?!\\w))" for kind, rx in _NAMES.items()))


# Names that point to North Korea itself: the state, its capital, leaders, party, army and news agency.
_NORTH_KOREA = re.compile(
    r"(?<!\w)(?:North\s+Korean?s?|DPRK|D\.P\.R\.K\.?|Democratic\s+People'?s\s+Republic\s+of\s+Korea|"
    r"Pyongyang|Kim(?:\s+|-)(?:Jong(?:\s+|-)?(?:Un|Il)|Il(?:\s+|-)?Sung|Yo(?:\s+|-)?Jong)|KCNA|"
    r"Workers'?\s+Party\s+of\s+Korea|Korean\s+People'?s\s+Army|Korean\s+Peninsula|Choe\s+Son\s+Hui|"
    r"Rodong\s+Sinmun|Yongbyon|inter-Korean)(?!\w)",
    re.IGNORECASE,
)
# A turn of a transcript: a line that opens a question ("Q:", "Q ", "QUESTION:", "Question:").
_QUESTION_TURN = re.compile(r"^\s*(?:Q\b[.:]?|QUESTION\b:?|Question:)")


def names_north_korea(text: str) -> bool:
    """Whether ``text`` names North Korea itself (state, capital, leaders, party, army, agency).

    >>> names_north_korea("Pyongyang fired a missile."), names_north_korea("Seoul fired a missile.")
    (True, False)
    """
    return _NORTH_KOREA.search(text) is not None


def opens_question(text: str) -> bool:
    """Whether ``text`` opens a question turn of a transcript (``Q:``, ``QUESTION:``...)."""
    return _QUESTION_TURN.match(text) is not None


def mask_names(text: str) -> str:
    """``text`` with country, capital and leader names replaced by ``COUNTRY``, ``CAPITAL``, ``LEADER``.

    >>> mask_names("Kim Jong Un met Xi Jinping in Beijing.")
    'LEADER met LEADER in CAPITAL.'
    """
    return _NAME_PATTERN.sub(lambda m: m.lastgroup, text)


def shape_features(inputs: list[SegmentInput], use_context: bool) -> np.ndarray:
    """A few dense cues furniture gives away: length, position, digits, capitals."""
    rows = []
    for x in inputs:
        words = x.text.split()
        n = len(words)
        row = [
            np.log1p(n) / 5.0,
            float(n < 6),
            sum(c.isdigit() for c in x.text) / max(len(x.text), 1),
            sum(w[:1].isupper() for w in words) / max(n, 1),
        ]
        if use_context:
            row += [x.position, float(not x.prev_text), float(not x.next_text)]
        rows.append(row)
    return np.asarray(rows, dtype=float)


def page_keys(inputs: list[SegmentInput]) -> list[str]:
    """A key per input naming its page: the same title and page text make one page; a lone
    segment (no neighbours, no page beyond itself) is a page of its own."""
    keys = []
    for i, x in enumerate(inputs):
        if not x.prev_text and not x.next_text:
            keys.append(f"lone-{i}")
        else:
            keys.append(hashlib.sha1(f"{x.title}\x00{x.doc_text}".encode()).hexdigest())
    return keys


def page_rows(inputs: list[SegmentInput]) -> dict[str, list[int]]:
    """The rows of each page (:func:`page_keys`), in page order (by position)."""
    pages: dict[str, list[int]] = defaultdict(list)
    for row, key in enumerate(page_keys(inputs)):
        pages[key].append(row)
    for rows in pages.values():
        rows.sort(key=lambda r: inputs[r].position)
    return pages


def record_inputs(records: Sequence[Any]) -> list[SegmentInput]:
    """:func:`grouped_inputs` of labeled records (anything with ``doc_id``, ``seg_id`` and ``text``)."""
    return grouped_inputs([r.doc_id for r in records], [r.seg_id for r in records], [r.text for r in records])
