"""partial_fit: streams of batches in every label format."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST, make_multilabel, make_single_label, to_ragged

from sktext import TextClassifier

STREAM = {**FAST, "batch_size": 20}


def _batches(X, y, size):
    for start in range(0, len(X), size):
        yield X[start : start + size], y[start : start + size]


def test_stream_of_labels_learns_and_counts_documents():
    X, y = make_single_label(700, 3, seed=40)
    labels = np.array(["ant", "bee", "cat"])[y]
    # The first batch holds only two of the three classes.
    first = labels[:100] != "cat"
    clf = TextClassifier(**STREAM)
    clf.partial_fit(
        np.array(X[:100])[first].tolist(), labels[:100][first], classes=["cat", "bee", "ant"]
    )
    assert clf.classes_.tolist() == ["ant", "bee", "cat"]
    for _ in range(3):
        for Xb, yb in _batches(X[100:600], labels[100:600], 100):
            clf.partial_fit(Xb, yb)
    assert clf.n_iter_ == 16 and len(clf.loss_curve_) == 16
    assert clf.weighting_.n_documents_ == first.sum() + 3 * 500
    assert clf.score(X[600:], labels[600:]) > 0.9
    assert "cat" in set(clf.predict(X[600:]))


def test_stream_matches_the_declared_formats():
    Xm, Y = make_multilabel(400, 4, seed=41)
    ragged = to_ragged(Y, ["w", "x", "y", "z"])
    clf = TextClassifier(**STREAM)
    for _ in range(4):
        for Xb, yb in _batches(Xm[:300], ragged[:300], 100):
            clf.partial_fit(Xb, yb, classes=["w", "x", "y", "z"])
    assert clf.target_format_ == "ragged"
    assert all(isinstance(row, tuple) for row in clf.predict(Xm[300:]))
    assert clf.score(Xm[300:], ragged[300:]) > 0.8

    indicator = TextClassifier(**STREAM)
    for _ in range(4):
        for Xb, yb in _batches(Xm[:300], Y[:300], 100):
            indicator.partial_fit(Xb, yb)  # columns are the classes: none needed
    assert indicator.predict(Xm[300:]).shape == (100, 4)
    assert indicator.score(Xm[300:], Y[300:]) > 0.8

    soft = TextClassifier(**STREAM).partial_fit(Xm[:100], np.clip(Y[:100] * 0.8 + 0.1, 0, 1))
    soft.partial_fit(Xm[100:200], Y[100:200])  # then hard 0/1 rows: same columns
    assert soft.n_iter_ == 2


def test_stream_errors_name_the_problem():
    X, y = make_single_label(120, 3, seed=42)
    with pytest.raises(ValueError, match="classes=... on its first call"):
        TextClassifier(**STREAM).partial_fit(X, y)
    clf = TextClassifier(**STREAM).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not among classes_"):
        clf.partial_fit(X[:10], np.full(10, 5))
    with pytest.raises(ValueError, match="classes differs"):
        clf.partial_fit(X[:10], y[:10], classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="y holds labels not in classes|not among classes_"):
        TextClassifier(**STREAM).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="early_stopping"):
        TextClassifier(**STREAM, early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    Xm, Y = make_multilabel(60, 4, seed=42)
    with pytest.raises(ValueError, match="columns"):
        TextClassifier(**STREAM).partial_fit(Xm, Y, classes=[0, 1, 2])


def test_vocabulary_is_frozen_at_the_first_call():
    clf = TextClassifier(**STREAM)
    clf.partial_fit(["alpha beta", "gamma delta"] * 5, ["a", "b"] * 5, classes=["a", "b"])
    n_features = clf.n_features_
    clf.partial_fit(["epsilon zeta", "eta theta"] * 5, ["a", "b"] * 5)
    assert clf.n_features_ == n_features
    assert "epsilon" not in clf.tokenizer_.vocabulary_


def test_dask_ml_incremental_feeds_blocks_to_partial_fit():
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_single_label(600, 3, seed=43)
    texts = da.from_array(np.array(X, dtype=object), chunks=100)
    labels = da.from_array(y, chunks=100)
    model = wrappers.Incremental(TextClassifier(**STREAM), scoring="accuracy")
    model.fit(texts[:500], labels[:500], classes=[0, 1, 2])
    assert model.estimator_.n_iter_ == 5  # one partial_fit a block
    assert model.estimator_.score(X[500:], y[500:]) > 0.85
