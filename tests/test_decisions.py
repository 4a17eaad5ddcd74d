"""Multilabel decisions beyond a fixed 0.5: thresholds tuned for F1, top-k,
and the binary case through scikit-learn's TunedThresholdClassifierCV."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST, make_multilabel
from sklearn.metrics import f1_score

from sktext import TextClassifier, load
from sktext.decisions import DecisionRule, decide, tune_thresholds
from sktext.formats import make_target


def test_tuned_threshold_maximises_f1_between_samples():
    proba = np.array([[0.9], [0.8], [0.7], [0.3], [0.2]])
    truth = np.array([[1], [1], [0], [1], [0]])
    # F1 keeping the top 1..5: 0.5, 0.8, 0.67, 0.857, 0.75 -> keep 4, cut
    # halfway between 0.3 and 0.2.
    np.testing.assert_allclose(tune_thresholds(truth, proba), [0.25])


def test_tuned_threshold_never_splits_tied_probabilities():
    proba = np.array([[0.5], [0.5], [0.1]])
    truth = np.array([[1], [0], [0]])
    np.testing.assert_allclose(tune_thresholds(truth, proba), [0.3])


def test_label_without_held_out_positive_keeps_the_default():
    proba = np.array([[0.9, 0.2], [0.1, 0.3]])
    truth = np.array([[1, 0], [0, 0]])
    assert tune_thresholds(truth, proba, default=0.5)[1] == 0.5


def test_rare_label_is_cut_at_the_rank_of_its_positives():
    # Two positives, fewer than min_positives: the cut keeps the two most
    # probable samples (halfway between 0.3 and 0.2), not the best-F1 cut
    # (which would keep only the top one), and never rises above default.
    proba = np.array([[0.4, 0.9], [0.3, 0.8], [0.2, 0.7], [0.1, 0.6]])
    truth = np.array([[1, 1], [0, 1], [0, 0], [1, 0]])
    tuned = tune_thresholds(truth, proba, min_positives=3)
    np.testing.assert_allclose(tuned, [0.25, 0.5])


def test_rare_label_tied_at_its_rank_keeps_the_default():
    # A label absent from a fold's training part scores 0 everywhere there.
    proba = np.array([[0.0], [0.0], [0.0]])
    truth = np.array([[1], [0], [0]])
    assert tune_thresholds(truth, proba, min_positives=3)[0] == 0.5


def test_top_k_keeps_the_most_probable_labels():
    target = make_target(np.array([[1, 0, 0, 1], [0, 1, 1, 0]]), None)
    logits = np.array([[2.0, 1.0, -1.0, 3.0], [-2.0, -1.0, 0.5, -3.0]])
    exactly_two = decide(target, logits, DecisionRule(np.zeros(4), top_k=2))
    np.testing.assert_array_equal(exactly_two, [[1, 0, 0, 1], [0, 1, 1, 0]])
    # With a threshold, top_k only caps: row 2 has one label above 0.5.
    capped = decide(target, logits, DecisionRule(np.full(4, 0.5), top_k=2))
    np.testing.assert_array_equal(capped, [[1, 0, 0, 1], [0, 0, 1, 0]])


@pytest.fixture(scope="module")
def imbalanced():
    """Label 3 is rare and weakly signalled: at 0.5 it is under-predicted."""
    X, Y = make_multilabel(1200, 4, seed=7, p=0.3, n_signal=1)
    rng = np.random.default_rng(0)
    drop = (Y[:, 3] == 1) & (rng.random(len(Y)) < 0.8)
    Y = Y.copy()
    Y[drop, 3] = 0  # most documents with label 3's words lack the label
    return X[:800], Y[:800], X[800:], Y[800:]


def test_auto_thresholds_raise_macro_f1(imbalanced):
    Xtr, Ytr, Xte, Yte = imbalanced
    fixed = TextClassifier(**FAST).fit(Xtr, Ytr)
    tuned = TextClassifier(threshold="auto", **FAST).fit(Xtr, Ytr)
    assert tuned.threshold_.shape == (4,)
    assert not np.allclose(tuned.threshold_, 0.5)
    assert fixed.threshold_.tolist() == [0.5] * 4
    macro = {
        name: f1_score(Yte, clf.predict(Xte), average="macro", zero_division=0)
        for name, clf in [("fixed", fixed), ("tuned", tuned)]
    }
    assert macro["tuned"] > macro["fixed"], macro


def test_auto_thresholds_are_read_at_predict_time_and_saved(imbalanced, tmp_path):
    Xtr, Ytr, Xte, _ = imbalanced
    tuned = TextClassifier(threshold="auto", **FAST).fit(Xtr, Ytr)
    proba = tuned.predict_proba(Xte)
    np.testing.assert_array_equal(tuned.predict(Xte), (proba >= tuned.threshold_).astype(int))
    tuned.save(tmp_path / "m.sktext")
    again = load(tmp_path / "m.sktext")
    np.testing.assert_array_equal(again.threshold_, tuned.threshold_)
    np.testing.assert_array_equal(again.predict(Xte), tuned.predict(Xte))
    tuned.set_params(threshold=0.5)
    np.testing.assert_array_equal(tuned.predict(Xte), (proba >= 0.5).astype(int))


def test_auto_thresholds_leave_the_final_model_trained_on_everything(imbalanced):
    Xtr, Ytr, Xte, _ = imbalanced
    tuned = TextClassifier(threshold="auto", **FAST).fit(Xtr, Ytr)
    plain = TextClassifier(**FAST).fit(Xtr, Ytr)
    np.testing.assert_array_equal(tuned.predict_proba(Xte), plain.predict_proba(Xte))


def test_auto_thresholds_with_early_stopping(imbalanced):
    Xtr, Ytr, _, _ = imbalanced
    clf = TextClassifier(threshold="auto", early_stopping=True, **FAST).fit(Xtr, Ytr)
    assert clf.threshold_.shape == (4,) and len(clf.validation_scores_) == clf.n_iter_


def test_rare_labels_are_cut_at_their_rank(imbalanced):
    Xtr, Ytr, _, _ = imbalanced
    Y = Ytr.copy()
    rare = np.flatnonzero(Y[:, 0])[9:]
    Y[rare, 0] = 0  # 9 positives left: too few to tune F1 on
    clf = TextClassifier(threshold="auto", **FAST).fit(Xtr, Y)
    # Its out-of-fold probabilities stay low (it is rare): the rank cut
    # lowers its threshold, which predicts it for about 9 training documents.
    assert 0 < clf.threshold_[0] < 0.5 and (clf.threshold_[1:] != 0.5).all()
    assert 3 <= (clf.predict_proba(Xtr)[:, 0] >= clf.threshold_[0]).sum() <= 40


def test_auto_threshold_on_ragged_labels(imbalanced):
    Xtr, Ytr, Xte, _ = imbalanced
    names = ["w", "x", "y", "z"]
    ragged = [[names[j] for j in np.flatnonzero(row)] for row in Ytr]
    tuned = TextClassifier(threshold="auto", **FAST).fit(Xtr, ragged)
    indicator = TextClassifier(threshold="auto", **FAST).fit(Xtr, Ytr)
    np.testing.assert_array_equal(tuned.threshold_, indicator.threshold_)
    assert all(isinstance(labels, tuple) for labels in tuned.predict(Xte))


def test_auto_threshold_refused_by_partial_fit(imbalanced):
    Xtr, Ytr, _, _ = imbalanced
    with pytest.raises(ValueError, match="partial_fit cannot refit"):
        TextClassifier(threshold="auto", **FAST).partial_fit(Xtr, Ytr)


def test_auto_threshold_leaves_single_label_argmax(single3):
    Xtr, ytr, Xte, _ = single3
    auto = TextClassifier(threshold="auto", **FAST).fit(Xtr, ytr)
    plain = TextClassifier(**FAST).fit(Xtr, ytr)
    np.testing.assert_array_equal(auto.predict(Xte), plain.predict(Xte))


def test_binary_threshold_tuned_by_scikit_learn(binary):
    from sklearn.model_selection import TunedThresholdClassifierCV

    Xtr, ytr, Xte, yte = binary
    tuned = TunedThresholdClassifierCV(TextClassifier(**FAST), scoring="f1", cv=3)
    tuned.fit(np.asarray(Xtr, dtype=object), ytr)
    assert 0 < tuned.best_threshold_ < 1
    assert tuned.score(np.asarray(Xte, dtype=object), yte) > 0.8


@pytest.mark.parametrize(
    "params", [{"threshold": 1.5}, {"threshold": -1}, {"threshold": "best"}, {"top_k": 0}]
)
def test_decision_parameters_set_after_fit_are_checked_at_predict(multi4, params):
    # set_params(threshold=1.5) used to predict no label, -1 every label.
    X, Y, X_test, _ = multi4
    clf = TextClassifier(**FAST).fit(X, Y).set_params(**params)
    name = next(iter(params))
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        clf.predict(X_test)
