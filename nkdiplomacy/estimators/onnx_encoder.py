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
# Threads a session runs on: the usable cores, at most MAX_THREADS, unless the environment variable
# THREADS_ENV says otherwise (a Spark task sets 1: Spark already runs one task per core, and threads of
# several tasks competing for the same cores run far slower than one each). The vectors do not depend
# on it (tests/test_memory_bounds.py).
MAX_THREADS = 4
THREADS_ENV = "NKDIPLOMACY_ENCODER_THREADS"


def default_threads() -> int:
    """:data:`THREADS_ENV` if set (at least 1), else the usable cores up to :data:`MAX_THREADS`."""
    given = os.environ.get(THREADS_ENV, "").strip()
    if given:
        try:
            return max(1, int(given))
        except ValueError:
            raise ValueError(f"{THREADS_ENV} must be a whole number, got {given!r}") from None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(usable, MAX_THREADS))


def _without_signals_in_new_threads(make):
    """``make()`` with SIGINT and SIGTERM blocked in the threads it starts (ONNX Runtime's pool): a
    signal is then always taken by a Python thread, so Ctrl-C during a blocking read (``predict -``
    waiting on standard input) interrupts it instead of landing in a native thread and hanging."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        return make()
    wanted = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    try:
        return make()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class OnnxEncoder:
    """Embed texts with an exported encoder folder."""

    def __init__(self, folder: str | Path, max_length: int = 128, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = _without_signals_in_new_threads(
            lambda: ort.InferenceSession(
                str(self.folder / ONNX_FILE), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        )
        self.dim = self.session.get_outputs()[0].shape[-1]
        self._inputs = {i.name for i in self.session.get_inputs()}
        onnx = self.folder / ONNX_FILE
        stat = onnx.stat()
        key = (f"{onnx.resolve()}:{stat.st_size}:{stat.st_mtime_ns}", max_length)
        self._memo = _MEMO.setdefault(key, Memo(MEMO_MAX_BYTES))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings ``(len(texts), dim)``; an empty text gives a zero vector.

        Each distinct text is run alone: int8 dynamic quantisation scales
        activations per call, so batching texts together would make a text's
        embedding depend on its batch-mates (and padding costs more than
        batching saves on CPU). Repeated texts are embedded once, and each text once per process
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
        for text, encoding in zip(unique, self.tokenizer.encode_batch(cut) if unique else []):
            ids = np.asarray([encoding.ids], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            vectors[text] = self.session.run(None, feed)[0][0]
            self._memo.put(text, vectors[text])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if text:
                out[row] = vectors[text]
        return out
