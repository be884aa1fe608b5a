"""The tfidf family scores without scikit-learn: its transform matches scikit-learn's own."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, SEED
from sklearn.feature_extraction.text import TfidfVectorizer

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.estimators import make_estimator
from nkdiplomacy.estimators.tfidf_transform import TfidfTransform
from nkdiplomacy.schema import OFF_TOPIC
from nkdiplomacy.text.context import record_inputs

AWKWARD = [
    "",
    "   ",
    "a I x",  # words shorter than the token pattern and the n-gram sizes
    "Kim  Jong\tUn\n\nmet   Xi.",  # runs of mixed whitespace
    'Pyongyang\'s KCNA: "U.S.-ROK drills" (2026) — 100% provocative!',
    "조선중앙통신 김정은 위원장 Café naïve ÉCOLE",
    "the the the the north north korea",  # repeated terms: sublinear tf
]


@pytest.mark.parametrize("analyzer,ngrams", [("word", (1, 2)), ("char_wb", (2, 5)), ("word", (1, 1))])
def test_transform_matches_scikit_learn_on_real_and_awkward_text(analyzer, ngrams):
    texts = [r.text for r in read_annotations(SEED)]
    vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, max_features=3000)
    vec.fit(texts[:60] + AWKWARD[3:])
    ours = TfidfTransform(analyzer, ngrams, vec.vocabulary_, vec.idf_)
    probe = texts[60:] + AWKWARD + texts[60:63]  # repeated texts too, as a page beside each line
    expected = vec.transform(probe).toarray()
    got = ours.transform(probe)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.toarray(), expected, rtol=1e-12, atol=1e-15)
    assert ours.terms() == vec.get_feature_names_out().tolist()


def test_transform_refuses_mismatched_idf_and_unknown_analyzer():
    with pytest.raises(ValueError, match="2 terms but 3 idf"):
        TfidfTransform("word", (1, 1), {"a": 0, "b": 1}, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="analyzer"):
        TfidfTransform("char", (1, 1), {}, [])


def test_loaded_tfidf_model_scores_as_fitted_without_importing_scikit_learn(tmp_path):
    recs = read_annotations(SEED)
    labels = [r.event_type if r.relevant else OFF_TOPIC for r in recs]
    model = make_estimator("tfidf", names="both").fit(record_inputs(recs), labels)
    model.save(tmp_path / "m")
    probe = [r.text for r in recs[:20]]
    code = (
        "import json, sys\n"
        "from nkdiplomacy.estimators.model import load_model\n"
        f"proba = load_model({str(tmp_path / 'm')!r}).predict_proba(json.loads(sys.argv[1]))\n"
        "print(json.dumps({'proba': proba.tolist(), 'sklearn': 'sklearn' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(probe)], capture_output=True, text=True, check=True, cwd=REPO
    )
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["sklearn"] is False
    np.testing.assert_allclose(result["proba"], model.predict_proba(probe), rtol=1e-10)
