"""Sentence embeddings with ONNX Runtime: no torch at prediction time.

A folder holds ``encoder.onnx`` (a MiniLM with mean pooling and L2
normalisation built in, see :mod:`nkdiplomacy.estimators.export`) and the
``tokenizer.json`` it was trained with.
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ONNX_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
# Embeddings already computed in this process, per encoder file and token limit: cross-validation
# fits one model per fold on the same frozen encoder, so each distinct text is embedded once. The
# memo is bounded in bytes (texts and vectors together), least recently used first out, so that a
# server or Spark worker that lives for days stays within MEMO_MAX_BYTES whatever it is sent; a text
# longer than MEMO_MAX_TEXT_CHARS (a whole page given as context) is never kept.
MEMO_MAX_BYTES = 256_000_000
MEMO_MAX_TEXT_CHARS = 20_000


class Memo:
    """A least-recently-used mapping of texts to vectors, bounded by its bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.items: OrderedDict[str, np.ndarray] = OrderedDict()
        self.bytes = 0

    def get(self, text: str) -> np.ndarray | None:
        vector = self.items.get(text)
        if vector is not None:
            self.items.move_to_end(text)
        return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if len(text) > MEMO_MAX_TEXT_CHARS or text in self.items:
            return
        self.items[text] = vector
        self.bytes += _size(text, vector)
        while self.bytes > self.max_bytes and self.items:
            old, old_vector = self.items.popitem(last=False)
            self.bytes -= _size(old, old_vector)


def _size(text: str, vector: np.ndarray) -> int:
    return sys.getsizeof(text) + vector.nbytes


_MEMO: dict[tuple[str, int], Memo] = {}
# The encoder reads a text's first max_length tokens; a longer text is cut to this many characters
# before tokenizing (the tokenizer would otherwise hold every token of a whole page in memory).
# Far above what 128 tokens can span on real text, so the embedding is the same.
MAX_ENCODED_CHARS = 100_000
# Sessions that embed at once, one thread each: a line is a few dozen tokens, too small to split
# across threads, so texts are spread over single-threaded sessions instead (the same vectors, bit for
# bit: each text is still run alone). Default: the usable cores, at most MAX_SESSIONS; the environment
# variable NKDIPLOMACY_ENCODER_SESSIONS overrides it (e.g. 1 in a Spark worker per core).
MAX_SESSIONS = 4
# Texts per session below which no further session is opened: opening one costs about a tenth of a
# second, which a short page (a cold ``predict`` of one article) would not win back.
MIN_TEXTS_PER_SESSION = 32
SESSIONS_ENV = "NKDIPLOMACY_ENCODER_SESSIONS"


def default_sessions() -> int:
    """:data:`SESSIONS_ENV` if set (at least 1), else the usable cores up to :data:`MAX_SESSIONS`."""
    given = os.environ.get(SESSIONS_ENV, "").strip()
    if given:
        try:
            return max(1, int(given))
        except ValueError:
            raise ValueError(f"{SESSIONS_ENV} must be a whole number, got {given!r}") from None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(usable, MAX_SESSIONS))


class OnnxEncoder:
    """Embed texts with an exported encoder folder."""

    def __init__(self, folder: str | Path, max_length: int = 128, sessions: int | None = None):
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()
        self.n_sessions = sessions or default_sessions()
        self._sessions = [self._session()]  # the others open on first use with more texts than one
        self.dim = self._sessions[0].get_outputs()[0].shape[-1]
        self._inputs = {i.name for i in self._sessions[0].get_inputs()}
        onnx = self.folder / ONNX_FILE
        stat = onnx.stat()
        key = (f"{onnx.resolve()}:{stat.st_size}:{stat.st_mtime_ns}", max_length)
        self._memo = _MEMO.setdefault(key, Memo(MEMO_MAX_BYTES))

    @property
    def session(self):
        """The first session (one thread), for batched runs of an fp32 encoder (distillation)."""
        return self._sessions[0]

    def _session(self):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        return ort.InferenceSession(
            str(self.folder / ONNX_FILE), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def _embed(self, session, encodings) -> list[np.ndarray]:
        out = []
        for encoding in encodings:
            ids = np.asarray([encoding.ids], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            out.append(session.run(None, feed)[0][0])
        return out

    def _embed_all(self, encodings: list) -> list[np.ndarray]:
        """Each encoding's vector, the texts dealt round-robin to the sessions, run in threads
        (ONNX Runtime releases the GIL while it runs)."""
        k = max(1, min(self.n_sessions, len(encodings) // MIN_TEXTS_PER_SESSION))
        if k <= 1:
            return self._embed(self._sessions[0], encodings)
        while len(self._sessions) < k:
            self._sessions.append(self._session())
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(k) as pool:
            parts = list(pool.map(self._embed, self._sessions[:k], [encodings[j::k] for j in range(k)]))
        out: list[np.ndarray] = [None] * len(encodings)  # type: ignore[list-item]
        for j, part in enumerate(parts):
            out[j::k] = part
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings ``(len(texts), dim)``; an empty text gives a zero vector.

        Each distinct text is run alone: int8 dynamic quantisation scales
        activations per call, so batching texts together would make a text's
        embedding depend on its batch-mates (and padding costs more than
        batching saves on CPU); the texts are spread over :attr:`n_sessions` single-threaded
        sessions instead. Repeated texts are embedded once, and each text once per process
        and encoder file while the bounded memo (:class:`Memo`) holds it.
        """
        vectors: dict[str, np.ndarray] = {}
        unique: list[str] = []  # distinct texts not in the memo, to embed now
        for text in dict.fromkeys(t for t in texts if t):
            known = self._memo.get(text)
            if known is None:
                unique.append(text)
            else:
                vectors[text] = known
        cut = [t[:MAX_ENCODED_CHARS] for t in unique]
        encodings = self.tokenizer.encode_batch(cut) if unique else []
        for text, vector in zip(unique, self._embed_all(encodings)):
            vectors[text] = vector
            self._memo.put(text, vector)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if text:
                out[row] = vectors[text]
        return out
