"""SetFit-style contrastive tuning of a sentence encoder (training time only, torch).

Pairs of training segments are drawn at random; the encoder learns to give
same-label pairs a cosine similarity near 1 and different-label pairs near 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nkdiplomacy.extras import require


def draw_pairs(labels: np.ndarray, n_pairs: int, rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """Half positive (same label), half negative pairs of row indices."""
    by_label = {lab: np.flatnonzero(labels == lab) for lab in np.unique(labels)}
    pairs = []
    for k in range(n_pairs):
        a = int(rng.integers(len(labels)))
        same = by_label[labels[a]]
        if k % 2 == 0 and len(same) > 1:
            b = int(rng.choice(same))
            pairs.append((a, b, 1.0))
        else:
            others = np.flatnonzero(labels != labels[a])
            if len(others):
                pairs.append((a, int(rng.choice(others)), 0.0))
    return pairs


def contrastive_tune(
    base: Path,
    texts: list[str],
    labels: np.ndarray,
    out_dir: Path,
    epochs: int = 1,
    pairs: int = 2000,
    learning_rate: float = 2e-5,
    max_length: int = 128,
    batch_size: int = 16,
    seed: int = 13,
) -> Path:
    """Tune the encoder at ``base`` on labeled texts and save it (weights + tokenizer) to ``out_dir``."""
    require("train", "torch", "transformers", what="contrastive tuning")
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModel.from_pretrained(str(base))
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)

    def embed(batch: list[str]):
        enc = tokenizer(batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        hidden = model(**enc).last_hidden_state
        weight = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return torch.nn.functional.normalize((hidden * weight).sum(1) / weight.sum(1).clamp(min=1e-9), dim=-1)

    for _ in range(epochs):
        drawn = draw_pairs(labels, pairs, rng)
        for start in range(0, len(drawn), batch_size):
            chunk = drawn[start : start + batch_size]
            u = embed([texts[a] for a, _, _ in chunk])
            v = embed([texts[b] for _, b, _ in chunk])
            target = torch.tensor([t for _, _, t in chunk])
            loss = torch.nn.functional.mse_loss((u * v).sum(-1), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return out_dir
