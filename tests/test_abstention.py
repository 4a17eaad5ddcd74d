"""Coding with abstention: the k best labels, coverage against accuracy, and
a threshold chosen on training data that holds on held-out data."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST, make_multilabel, make_single_label

from sktext import TextClassifier
from sktext.abstention import (
    abstention_threshold,
    confidence,
    coverage_curve,
    predict_with_abstention,
    threshold_for_accuracy,
    top_k_labels,
)
from sktext.datasets import make_text_classification


@pytest.fixture(scope="module")
def fitted():
    X, y = make_single_label(300, 4, seed=3)
    labels = np.array(["a", "b", "c", "d"])[y]
    return TextClassifier(**FAST).fit(X, labels), X, labels


def test_top_k_first_column_is_predict_and_rows_are_sorted(fitted):
    clf, X, _ = fitted
    labels, proba = clf.predict_top_k(X[:50], k=3)
    assert labels.shape == proba.shape == (50, 3)
    np.testing.assert_array_equal(labels[:, 0], clf.predict(X[:50]))
    assert (np.diff(proba, axis=1) <= 0).all()
    full = clf.predict_proba(X[:50])
    column = {label: j for j, label in enumerate(clf.classes_)}
    np.testing.assert_allclose(
        proba, np.take_along_axis(full, np.vectorize(column.get)(labels), axis=1)
    )


def test_top_k_beyond_the_classes_gives_them_all(fitted):
    clf, X, _ = fitted
    labels, _ = clf.predict_top_k(X[:5], k=10)
    assert labels.shape == (5, 4)
    assert all(sorted(row) == list(clf.classes_) for row in labels.tolist())


def test_top_k_ties_keep_the_classes_order():
    labels, proba = top_k_labels([[0.25, 0.25, 0.25, 0.25]], ["w", "x", "y", "z"], k=2)
    assert labels.tolist() == [["w", "x"]]
    assert proba.tolist() == [[0.25, 0.25]]


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_top_k_refuses_a_bad_k(fitted, k):
    clf, X, _ = fitted
    with pytest.raises(ValueError, match="k must be"):
        clf.predict_top_k(X[:2], k=k)


def test_top_k_accuracy_is_at_least_accuracy(fitted):
    clf, X, y = fitted
    labels, _ = clf.predict_top_k(X, k=2)
    assert (labels == y[:, None]).any(axis=1).mean() >= clf.score(X, y)


def test_multilabel_and_multi_output_are_refused():
    X, Y = make_multilabel(120, 4, seed=1)
    clf = TextClassifier(**FAST).fit(X, Y)
    with pytest.raises(ValueError, match="top_k parameter"):
        clf.predict_top_k(X[:3])
    with pytest.raises(ValueError, match="top_k parameter"):
        predict_with_abstention(clf, X[:3], 0.5)
    with pytest.raises(ValueError, match="Multi-output"):
        confidence([np.full((2, 2), 0.5), np.full((2, 3), 1 / 3)])


def test_confidence_probability_and_margin():
    proba = np.array([[0.6, 0.3, 0.1], [0.4, 0.4, 0.2]])
    np.testing.assert_allclose(confidence(proba), [0.6, 0.4])
    np.testing.assert_allclose(confidence(proba, on="margin"), [0.3, 0.0])
    np.testing.assert_allclose(confidence([[1.0]], on="margin"), [1.0])
    with pytest.raises(ValueError, match="on must be"):
        confidence(proba, on="entropy")


def test_coverage_curve_groups_equal_confidences():
    proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.6, 0.4]])
    coverage, accuracy, thresholds = coverage_curve([0, 1, 1, 1], proba, [0, 1])
    # 0.7 is shared by a right and a wrong sample: kept or abstaining together.
    np.testing.assert_allclose(thresholds, [0.9, 0.7, 0.6])
    np.testing.assert_allclose(coverage, [0.25, 0.75, 1.0])
    np.testing.assert_allclose(accuracy, [1.0, 2 / 3, 0.5])


def test_threshold_takes_the_largest_coverage_and_warns_when_unreachable():
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])
    y = [0, 0, 1, 0]
    # Accuracies 1, 1, 2/3, 3/4: 0.75 is reached again at full coverage.
    assert threshold_for_accuracy(y, proba, [0, 1], 0.75, alpha=None) == 0.6
    assert threshold_for_accuracy(y, proba, [0, 1], 0.9, alpha=None) == 0.8
    with pytest.warns(UserWarning, match="every sample would abstain"):
        assert threshold_for_accuracy(y, proba, [0, 1], 0.9) == np.inf
    with pytest.raises(ValueError, match="target_accuracy"):
        threshold_for_accuracy(y, proba, [0, 1], 0.0)
    with pytest.raises(ValueError, match="alpha"):
        threshold_for_accuracy(y, proba, [0, 1], 0.9, alpha=1.0)
    with pytest.raises(ValueError, match="at least one sample"):
        coverage_curve([], np.empty((0, 2)), [0, 1])


def test_lower_bound_is_stricter_on_fewer_samples():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.5, 1.0, 2000)
    proba = np.column_stack([p, 1 - p])
    y = (rng.uniform(size=2000) > p).astype(int)  # calibrated: accuracy = p
    loose = threshold_for_accuracy(y, proba, [0, 1], 0.9, alpha=None)
    strict = threshold_for_accuracy(y, proba, [0, 1], 0.9, alpha=0.05)
    assert loose < strict < 1.0


def test_abstention_label_and_dtype(fitted):
    clf, X, _ = fitted
    assert predict_with_abstention(clf, X[:10], 0.0).tolist() == clf.predict(X[:10]).tolist()
    everything = predict_with_abstention(clf, X[:3], 1.1, abstain_label="human")
    assert everything.tolist() == ["human"] * 3 and everything.dtype.kind == "U"
    nothing = predict_with_abstention(clf, X[:3], 0.0)  # None: object, whether used or not
    assert nothing.dtype == object


def test_threshold_chosen_on_training_data_holds_on_held_out_data():
    X, y = make_text_classification(2000, n_classes=4, signal=0.12, length=(8, 20), random_state=1)
    train, test = slice(0, 1000), slice(1000, None)
    y = np.asarray(y)
    clf = TextClassifier(min_count=1, dim=16, max_iter=5, random_state=0)
    threshold = abstention_threshold(clf, X[train], y[train], 0.9)
    clf.fit(X[train], y[train])
    coded = predict_with_abstention(clf, X[test], threshold, abstain_label=-1)
    kept = coded != -1
    assert clf.score(X[test], y[test]) < 0.75  # abstention is what reaches 0.9
    assert kept.mean() > 0.2
    # Held out, within about one standard error of the target (1.4 points
    # at the ~490 documents kept under supervised pooling: 0.896 measured).
    assert (coded[kept] == y[test][kept]).mean() >= 0.88
