"""Static sentence embeddings distilled from the MiniLM encoder (model2vec-style): fast on any CPU.

Every vocabulary token is embedded once, alone, by the exported MiniLM (``[CLS] token [SEP]``,
mean-pooled and normalised); those vectors are kept in ``static.npz``. A text's embedding is then
the weighted mean of its tokens' vectors, re-normalised: no transformer runs at prediction time.
Tokens are weighted by a Zipf estimate of their frequency (BERT's word pieces are numbered by
frequency), so that frequent words count less, as in smooth inverse frequency.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nkdiplomacy.estimators.onnx_encoder import MAX_ENCODED_CHARS, TOKENIZER_FILE

STATIC_FILE = "static.npz"


def zipf_weights(n_tokens: int, first_word: int, a: float = 1e-3) -> np.ndarray:
    """Smooth-inverse-frequency weights ``a / (a + p)`` with ``p`` ~ 1 / rank from ``first_word`` on."""
    rank = np.maximum(np.arange(n_tokens) - first_word + 1, 1).astype(np.float64)
    p = 1.0 / (rank * np.log(1.78 * n_tokens))  # Zipf's law normalised over the vocabulary
    return (a / (a + p)).astype(np.float32)


class StaticEncoder:
    """Embed texts with a folder holding ``static.npz`` (``vectors``, ``weights``) and ``tokenizer.json``."""

    def __init__(self, folder: str | Path, max_length: int = 128):
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.max_length = max_length
        with np.load(self.folder / STATIC_FILE, allow_pickle=False) as data:
            self.vectors = data["vectors"] * data["weights"][:, None]
        self.dim = self.vectors.shape[1]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings ``(len(texts), dim)``; an empty text gives a zero vector."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        cut = [t[:MAX_ENCODED_CHARS] for t in texts]  # as the ONNX encoder: only the first tokens are read
        encodings = self.tokenizer.encode_batch(cut, add_special_tokens=False) if texts else []
        for row, encoding in enumerate(encodings):
            ids = encoding.ids[: self.max_length]
            if ids:
                v = self.vectors[ids].sum(axis=0)
                norm = np.linalg.norm(v)
                out[row] = v / norm if norm > 0 else v
        return out


def distill_static(onnx_folder: Path, out_dir: Path, batch: int = 512) -> Path:
    """Write ``static.npz`` and the tokenizer for the fp32 ONNX encoder in ``onnx_folder``."""
    import json
    import shutil

    from nkdiplomacy.estimators.onnx_encoder import OnnxEncoder

    encoder = OnnxEncoder(onnx_folder)
    vocab = json.loads((onnx_folder / TOKENIZER_FILE).read_text(encoding="utf-8"))["model"]["vocab"]
    n = max(vocab.values()) + 1
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    vectors = np.zeros((n, encoder.dim), dtype=np.float32)
    feed_names = {i.name for i in encoder.session.get_inputs()}
    for start in range(0, n, batch):
        ids = np.arange(start, min(start + batch, n), dtype=np.int64)
        input_ids = np.column_stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)])
        feed = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
        if "token_type_ids" in feed_names:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        vectors[start : start + len(ids)] = encoder.session.run(None, feed)[0]
    # Every vector shares the [CLS]/[SEP] part of its pooling: remove the common direction.
    first_word = vocab.get("the", 0)
    vectors -= vectors[first_word:].mean(axis=0)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(out_dir / STATIC_FILE, vectors=vectors, weights=zipf_weights(n, first_word))
    shutil.copyfile(onnx_folder / TOKENIZER_FILE, out_dir / TOKENIZER_FILE)
    return out_dir
