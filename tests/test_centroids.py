"""Label centroids (sktext.centroids): the nearest-centroid score blended into
the bag model's multilabel probabilities, and everything that must carry it."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import make_multilabel, make_single_label
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.preprocessing import normalize
from sklearn.utils._param_validation import InvalidParameterError

import sktext
from sktext import TextClassifier
from sktext.centroids import CENTROID_WEIGHT, LabelCentroids

SMALL = {"dim": 8, "max_iter": 4, "min_count": 1, "random_state": 0}
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def tags():
    X, Y = make_multilabel(200, 4, seed=3)
    return X[:150], Y[:150], X[150:]


def _network_probabilities(clf, X):
    """The network's own sigmoids, without the centroids."""
    logits = clf.model_(*clf.features_.transform(X, None).to(torch.device("cpu")).batch(0, len(X)))
    return torch.sigmoid(logits.detach().double()).numpy()


def test_multilabel_probabilities_mix_the_network_and_the_cosine(tags):
    X, Y, X_test = tags
    clf = TextClassifier(**SMALL).fit(X, Y)
    assert isinstance(clf.centroids_, LabelCentroids)
    assert clf.centroids_.weight == CENTROID_WEIGHT
    # The centroid by hand: unit-length training rows summed over each label.
    rows = normalize(clf.features_.transform(X, None).weighted)
    centroids = normalize(sp.csr_matrix(Y.T.astype(np.float64)) @ rows)
    cosine = (normalize(clf.features_.transform(X_test, None).weighted) @ centroids.T).toarray()
    w = CENTROID_WEIGHT
    expected = (1 - w) * _network_probabilities(clf, X_test) + w * cosine
    np.testing.assert_allclose(clf.predict_proba(X_test), expected, rtol=1e-5, atol=1e-6)
    # decision_function is the mix's log odds, so predict agrees with it.
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(clf.decision_function(X_test), np.log(proba / (1 - proba)))


def test_centroid_weight_zero_keeps_the_network_alone(tags):
    X, Y, X_test = tags
    clf = TextClassifier(centroid_weight=0, **SMALL).fit(X, Y)
    assert clf.centroids_ is None
    np.testing.assert_allclose(
        clf.predict_proba(X_test), _network_probabilities(clf, X_test), rtol=1e-5, atol=1e-7
    )
    # The network trains the same either way: the blend is added after it.
    blended = TextClassifier(**SMALL).fit(X, Y)
    np.testing.assert_array_equal(
        blended.model_.head.weight.detach(), clf.model_.head.weight.detach()
    )


def test_single_label_targets_are_untouched():
    X, y = make_single_label(150, 3, seed=4)
    off = TextClassifier(centroid_weight=0, **SMALL).fit(X, y)
    for weight in ("auto", 0.7):
        clf = TextClassifier(centroid_weight=weight, **SMALL).fit(X, y)
        assert clf.centroids_ is None
        np.testing.assert_array_equal(clf.predict_proba(X), off.predict_proba(X))


def test_soft_targets_keep_the_network_alone(tags):
    # Soft targets' probabilities estimate the targets' values; a cosine is none.
    X, Y, X_test = tags
    soft = np.where(Y == 1, 0.8, 0.1)
    clf = TextClassifier(**SMALL).fit(X, soft)
    assert clf.target_format_ == "soft" and clf.centroids_ is None


def test_the_attention_encoder_refuses_a_centroid_weight(tags):
    X, Y, _ = tags
    attention = {"encoder": "attention", "dim": 8, "n_heads": 2, "max_iter": 1}
    assert TextClassifier(**attention).fit(X, Y).centroids_ is None
    with pytest.raises(ValueError, match="centroid_weight.*encoder='attention'"):
        TextClassifier(centroid_weight=0.5, **attention).fit(X, Y)


@pytest.mark.parametrize("weight", [-0.1, 1.5, "half", None])
def test_bad_centroid_weights_name_the_parameter(tags, weight):
    X, Y, _ = tags
    with pytest.raises(InvalidParameterError, match="centroid_weight"):
        TextClassifier(centroid_weight=weight, **SMALL).fit(X, Y)


def test_saved_and_pickled_models_keep_their_centroids(tags):
    X, Y, X_test = tags
    clf = TextClassifier(threshold="auto", **SMALL).fit(X, Y)
    buffer = io.BytesIO()
    clf.save(buffer)
    buffer.seek(0)
    for copy in (sktext.load(buffer), pickle.loads(pickle.dumps(clf))):
        assert copy.centroids_ is not None
        np.testing.assert_array_equal(copy.predict_proba(X_test), clf.predict_proba(X_test))
        np.testing.assert_array_equal(copy.predict(X_test), clf.predict(X_test))


def test_files_before_format_4_load_without_centroids():
    model = sktext.load(FIXTURES / "format_v3" / "bag_ragged_chars.sktext")
    assert model.centroids_ is None
    # A refit of the loaded estimator trains as that file's model was trained.
    assert model.get_params()["centroid_weight"] == 0.0


def test_streams_keep_the_centroids_of_their_fit(tags):
    X, Y, X_test = tags
    started = TextClassifier(**SMALL).partial_fit(X[:80], Y[:80])
    assert started.centroids_ is None
    clf = TextClassifier(**SMALL).fit(X, Y)
    centroids = clf.centroids_
    clf.partial_fit(X[:50], Y[:50])
    assert clf.centroids_ is centroids


def test_a_refit_replaces_the_centroids(tags):
    X, Y, X_test = tags
    clf = TextClassifier(**SMALL).fit(X, Y)
    other = clone(clf).fit(X[:100], Y[:100])
    assert other.centroids_.matrix.shape == (4, other.features_.n_inputs)
    assert other.centroids_.matrix.shape != clf.centroids_.matrix.shape
    clf.set_params(centroid_weight=0).fit(X, Y)
    assert clf.centroids_ is None


def test_quantized_models_prune_their_centroids(tags):
    X, Y, X_test = tags
    clf = TextClassifier(**SMALL).fit(X, Y).quantize(cutoff=40, method="int8")
    assert clf.centroids_.matrix.shape == (4, clf.features_.n_inputs)
    proba = clf.predict_proba(X_test)
    assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()


def test_centroids_lift_a_label_the_network_barely_learns():
    # Label 3 has only 4 positives among 300 documents; its signature words
    # are what its centroid holds, so the blend ranks its test positives first.
    X, Y = make_multilabel(400, 4, seed=9, p=0.3)
    rare = np.flatnonzero(Y[:300, 3])
    keep = np.setdiff1d(np.arange(300), rare[4:])
    X_train, Y_train = [X[i] for i in keep], Y[keep]
    X_test, truth = X[300:], Y[300:, 3]
    params = {"random_state": 0, "min_count": 1}
    plain = TextClassifier(centroid_weight=0, **params).fit(X_train, Y_train)
    blended = TextClassifier(**params).fit(X_train, Y_train)

    def precision_at_positives(clf):
        order = np.argsort(-clf.predict_proba(X_test)[:, 3])
        return truth[order[: truth.sum()]].mean()

    assert precision_at_positives(blended) > precision_at_positives(plain)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 12),
    st.floats(0.05, 1.0),
    st.integers(0, 2**31 - 1),
)
def test_a_blended_probability_lies_between_its_two_scores(n_labels, n_docs, weight, seed):
    rng = np.random.default_rng(seed)
    train = sp.random(10, 20, density=0.3, random_state=rng, format="csr")
    labels = (rng.random((10, n_labels)) < 0.4).astype(np.float64)
    docs = sp.random(n_docs, 20, density=0.3, random_state=rng, format="csr")
    centroids = LabelCentroids(normalize(sp.csr_matrix(labels.T) @ normalize(train)), weight)
    logits = rng.normal(0, 5, (n_docs, n_labels))
    mixed = 1 / (1 + np.exp(-centroids.blend(logits, docs)))
    network, cosine = 1 / (1 + np.exp(-logits)), centroids.scores(docs)
    assert ((cosine >= -1e-9) & (cosine <= 1 + 1e-9)).all()
    low, high = np.minimum(network, cosine), np.maximum(network, cosine)
    assert ((mixed >= low - 1e-9) & (mixed <= high + 1e-9)).all()
    np.testing.assert_allclose(mixed, (1 - weight) * network + weight * cosine, atol=1e-9)
