"""Classified articles, one :class:`ArticleResult` each: the one loop over input pages that
``predict`` writes and ``suggest`` ranks, with its one rule for pages of the same name."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nkdiplomacy.records import Prediction
from nkdiplomacy.schema import DEFAULT_THRESHOLD
from nkdiplomacy.text.articles import Article, InputError

if TYPE_CHECKING:
    from nkdiplomacy.serving.classifier import Classifier


@dataclass(frozen=True)
class ArticleResult:
    """One classified article: the predictions to show and the number of segments it has in all."""

    doc_id: str
    source: str
    predictions: list[Prediction]
    n_segments: int
    # The relevance threshold the decisions were made at.
    threshold: float = DEFAULT_THRESHOLD

    @property
    def summary(self) -> str:
        on = sum(p.relevant for p in self.predictions)
        return f"{on} of {self.n_segments} segments on-topic"


def article_results(
    clf: Classifier,
    articles: Iterable[Article | InputError],
    only_relevant: bool = False,
    counterparts: Collection[str] = (),
) -> Iterator[ArticleResult | InputError]:
    """Each article's result, or an :class:`InputError` for an unreadable one or one with no text line.

    Two articles with the same id (files of one name in different folders) keep distinct ids: a
    repeated ``name`` takes the first free ``name#2``, ``name#3``, ... (free of real names too).
    With ``only_relevant``, an article's results hold its on-topic predictions only; with
    ``counterparts``, only the on-topic predictions with one of those counterparts.
    """
    used: set[str] = set()
    for article in articles:
        if isinstance(article, InputError):
            yield article
            continue
        doc_id, n = article.doc_id, 1
        while doc_id in used:
            n += 1
            doc_id = f"{article.doc_id}#{n}"
        used.add(doc_id)
        preds = clf.classify_article(article.text, doc_id=doc_id)
        if not preds:
            yield InputError(f"{article.source}: no text lines")
            continue
        shown = [p for p in preds if p.relevant] if only_relevant or counterparts else preds
        if counterparts:
            shown = [p for p in shown if set(p.counterparts) & set(counterparts)]
        yield ArticleResult(doc_id, article.source, shown, len(preds), clf.threshold)
