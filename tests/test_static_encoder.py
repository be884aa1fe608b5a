"""The static encoder: MiniLM token vectors distilled once, averaged per text, no transformer at prediction."""

import numpy as np
import pytest
from conftest import SEED

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.estimators import make_estimator
from nkdiplomacy.estimators.model import load_model
from nkdiplomacy.estimators.static_encoder import StaticEncoder, zipf_weights
from nkdiplomacy.schema import OFF_TOPIC
from nkdiplomacy.text.context import record_inputs

pytestmark = pytest.mark.slow  # distils MiniLM's token vectors (transformer export)


@pytest.fixture(scope="module")
def static_dir():
    from nkdiplomacy.estimators.export import cached_base_encoder

    return cached_base_encoder("", "static")


def test_related_sentences_are_closer_than_unrelated_ones(static_dir):
    enc = StaticEncoder(static_dir)
    a, b, c = enc.encode(
        [
            "Kim Jong Un met Xi Jinping in Beijing.",
            "The North Korean leader held talks with the Chinese president.",
            "Share this article on Facebook",
        ]
    )
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-5)
    assert a @ b > a @ c + 0.2


def test_empty_text_is_a_zero_vector_and_encoding_is_per_text(static_dir):
    enc = StaticEncoder(static_dir)
    alone = enc.encode(["Pyongyang fired a missile."])
    batch = enc.encode(["", "Pyongyang fired a missile.", "Seoul protested."])
    assert not batch[0].any()
    assert np.array_equal(alone[0], batch[1])


def test_frequent_word_pieces_weigh_less_than_rare_ones():
    w = zipf_weights(30522, first_word=1996)
    assert w[1996] < w[5000] < w[30000] <= 1.0


def test_static_encoder_model_round_trips_without_an_onnx_graph(tmp_path):
    recs = read_annotations(SEED)
    inputs = record_inputs(recs)
    labels = [r.event_type if r.relevant else OFF_TOPIC for r in recs]
    model = make_estimator("encoder", precision="static", seed=3).fit(inputs[:80], labels[:80])
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").rglob("*.onnx"))
    loaded = load_model(tmp_path / "m")
    for got, want in zip(loaded.score_segments(inputs[80:]), model.score_segments(inputs[80:])):
        assert np.array_equal(got, want)
