"""Distil a smaller sentence encoder (a student of a few layers) from all-MiniLM-L6-v2, on unlabeled pages.

    python training/distill_encoder.py --mirrors DIR [--out build/student-l2] [--layers 2]

The student keeps MiniLM's tokenizer, embeddings and width and ``--layers`` of its six transformer
layers (``--init`` names which; default the first and the last), then learns to give the teacher's
mean-pooled, L2-normalised sentence embeddings (squared error between the unit vectors) on texts
shaped as the package embeds them: each line of a page, its title and its page text. It is fewer
layers to run per text, hence faster at prediction; `base_model: <out>` in a recipe's encoder
parameters uses it (exported to int8 ONNX at training time like MiniLM itself).

The pages are unlabeled and never in the labeled corpus: stories, articles and official texts of
the mirrored repositories the corpus was drawn from (``DIR`` as for ``make_real_texts.py`` and
``make_genre_texts.py``), without the pages the corpus holds, without any line the corpus holds,
and without every page with a line in ``shared/reserved/`` (counted). So the grouped CV of a model
on the student measures it on text the student never saw. ``<out>/distill.json`` records the
sources, counts, skips, seed, the teacher fidelity (mean cosine to the teacher) on held-out texts,
and the time taken. Needs the ``train`` extra (torch, transformers); CPU only, about half an hour on
two cores.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_genre_texts as genre
from make_real_texts import ROOT, git, git_dir, kcna_pool, lines_of, sha1

SEED = 20261204
PAGES_PER_SOURCE = {"kcna": 1500, "abp": 2500, "genre": 600}
MAX_LENGTH = 128


def corpus_lines() -> tuple[set[str], set[str]]:
    """The labeled corpus's page ids and normalised lines (every text file under ``data/raw``)."""
    ids, lines = set(), set()
    for path in (ROOT / "data" / "raw").rglob("*.txt"):
        lines.update(lines_of(path.read_text(encoding="utf-8")))
    for manifest in (ROOT / "data" / "raw" / "real").glob("manifest*.jsonl"):
        for row in manifest.read_text(encoding="utf-8").splitlines():
            record = json.loads(row)
            if "doc_id" in record:
                ids.add(record["doc_id"])
    return ids, lines


def abp_pages(mirror: Path, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """``n`` Article-Bias-Prediction articles of any subject, drawn at random: (doc id, text)."""
    names = sorted(git(mirror, "ls-tree", "--name-only", "HEAD", "data/jsons/").decode().split())
    names = rng.sample(names, min(len(names), 2 * n))
    out = subprocess.run(
        ["git", f"--git-dir={mirror}", "cat-file", "--batch"],
        input="".join(f"HEAD:{x}\n" for x in names).encode(),
        check=True,
        capture_output=True,
    ).stdout
    pages, pos = [], 0
    for _ in names:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        art = json.loads(out[header_end + 1 : header_end + 1 + size])
        pos = header_end + 1 + size + 1
        pages.append((f"abp_{art['ID']}", f"{art.get('title') or ''}\n{art.get('content_original') or ''}"))
    return pages[: 2 * n]


def unlabeled_pages(mirrors: Path, rng: random.Random) -> tuple[list[tuple[str, str, str]], dict]:
    """(source, doc id, text) of pages outside the corpus and the reservation lists, with counts."""
    ids, known = corpus_lines()
    reserved = genre.reserved_lines()
    drawn: dict[str, list] = {}
    kcna, _ = kcna_pool(git_dir(mirrors / "stiles+north-korea-news" / "repo"))
    drawn["kcna"] = [(p.doc_id, p.text) for p in kcna]
    drawn["abp"] = abp_pages(
        git_dir(mirrors / "ramybaly+Article-Bias-Prediction" / "repo"), PAGES_PER_SOURCE["abp"], rng
    )
    for key, src in genre.SOURCES.items():
        drawn[key] = [(p.doc_id, p.text) for p in genre.READERS[key](genre.Mirror(mirrors, src), src)]
    pages, info = [], {}
    for key, pool in drawn.items():
        kept, skipped, in_corpus, seen = [], 0, 0, set()
        for doc_id, text in pool:
            lines = lines_of(text)
            body = "\n".join(lines)
            if len(lines) < 2 or body in seen:
                continue
            seen.add(body)
            if doc_id in ids:
                in_corpus += 1
                continue
            if any(sha1(x) in reserved for x in lines if len(x.split()) >= 6):
                skipped += 1
                continue
            kept.append((key, doc_id, text))
        cap = PAGES_PER_SOURCE.get(key, PAGES_PER_SOURCE["genre"])
        chosen = rng.sample(kept, min(cap, len(kept)))
        pages += chosen
        info[key] = {
            "pool": len(pool),
            "in_corpus": in_corpus,
            "skipped_reserved": skipped,
            "used": len(chosen),
        }
    return pages, {"sources": info, "corpus_lines": len(known), "_known": known}


def texts_of(pages, known: set[str]) -> list[str]:
    """The distinct texts the package would embed for these pages (lines, titles, page texts), with
    every line the labeled corpus holds left out."""
    from nkdiplomacy.text.context import article_inputs
    from nkdiplomacy.text.segment import segment

    out: dict[str, None] = {}
    for _, _, text in pages:
        lines = [s.text for s in segment(text)]
        if not lines:
            continue
        x = article_inputs(lines)[0]
        for t in [*lines, x.title, x.doc_text]:
            if t and t not in known:
                out[t] = None
    return list(out)


def _encode(model, tokenizer, texts: list[str], batch: int, grad: bool = False):
    import torch

    enc = tokenizer(texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    with torch.set_grad_enabled(grad):
        hidden = model(**enc).last_hidden_state
        weight = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def _batches(texts: list[str], size: int, rng: random.Random | None = None) -> list[list[int]]:
    """Index batches of similar lengths (less padding); shuffled when ``rng`` is given."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def distil(texts: list[str], out: Path, layers: list[int], epochs: int, lr: float, seed: int) -> dict:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from nkdiplomacy.estimators.export import base_model_path

    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    teacher = AutoModel.from_pretrained(str(base)).eval()
    start = time.time()
    targets = torch.zeros(len(texts), teacher.config.hidden_size)
    for idx in _batches(texts, 64):
        targets[idx] = _encode(teacher, tokenizer, [texts[i] for i in idx], 64)
    teacher_s = time.time() - start
    student = AutoModel.from_pretrained(str(base))
    student.encoder.layer = torch.nn.ModuleList([student.encoder.layer[i] for i in layers])
    student.config.num_hidden_layers = len(layers)
    held = set(rng.sample(range(len(texts)), max(1, len(texts) // 50)))
    train = [i for i in range(len(texts)) if i not in held]
    held_idx = sorted(held)

    def fidelity() -> float:
        student.eval()
        got = torch.cat(
            [
                _encode(student, tokenizer, [texts[held_idx[i]] for i in b], 64)
                for b in _batches([texts[i] for i in held_idx], 64)
            ]
        )
        order = [held_idx[i] for b in _batches([texts[i] for i in held_idx], 64) for i in b]
        return float((got * targets[order]).sum(1).mean())

    before = fidelity()
    optim = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * -(-len(train) // 32)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / max(1, steps // 20)) * max(0.0, 1 - s / steps)
    )
    train_texts = [texts[i] for i in train]
    start = time.time()
    history = []
    for epoch in range(epochs):
        student.train()
        total, count = 0.0, 0
        for b in _batches(train_texts, 32, rng):
            rows = [train[i] for i in b]
            got = _encode(student, tokenizer, [texts[i] for i in rows], 32, grad=True)
            loss = ((got - targets[rows]) ** 2).sum(1).mean()
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            total, count = total + loss.item() * len(rows), count + len(rows)
        history.append({"epoch": epoch + 1, "train_loss": total / count, "held_out_cosine": fidelity()})
        print(f"epoch {epoch + 1}: {history[-1]}", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    student.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return {
        "layers_kept": layers,
        "epochs": epochs,
        "learning_rate": lr,
        "texts": len(texts),
        "held_out_texts": len(held_idx),
        "held_out_cosine_before": before,
        "history": history,
        "teacher_seconds": round(teacher_s, 1),
        "train_seconds": round(time.time() - start, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirrors", type=Path, required=True, help="folder of owner+name mirrors")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "student-l2")
    ap.add_argument("--layers", type=int, default=2, help="transformer layers the student keeps")
    ap.add_argument("--init", default="", help="comma-separated teacher layers to start from")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--max-texts", type=int, default=60_000)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    rng = random.Random(SEED)
    pages, info = unlabeled_pages(args.mirrors, rng)
    known = info.pop("_known")
    texts = texts_of(pages, known)
    texts = rng.sample(texts, min(len(texts), args.max_texts))
    layers = [int(x) for x in args.init.split(",")] if args.init else [0, 5][: args.layers]
    if len(layers) != args.layers:
        ap.error("--init must name --layers teacher layers")
    print(f"{len(pages)} pages, {len(texts)} texts; student layers {layers}", file=sys.stderr)
    result = distil(texts, args.out, layers, args.epochs, args.lr, SEED)
    (args.out / "distill.json").write_text(
        json.dumps({"seed": SEED, "pages": len(pages), **info, **result}, indent=1) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
