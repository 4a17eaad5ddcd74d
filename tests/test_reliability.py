"""Training robustness, warm starts, concurrency and extreme texts."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from conftest import FAST, make_multilabel, make_single_label, to_ragged

import sktext.classifier
import sktext.compiled_training
import sktext.training
from sktext import TextClassifier


def test_diverging_loss_raises_a_clear_error():
    X, y = make_single_label(120, 3, seed=20)
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        TextClassifier(**{**FAST, "learning_rate": 1e30}).fit(X, y)


def _interrupt_after(monkeypatch, n_steps: int) -> None:
    """Ctrl-C after ``n_steps`` steps, on the torch path or the compiled one
    (run there one step a call into the extension, as Python sees it)."""
    real_step = sktext.training._sgd_step
    real_run = sktext.compiled_training.CompiledEpochs._run
    calls = {"n": 0}

    def step(parameters, learning_rate, *rest):
        calls["n"] += 1
        if calls["n"] > n_steps:
            raise KeyboardInterrupt
        real_step(parameters, learning_rate, *rest)

    def run(self, order, start, n_batches):
        calls["n"] += n_batches
        if calls["n"] > n_steps:
            raise KeyboardInterrupt
        return real_run(self, order, start, n_batches)

    monkeypatch.setattr(sktext.training, "_sgd_step", step)
    monkeypatch.setattr(sktext.compiled_training, "_BLOCK", 1)
    monkeypatch.setattr(sktext.compiled_training.CompiledEpochs, "_run", run)


# Ctrl-C used to end training with a RuntimeWarning and return from fit; it
# now reaches the caller (so that a cross-validation loop stops too), and the
# estimator is left fitted with the weights kept.
def test_keyboard_interrupt_reaches_the_caller_and_keeps_a_usable_model(monkeypatch):
    X, y = make_single_label(300, 3, seed=21)
    _interrupt_after(monkeypatch, 25)  # 10 steps an epoch: stop during epoch 3
    clf = TextClassifier(**{**FAST, "max_iter": 10, "batch_size": 30})
    with pytest.raises(KeyboardInterrupt, match="interrupted during epoch 3"):
        clf.fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert clf.score(X, y) > 0.8  # trained weights, not the initial ones


def test_keyboard_interrupt_restores_best_weights_with_early_stopping(monkeypatch):
    X, y = make_single_label(300, 3, seed=22)
    params = {**FAST, "max_iter": 20, "batch_size": 27, "early_stopping": True}
    _interrupt_after(monkeypatch, 35)  # 10 steps an epoch on the 270 training rows
    clf = TextClassifier(**params)
    with pytest.raises(KeyboardInterrupt, match="best weights so far"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X, y) > 0.8


def test_keyboard_interrupt_stops_scikit_learn_loops(monkeypatch):
    from sklearn.model_selection import cross_val_score

    X, y = make_single_label(300, 3, seed=28)
    _interrupt_after(monkeypatch, 25)
    with pytest.raises(KeyboardInterrupt):
        cross_val_score(TextClassifier(**{**FAST, "max_iter": 60}), X, y, cv=3)
    Xm, Y = make_multilabel(300, 4, seed=28)
    _interrupt_after(monkeypatch, 1000)  # in threshold="auto"'s inner fits, after the main one
    clf = TextClassifier(**{**FAST, "threshold": "auto", "batch_size": 30})
    with pytest.raises(KeyboardInterrupt):
        clf.fit(Xm, Y)
    assert clf.predict(Xm).shape == Y.shape  # fitted, with the default thresholds


@pytest.fixture
def two_torch_threads():
    """torch at 2 threads, as outside the tests on a 2-core machine: a fit
    that restored that count under a concurrent one changed its results."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_fits_in_threads_equal_fits_one_after_another(two_torch_threads):
    from concurrent.futures import ThreadPoolExecutor

    X, y = make_single_label(800, 3, seed=29, n_filler=20)
    seeds = [0, 1, 2, 3]

    def fit(seed: int) -> np.ndarray:
        params = {**FAST, "random_state": seed, "dim": 64}
        return TextClassifier(**params).fit(X, y).predict_proba(X)

    sequential = [fit(seed) for seed in seeds]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(fit, seeds))
    for a, b in zip(sequential, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


def test_dropout_masks_come_from_the_fit_s_own_generator():
    from concurrent.futures import ThreadPoolExecutor

    X, y = make_single_label(300, 3, seed=30)

    def fit(seed: int) -> np.ndarray:
        params = {**FAST, "random_state": seed, "dropout": 0.3}
        return TextClassifier(**params).fit(X, y).predict_proba(X)

    sequential = [fit(seed) for seed in range(3)]
    with ThreadPoolExecutor(3) as pool:
        threaded = list(pool.map(fit, range(3)))
    for a, b in zip(sequential, threaded, strict=True):
        np.testing.assert_array_equal(a, b)
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    fit(0)
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's stream untouched


def test_grid_search_under_threads_equals_a_sequential_one(two_torch_threads):
    from joblib import parallel_backend
    from sklearn.model_selection import GridSearchCV

    X, y = make_single_label(900, 3, seed=31, n_filler=30)
    grid = {"dim": [32, 64], "learning_rate": [2.0, 8.0]}
    sequential = GridSearchCV(TextClassifier(**FAST), grid, cv=2).fit(X, y)
    with parallel_backend("threading", n_jobs=4):
        threaded = GridSearchCV(TextClassifier(**FAST), grid, cv=2, n_jobs=4).fit(X, y)
    np.testing.assert_array_equal(
        sequential.cv_results_["mean_test_score"], threaded.cv_results_["mean_test_score"]
    )


def test_concurrent_thread_settings_restore_the_first_value():
    before = torch.get_num_threads()
    entered, release = threading.Barrier(3), threading.Event()
    seen = []

    def user(n: int) -> None:
        with sktext.training.torch_threads(n):
            entered.wait()
            release.wait()
            seen.append(torch.get_num_threads())

    threads = [threading.Thread(target=user, args=(n,)) for n in (2, 3)]
    for thread in threads:
        thread.start()
    entered.wait()
    release.set()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1  # nobody changed the count under the other
    assert torch.get_num_threads() == before


def test_warm_start_continues_training():
    X, y = make_single_label(300, 3, seed=23)
    clf = TextClassifier(**{**FAST, "max_iter": 1, "warm_start": True}).fit(X, y)
    first_curve = list(clf.loss_curve_)
    vocabulary = clf.tokenizer_.vocabulary_
    weights = clf.model_.head.weight.detach().clone()
    clf.fit(X, y)
    assert clf.n_iter_ == 2 and clf.loss_curve_[:1] == first_curve
    assert clf.loss_curve_[1] < clf.loss_curve_[0]
    assert clf.tokenizer_.vocabulary_ is vocabulary  # the first fit's vocabulary
    assert not np.array_equal(weights.numpy(), clf.model_.head.weight.detach().numpy())
    fresh = TextClassifier(**{**FAST, "max_iter": 1}).fit(X, y)
    assert fresh.n_iter_ == 1


def test_warm_start_refuses_incompatible_targets():
    X, y = make_single_label(120, 3, seed=24)
    clf = TextClassifier(**{**FAST, "max_iter": 1, "warm_start": True}).fit(X, y)
    with pytest.raises(ValueError, match="not among classes_"):
        clf.fit(X, np.where(y == 0, 7, y))  # label 7 was never seen
    Xm, Y = make_multilabel(120, 4, seed=24)
    with pytest.raises(ValueError, match="warm_start=True but y is now"):
        clf.fit(Xm, Y)
    ml = TextClassifier(**{**FAST, "max_iter": 1, "warm_start": True}).fit(Xm, Y)
    with pytest.raises(ValueError, match="columns"):
        ml.fit(Xm, Y[:, :3])  # an indicator with the wrong number of columns
    with pytest.raises(ValueError, match="warm_start=True but y is now"):
        ml.fit(Xm, to_ragged(Y, "abcd"))
    ml.fit(Xm, np.clip(Y * 0.9 + 0.05, 0, 1))  # soft labels on the same columns: fine
    assert ml.n_iter_ == 2


def test_predict_from_threads_matches_sequential():
    X, y = make_single_label(300, 3, seed=25)
    clf = TextClassifier(**FAST).fit(X, y)
    expected = clf.predict_proba(X)
    results: list = [None] * 6
    errors: list = []

    def work(i: int) -> None:
        try:
            results[i] = clf.predict_proba(X)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_very_long_and_odd_documents():
    X, y = make_single_label(120, 3, seed=26)
    huge = " ".join(["sig0x1 filler3"] * 70_000)  # about a million characters
    odd = [
        "",
        "   \t\n",
        "\u202eright-to-left \u05e9\u05dc\u05d5\u05dd",
        "\x00\x01\x1f control",
        "\U0001f600" * 50,
        "\u4e2d\u6587\u6587\u672c",
    ]
    clf = TextClassifier(**FAST).fit(X + [huge] + odd, np.concatenate([y, [0], [1] * 6]))
    assert len(huge) > 999_999
    assert clf.predict([huge]).tolist() == [0]
    assert len(clf.predict(odd)) == len(odd)
    assert np.isfinite(clf.predict_proba(odd)).all()


@pytest.mark.parametrize("n_jobs, expected", [(None, 1), (2, 2), (1, 1)])
def test_n_jobs_bounds_torch_threads_during_fit_and_restores_them(monkeypatch, n_jobs, expected):
    seen = []
    real_train = sktext.training.train

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real_train(*args, **kwargs)

    monkeypatch.setattr(sktext.classifier, "train", spy)
    before = torch.get_num_threads()
    X, y = make_single_label(60, 2, seed=27)
    TextClassifier(**{**FAST, "n_jobs": n_jobs}).fit(X, y)
    assert seen == [expected]
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "X", [{"good film": 0, "bad film": 1}, {"good film", "bad film"}, frozenset({"a", "b"})]
)
def test_unordered_x_is_refused(X):
    # A dict used to predict its keys; a set was accepted in arbitrary order.
    clf = TextClassifier(**FAST).fit(*make_single_label(60, 2, seed=32))
    with pytest.raises(TypeError, match="no order"):
        clf.predict(X)
    with pytest.raises(TypeError, match="no order"):
        TextClassifier(**FAST).fit(X, [0, 1])


def test_models_that_learn_nothing_say_so():
    X, y = make_single_label(60, 2, seed=33)
    with pytest.warns(UserWarning, match="no token was kept"):
        TextClassifier(**{**FAST, "min_count": 10_000}).fit(X, y)
    with pytest.warns(UserWarning, match="no token was kept"):
        TextClassifier(**FAST).fit([""] * 60, y)
    with pytest.raises(ValueError, match="zero weight"):
        TextClassifier(**{**FAST, "class_weight": {0: 0.0, 1: 0.0}}).fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        TextClassifier(**{**FAST, "class_weight": {0: -1.0, 1: 1.0}}).fit(X, y)
    Xm, Y = make_multilabel(60, 3, seed=33)
    with pytest.raises(ValueError, match="zero"):
        TextClassifier(**{**FAST, "class_weight": {0: 0, 1: 0, 2: 0}}).fit(Xm, Y)
