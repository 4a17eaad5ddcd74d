"""Probability calibration: CalibratedClassifierCV around TextClassifier."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from conftest import FAST, make_single_label
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import accuracy_score, log_loss
from sklearn.utils.fixes import parse_version

from sktext import TextClassifier

NAMES = np.array(["ham", "eggs", "spam"])
TEMPERATURE = pytest.param(
    "temperature",
    marks=[
        pytest.mark.skipif(
            parse_version(sklearn.__version__) < parse_version("1.8"),
            reason="method='temperature' is new in scikit-learn 1.8",
        ),
    ],
)


@pytest.fixture(scope="module")
def noisy():
    """3 classes whose labels are redrawn at random for a quarter of the
    documents: the raw model, trained to fit them, is overconfident."""
    X, y = make_single_label(900, 3, seed=5, n_filler=8, n_signal=1)
    rng = np.random.default_rng(0)
    flip = rng.random(len(y)) < 0.25
    y[flip] = rng.integers(0, 3, flip.sum())
    y = NAMES[y]
    return X[:600], y[:600], X[600:], y[600:]


@pytest.fixture(scope="module")
def raw(noisy):
    Xtr, ytr, Xte, yte = noisy
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    return accuracy_score(yte, clf.predict(Xte)), log_loss(yte, clf.predict_proba(Xte))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", TEMPERATURE])
def test_calibration_lowers_log_loss(method, noisy, raw):
    Xtr, ytr, Xte, yte = noisy
    raw_accuracy, raw_log_loss = raw
    calibrated = CalibratedClassifierCV(TextClassifier(**FAST), cv=3, method=method)
    calibrated.fit(Xtr, ytr)
    assert calibrated.classes_.tolist() == sorted(NAMES.tolist())
    proba = calibrated.predict_proba(Xte)
    assert proba.shape == (len(Xte), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # Weight decay (single-label default) left the raw model less
    # overconfident: calibration's gain shrank from over 0.1 to about 0.08.
    assert log_loss(yte, proba) < raw_log_loss - 0.05
    assert accuracy_score(yte, calibrated.predict(Xte)) >= raw_accuracy - 0.03


def test_calibration_of_binary_labels():
    """Binary targets reach the calibrator through the 1-D decision_function."""
    X, y = make_single_label(300, 2, seed=6)
    labels = np.array(["no", "yes"])[y]
    calibrated = CalibratedClassifierCV(TextClassifier(**FAST), cv=3).fit(X[:200], labels[:200])
    proba = calibrated.predict_proba(X[200:])
    assert proba.shape == (100, 2)
    assert accuracy_score(labels[200:], calibrated.classes_[proba.argmax(axis=1)]) >= 0.9
