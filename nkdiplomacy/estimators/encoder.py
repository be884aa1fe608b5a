"""Frozen MiniLM sentence embeddings (run with ONNX Runtime, or static token vectors distilled
from it) and logistic-regression heads.

With ``contrastive_epochs > 0`` the encoder is first tuned SetFit-style on
pairs of training segments (same label: similar, different labels:
dissimilar), then exported; the heads are trained on the tuned embeddings.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np

from nkdiplomacy.bounds import AT_LEAST_ONE, NON_NEGATIVE, POSITIVE, Bound
from nkdiplomacy.estimators.heads import LinearHeads
from nkdiplomacy.estimators.model import SegmentModel
from nkdiplomacy.estimators.onnx_encoder import ONNX_FILE, TOKENIZER_FILE, OnnxEncoder
from nkdiplomacy.estimators.persist import ModelError, first_line
from nkdiplomacy.estimators.static_encoder import STATIC_FILE, StaticEncoder
from nkdiplomacy.schema import DEFAULT_THRESHOLD
from nkdiplomacy.text.context import SegmentInput, shape_features


def _rowwise_cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Embeddings are unit length (or zero for empty text), so the dot product is the cosine.
    return (a * b).sum(axis=1)


class EncoderModel(SegmentModel):
    """MiniLM embeddings of the segment and, with ``use_context``, of its neighbours,
    title and page, plus their similarities, fed to two logistic regressions.

    Args:
        use_context: add the article around the segment.
        C: inverse regularisation strength of both heads.
        precision: ``int8`` (dynamic quantisation) or ``fp32`` ONNX MiniLM, or ``static``: token
            vectors distilled from MiniLM, averaged (model2vec-style; no transformer at prediction).
        max_length: tokens per text given to the encoder.
        contrastive_epochs: SetFit-style tuning epochs (0 keeps the encoder frozen).
        contrastive_pairs: pairs drawn per tuning epoch.
        learning_rate: learning rate of contrastive tuning.
        base_model: folder of the transformer to start from ('' = shipped all-MiniLM-L6-v2).
        threshold: relevance score at or above which a segment is on-topic.
        seed: random seed.
    """

    family = "encoder"
    # For a recipe's ``choose_variant``: the reference precision, then the cheaper one.
    variants: ClassVar[tuple[dict, ...]] = ({"precision": "fp32"}, {"precision": "int8"})
    param_choices: ClassVar[dict[str, tuple[str, ...]]] = {"precision": ("int8", "fp32", "static")}
    param_bounds: ClassVar[dict[str, Bound]] = {
        **SegmentModel.param_bounds,
        "C": POSITIVE,
        "max_length": AT_LEAST_ONE,
        "contrastive_epochs": NON_NEGATIVE,
        "contrastive_pairs": NON_NEGATIVE,
        "learning_rate": POSITIVE,
    }

    def __init__(
        self,
        use_context: bool = True,
        C: float = 1.0,
        precision: str = "int8",
        max_length: int = 128,
        contrastive_epochs: int = 0,
        contrastive_pairs: int = 2000,
        learning_rate: float = 2e-5,
        base_model: str = "",
        threshold: float = DEFAULT_THRESHOLD,
        seed: int = 13,
    ):
        self.use_context = use_context
        self.C = C
        self.precision = precision
        self.max_length = max_length
        self.contrastive_epochs = contrastive_epochs
        self.contrastive_pairs = contrastive_pairs
        self.learning_rate = learning_rate
        self.base_model = base_model
        self.threshold = threshold
        self.seed = seed

    # The ONNX session cannot be pickled: keep the folder, reopen on demand.
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("encoder_", None)
        return state

    @property
    def encoder(self) -> OnnxEncoder | StaticEncoder:
        if getattr(self, "encoder_", None) is None:
            self.encoder_ = self._open_encoder()
        return self.encoder_

    def _open_encoder(self) -> OnnxEncoder | StaticEncoder:
        kind = StaticEncoder if (Path(self.encoder_dir_) / STATIC_FILE).exists() else OnnxEncoder
        return kind(self.encoder_dir_, self.max_length)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Sentence embeddings of ``texts`` with this model's encoder."""
        return self.encoder.encode(texts)

    def _features(self, inputs: list[SegmentInput]) -> np.ndarray:
        n = len(inputs)
        fields = [[x.text for x in inputs]]
        if self.use_context:
            fields += [[x.prev_text for x in inputs], [x.next_text for x in inputs]]
            fields += [[x.title for x in inputs], [x.doc_text for x in inputs]]
        # One encoder call for every field: shared texts (a title, a page) are embedded once.
        flat = self.embed([t for f in fields for t in f])
        parts = [flat[i * n : (i + 1) * n] for i in range(len(fields))]
        blocks = [parts[0]]
        if self.use_context:
            text, prev, nxt, title, doc = parts
            count = (np.abs(prev).sum(1) > 0).astype(np.float32) + (np.abs(nxt).sum(1) > 0)
            window = (prev + nxt) / np.maximum(count, 1.0)[:, None]
            sims = np.column_stack(
                [_rowwise_cos(text, doc), _rowwise_cos(text, title), _rowwise_cos(text, window)]
            )
            blocks += [window, title, doc, sims]
        blocks.append(shape_features(inputs, self.use_context))
        return np.hstack(blocks).astype(np.float64)

    def _fit(self, inputs, relevant, event, weight):
        from nkdiplomacy.estimators.export import cached_base_encoder, export_encoder, resolve_base

        if self.contrastive_epochs > 0:
            from nkdiplomacy.estimators.contrastive import contrastive_tune

            self._workdir = tempfile.TemporaryDirectory(prefix="nkdiplomacy-encoder-")
            work = Path(self._workdir.name)
            labels = np.where(relevant, event, -1)
            contrastive_tune(
                resolve_base(self.base_model),
                [x.text for x in inputs],
                labels,
                work / "tuned",
                epochs=self.contrastive_epochs,
                pairs=self.contrastive_pairs,
                learning_rate=self.learning_rate,
                max_length=self.max_length,
                seed=self.seed,
            )
            self.encoder_dir_ = export_encoder(work / "tuned", work / "onnx", self.precision)
        else:
            self.encoder_dir_ = cached_base_encoder(self.base_model, self.precision)
        self.encoder_ = None
        self.heads_ = LinearHeads.fit(self._features(inputs), relevant, event, weight, self.C, self.seed)

    def _score(self, inputs):
        return self.heads_.score(self._features(inputs))

    def _save_payload(self, path: Path) -> None:
        target = path / "encoder"
        target.mkdir(parents=True, exist_ok=True)
        for name in (ONNX_FILE, STATIC_FILE, TOKENIZER_FILE):
            if (Path(self.encoder_dir_) / name).exists():
                shutil.copyfile(Path(self.encoder_dir_) / name, target / name)
        self.heads_.save(path)

    def _load_payload(self, path: Path) -> None:
        self.encoder_dir_ = path / "encoder"
        try:  # open the encoder now: a damaged one is found at load, not at the first article
            self.encoder_ = self._open_encoder()
        except Exception as exc:  # noqa: BLE001 - ONNX Runtime and tokenizers raise their own kinds
            raise ModelError(f"{self.encoder_dir_}: unreadable encoder ({first_line(exc)})") from None
        self.heads_ = LinearHeads.load(path)
