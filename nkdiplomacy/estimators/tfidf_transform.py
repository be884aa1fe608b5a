"""A fitted TF-IDF vectorizer's ``transform`` in plain Python and scipy: scoring a tfidf model
without importing scikit-learn.

It reproduces scikit-learn's ``TfidfVectorizer.transform`` for the settings the tfidf family fits
with (lower-cased text; word n-grams over the default token pattern, or ``char_wb`` character
n-grams; sublinear tf; idf weights; l2-normalised rows), from the saved vocabulary and idf
weights. The tests check it against scikit-learn's own transform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
from scipy import sparse

ANALYZERS = ("word", "char_wb")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SPACES = re.compile(r"\s\s+")


def word_ngrams(text: str, lo: int, hi: int) -> Iterator[str]:
    """Word n-grams of ``text`` (already lower-cased), ``lo`` to ``hi`` words long, in
    scikit-learn's order: tokens first, then each longer n-gram joined by one space. Generated one
    at a time, so a long text costs its tokens, not all its n-grams at once."""
    tokens = _TOKEN.findall(text)
    if lo == 1:
        yield from tokens
    for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
        for i in range(len(tokens) - n + 1):
            yield " ".join(tokens[i : i + n])


def char_wb_ngrams(text: str, lo: int, hi: int) -> Iterator[str]:
    """Character n-grams inside each whitespace-separated word, the word padded with a space on
    each side; a word shorter than ``n`` gives itself once. Generated one at a time."""
    for word in _SPACES.sub(" ", text).split():
        w = f" {word} "
        for n in range(lo, hi + 1):
            for i in range(max(len(w) - n, 0) + 1):
                yield w[i : i + n]
            if len(w) <= n:
                break


class TfidfTransform:
    """The transform of one fitted vectorizer: ``analyzer`` (``word`` or ``char_wb``), its
    ``ngram_range``, the vocabulary (term -> column) and the idf weight of each column."""

    def __init__(self, analyzer: str, ngram_range: tuple[int, int], vocabulary: Mapping[str, int], idf):
        if analyzer not in ANALYZERS:
            raise ValueError(f"analyzer must be one of {ANALYZERS}, got {analyzer!r}")
        self.analyzer = analyzer
        self.ngram_range = tuple(ngram_range)
        self.vocabulary = dict(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float64)
        if self.idf.shape != (len(self.vocabulary),):
            raise ValueError(f"{len(self.vocabulary)} terms but {self.idf.size} idf weights")

    def terms(self) -> list[str]:
        """The vocabulary in column order."""
        out = [""] * len(self.vocabulary)
        for term, column in self.vocabulary.items():
            out[column] = term
        return out

    def transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        """TF-IDF rows ``(len(texts), n_terms)``: ``(1 + log count) * idf``, l2-normalised.

        A text given several times (a page's text beside each of its lines) is analysed once.
        """
        rows, order = self.transform_unique(texts)
        return rows if len(order) == rows.shape[0] else rows[order]

    def transform_unique(self, texts: Iterable[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The rows of the distinct texts, and each text's row index: ``rows[order]`` is
        :meth:`transform`'s matrix, without copying a page's row once per line."""
        texts = list(texts)
        unique: dict[str, int] = {}
        order = np.fromiter(
            (unique.setdefault(t, len(unique)) for t in texts), dtype=np.int64, count=len(texts)
        )
        return self._rows(list(unique)), order

    def _rows(self, texts: list[str]) -> sparse.csr_matrix:
        grams = word_ngrams if self.analyzer == "word" else char_wb_ngrams
        lo, hi = self.ngram_range
        indptr, indices, counts = [0], [], []
        for text in texts:
            row: dict[int, int] = {}
            for gram in grams(text.lower(), lo, hi):
                column = self.vocabulary.get(gram)
                if column is not None:
                    row[column] = row.get(column, 0) + 1
            columns = sorted(row)
            indices += columns
            counts += [row[c] for c in columns]
            indptr.append(len(indices))
        cols = np.asarray(indices, dtype=np.int64)
        data = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * self.idf[cols]
        lengths = np.diff(indptr)
        rows = np.repeat(np.arange(len(lengths)), lengths)
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(lengths)))
        norms[norms == 0] = 1.0
        data /= np.repeat(norms, lengths)
        return sparse.csr_matrix((data, cols, indptr), shape=(len(lengths), len(self.idf)))
