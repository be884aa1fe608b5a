"""What ``nkdiplomacy annotate`` works on: the segments to label, their pages, and the labels file.

No web framework here: :mod:`nkdiplomacy.labeling.annotate.app` serves a :class:`Session`.

- **Items** come from to-do files (``nkdiplomacy suggest``'s JSON Lines: the guide's records with
  the model's guess, plus extra fields) or from article files and folders (every segment, no guess).
- **Pages**: each item is shown inside its page. A to-do record's ``file`` is read and segmented
  again (as ``suggest`` did); when it is missing, unreadable or no longer matches, the page is the
  to-do file's own records of that page.
- **The labels file** is only appended to: each answer is one ``os.write`` of a whole line in
  ``O_APPEND`` mode, then ``fsync``. At start its records are read with the package's reader; a last
  line cut short by a crash is reported, with its line number, rather than built upon. ``undo``
  takes back only the line this session wrote last, and only while the file still ends with it.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from nkdiplomacy.corpus.annotations import PROVENANCE, DataError, parse_record, read_annotations
from nkdiplomacy.files import read_utf8
from nkdiplomacy.labeling.suggest import EXTRA_FIELDS
from nkdiplomacy.records import Annotation
from nkdiplomacy.schema import event_type_names, event_types
from nkdiplomacy.text.articles import (
    ARTICLE_SUFFIXES,
    DEFAULT_MAX_BYTES,
    InputError,
    iter_articles,
    read_article,
)
from nkdiplomacy.text.segment import segment


class AnnotateError(Exception):
    """A problem reported as one line (bad to-do file, unwritable or damaged output, port in use)."""


def checked_counterparts(value: object, relevant: bool) -> list[str] | None:
    """An answer's counterparts as sorted, distinct gazetteer codes (``None`` stays unanswered);
    ``ValueError`` naming the first code the gazetteer does not know."""
    from nkdiplomacy.text.counterparts import gazetteer, unknown_codes

    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError("'counterparts' must be a list of codes")
    if value and not relevant:
        raise ValueError("'counterparts' must be empty for an off-topic segment")
    codes = sorted({c.strip().upper() for c in value if c.strip()})
    if unknown := unknown_codes(codes):
        raise ValueError(f"unknown counterpart {unknown[0]!r}; known: {', '.join(sorted(gazetteer()))}")
    return codes


def item_key(doc_id: str, seg_id: int) -> str:
    return f"{doc_id}\t{seg_id}"


@dataclass
class Item:
    """One segment to label, with the model's guess when there is one."""

    doc_id: str
    seg_id: int
    text: str
    guess_relevant: bool | None = None
    guess_type: str | None = None
    guess_counterparts: tuple[str, ...] | None = None
    score: float | None = None
    provenance: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return item_key(self.doc_id, self.seg_id)

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "doc_id": self.doc_id,
            "seg_id": self.seg_id,
            "text": self.text,
            "guess_relevant": self.guess_relevant,
            "guess_type": self.guess_type,
            "guess_counterparts": None if self.guess_counterparts is None else list(self.guess_counterparts),
            "score": self.score,
        }


def _page_from_file(file: str, doc_id: str) -> list[tuple[int, str]] | None:
    """The page a to-do record names, if it is a regular article file (``.txt``, ``.html``); never
    any other file a crafted record points at (``/etc/passwd``), nor a FIFO that would block."""
    path = Path(file)
    if path.suffix.lower() not in ARTICLE_SUFFIXES or not path.is_file():
        return None
    try:
        article = read_article(path)
    except InputError:
        return None
    return [(s.seg_id, s.text) for s in segment(article.text, doc_id)]


def read_todo(path: Path) -> tuple[list[Item], dict[str, list[tuple[int, str]]]]:
    """Items and pages of one to-do file; :class:`AnnotateError` naming the file and line of a bad record."""
    lines = read_utf8(path, AnnotateError, "a to-do file").splitlines()
    items: list[Item] = []
    files: dict[str, str] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            ann = parse_record(line, where, ignore=EXTRA_FIELDS)
        except DataError as exc:
            raise AnnotateError(f"{exc} (not a to-do record)") from None
        extra = json.loads(line)
        score = extra.get("score")
        file = extra.get("file")
        if file is not None and not isinstance(file, str):
            raise AnnotateError(f"{where}: 'file' must be a string, got {file!r}")
        if file:
            # A relative path is read from the to-do file's folder first, then the current one.
            beside = path.parent / file
            files.setdefault(ann.doc_id, str(beside if beside.exists() else file))
        items.append(
            Item(
                doc_id=ann.doc_id,
                seg_id=ann.seg_id,
                text=ann.text,
                guess_relevant=ann.relevant,
                guess_type=ann.event_type,
                guess_counterparts=ann.counterparts,
                score=float(score)
                if isinstance(score, (int, float)) and not isinstance(score, bool)
                else None,
                provenance={k: getattr(ann, k) for k in PROVENANCE if getattr(ann, k) is not None},
            )
        )
    pages: dict[str, list[tuple[int, str]]] = {}
    for item in items:
        pages.setdefault(item.doc_id, [])
    for doc_id in pages:
        own = sorted({(i.seg_id, i.text) for i in items if i.doc_id == doc_id})
        page = _page_from_file(files[doc_id], doc_id) if doc_id in files else None
        if page is not None and all(0 <= s < len(page) and page[s][1] == t for s, t in own):
            pages[doc_id] = page
        else:
            pages[doc_id] = own
    return items, pages


def read_inputs(
    paths: list[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[Item], dict[str, list[tuple[int, str]]]]:
    """Items and pages from to-do files (``.jsonl``) and article files or folders (every segment)."""
    items: list[Item] = []
    pages: dict[str, list[tuple[int, str]]] = {}
    articles = [p for p in paths if not p.endswith(".jsonl")]
    for p in paths:
        if p.endswith(".jsonl"):
            todo_items, todo_pages = read_todo(Path(p))
            items += todo_items
            for doc_id, page in todo_pages.items():
                pages.setdefault(doc_id, page)
    for article in iter_articles(articles, max_bytes) if articles else ():
        if isinstance(article, InputError):
            raise AnnotateError(str(article))
        if article.doc_id in pages:
            raise AnnotateError(f"{article.source}: a second page named {article.doc_id!r}")
        segs = segment(article.text, article.doc_id)
        if not segs:
            raise AnnotateError(f"{article.source}: no text lines")
        pages[article.doc_id] = [(s.seg_id, s.text) for s in segs]
        items += [Item(s.doc_id, s.seg_id, s.text) for s in segs]
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise AnnotateError(f"segment {item.seg_id} of {item.doc_id!r} is listed twice in the inputs")
        seen.add(item.key)
    if not items:
        raise AnnotateError("nothing to label in " + ", ".join(paths))
    return items, pages


class LabelsFile:
    """The output: append-only JSON Lines of the guide's records, checked when opened."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise AnnotateError(f"{self.path}: is a folder")
        self.records: list[Annotation] = self._read_existing()
        self.created = not self.path.exists()
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as exc:
            raise AnnotateError(f"{self.path}: cannot write ({exc.strerror})") from None

    def _read_existing(self) -> list[Annotation]:
        if not self.path.exists():
            return []
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise AnnotateError(f"{self.path}: cannot read ({exc.strerror})") from None
        n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        damaged = (
            f"{self.path}:{n_lines}: damaged last line (cut short, as by a crash while writing); "
            "remove that line and restart"
        )
        if data and not data.endswith(b"\n"):
            raise AnnotateError(damaged)
        try:
            return read_annotations(self.path)
        except DataError as exc:
            if str(exc).startswith(f"{self.path}:{n_lines}:"):
                raise AnnotateError(f"{damaged} ({str(exc).split(': ', 1)[1]})") from None
            raise AnnotateError(str(exc)) from None

    def still_ours(self) -> None:
        """``LookupError`` when the file at ``path`` is no longer the one opened (moved, replaced or
        deleted while the server ran): an answer written now would be lost."""
        try:
            now = os.stat(self.path)
        except OSError:
            now = None
        held = os.fstat(self.fd)
        if now is None or (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
            raise LookupError(
                f"{self.path} was replaced or removed while the server ran; answer not saved "
                "(restart annotate to go on with the file now there)"
            )

    def append(self, record: dict) -> tuple[int, bytes]:
        """Write one record as one line; returns the file size before it and the bytes written."""
        self.still_ours()
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        before = os.fstat(self.fd).st_size
        written = os.write(self.fd, line)
        if written != len(line):  # a short write: never leave half a record behind
            os.ftruncate(self.fd, before)
            raise OSError(f"short write to {self.path}")
        os.fsync(self.fd)
        return before, line

    def take_back(self, before: int, line: bytes) -> bool:
        """Remove the last line if it is still ``line`` written at ``before``; False when the file changed."""
        size = os.fstat(self.fd).st_size
        if size != before + len(line):
            return False
        with open(self.path, "rb") as f:
            f.seek(before)
            if f.read() != line:
                return False
        os.ftruncate(self.fd, before)
        os.fsync(self.fd)
        return True

    def close(self) -> None:
        os.close(self.fd)

    def discard_if_unused(self) -> None:
        """Close; and remove the file if this run created it and wrote nothing (a failed start)."""
        unused = self.created and os.fstat(self.fd).st_size == 0
        self.close()
        if unused:
            self.path.unlink(missing_ok=True)


class Session:
    """Items to label, their pages, the labels file, and this session's answers (for undo)."""

    def __init__(self, items: list[Item], pages: dict[str, list[tuple[int, str]]], output: LabelsFile):
        self.items = items
        self.by_key = {i.key: i for i in items}
        self.pages = pages
        self.output = output
        self.done = {item_key(r.doc_id, r.seg_id) for r in output.records}
        self.skipped: set[str] = set()
        self.actions: list[tuple] = []  # ("answer", key, before, line) or ("skip", key)
        self.lock = threading.Lock()

    def state(self) -> dict:
        keys = self.by_key
        return {
            "items": [i.to_json() for i in self.items],
            "pages": {d: [[s, t] for s, t in p] for d, p in self.pages.items()},
            "done": sorted(k for k in self.done if k in keys),
            "skipped": sorted(self.skipped),
            "types": [
                {"name": e.name, "description": e.description, "plover": list(e.plover)}
                for e in event_types()
            ],
            "output": str(self.output.path),
            "can_undo": bool(self.actions),
        }

    def answer(self, key: str, relevant: object, event_type: object, counterparts: object = None) -> dict:
        """Append the answer for ``key``; raises ``ValueError`` (a bad request) or ``LookupError`` (a conflict).

        ``counterparts`` (on-topic answers only) is a list of the gazetteer's codes, any case, or
        ``None`` when the annotator left them unanswered (the record then has no counterparts).
        """
        item = self.by_key.get(key)
        if item is None:
            raise ValueError("unknown segment")
        if not isinstance(relevant, bool):
            raise ValueError("'relevant' must be true or false")  # noqa: TRY004 (a bad request: 400)
        if relevant and event_type not in event_type_names():
            raise ValueError(f"'event_type' must be one of {', '.join(event_type_names())}")
        if not relevant and event_type is not None:
            raise ValueError("'event_type' must be null for an off-topic segment")
        codes = checked_counterparts(counterparts, relevant)
        record = {
            "doc_id": item.doc_id,
            "seg_id": item.seg_id,
            "text": item.text,
            "relevant": relevant,
            "event_type": event_type,
            "origin": "real",
            **item.provenance,
            **({} if codes is None else {"counterparts": codes}),
        }
        with self.lock:
            if key in self.done:
                raise LookupError("already labeled")
            # The record is validated by the package's own check before it is written.
            parse_record(json.dumps(record), str(self.output.path))
            before, line = self.output.append(record)
            self.done.add(key)
            self.skipped.discard(key)
            self.actions.append(("answer", key, before, line))
        return {"done": len(self.done & self.by_key.keys()), "total": len(self.items)}

    def skip(self, key: str) -> dict:
        if key not in self.by_key:
            raise ValueError("unknown segment")
        with self.lock:
            if key in self.done:
                raise LookupError("already labeled")
            self.skipped.add(key)
            self.actions.append(("skip", key))
        return {"skipped": len(self.skipped)}

    def undo(self) -> dict:
        """Take back this session's last answer or skip; ``LookupError`` when there is none or the file changed."""
        with self.lock:
            if not self.actions:
                raise LookupError("nothing to undo")
            action = self.actions[-1]
            if action[0] == "answer":
                _, key, before, line = action
                if not self.output.take_back(before, line):
                    raise LookupError(f"{self.output.path} changed since that answer; undo refused")
                self.done.discard(key)
            else:
                key = action[1]
                self.skipped.discard(key)
            self.actions.pop()
        return {"key": key, "undone": action[0], "done": len(self.done & self.by_key.keys())}
