"""Long-running processes stay bounded: the encoder's memo is capped in bytes, serving requests in size."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO

from nkdiplomacy.estimators import onnx_encoder
from nkdiplomacy.estimators.onnx_encoder import Memo, OnnxEncoder

ENCODER = REPO / "models" / "default" / "artifacts" / "model" / "base" / "encoder"


def test_the_memo_evicts_least_recently_used_texts_to_stay_within_its_bytes():
    memo = Memo(max_bytes=20_000)
    for i in range(1_000):
        memo.put(f"page {i} " * 20, np.ones(384, dtype=np.float32))
    assert memo.bytes <= 20_000 and 0 < len(memo.items) < 1_000
    assert memo.get(f"page {999} " * 20) is not None and memo.get(f"page {0} " * 20) is None
    memo.put("x" * (onnx_encoder.MEMO_MAX_TEXT_CHARS + 1), np.ones(384, dtype=np.float32))
    assert "x" * (onnx_encoder.MEMO_MAX_TEXT_CHARS + 1) not in memo.items  # a whole page is never kept


def test_memory_after_1000_distinct_pages_stays_within_the_memo_bound(monkeypatch):
    monkeypatch.setattr(onnx_encoder, "MEMO_MAX_BYTES", 2_000_000)
    monkeypatch.setattr(onnx_encoder, "_MEMO", {})
    encoder = OnnxEncoder(ENCODER)
    first = encoder.encode(["Kim Jong Un met Xi Jinping in Beijing."])
    for i in range(1_000):
        encoder.encode([f"Page {i}: North Korea and Russia signed agreement number {i} on {i % 12 + 1} May."])
    assert encoder._memo.bytes <= 2_000_000
    # The bound costs no accuracy: a text evicted and embedded again gives the same vector.
    again = encoder.encode(["Kim Jong Un met Xi Jinping in Beijing."])
    assert np.allclose(first, again, atol=1e-6)


@pytest.mark.slow
def test_a_serving_request_over_the_size_limit_is_a_clear_error():
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.exceptions import MlflowException

    from nkdiplomacy.serving.mlflow_model import MAX_REQUEST_TEXT_BYTES

    model = mlflow.pyfunc.load_model(str(REPO / "models" / "default"))
    big = pd.DataFrame({"text": ["North Korea " * 1000] * (MAX_REQUEST_TEXT_BYTES // 12_000 + 1)})
    with pytest.raises(MlflowException, match="over the .* limit of a request"):
        model.predict(big)


def _peak_rss_mb(*args: str, cwd) -> float:
    """Peak RSS of ``nkdiplomacy ARGS`` run in a child process (its own resource usage)."""
    import subprocess
    import sys

    code = (
        "import resource, sys; from nkdiplomacy.cli import main; rc = main(sys.argv[1:]); "
        "sys.stderr.write(f'PEAK {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'); sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, cwd=cwd, check=True)
    line = next(x for x in done.stderr.decode().splitlines() if x.startswith("PEAK "))
    return int(line.split()[1]) / 1024


@pytest.mark.slow
def test_memory_does_not_grow_with_a_page_s_lines_or_a_line_s_length(tmp_path):
    """Scoring holds at most CHUNK_LINES lines' features, and the encoder reads at most
    MAX_ENCODED_CHARS of a line: a 6,000-line page costs little more than a 2,100-line one, and a
    4 MB single line stays near an ordinary page (it took 1.7 GB before the bound)."""
    short = tmp_path / "short.txt"
    short.write_text("".join(f"North Korea talks resumed {i}.\n" for i in range(2_100)))
    long = tmp_path / "long.txt"
    long.write_text("".join(f"North Korea talks resumed {i}.\n" for i in range(6_000)))
    line = tmp_path / "line.txt"
    words = ("North", "Korea", "talks", "sanctions", "missile", "Putin", "summit", "the", "and", "of")
    line.write_text(" ".join(words[i * 7 % 10] for i in range(600_000)) + "\n")
    base = _peak_rss_mb(
        "predict", str(short), "--format", "jsonl", "--output", str(tmp_path / "a"), cwd=tmp_path
    )
    longer = _peak_rss_mb(
        "predict", str(long), "--format", "jsonl", "--output", str(tmp_path / "b"), cwd=tmp_path
    )
    one = _peak_rss_mb(
        "predict", str(line), "--format", "jsonl", "--output", str(tmp_path / "c"), cwd=tmp_path
    )
    assert longer - base < 40, (base, longer)  # 3,900 more lines: their results, not their features
    assert one < base + 150, (base, one)


def test_the_encoder_gives_the_same_vectors_bit_for_bit_on_any_number_of_threads(monkeypatch):
    texts = [f"Kim Jong Un met a delegation from country number {i} in Pyongyang." for i in range(40)]
    vectors = []
    for threads in (1, 2):
        monkeypatch.setattr(onnx_encoder, "_MEMO", {})  # nothing remembered: every text embedded again
        vectors.append(OnnxEncoder(ENCODER, threads=threads).encode(texts))
    assert np.array_equal(vectors[0], vectors[1]) and np.abs(vectors[0]).sum() > 0


def test_the_number_of_encoder_threads_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(onnx_encoder.THREADS_ENV, "3")
    assert onnx_encoder.default_threads() == 3
    monkeypatch.setenv(onnx_encoder.THREADS_ENV, "many")
    with pytest.raises(ValueError, match="NKDIPLOMACY_ENCODER_THREADS must be a whole number"):
        onnx_encoder.default_threads()
    monkeypatch.delenv(onnx_encoder.THREADS_ENV)
    assert 1 <= onnx_encoder.default_threads() <= onnx_encoder.MAX_THREADS
