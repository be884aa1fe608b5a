"""Load and validate annotation files.

Annotation files are JSON Lines in the format of the labeling guide. Loading
validates every record and raises :class:`DataError` naming the file and line
of the first bad one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nkdiplomacy.extras import require
from nkdiplomacy.files import read_utf8
from nkdiplomacy.records import SYNTHETIC, Annotation
from nkdiplomacy.schema import event_type_names

if TYPE_CHECKING:
    import datasets

ORIGINS = ("seed", SYNTHETIC, "real")
# The genre of a real page: the unit that the ``genre`` fold scheme holds out whole.
GENRES = ("news", "kcna", "think_tank", "official", "asian_outlet", "state_media")
_FIELDS = ("doc_id", "seg_id", "text", "relevant", "event_type", "origin", "counterparts")
# Optional provenance of real pages, strings when present (``genre`` one of GENRES).
PROVENANCE = ("source", "outlet", "date", "url", "genre")
# A counterpart: an ISO 3166 alpha-3 code (``CHN``) or an organisation's short code (``UN``, ``ASEAN``).
COUNTERPART = re.compile(r"[A-Z][A-Z0-9]{1,5}")


class DataError(ValueError):
    """A bad annotation record; the message names the file and line."""


def _check(rec: object, where: str, known_types: Sequence[str]) -> Annotation:
    if not isinstance(rec, dict):
        raise DataError(f"{where}: a record must be a JSON object")
    missing = [k for k in ("doc_id", "seg_id", "text", "relevant") if k not in rec]
    if missing:
        raise DataError(f"{where}: missing field {missing[0]!r}")
    unknown = sorted(set(rec) - set(_FIELDS) - set(PROVENANCE))
    if unknown:
        raise DataError(f"{where}: unknown field {unknown[0]!r}")
    text, doc_id, seg_id, relevant = rec["text"], rec["doc_id"], rec["seg_id"], rec["relevant"]
    event_type, origin = rec.get("event_type"), rec.get("origin", "real")
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: 'text' is missing or empty")
    if not isinstance(doc_id, str) or not doc_id:
        raise DataError(f"{where}: 'doc_id' must be a non-empty string")
    if not isinstance(seg_id, int) or isinstance(seg_id, bool) or seg_id < 0:
        raise DataError(f"{where}: 'seg_id' must be a non-negative integer, got {seg_id!r}")
    if not isinstance(relevant, bool):
        raise DataError(f"{where}: 'relevant' must be true or false, got {relevant!r}")
    if event_type is not None and event_type not in known_types:
        raise DataError(f"{where}: unknown event_type {event_type!r} (known: {', '.join(known_types)})")
    if relevant and event_type is None:
        raise DataError(f"{where}: 'relevant' is true but 'event_type' is null")
    if not relevant and event_type is not None:
        raise DataError(f"{where}: 'relevant' is false but 'event_type' is {event_type!r} (must be null)")
    if origin not in ORIGINS:
        raise DataError(f"{where}: unknown origin {origin!r} (known: {', '.join(ORIGINS)})")
    for key in PROVENANCE:
        if rec.get(key) is not None and not isinstance(rec[key], str):
            raise DataError(f"{where}: {key!r} must be a string, got {rec[key]!r}")
    genre = rec.get("genre")
    if genre is not None and genre not in GENRES:
        raise DataError(f"{where}: unknown genre {genre!r} (known: {', '.join(GENRES)})")
    counterparts = _counterparts(rec.get("counterparts"), relevant, where)
    provenance = {k: rec.get(k) for k in PROVENANCE}
    return Annotation(
        doc_id, seg_id, text, relevant, event_type, origin, **provenance, counterparts=counterparts
    )


def _counterparts(value: object, relevant: bool, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) and COUNTERPART.fullmatch(c) for c in value):
        raise DataError(
            f'{where}: \'counterparts\' must be a list of codes such as "CHN" or "UN", got {value!r}'
        )
    if value != sorted(set(value)):
        raise DataError(f"{where}: 'counterparts' must be sorted and without repeats, got {value!r}")
    if value and not relevant:
        raise DataError(f"{where}: 'relevant' is false but 'counterparts' is {value!r} (must be empty)")
    return tuple(value)


def _read_lines(path: Path) -> list[str]:
    return read_utf8(path, DataError, "a JSON Lines file").splitlines()


def _parse(line: str, where: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: malformed JSON ({exc.msg})") from None
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply") from None


def read_annotations(paths: str | Path | Iterable[str | Path]) -> list[Annotation]:
    """Read and validate JSON Lines annotation files.

    Raises:
        DataError: naming the file that is missing, a folder or unreadable, or the file and line of
            the first bad record: malformed or too deeply nested JSON, missing or empty ``text``,
            unknown ``event_type``, ``relevant`` and ``event_type`` that disagree, or a duplicate
            ``(doc_id, seg_id)``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    known = event_type_names()
    records: list[Annotation] = []
    seen: dict[tuple[str, int], str] = {}
    for path in map(Path, paths):
        for lineno, line in enumerate(_read_lines(path), start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            ann = _check(_parse(line, where), where, known)
            key = (ann.doc_id, ann.seg_id)
            if key in seen:
                raise DataError(f"{where}: duplicate (doc_id, seg_id) {key}, first at {seen[key]}")
            seen[key] = where
            records.append(ann)
    return records


def features():
    """The declared ``datasets.Features`` of an annotation dataset."""
    require("train", "datasets", what="an annotation dataset")
    import datasets

    return datasets.Features(
        {
            "doc_id": datasets.Value("string"),
            "seg_id": datasets.Value("int32"),
            "text": datasets.Value("string"),
            "relevant": datasets.Value("bool"),
            # -1 encodes "no event type" (off-topic), as ClassLabel does for missing labels.
            "event_type": datasets.ClassLabel(names=list(event_type_names())),
            "origin": datasets.ClassLabel(names=list(ORIGINS)),
            **{key: datasets.Value("string") for key in PROVENANCE},
            # None where the record has no counterpart labels (not the same as an empty list).
            "counterparts": datasets.Sequence(datasets.Value("string")),
        }
    )


def load_annotations(paths: str | Path | Iterable[str | Path]) -> datasets.Dataset:
    """Load annotation files into a ``datasets.Dataset`` with the declared :func:`features`.

    Off-topic records have ``event_type == -1``. Records keep file order.
    """
    feats = features()
    import datasets

    recs = read_annotations(paths)
    columns = {
        "doc_id": [r.doc_id for r in recs],
        "seg_id": [r.seg_id for r in recs],
        "text": [r.text for r in recs],
        "relevant": [r.relevant for r in recs],
        "event_type": [feats["event_type"].str2int(r.event_type) if r.event_type else -1 for r in recs],
        "origin": [feats["origin"].str2int(r.origin) for r in recs],
        **{key: [getattr(r, key) for r in recs] for key in PROVENANCE},
        "counterparts": [None if r.counterparts is None else list(r.counterparts) for r in recs],
    }
    return datasets.Dataset.from_dict(columns, features=feats)


def to_annotations(ds: datasets.Dataset) -> list[Annotation]:
    """Turn a dataset from :func:`load_annotations` back into records."""
    types, origins = ds.features["event_type"], ds.features["origin"]
    return [
        Annotation(
            doc_id=r["doc_id"],
            seg_id=r["seg_id"],
            text=r["text"],
            relevant=r["relevant"],
            event_type=types.int2str(r["event_type"]) if r["event_type"] >= 0 else None,
            origin=origins.int2str(r["origin"]),
            **{key: r[key] for key in PROVENANCE},
            counterparts=None if r["counterparts"] is None else tuple(r["counterparts"]),
        )
        for r in ds
    ]


def parse_record(line: str, where: str, ignore: Sequence[str] = ()) -> Annotation:
    """One JSON Lines record of the guide's format, validated; keys in ``ignore`` are dropped first.

    Raises:
        DataError: naming ``where``, as :func:`read_annotations` does.
    """
    rec = _parse(line, where)
    if isinstance(rec, dict) and ignore:
        rec = {k: v for k, v in rec.items() if k not in ignore}
    return _check(rec, where, event_type_names())
