"""Baselines on the seed pages (the same leave-one-article-out folds as the model rows): a North
Korea keyword filter, trafilatura and jusText boilerplate removal (alone and with the keyword
filter), and zero-shot event typing by MiniLM similarity to the event-type descriptions."""

from __future__ import annotations

import html
import re
import time
from collections import Counter

from common import seed_folds

# Names that mark a North Korea passage: the country, its capital, its leaders, its state media.
KEYWORDS = re.compile(
    r"\b(?:north[\s-]+korean?s?|n\.\s?korean?|dprk|pyongyang"
    r"|kcna|korean\s+central\s+news\s+agency|rodong\s+sinmun"
    r"|democratic\s+people['’]s\s+republic\s+of\s+korea"
    r"|kim\s+jong[\s-]?un|kim\s+jong[\s-]?il|kim\s+il[\s-]?sung|kim\s+yo[\s-]?jong)\b",
    re.IGNORECASE,
)


def article_html(texts: list[str]) -> str:
    """A plain page: the headline as <title>, one <p> per segment, text escaped."""
    from nkdiplomacy.text.context import article_title

    body = "\n".join(f"<p>{html.escape(t)}</p>" for t in texts)
    title = html.escape(article_title(texts))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def kept_by_text(texts: list[str], kept_blocks: list[str]) -> list[bool]:
    """Which segments the extractor kept: a segment is kept when its normalised text is one
    of the extractor's output lines (or blocks); each output line is used once, in order of
    the segments, so a duplicate segment counts only as often as the extractor kept it."""
    from nkdiplomacy.text.segment import normalize

    pool = Counter()
    for block in kept_blocks:
        for line in str(block).splitlines():
            line = normalize(line)
            if line:
                pool[line] += 1
    out = []
    for t in texts:
        t = normalize(t)
        if pool[t] > 0:
            pool[t] -= 1
            out.append(True)
        else:
            out.append(False)
    return out


def trafilatura_keep(texts: list[str]) -> list[bool]:
    import trafilatura

    # Defaults: neither favor_precision nor favor_recall, fallbacks on, plain text out.
    out = trafilatura.extract(article_html(texts), output_format="txt") or ""
    return kept_by_text(texts, [out])


def justext_keep(texts: list[str]) -> list[bool]:
    import justext

    page = article_html(texts).encode("utf-8")
    paragraphs = justext.justext(page, justext.get_stoplist("English"), encoding="utf-8")
    return kept_by_text(texts, [p.text for p in paragraphs if not p.is_boilerplate])


def keyword_keep(texts: list[str]) -> list[bool]:
    return [bool(KEYWORDS.search(t)) for t in texts]


def rule_rows() -> list[dict]:
    """Keyword filter and boilerplate removers, applied to each held-out article (no training)."""
    from nkdiplomacy.trainer.metrics import relevance_metrics

    rules = {
        "keyword filter (regex)": keyword_keep,
        "trafilatura": trafilatura_keep,
        "trafilatura + keyword": lambda t: [a and b for a, b in zip(trafilatura_keep(t), keyword_keep(t))],
        "jusText": justext_keep,
        "jusText + keyword": lambda t: [a and b for a, b in zip(justext_keep(t), keyword_keep(t))],
    }
    folds = seed_folds()
    rows = []
    for name, rule in rules.items():
        start = time.perf_counter()
        gold, pred = [], []
        for _doc, recs in folds:
            texts = [r.text for r in recs]
            gold += [r.relevant for r in recs]
            pred += rule(texts)
        metrics = relevance_metrics(gold, [float(p) for p in pred], pred)
        metrics.update(
            {"n_segments": float(len(gold)), "n_on_topic": float(sum(gold)), "n_kept": float(sum(pred))}
        )
        rows.append(
            {
                "name": name,
                "kind": "baseline",
                "metrics": metrics,
                "folds": [d for d, _ in folds],
                "seconds": time.perf_counter() - start,
                "pr_auc_degenerate": True,
                "note": "hard filter, relevance only",
            }
        )
    return rows


def zero_shot_row() -> dict:
    """Event type = the event type whose "name: description" embedding is nearest (cosine)."""
    import numpy as np

    from nkdiplomacy.estimators.export import cached_base_encoder
    from nkdiplomacy.estimators.onnx_encoder import OnnxEncoder
    from nkdiplomacy.schema import event_types
    from nkdiplomacy.trainer.metrics import event_metrics

    start = time.perf_counter()
    encoder = OnnxEncoder(cached_base_encoder("", "fp32"), max_length=128)
    types = event_types()
    prototypes = encoder.encode([f"{e.name}: {e.description}" for e in types])
    gold, pred = [], []
    folds = seed_folds()
    for _doc, recs in folds:
        on = [r for r in recs if r.relevant]
        if not on:
            continue
        sims = encoder.encode([r.text for r in on]) @ prototypes.T
        gold += [r.event_type for r in on]
        pred += [types[j].name for j in np.asarray(sims).argmax(axis=1)]
    metrics = event_metrics(gold, pred)
    metrics["n_on_topic"] = float(len(gold))
    return {
        "name": "zero-shot MiniLM similarity",
        "kind": "baseline",
        "metrics": metrics,
        "folds": [d for d, _ in folds],
        "seconds": time.perf_counter() - start,
        "note": "event type only (gold on-topic segments); fp32 ONNX MiniLM, 'name: description'",
    }
