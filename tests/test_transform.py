"""transform: document embeddings that other estimators can use."""

from __future__ import annotations

import numpy as np
import torch
from conftest import FAST, make_single_label
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sktext import TextClassifier


def test_transform_gives_the_vectors_the_head_reads():
    X, y = make_single_label(200, 3, seed=50)
    clf = TextClassifier(**FAST).fit(X, y)
    embeddings = clf.transform(X)
    assert embeddings.shape == (200, FAST["dim"]) and embeddings.dtype == np.float32
    with torch.no_grad():
        logits = clf.model_.head(torch.from_numpy(embeddings)).numpy()
    np.testing.assert_allclose(logits, clf.decision_function(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True),
        clf.predict_proba(X),
        rtol=1e-4,
        atol=1e-6,
    )
    names = clf.get_feature_names_out()
    assert names.tolist() == [f"textclassifier{i}" for i in range(FAST["dim"])]
    assert clf.transform([]).shape == (0, FAST["dim"])


def test_embeddings_feed_another_estimator_in_a_pipeline():
    X, y = make_single_label(400, 3, seed=51)
    pipe = make_pipeline(TextClassifier(**FAST), LogisticRegression(max_iter=500))
    pipe.fit(X[:300], y[:300])
    assert pipe.score(X[300:], y[300:]) > 0.9
    fitted = TextClassifier(**FAST)
    assert np.array_equal(fitted.fit_transform(X, y), fitted.transform(X))
