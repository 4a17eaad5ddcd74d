"""TextClassifierCV's contract: results, label formats, scorers, budgets,
determinism, scikit-learn plumbing, saving, errors. Tiny data and budgets:
fits of two epochs on at most 120 documents."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError

import sktext
import sktext.tuner as tuner
from sktext import TextClassifier, TextClassifierCV
from sktext.datasets import make_text_classification
from sktext.halving import CostModel, plan_rounds

SPACE = {"learning_rate": [2.0, 8.0], "word_ngrams": [1, 2], "min_count": [1, 2]}
BASE = {"learning_rate": "auto", "word_ngrams": 2, "min_count": 1}
TEXTS, CODES = make_text_classification(180, 3, random_state=0, length=(5, 12))
CODES = np.unique(CODES, return_inverse=True)[1]  # 0, 1, 2
# Folds of 120 training documents: rounds of 40 and 120 with the minimum below.
SPLITS = list(KFold(3, shuffle=True, random_state=1).split(TEXTS))
# Two rounds of 9 then 3 candidates and the estimator's own parameters (room for them is
# kept): 3 folds x (9 x 40 + 4 x 120) x 2 epochs, and the refit.
TWO_ROUNDS = 3 * (9 * 40 + 4 * 120) * 2 + 180 * 2
# One round of three candidates on 2 folds of 90 documents, and the refit.
ONE_ROUND = 3 * 2 * 90 * 2 + 180 * 2


def small_rounds(patch: pytest.MonkeyPatch) -> None:
    # Rounds from 30 documents, so that tiny data get several of them.
    patch.setattr(tuner, "_MIN_DOCUMENTS", 30)
    patch.setattr(tuner, "_MIN_PER_CLASS", 5)


@pytest.fixture(autouse=True)
def _small_rounds(monkeypatch):
    small_rounds(monkeypatch)


def search(**params) -> TextClassifierCV:
    params = {
        "estimator": TextClassifier(min_count=1, max_iter=2, dim=8),
        "param_distributions": SPACE,
        "work_budget": ONE_ROUND,
        "cv": 2,
        "random_state": 0,
        **params,
    }
    return TextClassifierCV(**params)


@pytest.fixture(scope="module")
def fitted():
    with pytest.MonkeyPatch.context() as patch:
        small_rounds(patch)
        return search(cv=SPLITS, work_budget=TWO_ROUNDS).fit(TEXTS, CODES)


def test_results_and_attributes(fitted):
    results = fitted.cv_results_
    n_rows = len(results["params"])
    assert fitted.n_candidates_[0] == 9 and fitted.n_resources_ == [40, 120]
    # The best third, and the estimator's own parameters if they are not among it.
    assert fitted.n_candidates_[1] in (3, 4) and BASE in results["params"][9:]
    assert fitted.n_splits_ == 3 and fitted.n_iterations_ == 2
    for key in (
        "mean_test_score std_test_score rank_test_score mean_fit_time std_fit_time "
        "mean_score_time std_score_time iter n_resources param_min_count param_learning_rate "
        "param_word_ngrams split0_test_score split1_test_score split2_test_score"
    ).split():
        assert len(results[key]) == n_rows, key
    assert "split3_test_score" not in results
    splits = np.array([results[f"split{i}_test_score"] for i in range(3)])
    np.testing.assert_allclose(splits.mean(axis=0), results["mean_test_score"])
    best = fitted.best_index_
    last = results["iter"] == 1
    assert (results["rank_test_score"][last] <= last.sum()).all()  # later rounds first
    top = int(np.flatnonzero(results["rank_test_score"] == 1)[0])
    assert best == top or results["params"][best] == BASE  # within the folds' noise
    assert fitted.best_score_ == results["mean_test_score"][best]
    assert fitted.best_params_ == results["params"][best]
    # The estimator's own parameters are the first candidate; a round keeps the best third.
    assert results["params"][0] == BASE
    first = np.argsort(-results["mean_test_score"][:9], kind="stable")[:3]
    expected = {repr(results["params"][i]) for i in [*first, 0]}
    assert {repr(p) for p in results["params"][9:]} == expected
    estimator = fitted.best_estimator_
    assert type(estimator) is TextClassifier
    assert {k: estimator.get_params()[k] for k in SPACE} == fitted.best_params_
    np.testing.assert_array_equal(fitted.classes_, [0, 1, 2])
    X = TEXTS[:5]
    assert fitted.predict(X).tolist() == estimator.predict(X).tolist()
    np.testing.assert_array_equal(fitted.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(fitted.decision_function(X), estimator.decision_function(X))
    labels, _ = fitted.predict_top_k(X, k=2)
    assert labels.shape == (5, 2)
    assert fitted.score(TEXTS, CODES) == estimator.score(TEXTS, CODES)
    assert fitted.work_used_ > 0 and fitted.refit_time_ > 0


def test_scores_at_full_size_are_those_of_a_plain_fit(fitted):
    # The shared tokenization gives exactly the model TextClassifier.fit would.
    best = fitted.best_index_
    assert fitted.cv_results_["n_resources"][best] == 120
    for i, (train, test) in enumerate(SPLITS):
        model = clone(fitted.best_estimator_).fit([TEXTS[j] for j in train], CODES[train])
        score = model.score([TEXTS[j] for j in test], CODES[test])
        assert fitted.cv_results_[f"split{i}_test_score"][best] == score


def labels_in(kind: str):
    names = np.array(["a", "b", "c"])[CODES]
    ragged = [(str(name),) if i % 3 else (str(name), "x") for i, name in enumerate(names)]
    indicator = MultiLabelBinarizer().fit_transform(ragged)
    return {
        "labels": names,
        "ragged": ragged,
        "indicator": indicator,
        "sparse": sp.csr_matrix(indicator),
        "dataframe": pd.DataFrame(indicator, columns=["a", "b", "c", "x"]),
        "multioutput": np.stack([names, np.where(CODES == 0, "zero", "other")], axis=1),
        "soft": np.clip(indicator * 0.8 + 0.1, 0, 1),
    }[kind]


@pytest.mark.parametrize(
    "kind", ["labels", "ragged", "indicator", "sparse", "dataframe", "multioutput", "soft"]
)
def test_every_label_format(kind):
    target = labels_in(kind)
    fitted = search(cv=None).fit(TEXTS, target)  # 3 folds, stratified for labels
    assert len(fitted.cv_results_["params"]) >= 2
    assert np.isfinite(fitted.cv_results_["mean_test_score"]).all()
    reference = clone(fitted.best_estimator_).fit(TEXTS, target)
    answer, expected = fitted.predict(TEXTS[:4]), reference.predict(TEXTS[:4])
    assert type(answer) is type(expected)
    if kind in ("sparse",):
        answer, expected = answer.toarray(), expected.toarray()
    np.testing.assert_array_equal(
        np.asarray(answer, dtype=object), np.asarray(expected, dtype=object)
    )


def test_scorers():
    calls = []

    def scorer(estimator, X, y_true):
        calls.append(len(X))
        return f1_score(y_true, estimator.predict(X), average="macro")

    by_name = search(scoring="f1_macro").fit(TEXTS, CODES)
    by_callable = search(scoring=scorer).fit(TEXTS, CODES)
    by_make_scorer = search(scoring=make_scorer(f1_score, average="macro")).fit(TEXTS, CODES)
    scores = by_name.cv_results_["mean_test_score"]
    np.testing.assert_array_equal(scores, by_callable.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(scores, by_make_scorer.cv_results_["mean_test_score"])
    assert len(calls) == 2 * len(scores)
    accuracy = search().fit(TEXTS, CODES)
    assert not np.array_equal(scores, accuracy.cv_results_["mean_test_score"])
    assert by_name.score(TEXTS, CODES) == f1_score(CODES, by_name.predict(TEXTS), average="macro")


def test_work_budget_gives_the_same_search_whatever_the_clock(monkeypatch):
    first = search().fit(TEXTS, CODES)
    # A clock running 1000 times faster changes nothing under a work budget.
    real = time.perf_counter
    monkeypatch.setattr("sktext.halving.time.perf_counter", lambda: real() * 1000)
    second = search(n_jobs=2).fit(TEXTS, CODES)
    assert first.best_params_ == second.best_params_
    assert first.cv_results_["params"] == second.cv_results_["params"]
    np.testing.assert_array_equal(
        first.cv_results_["mean_test_score"], second.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(first.predict_proba(TEXTS), second.predict_proba(TEXTS))
    other = search(random_state=1).fit(TEXTS, CODES)  # other candidates, other folds
    assert other.cv_results_["params"] != first.cv_results_["params"]


def test_budgets_are_respected_roughly():
    fitted = search().fit(TEXTS, CODES)
    assert fitted.work_used_ <= 1.2 * ONE_ROUND
    started = time.perf_counter()
    timed = search(work_budget=None, time_budget=1.0).fit(TEXTS, CODES)
    assert time.perf_counter() - started < 2 * 1.0 + 1
    assert len(timed.cv_results_["params"]) >= 1


@pytest.mark.parametrize("budget", [{"work_budget": 1}, {"work_budget": None, "time_budget": 1e-3}])
def test_a_budget_too_small_keeps_the_estimator(budget):
    with pytest.warns(UserWarning, match="affords no comparison"):
        fitted = search(**budget).fit(TEXTS, CODES)
    assert fitted.cv_results_["params"] == [BASE] and fitted.best_params_ == BASE
    assert np.isfinite(fitted.best_score_)


def test_plan_fits_the_budget_and_halves():
    cost = CostModel(3, 100, lambda n: 10.0)
    plan = plan_rounds(2e6, cost, 900, 30, 3, 1000)
    assert [n for n, _ in plan] == sorted(n for n, _ in plan) and plan[-1][0] == 900
    assert len(plan) >= 3
    for (_, before), (_, after) in zip(plan, plan[1:], strict=False):
        assert after == -(-before // 3)
    assert sum(c * cost(n) for n, c in plan) <= 2e6
    # Half the budget: fewer candidates, never over it.
    smaller = plan_rounds(1e6, cost, 900, 30, 3, 1000)
    assert smaller[0][1] < plan[0][1]
    assert sum(c * cost(n) for n, c in smaller) <= 1e6
    # Too little for 9 candidates on all documents: a smaller last round.
    assert plan_rounds(8 * cost(300), cost, 900, 30, 3, 1000)[-1][0] < 900


def test_clone_pickle_pipeline_and_nested_params(fitted):
    unfitted = search()
    assert clone(unfitted).get_params()["estimator__max_iter"] == 2
    unfitted.set_params(estimator__dim=4)
    assert unfitted.estimator.dim == 4
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(TEXTS), fitted.predict_proba(TEXTS))
    pipeline = make_pipeline(search()).fit(TEXTS, CODES)
    assert pipeline.predict(TEXTS[:3]).shape == (3,)
    grid = GridSearchCV(search(work_budget=1000), {"factor": [2, 3]}, cv=2).fit(TEXTS, CODES)
    assert grid.best_params_["factor"] in (2, 3)
    tags = get_tags(fitted)
    assert tags.input_tags.string and tags.classifier_tags.multi_label
    assert tags.estimator_type == "classifier"


def test_save_writes_the_refitted_classifier(fitted, tmp_path):
    fitted.save(tmp_path / "best.sktext")
    loaded = sktext.load(tmp_path / "best.sktext")
    assert type(loaded) is TextClassifier
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), fitted.predict_proba(TEXTS))


def test_sample_weight_and_groups_pass_through():
    weights = np.where(CODES == 0, 5.0, 1.0)
    plain = search().fit(TEXTS, CODES)
    weighted = search().fit(TEXTS, CODES, sample_weight=weights)
    assert not np.array_equal(
        plain.cv_results_["mean_test_score"], weighted.cv_results_["mean_test_score"]
    )
    groups = np.arange(len(TEXTS)) % 3
    from_groups = search(cv=GroupKFold(3)).fit(TEXTS, CODES, groups=groups)
    assert from_groups.n_splits_ == 3


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"time_budget": 0}, InvalidParameterError, "time_budget"),
        ({"work_budget": 0}, InvalidParameterError, "work_budget"),
        ({"factor": 1}, InvalidParameterError, "factor"),
        ({"estimator": LogisticRegression()}, InvalidParameterError, "estimator"),
        ({"scoring": "no_such_metric"}, InvalidParameterError, "scoring"),
        ({"time_budget": None, "work_budget": None}, ValueError, "both None"),
        ({"param_distributions": {"depth": [1, 2]}}, ValueError, "depth"),
        ({"param_distributions": {"dim": [0, 4]}}, InvalidParameterError, "dim"),
        ({"param_distributions": {"char_ngrams": [(5, 2)]}}, ValueError, "char_ngrams"),
    ],
)
def test_bad_parameters_fail_in_fit(params, error, match):
    unfitted = search(**params)  # __init__ only stores
    with pytest.raises(error, match=match):
        unfitted.fit(TEXTS, CODES)


def test_built_in_space_needs_the_bag_model():
    attention = TextClassifierCV(TextClassifier(encoder="attention"), work_budget=10)
    with pytest.raises(ValueError, match="param_distributions"):
        attention.fit(TEXTS, CODES)


def test_refit_false_keeps_the_results_only():
    fitted = search(refit=False).fit(TEXTS, CODES)
    assert fitted.best_params_ and not hasattr(fitted, "best_estimator_")
    with pytest.raises(NotFittedError, match="refit=False"):
        fitted.predict(TEXTS)
    with pytest.raises(NotFittedError):
        search().predict(TEXTS)


def _diverging_refits(monkeypatch, keep):
    """Refits on all of TEXTS diverge unless their parameters match ``keep``."""
    fit = TextClassifier.fit

    def patched(self, X, y, **kwargs):
        own = {name: self.get_params()[name] for name in keep}
        if len(X) == len(TEXTS) and own != keep:
            raise FloatingPointError("the training loss became nan at epoch 1")
        return fit(self, X, y, **kwargs)

    monkeypatch.setattr(TextClassifier, "fit", patched)


def test_a_diverging_refit_gives_way_to_the_next_candidate(monkeypatch):
    reference = search(cv=SPLITS, work_budget=TWO_ROUNDS).fit(TEXTS, CODES)
    ranked = np.argsort(reference.cv_results_["rank_test_score"], kind="stable")
    second = dict(reference.cv_results_["params"][ranked[1]])
    assert second != reference.best_params_
    _diverging_refits(monkeypatch, second)
    with pytest.warns(FitFailedWarning, match="refit of .* on all the data diverged"):
        fitted = search(cv=SPLITS, work_budget=TWO_ROUNDS).fit(TEXTS, CODES)
    assert fitted.best_params_ == second and fitted.best_index_ == ranked[1]
    assert fitted.best_score_ == reference.cv_results_["mean_test_score"][ranked[1]]
    assert fitted.best_estimator_.get_params()["learning_rate"] == second["learning_rate"]
    assert fitted.work_used_ < reference.work_used_ + len(TEXTS) * 2
    assert fitted.predict(TEXTS[:3]).shape == (3,)


def test_the_estimators_own_parameters_are_the_last_fallback(monkeypatch):
    _diverging_refits(monkeypatch, BASE)
    with pytest.warns(FitFailedWarning, match="diverged"):
        fitted = search(cv=SPLITS, work_budget=TWO_ROUNDS).fit(TEXTS, CODES)
    assert fitted.best_params_ == BASE and hasattr(fitted, "best_estimator_")
    _diverging_refits(monkeypatch, {"learning_rate": -1.0})
    with pytest.raises(FloatingPointError), pytest.warns(FitFailedWarning):
        search(cv=SPLITS, work_budget=TWO_ROUNDS).fit(TEXTS, CODES)


def test_a_lead_within_the_folds_noise_keeps_the_estimators_parameters():
    from sktext.halving import Evaluation

    own = Evaluation(0, 1, 120, scores=[0.80, 0.82, 0.78])
    lucky = Evaluation(5, 1, 120, scores=[0.81, 0.81, 0.80])  # +0.007, standard error 0.009
    clear = Evaluation(6, 1, 120, scores=[0.85, 0.86, 0.84])  # +0.05 on every fold
    evaluations = [own, lucky, clear]
    assert tuner._unless_within_noise(evaluations, 1, [1, 0]) == 0
    assert tuner._unless_within_noise(evaluations, 2, [2, 1, 0]) == 2
    assert tuner._unless_within_noise(evaluations, 1, [1, 2]) == 1  # no reference: as ranked
