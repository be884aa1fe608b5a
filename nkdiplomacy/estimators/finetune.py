"""Fine-tuned MiniLM sequence classifier (``transformers`` ``Trainer``).

One classification head over the label space ``("off_topic", *event types)``;
the relevance score is ``1 - P(off_topic)`` and the event probabilities are the
type probabilities renormalised. With ``use_context`` the segment is paired
with its context (title, previous and next segment) as a second text.

Saved as ``transformer/``: safetensors weights, a JSON config and tokenizer files (no
``pytorch_model.bin`` or ``training_args.bin`` pickles; loading refuses pickled weights).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from nkdiplomacy.bounds import AT_LEAST_ONE, NON_NEGATIVE, POSITIVE, Bound
from nkdiplomacy.estimators.model import SegmentModel, label_space
from nkdiplomacy.estimators.persist import ModelError, first_line
from nkdiplomacy.extras import require
from nkdiplomacy.schema import DEFAULT_THRESHOLD
from nkdiplomacy.text.context import SegmentInput

TRANSFORMER_DIR = "transformer"


def _context_text(x: SegmentInput) -> str:
    return " | ".join(t for t in (x.title, x.prev_text, x.next_text) if t)


class FinetuneModel(SegmentModel):
    """``AutoModelForSequenceClassification`` on all-MiniLM-L6-v2, trained with a weighted loss.

    Args:
        use_context: pair each segment with its title and neighbours.
        epochs: training epochs.
        max_steps: stop after this many optimiser steps (``batch_size`` examples each) even if the
            epochs are not done; 0 = no cap. Caps the cost of a fit on a large training set.
        learning_rate: peak learning rate (linear decay, warm-up ratio 0.1).
        batch_size: examples per step.
        max_length: tokens per (segment, context) pair.
        weight_decay: AdamW weight decay.
        base_model: folder of the transformer to start from ('' = shipped all-MiniLM-L6-v2).
        threshold: relevance score at or above which a segment is on-topic.
        seed: random seed of initialisation and shuffling.
    """

    family = "finetune"
    param_bounds: ClassVar[dict[str, Bound]] = {
        **SegmentModel.param_bounds,
        "epochs": POSITIVE,
        "max_steps": NON_NEGATIVE,
        "learning_rate": POSITIVE,
        "batch_size": AT_LEAST_ONE,
        "max_length": AT_LEAST_ONE,
        "weight_decay": NON_NEGATIVE,
    }

    def __init__(
        self,
        use_context: bool = True,
        epochs: float = 3.0,
        max_steps: int = 0,
        learning_rate: float = 1e-4,
        batch_size: int = 16,
        max_length: int = 128,
        weight_decay: float = 0.01,
        base_model: str = "",
        threshold: float = DEFAULT_THRESHOLD,
        seed: int = 13,
    ):
        self.use_context = use_context
        self.epochs = epochs
        self.max_steps = max_steps
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_length = max_length
        self.weight_decay = weight_decay
        self.base_model = base_model
        self.threshold = threshold
        self.seed = seed

    def _encode(self, inputs: list[SegmentInput]):
        texts = [x.text for x in inputs]
        if self.use_context:
            pairs = [_context_text(x) for x in inputs]
            return self.tokenizer_(texts, pairs, truncation="longest_first", max_length=self.max_length)
        return self.tokenizer_(texts, truncation=True, max_length=self.max_length)

    def _collate(self, rows: list[dict]):
        import torch

        width = max(len(r["input_ids"]) for r in rows)
        batch = {}
        for key in ("input_ids", "attention_mask", "token_type_ids"):
            if key in rows[0]:
                batch[key] = torch.tensor([r[key] + [0] * (width - len(r[key])) for r in rows])
        if "labels" in rows[0]:
            batch["labels"] = torch.tensor([r["labels"] for r in rows])
            batch["weight"] = torch.tensor([r["weight"] for r in rows], dtype=torch.float32)
        return batch

    def _fit(self, inputs, relevant, event, weight):
        require("train", "torch", "transformers", "accelerate", what="the finetune family")
        import torch
        from datasets import Dataset
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments
        from transformers import logging as hf_logging

        from nkdiplomacy.estimators.export import resolve_base

        hf_logging.set_verbosity_error()
        torch.manual_seed(self.seed)
        labels = label_space()
        base = str(resolve_base(self.base_model))
        self.tokenizer_ = AutoTokenizer.from_pretrained(base)
        self.model_ = AutoModelForSequenceClassification.from_pretrained(
            base,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={lab: i for i, lab in enumerate(labels)},
        )
        enc = self._encode(inputs)
        target = np.where(relevant, event + 1, 0)
        # Weights average 1 so the learning rate means the same whatever the weighting.
        w = weight / weight.mean()
        data = Dataset.from_dict({**dict(enc), "labels": target.tolist(), "weight": w.tolist()})

        class WeightedTrainer(Trainer):
            def compute_loss(self, model, batch, return_outputs=False, num_items_in_batch=None):
                sample_weight = batch.pop("weight")
                gold = batch.pop("labels")
                outputs = model(**batch)
                loss = torch.nn.functional.cross_entropy(outputs.logits, gold, reduction="none")
                loss = (loss * sample_weight).sum() / sample_weight.sum()
                return (loss, outputs) if return_outputs else loss

        args = TrainingArguments(
            output_dir=str(Path(self._scratch()) / "trainer"),
            num_train_epochs=self.epochs,
            max_steps=self.max_steps or -1,
            learning_rate=self.learning_rate,
            per_device_train_batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            warmup_steps=0.1,
            lr_scheduler_type="linear",
            seed=self.seed,
            data_seed=self.seed,
            use_cpu=True,
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            disable_tqdm=True,
            remove_unused_columns=False,
            dataloader_num_workers=0,
        )
        WeightedTrainer(model=self.model_, args=args, train_dataset=data, data_collator=self._collate).train()
        self.model_.eval()

    def _scratch(self) -> str:
        import tempfile

        self._tmp = tempfile.TemporaryDirectory(prefix="nkdiplomacy-finetune-")
        return self._tmp.name

    def _score(self, inputs):
        import torch

        enc = self._encode(inputs)
        rows = [{k: enc[k][i] for k in enc} for i in range(len(inputs))]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]["input_ids"]))
        probs = np.zeros((len(rows), len(label_space())))
        with torch.no_grad():
            for start in range(0, len(order), 32):
                idx = order[start : start + 32]
                logits = self.model_(**self._collate([rows[i] for i in idx])).logits
                probs[idx] = torch.softmax(logits, dim=-1).numpy()
        relevance = 1.0 - probs[:, 0]
        types = probs[:, 1:]
        return relevance, types / np.clip(types.sum(axis=1, keepdims=True), 1e-12, None)

    def _save_payload(self, path: Path) -> None:
        self.model_.save_pretrained(str(path / TRANSFORMER_DIR))  # safetensors
        self.tokenizer_.save_pretrained(str(path / TRANSFORMER_DIR))

    def _load_payload(self, path: Path) -> None:
        require("train", "torch", "transformers", what="a finetune model")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        folder = str(path / TRANSFORMER_DIR)
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
            self.model_ = AutoModelForSequenceClassification.from_pretrained(
                folder, use_safetensors=True, trust_remote_code=False
            ).eval()
        except Exception as exc:  # noqa: BLE001 - transformers and safetensors raise their own kinds
            raise ModelError(f"{folder}: unreadable transformer ({first_line(exc)})") from None
