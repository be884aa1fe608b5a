"""Sentence embeddings with ONNX Runtime: no torch at prediction time.

A folder holds ``encoder.onnx`` (a MiniLM with mean pooling and L2
normalisation built in, see :mod:`nkdiplomacy.modeling.export`) and the
``tokenizer.json`` it was trained with.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ONNX_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"


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
        opts.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(self.folder / ONNX_FILE), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.dim = self.session.get_outputs()[0].shape[-1]
        self._inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised embeddings ``(len(texts), dim)``; an empty text gives a zero vector.

        Texts are de-duplicated and batched by length, so repeated context costs nothing.
        """
        unique = [t for t in dict.fromkeys(texts) if t]
        index = {t: i for i, t in enumerate(unique)}
        vectors = np.zeros((len(unique), self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(unique) if unique else []
        order = sorted(range(len(unique)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            vectors[rows] = self.session.run(None, feed)[0]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, t in enumerate(texts):
            if t:
                out[row] = vectors[index[t]]
        return out
