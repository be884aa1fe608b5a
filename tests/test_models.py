"""Every model family honours the estimator contract: fit, predict, predict_proba, save, load."""

import pickle

import numpy as np
import pytest
from conftest import SEED
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.estimators import make_estimator, model_class
from nkdiplomacy.estimators.model import SegmentModel, label_space, load_model
from nkdiplomacy.estimators.persist import MANIFEST, ModelError
from nkdiplomacy.schema import OFF_TOPIC
from nkdiplomacy.text.context import SegmentInput, record_inputs

TINY = {
    "tfidf": {},
    "encoder": {"precision": "int8", "max_length": 64},
    "finetune": {"epochs": 1.0, "max_length": 48, "batch_size": 16},
    "stacked": {"base_family": "tfidf", "inner_folds": 2, "event_offsets": True},
}


@pytest.fixture(scope="module")
def tiny_data():
    recs = read_annotations(SEED)
    inputs = record_inputs(recs)
    labels = [r.event_type if r.relevant else OFF_TOPIC for r in recs]
    return inputs, labels


# Fine-tuning a transformer, even tiny, takes minutes: that family runs in the slow tier.
FAMILY_PARAMS = [pytest.param(f, marks=pytest.mark.slow) if f == "finetune" else f for f in sorted(TINY)]


@pytest.fixture(scope="module", params=FAMILY_PARAMS)
def fitted(request, tiny_data):
    inputs, labels = tiny_data
    model = make_estimator(request.param, seed=3, **TINY[request.param])
    return model.fit(inputs[:80], labels[:80])


def test_predict_proba_rows_are_distributions_over_the_label_space(fitted, tiny_data):
    inputs, _ = tiny_data
    proba = fitted.predict_proba(inputs[80:])
    assert proba.shape == (23, len(label_space()))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(fitted.classes_) == list(label_space())


def test_predict_follows_threshold_then_most_likely_type(fitted, tiny_data):
    inputs, _ = tiny_data
    relevance, events = fitted.score_segments(inputs[80:])
    pred = fitted.predict(inputs[80:])
    for r, e, p in zip(relevance, events, pred):
        expected = label_space()[1 + int(e.argmax())] if r >= fitted.threshold else OFF_TOPIC
        assert p == expected


def test_save_load_round_trip_gives_identical_scores(fitted, tiny_data, tmp_path):
    inputs, _ = tiny_data
    fitted.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(fitted) and loaded.get_params() == fitted.get_params()
    np.testing.assert_allclose(loaded.predict_proba(inputs), fitted.predict_proba(inputs), atol=1e-6)


DATA_FILES = {".json", ".npz", ".onnx", ".safetensors", ".txt"}


def test_saved_folder_holds_only_data_files_and_no_pickle(fitted, tmp_path):
    files = [f for f in fitted.save(tmp_path / "m").rglob("*") if f.is_file()]
    assert {f.suffix for f in files} <= DATA_FILES
    assert not [f for f in files if f.read_bytes()[:1] == b"\x80"]  # a pickle's first opcode
    for npz in (f for f in files if f.suffix == ".npz"):
        np.load(npz, allow_pickle=False)


def test_pickle_round_trip(fitted, tiny_data):
    inputs, _ = tiny_data
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(again.predict_proba(inputs[:10]), fitted.predict_proba(inputs[:10]), atol=1e-6)


def test_lone_strings_are_scored_without_an_article(fitted):
    proba = fitted.predict_proba(["Kim Jong Un met Xi Jinping in Beijing.", "Share this article"])
    assert proba.shape == (2, len(label_space()))


def test_empty_input_gives_empty_output(fitted):
    assert fitted.predict([]).shape == (0,)


@pytest.mark.parametrize("family", sorted(TINY))
def test_clone_and_get_params_follow_sklearn(family):
    model = make_estimator(family, seed=5)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy.get_params()["seed"] == 5
    assert set(model_class(family).default_params()) == set(model.get_params())


@pytest.mark.parametrize("family", sorted(TINY))
def test_each_family_is_one_scikit_learn_classifier_class(family):
    model = make_estimator(family, seed=5)
    assert type(model) is model_class(family) and isinstance(model, SegmentModel)
    assert is_classifier(model)
    assert model.set_params(seed=7) is model and model.get_params()["seed"] == 7
    with pytest.raises(ValueError, match="unknown .* parameters \\['sed'\\]"):
        model.set_params(sed=7)


def test_score_is_the_accuracy_of_predict_as_in_scikit_learn(fitted, tiny_data):
    from sklearn.metrics import accuracy_score

    inputs, labels = tiny_data
    weights = np.arange(len(inputs[80:])) + 1.0
    expected = accuracy_score(labels[80:], fitted.predict(inputs[80:]), sample_weight=weights)
    assert fitted.score(inputs[80:], labels[80:], sample_weight=weights) == pytest.approx(expected)


@pytest.mark.parametrize("family", sorted(TINY))
def test_unfitted_model_refuses_to_predict(family):
    with pytest.raises(NotFittedError):
        make_estimator(family).predict(["text"])


def test_unknown_labels_are_rejected():
    with pytest.raises(ValueError, match="unknown labels"):
        make_estimator("tfidf").fit(["a", "b"], ["meeting", "summit"])


def test_context_changes_what_the_model_sees(tiny_data):
    inputs, labels = tiny_data
    with_ctx = make_estimator("tfidf").fit(inputs, labels)
    x = inputs[40]
    alone = SegmentInput(text=x.text)
    assert with_ctx.predict_proba([x])[0, 0] != pytest.approx(with_ctx.predict_proba([alone])[0, 0])
    without = make_estimator("tfidf", use_context=False).fit(inputs, labels)
    assert without.predict_proba([x])[0, 0] == pytest.approx(without.predict_proba([alone])[0, 0])


def test_model_saved_with_other_event_types_is_refused(tiny_data, tmp_path):
    import json

    inputs, labels = tiny_data
    folder = make_estimator("tfidf").fit(inputs, labels).save(tmp_path / "m")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["event_types"] = manifest["event_types"][:-1]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="trained on event types"):
        load_model(folder)


@pytest.mark.slow  # transformer training and export
def test_contrastive_tuning_changes_the_encoder_and_survives_save_load(tiny_data, tmp_path):
    inputs, labels = tiny_data
    params = {"precision": "int8", "max_length": 32, "use_context": False}
    frozen = make_estimator("encoder", **params).fit(inputs[:60], labels[:60])
    tuned = make_estimator("encoder", contrastive_epochs=1, contrastive_pairs=32, **params).fit(
        inputs[:60], labels[:60]
    )
    assert not np.allclose(tuned.embed(["Kim Jong Un met Xi."]), frozen.embed(["Kim Jong Un met Xi."]))
    tuned.save(tmp_path / "m")
    np.testing.assert_allclose(
        load_model(tmp_path / "m").predict_proba(inputs[60:70]),
        tuned.predict_proba(inputs[60:70]),
        atol=1e-6,
    )


def test_page_stage_is_deterministic_and_reads_the_page(tiny_data):
    from nkdiplomacy.text.context import article_inputs

    inputs, labels = tiny_data
    a = make_estimator("stacked", base_family="tfidf", inner_folds=2, seed=3).fit(inputs, labels)
    b = make_estimator("stacked", base_family="tfidf", inner_folds=2, seed=3).fit(inputs, labels)
    np.testing.assert_array_equal(a.predict_proba(inputs), b.predict_proba(inputs))
    line = "The two sides discussed the matter at length."
    diplomatic = article_inputs(
        ["Kim Jong Un meets Xi Jinping in Beijing", line, "Kim and Xi pledged cooperation."]
    )
    furniture = article_inputs(["Sign up for our newsletter", line, "Share this article"])
    assert a.score_segments([diplomatic[1]])[0][0] != pytest.approx(a.score_segments([furniture[1]])[0][0])


def test_page_stage_over_two_first_stages_saves_both_and_reads_both(tiny_data, tmp_path):
    inputs, labels = tiny_data
    extra = [{"family": "tfidf", "names": "masked", "C": 1.0}]
    model = make_estimator("stacked", base_family="tfidf", extra_bases=extra, inner_folds=2, seed=3)
    model.fit(inputs[:80], labels[:80])
    assert [b.names for b in model.bases_] == ["raw", "masked"]
    # The second stage has a weight for each first stage's score block (9 columns each).
    one = make_estimator("stacked", base_family="tfidf", inner_folds=2, seed=3).fit(inputs[:80], labels[:80])
    assert model.heads_.relevance.coef.size == one.heads_.relevance.coef.size + 9
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "base_1" / "manifest.json").exists()
    np.testing.assert_allclose(
        load_model(tmp_path / "m").predict_proba(inputs[80:]), model.predict_proba(inputs[80:]), atol=1e-9
    )


def test_mention_cue_reads_where_north_korea_is_named_apart_on_state_media_pages():
    from nkdiplomacy.estimators.stacked import stack_features
    from nkdiplomacy.text.context import article_inputs

    kcna = article_inputs(["Pyongyang, May 2 (KCNA) -- A delegation left.", "The talks went on."])
    news = article_inputs(["Seoul, May 2 (Reuters) -- North Korea fired a missile.", "Markets fell."])
    inputs = kcna + news
    relevance, events = np.full(4, 0.6), np.full((4, 7), 1 / 7)
    shared = stack_features(inputs, relevance, events, 2, mentions=True)
    apart = stack_features(inputs, relevance, events, 2, mentions=True, mention_cue=True)
    block = shared[:, -7:]  # the mention block, read once for every page
    assert block[:, 0].tolist() == [1, 0, 1, 0]  # the line names North Korea
    np.testing.assert_array_equal(apart[:, :-14], shared[:, :-7])  # then the block elsewhere, then on state media
    np.testing.assert_array_equal(apart[:2, -14:-7], 0)
    np.testing.assert_array_equal(apart[2:, -7:], 0)
    np.testing.assert_array_equal(apart[:2, -7:], block[:2])
    np.testing.assert_array_equal(apart[2:, -14:-7], block[2:])


def test_extra_first_stage_without_a_family_is_refused(tiny_data):
    inputs, labels = tiny_data
    model = make_estimator("stacked", base_family="tfidf", extra_bases=[{"names": "masked"}], inner_folds=2)
    with pytest.raises(ValueError, match="extra_bases.*'family'"):
        model.fit(inputs[:80], labels[:80])


def test_page_keys_group_a_page_and_keep_lone_segments_apart():
    from nkdiplomacy.text.context import article_inputs, lone_input, page_keys

    page = article_inputs(["Title of the page here", "Body line one.", "Body line two."])
    keys = page_keys([*page, lone_input("Same text"), lone_input("Same text")])
    assert len(set(keys[:3])) == 1 and len(set(keys)) == 3


def test_masked_names_make_a_model_blind_to_which_leader_or_country(tiny_data):
    inputs, labels = tiny_data
    model = make_estimator("tfidf", names="masked", use_context=False).fit(inputs, labels)
    a, b = model.predict_proba(["Xi met Putin in Moscow.", "Trump met Kishida in Tokyo."])
    np.testing.assert_allclose(a, b)
    both = make_estimator("tfidf", names="both", use_context=False).fit(inputs, labels)
    a, b = both.predict_proba(["Xi met Putin in Moscow.", "Trump met Kishida in Tokyo."])
    assert not np.allclose(a, b)


def test_event_offsets_raise_macro_f1_of_a_biased_scorer_and_are_zero_when_it_is_right():
    from sklearn.metrics import f1_score

    from nkdiplomacy.estimators.stacked import fit_event_offsets

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 300)
    events = np.full((300, 7), 0.01)
    events[np.arange(300), gold] = 0.5
    events[:, 0] += 0.6  # a scorer biased towards type 0
    events /= events.sum(1, keepdims=True)
    before = f1_score(gold, events.argmax(1), average="macro")
    offsets = fit_event_offsets(events, gold, np.ones(300))
    after = f1_score(gold, (np.log(events) + offsets).argmax(1), average="macro")
    assert after > before + 0.3
    right = np.eye(7)[gold] * 0.9 + 0.01
    assert not fit_event_offsets(right, gold, np.ones(300)).any()
