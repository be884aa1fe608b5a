"""The fast baseline: word and character n-gram TF-IDF with logistic-regression heads.

The vectorizers are fitted with scikit-learn and saved as data (``tfidf_vocabulary.json``: each
vectorizer's terms in column order; ``tfidf_idf.npz``: their idf weights); scoring, after fitting
or loading, uses :class:`~.tfidf_transform.TfidfTransform`, so a loaded model needs no scikit-learn.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from scipy import sparse

from nkdiplomacy.bounds import AT_LEAST_ONE, NON_NEGATIVE, POSITIVE, Bound
from nkdiplomacy.estimators.heads import LinearHeads
from nkdiplomacy.estimators.model import SegmentModel
from nkdiplomacy.estimators.persist import ModelError, load_arrays, load_json, save_arrays, save_json
from nkdiplomacy.estimators.tfidf_transform import TfidfTransform
from nkdiplomacy.schema import DEFAULT_THRESHOLD
from nkdiplomacy.text.context import SegmentInput, mask_names, shape_features

VOCABULARY_FILE = "tfidf_vocabulary.json"
IDF_FILE = "tfidf_idf.npz"


class TfidfModel(SegmentModel):
    """TF-IDF features of the segment (word 1-2 grams, character 2-5 grams) and, with
    ``use_context``, of its neighbours and of its page, fed to two logistic regressions.

    Args:
        use_context: add the neighbouring segments, the page title and text.
        C: inverse regularisation strength of both heads.
        context_weight: scale of the context blocks relative to the segment's own.
        max_features: vocabulary size cap of each vectorizer.
        names: ``raw`` text, ``masked`` (country, capital and leader names replaced by their kind,
            against learning names as topic) or ``both`` (a masked block beside the raw ones).
        threshold: relevance score at or above which a segment is on-topic.
        seed: random seed of the solvers.
    """

    family = "tfidf"
    param_choices: ClassVar[dict[str, tuple[str, ...]]] = {"names": ("raw", "masked", "both")}
    param_bounds: ClassVar[dict[str, Bound]] = {
        **SegmentModel.param_bounds,
        "C": POSITIVE,
        "context_weight": NON_NEGATIVE,
        "max_features": AT_LEAST_ONE,
    }

    def __init__(
        self,
        use_context: bool = True,
        C: float = 4.0,
        context_weight: float = 0.5,
        max_features: int = 50000,
        names: str = "raw",
        threshold: float = DEFAULT_THRESHOLD,
        seed: int = 13,
    ):
        self.use_context = use_context
        self.C = C
        self.context_weight = context_weight
        self.max_features = max_features
        self.names = names
        self.threshold = threshold
        self.seed = seed

    def _analyzers(self) -> dict[str, tuple[str, tuple[int, int]]]:
        """Each vectorizer's name, analyzer and n-gram range, in column order."""
        words, chars = ("word", (1, 2)), ("char_wb", (2, 5))
        out = {"text_words": words, "text_chars": chars}
        if self.names == "both":
            out["masked_words"] = words
        if self.use_context:
            out["window"] = words
            out["page"] = words
        return out

    def _field(self, name: str, inputs: list[SegmentInput]) -> list[str]:
        if name == "masked_words":
            return [mask_names(x.text) for x in inputs]
        if name.startswith("text"):
            texts = [x.text for x in inputs]
        elif name == "window":
            texts = [f"{x.prev_text} {x.next_text}" for x in inputs]
        else:
            texts = [f"{x.title} {x.doc_text}" for x in inputs]
        if self.names != "masked":
            return texts
        masked = {t: mask_names(t) for t in dict.fromkeys(texts)}  # a page's text once, not once a line
        return [masked[t] for t in texts]

    def _blocks(self, inputs: list[SegmentInput], fitted: dict | None = None) -> list:
        """The feature columns as blocks ``(rows, order, start, scale)`` (see
        :meth:`LogisticHead.block_decision`): each vectorizer's distinct rows (``fitted`` when given,
        else transformed here), context blocks scaled by ``context_weight``, then the line's shape."""
        blocks, start = [], 0
        for name, transform in self.transforms_.items():
            rows, order = (
                (fitted[name], None) if fitted else transform.transform_unique(self._field(name, inputs))
            )
            own = name.startswith("text") or name == "masked_words"
            blocks.append((rows, order, start, 1.0 if own else self.context_weight))
            start += rows.shape[1]
        blocks.append((sparse.csr_matrix(shape_features(inputs, self.use_context)), None, start, 1.0))
        return blocks

    def _fit(self, inputs, relevant, event, weight):
        from sklearn.feature_extraction.text import TfidfVectorizer

        if self.names not in ("raw", "masked", "both"):
            raise ValueError(f"names must be 'raw', 'masked' or 'both', got {self.names!r}")
        blocks, self.transforms_ = {}, {}
        for name, (analyzer, ngrams) in self._analyzers().items():
            vec = TfidfVectorizer(
                analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, max_features=self.max_features
            )
            blocks[name] = vec.fit_transform(self._field(name, inputs))
            self.transforms_[name] = TfidfTransform(analyzer, ngrams, vec.vocabulary_, vec.idf_)
        # The fitted blocks are one row a record (no order to apply).
        F = sparse.hstack([rows * scale for rows, _, _, scale in self._blocks(inputs, blocks)]).tocsr()
        self.heads_ = LinearHeads.fit(F, relevant, event, weight, self.C, self.seed)

    def _score(self, inputs):
        """The heads over the feature blocks, each block's distinct rows multiplied once: memory grows
        with the page's distinct texts, not with its lines times its page text."""
        return self.heads_.score_blocks(self._blocks(inputs))

    def _save_payload(self, path: Path) -> None:
        save_json(path / VOCABULARY_FILE, {n: t.terms() for n, t in self.transforms_.items()})
        save_arrays(path / IDF_FILE, **{n: t.idf for n, t in self.transforms_.items()})
        self.heads_.save(path)

    def _load_payload(self, path: Path) -> None:
        terms = load_json(path / VOCABULARY_FILE, "TF-IDF vocabulary")
        idf = load_arrays(path / IDF_FILE, "TF-IDF weights")
        self.transforms_ = {}
        for name, (analyzer, ngrams) in self._analyzers().items():
            try:
                vocabulary = {term: i for i, term in enumerate(terms[name])}
                self.transforms_[name] = TfidfTransform(analyzer, ngrams, vocabulary, idf[name])
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelError(f"{path}: TF-IDF vectorizer {name!r} unreadable ({exc})") from None
        self.heads_ = LinearHeads.load(path)
