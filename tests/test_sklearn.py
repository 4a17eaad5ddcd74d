"""scikit-learn integration: clone, params, Pipeline, search, CV, pickling, tags, training state."""

from __future__ import annotations

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from conftest import FAST, make_multilabel, make_single_label, to_ragged
from sklearn.base import clone, is_classifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sktext import TextClassifier
from sktext.model import BagModel
from sktext.training import TrainingConfig, auto_batch_size, auto_epochs

ML = {**FAST, "max_iter": 10}


def test_is_classifier_and_clone():
    clf = TextClassifier(
        dim=7, threshold=[0.1, 0.2], class_weight={"a": 2.0}, char_ngrams=(2, 3), random_state=3
    )
    assert is_classifier(clf)
    twin = clone(clf)
    assert twin is not clf
    assert twin.get_params() == clf.get_params()
    assert twin.threshold == [0.1, 0.2] and twin.char_ngrams == (2, 3)
    # Mutable parameters are copied, not shared.
    twin.class_weight["a"] = 5.0
    assert clf.class_weight == {"a": 2.0}


def test_clone_of_fitted_is_unfitted(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    twin = clone(clf)
    assert not hasattr(twin, "model_")
    assert not hasattr(twin, "classes_")


def test_get_set_params():
    clf = TextClassifier()
    params = clf.get_params()
    expected = {
        "tokenizer",
        "lowercase",
        "word_ngrams",
        "char_ngrams",
        "min_count",
        "vocab_size",
        "pooling",
        "dim",
        "dropout",
        "max_iter",
        "learning_rate",
        "batch_size",
        "early_stopping",
        "validation_fraction",
        "n_iter_no_change",
        "tol",
        "target_type",
        "threshold",
        "at_least_one",
        "class_weight",
        "device",
        "random_state",
        "verbose",
    }
    assert expected <= set(params)
    assert clf.set_params(dim=12, pooling="mean") is clf
    assert clf.get_params()["dim"] == 12 and clf.pooling == "mean"
    with pytest.raises(ValueError):
        clf.set_params(no_such_param=1)
    # Every default is stored untouched (clone-safety).
    for name, value in TextClassifier().get_params().items():
        assert getattr(TextClassifier(), name) == value


def test_keyword_only_constructor():
    with pytest.raises(TypeError):
        TextClassifier("words")


def test_pipeline_with_text_cleaner(single3):
    Xtr, ytr, Xte, yte = single3

    def shout(texts):
        return [t.upper() for t in texts]

    pipe = make_pipeline(FunctionTransformer(shout), TextClassifier(lowercase=False, **FAST))
    pipe.fit(Xtr, ytr)
    clf = pipe[-1]
    assert all(token == token.upper() for token in clf.tokenizer_.vocabulary_)
    assert accuracy_score(yte, pipe.predict(Xte)) >= 0.9
    assert pipe.predict_proba(Xte).shape == (len(Xte), 3)
    assert pipe.score(Xte, yte) == pytest.approx(accuracy_score(yte, pipe.predict(Xte)))
    # The pipeline's params reach the classifier.
    pipe.set_params(textclassifier__dim=8)
    assert pipe[-1].dim == 8


def test_grid_search_labels_f1_micro(single3):
    Xtr, ytr, _, _ = single3
    names = np.array(["red", "green", "blue"])
    # Not max_iter 1 against 5: with supervised pooling one epoch already
    # separates these classes.
    space = {"learning_rate": [0.05, 8.0]}
    grid = GridSearchCV(TextClassifier(**FAST), space, cv=3, scoring="f1_micro").fit(
        Xtr, names[ytr]
    )
    scores = grid.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert grid.best_params_ == {"learning_rate": 8.0}  # a tiny rate is clearly worse
    assert scores[1] > scores[0]
    assert grid.best_score_ >= 0.9
    assert set(grid.predict(Xtr[:5]).tolist()) <= set(names.tolist())


def test_grid_search_indicator_f1_micro(multi4):
    Xtr, Ytr, _, _ = multi4
    grid = GridSearchCV(TextClassifier(**ML), {"max_iter": [2, 10]}, cv=3, scoring="f1_micro").fit(
        Xtr, Ytr
    )
    scores = grid.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert grid.best_params_ == {"max_iter": 10}
    assert grid.best_score_ >= 0.9
    assert grid.predict(Xtr[:5]).shape == (5, 4)


def test_grid_search_ragged_default_score(multi4):
    Xtr, Ytr, _, _ = multi4
    y = to_ragged(Ytr, ["a", "b", "c", "d"])
    grid = GridSearchCV(
        TextClassifier(**ML), {"max_iter": [2, 10]}, cv=KFold(3), error_score="raise"
    ).fit(Xtr, y)
    assert np.isfinite(grid.best_score_)
    for key, values in grid.cv_results_.items():
        if key.endswith("_score") and not key.startswith("rank"):
            assert not np.isnan(np.asarray(values, dtype=float)).any(), key
    assert grid.best_params_ == {"max_iter": 10}
    assert grid.best_score_ >= 0.9
    assert all(isinstance(row, tuple) for row in grid.predict(Xtr[:5]))


def test_cross_val_score(single3):
    Xtr, ytr, _, _ = single3
    scores = cross_val_score(TextClassifier(**FAST), Xtr, ytr, cv=3)
    assert scores.shape == (3,)
    assert (scores >= 0.9).all()
    ragged = to_ragged(make_multilabel(150, 3, seed=9)[1], ["x", "y", "z"])
    X = make_multilabel(150, 3, seed=9)[0]
    scores = cross_val_score(TextClassifier(**ML), X, ragged, cv=KFold(3))
    assert np.isfinite(scores).all()


def test_vocabulary_from_training_texts_only():
    """Words seen only in held-out texts (another CV fold) are not features."""
    X = ["alpha beta"] * 10 + ["gamma delta"] * 10 + ["omega"] * 3
    y = [0] * 10 + [1] * 10 + [0] * 3
    clf = TextClassifier(**FAST).fit(X[:20], y[:20])
    assert "omega" not in clf.tokenizer_.vocabulary_


@pytest.mark.parametrize("y_kind", ["labels", "ragged", "indicator"])
def test_pickle_and_joblib_round_trip(y_kind, single3, multi4):
    if y_kind == "labels":
        Xtr, y, Xte, _ = single3
    else:
        Xtr, y, Xte, _ = multi4
        if y_kind == "ragged":
            y = to_ragged(y, ["a", "b", "c", "d"])
    clf = TextClassifier(**FAST).fit(Xtr, y)
    expected = clf.predict_proba(Xte)

    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(Xte), expected)
    assert restored.get_params() == clf.get_params()
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    restored = joblib.load(buffer)
    np.testing.assert_array_equal(restored.predict_proba(Xte), expected)
    pred, restored_pred = clf.predict(Xte), restored.predict(Xte)
    if isinstance(pred, list):
        assert pred == restored_pred
    else:
        np.testing.assert_array_equal(pred, restored_pred)


def test_pickle_wordpiece(single3):
    Xtr, ytr, Xte, _ = single3
    clf = TextClassifier(tokenizer="wordpiece", vocab_size=200, **FAST).fit(Xtr, ytr)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(Xte), clf.predict_proba(Xte))


@pytest.mark.parametrize(
    "params",
    [{}, {"char_ngrams": (2, 4)}, {"pooling": "mean", "dropout": 0.3}, {"early_stopping": True}],
)
def test_determinism(params, single3):
    Xtr, ytr, Xte, _ = single3
    a = TextClassifier(**FAST, **params).fit(Xtr, ytr).predict_proba(Xte)
    b = TextClassifier(**FAST, **params).fit(Xtr, ytr).predict_proba(Xte)
    assert np.array_equal(a, b)
    c = TextClassifier(**{**FAST, "random_state": 1}, **params).fit(Xtr, ytr).predict_proba(Xte)
    assert not np.array_equal(a, c)


def test_determinism_multilabel(multi4):
    Xtr, Ytr, Xte, _ = multi4
    a = TextClassifier(**ML).fit(Xtr, Ytr).predict_proba(Xte)
    b = TextClassifier(**ML).fit(Xtr, Ytr).predict_proba(Xte)
    assert np.array_equal(a, b)


def test_random_state_instance_and_global_rng_untouched(single3):
    Xtr, ytr, _, _ = single3
    import torch

    np.random.seed(0)
    torch.manual_seed(0)
    expected_np, expected_torch = np.random.rand(), torch.rand(1)
    np.random.seed(0)
    torch.manual_seed(0)
    TextClassifier(**{**FAST, "random_state": np.random.RandomState(4)}).fit(Xtr, ytr)
    assert np.random.rand() == expected_np
    assert torch.equal(torch.rand(1), expected_torch)


def test_wordpiece_fit(single3):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(tokenizer="wordpiece", vocab_size=300, **FAST).fit(Xtr, ytr)
    assert clf.tokenizer_.kind == "wordpiece"
    assert accuracy_score(yte, clf.predict(Xte)) >= 0.9
    assert clf.predict_proba(["entirely unseen wørds ✓"]).shape == (1, 3)


def test_sklearn_tags():
    tags = TextClassifier().__sklearn_tags__()
    assert tags.estimator_type == "classifier"
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.classifier_tags.multi_label is True
    assert tags.target_tags.required is True


def test_early_stopping(single3):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(
        **{**FAST, "max_iter": 30},
        early_stopping=True,
        n_iter_no_change=2,
        validation_fraction=0.2,
    ).fit(Xtr, ytr)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert 1 <= clf.n_iter_ <= 30
    assert clf.n_iter_ < 30  # the easy task is solved early
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert 0.9 <= clf.best_validation_score_ <= 1.0
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert accuracy_score(yte, clf.predict(Xte)) >= 0.9


def test_early_stopping_multilabel(multi4):
    Xtr, Ytr, _, _ = multi4
    clf = TextClassifier(**{**ML, "max_iter": 15}, early_stopping=True).fit(Xtr, Ytr)
    assert len(clf.validation_scores_) == clf.n_iter_ <= 15
    assert all(0.0 <= s <= 1.0 for s in clf.validation_scores_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_no_early_stopping_state(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    assert clf.n_iter_ == FAST["max_iter"]
    # As MLPClassifier: None (no validation ran), not an empty list.
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None
    assert len(clf.loss_curve_) == FAST["max_iter"]
    curve = np.asarray(clf.loss_curve_)
    assert np.isfinite(curve).all()
    assert curve[-1] < curve[0] / 2  # the loss goes down
    assert (np.diff(curve) < 0.05 * curve[0]).all()  # roughly monotone
    assert clf.n_features_ == clf.tokenizer_.n_features_ > 0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("early_stopping", [False, True])
def test_training_diagnostics_as_mlp_classifier(early_stopping, single3):
    """The training record has MLPClassifier's attributes and conventions."""
    from sklearn.neural_network import MLPClassifier

    Xtr, ytr, _, _ = single3
    params = {"max_iter": 4, "early_stopping": early_stopping, "random_state": 0}
    numeric = np.eye(3)[ytr] + np.random.default_rng(0).normal(0, 0.5, (len(ytr), 3))
    mlp = MLPClassifier(hidden_layer_sizes=(4,), **params).fit(numeric, ytr)
    clf = TextClassifier(**{**FAST, **params}).fit(Xtr, ytr)
    for record in (mlp, clf):
        assert len(record.loss_curve_) == record.n_iter_
        if early_stopping:
            assert len(record.validation_scores_) == record.n_iter_
            assert record.best_validation_score_ == max(record.validation_scores_)
        else:
            assert record.validation_scores_ is None
            assert record.best_validation_score_ is None


def test_warm_start_extends_the_training_record(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**{**FAST, "max_iter": 2}, early_stopping=True, warm_start=True)
    first = list(clf.fit(Xtr, ytr).validation_scores_)
    clf.fit(Xtr, ytr)
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.validation_scores_) == 4
    assert clf.validation_scores_[:2] == first
    # A fit without early stopping ran no validation, so it has no scores.
    clf.set_params(early_stopping=False).fit(Xtr, ytr)
    assert clf.n_iter_ == 6 and clf.validation_scores_ is None


def test_verbose_progress_bar(single3, capsys):
    Xtr, ytr, _, _ = single3
    TextClassifier(**{**FAST, "max_iter": 2}, verbose=1, early_stopping=True).fit(Xtr, ytr)
    captured = capsys.readouterr()
    output = captured.err + captured.out
    assert "loss" in output
    assert "2/2" in output or "epoch" in output
    TextClassifier(**{**FAST, "max_iter": 2}).fit(Xtr, ytr)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_auto_epochs_and_batch_size():
    """Small data sets get more passes and small batches; large ones fewer
    passes and large batches (about 200 steps an epoch)."""
    X, y = make_single_label(90, 3, seed=11)
    clf = TextClassifier(**{**FAST, "max_iter": "auto"}).fit(X, y)
    assert clf.n_iter_ == 10
    assert [auto_epochs(n) for n in (1_000, 50_000, 60_000, 100_000, 10**6)] == [
        10,
        10,
        8,
        5,
        5,
    ]
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    sizes = (100, 11_314, 100_000, 10**6, 10**7)
    assert [auto_batch_size(n, cpu) for n in sizes] == [32, 56, 500, 1024, 1024]
    # GPU-sized batches: fewer kernel launches an epoch (no CUDA needed to check the rule).
    assert [auto_batch_size(n, cuda) for n in sizes] == [32, 56, 500, 5000, 8192]
    params = TextClassifier(batch_size=7).get_params()
    config = TrainingConfig.from_params(params, BagModel.training, 10**6, cuda, stream=False)
    assert config.batch_size == 7 and config.max_iter == 5
