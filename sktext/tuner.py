"""A time- or work-budgeted search of a TextClassifier's parameters,
in scikit-learn's ``*CV`` idiom: :class:`TextClassifierCV`.

The estimator checks its parameters, draws the candidates, makes the folds
and the budget's cost model, and refits the best; :mod:`sktext.halving` plans
and runs the rounds of successive halving.
"""

from __future__ import annotations

import numbers
import time
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning, NotFittedError
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import (
    KFold,
    ParameterGrid,
    ParameterSampler,
    StratifiedKFold,
    check_cv,
)
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted

from .classifier import TextClassifier
from .formats import as_target_input, make_target
from .halving import CostModel, Evaluation, Folds, HalvingSearch, epochs_at, plan_rounds
from .inputs import check_texts
from .params import PARAMETER_CONSTRAINTS, check_combinations

__all__ = ["BUILT_IN_SPACE", "TextClassifierCV"]

#: ``param_distributions=None``: the bag model's parameters that matter, as
#: lists (drawn without replacement). "auto" keeps the estimator's own rule.
#: Each pooling gets its own steps: on TREC, mean pooling diverged from 64 on,
#: tf-idf pooling at 32 (and with char n-grams above the "auto" rate).
_SHARED_SPACE: dict[str, list] = {
    "max_iter": ["auto", 5, 10, 20, 30],
    "dim": ["auto", 25, 100, 200],
    "word_ngrams": [1, 2, 3],
    "min_count": [1, 2, 3],
    "char_ngrams": [None, None, (3, 5)],  # one in three: they cost 3-5x the time
}
BUILT_IN_SPACE: list[dict[str, list]] = [
    # "auto": the default pooling (supervised weights for single labels, else tf-idf).
    {"pooling": ["auto"], "learning_rate": ["auto", 2.0, 4.0, 16.0], **_SHARED_SPACE},
    {"pooling": ["mean"], "learning_rate": [4.0, 8.0, 16.0, 32.0], **_SHARED_SPACE},
]

# Candidates drawn: the first round never takes more.
_POOL_SIZE = 1000
# Folds of cv=None: fewer than scikit-learn's 5, so that a budget buys more candidates.
_DEFAULT_FOLDS = 3
# The smallest round: at least this many training documents, and 10 a class.
_MIN_DOCUMENTS = 200
_MIN_PER_CLASS = 10
# Documents of the fit that measures a time budget's rates.
_CALIBRATION_DOCUMENTS = 1000


class TextClassifierCV(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """TextClassifier with its parameters tuned within a budget, by successive halving.

    As fastText's autotune, in scikit-learn's ``*CV`` idiom
    (``LogisticRegressionCV``, ``HalvingRandomSearchCV``): candidates drawn
    from ``param_distributions`` are scored by cross-validation in rounds;
    each round keeps the best ``1 / factor`` of the candidates and gives
    them ``factor`` times more training documents, the last round all of
    each fold's training part. How many rounds and candidates is planned
    from the budget. The best candidate of the last round is refitted on
    all the data, and predictions go to it.

    The resource is documents rather than epochs, so that ``max_iter`` is a
    parameter like the others (an epoch count chosen on few documents would
    be judged with a learning-rate schedule of its own). The estimator's own
    parameters are the first candidate. Candidates that share their text
    options (:data:`sktext.halving.TEXT_OPTIONS`: n-grams, ``min_count``,
    ``pooling``...) share each fold's tokenization within a round; only the
    network is trained for each.

    Parameters
    ----------
    estimator : TextClassifier or None, default=None
        The base: its parameters are those not searched, and the first
        candidate. None is ``TextClassifier()``.
    param_distributions : dict, list of dicts or None, default=None
        As ``RandomizedSearchCV``'s: parameter names to lists (drawn
        uniformly, without replacement when all are lists) or scipy.stats
        distributions. None is :data:`BUILT_IN_SPACE`: ``learning_rate``,
        ``max_iter``, ``dim``, ``word_ngrams``, ``min_count``, ``pooling``
        and ``char_ngrams`` (not ``char_ngrams`` for tokenizers other than
        "words"; for ``encoder="attention"`` give your own).
    time_budget : float or None, default=60
        Seconds for the whole ``fit``, refit included. Rates are measured on
        a first fit of 1,000 documents and corrected as the rounds run, and
        no candidate starts past the deadline, so the fit ends near the
        budget (a long last fit may overrun it). The result depends on the
        machine and its load.
    work_budget : int or None, default=None
        Training work for the whole fit, refit included, in documents x
        epochs (a fit of 1,000 documents for 10 epochs is 10,000). When set,
        it replaces ``time_budget``: the plan then depends on the data and
        the parameters alone, so a fixed ``random_state`` gives the same
        ``best_params_`` on any machine, at any load.
    scoring : str, callable or None, default=None
        A scikit-learn scorer name (e.g. ``"f1_macro"``) or a callable
        ``scorer(estimator, X, y)`` such as ``make_scorer``'s. None is the
        estimator's :meth:`~sktext.TextClassifier.score` (accuracy, micro-F1
        for multilabel targets, subset accuracy for multi-output ones).
        Scorers get ``y`` in the format given to ``fit`` and predictions in
        that format too (scikit-learn's metrics do not read ragged lists:
        give an indicator matrix, or a callable).
    cv : int, cross-validation generator, iterable or None, default=None
        None is 3 folds. An int: that many folds, shuffled with
        ``random_state``, stratified for single-label targets whose classes
        all have as many samples (``StratifiedKFold``), else ``KFold``
        (multilabel, multi-output, soft labels). Anything else goes through
        ``sklearn.model_selection.check_cv``; it is split with ``y`` as given
        (1-D labels as class codes) and ``groups``.
    factor : float, default=3
        Each round keeps ``1 / factor`` of its candidates and gives them
        ``factor`` times more documents.
    refit : bool, default=True
        Refit the best candidate on all the data (needed by ``predict``
        and :meth:`save`).
    random_state : int, RandomState instance or None, default=None
        Seeds the candidates drawn, the folds and the rounds' subsets, and
        every candidate's fit (the estimator's own ``random_state`` if it
        has one, else one seed drawn from this).
    n_jobs : int or None, default=None
        Folds of a candidate fitted at the same time, in threads.
    verbose : int, default=0
        Print each round: candidates, documents, best score, seconds.

    Attributes
    ----------
    best_estimator_ : TextClassifier
        The best candidate refitted on all the data (``refit=True``).
    best_params_ : dict
        Its searched parameters: those of the best candidate of the last
        round whose refit fits what is left of the budget (estimated from
        its fold fits), or, if none does, of the one cheapest to refit;
        but the estimator's own parameters, which every round scores, when
        that candidate's lead over them is within one standard error of
        their paired differences over the folds. A
        refit that diverges (``FloatingPointError``) gives way, with a
        ``FitFailedWarning``, to the last round's next candidate by rank,
        and last to the estimator's own parameters.
    best_score_ : float
        Its mean cross-validated score in the last round.
    best_index_ : int
        Its row in ``cv_results_``: the candidate refitted.
    cv_results_ : dict of arrays
        One row per candidate and round, as ``HalvingRandomSearchCV`` has
        them: ``params``, ``param_<name>``, ``split<i>_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``, ``iter`` (the round) and ``n_resources``
        (training documents a fold). Ranks order later rounds first, then
        scores, so rank 1 is ``best_index_`` unless that candidate's refit
        did not fit the budget or diverged (scikit-learn's halving ranks all rows by
        score alone). A fit that diverged scores NaN and ranks last.
    classes_ : ndarray or list of ndarray
        The refitted estimator's classes.
    n_splits_ : int
        Cross-validation folds.
    n_resources_ : list of int
        Training documents a fold, each round.
    n_candidates_ : list of int
        Candidates scored, each round.
    n_iterations_ : int
        Rounds run.
    work_used_ : int
        Documents x epochs trained, refit included.
    refit_time_ : float
        Seconds refitting the best candidate.
    scorer_ : callable
        The scorer used, also by :meth:`score`.

    Examples
    --------
    >>> from sktext import TextClassifier, TextClassifierCV
    >>> texts = ["good movie", "great film", "bad movie", "awful film"] * 50
    >>> labels = ["pos", "pos", "neg", "neg"] * 50
    >>> search = TextClassifierCV(
    ...     TextClassifier(min_count=1, dim=8),
    ...     param_distributions={"learning_rate": [1.0, 4.0, 8.0], "max_iter": [5, 10]},
    ...     work_budget=30_000,
    ...     random_state=0,
    ... ).fit(texts, labels)
    >>> sorted(search.best_params_)
    ['learning_rate', 'max_iter']
    >>> search.n_splits_, len(search.cv_results_["params"]) == sum(search.n_candidates_)
    (3, True)
    >>> search.predict(["a good film"]).tolist()
    ['pos']
    """

    _parameter_constraints: dict = {
        "estimator": [TextClassifier, None],
        "param_distributions": [dict, list, None],
        "time_budget": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "work_budget": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": ["cv_object"],
        "factor": [Interval(numbers.Real, 1, None, closed="neither")],
        "refit": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [
            Interval(numbers.Integral, None, -1, closed="right"),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator: TextClassifier | None = None,
        *,
        param_distributions: dict | list[dict] | None = None,
        time_budget: float | None = 60,
        work_budget: int | None = None,
        scoring: Any = None,
        cv: Any = None,
        factor: float = 3,
        refit: bool = True,
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.time_budget = time_budget
        self.work_budget = work_budget
        self.scoring = scoring
        self.cv = cv
        self.factor = factor
        self.refit = refit
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- fitting -------------------------------------------------------------
    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, groups: Any = None
    ) -> TextClassifierCV:
        """Search within the budget, then refit the best candidate on all the data.

        Parameters
        ----------
        X : 1-D collection of str
            The texts (or the table, with the estimator's ``text_column``).
        y : array-like, sparse matrix or DataFrame
            Targets in any format :class:`~sktext.TextClassifier` accepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, in the fits and the scores.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter given as ``cv``.

        Returns
        -------
        self : TextClassifierCV
            The fitted search.
        """
        started = time.perf_counter()
        self._validate_params()
        if self.time_budget is None and self.work_budget is None:
            raise ValueError(
                "time_budget and work_budget are both None: set one, in seconds or in "
                "documents x epochs."
            )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        base = TextClassifier() if self.estimator is None else clone(self.estimator)
        if base.random_state is None:
            base.set_params(random_state=seed)
        base._validate_params()
        base._check_options()
        y = as_target_input(y)
        n_samples = len(check_texts(X) if base.text_column is None else X)
        target = make_target(y, base.target_type)
        folds = Folds.shuffled(self._splits(n_samples, y, target, groups, seed), seed)
        self.n_splits_ = len(folds.splits)
        drawn = self._draw(base, seed)
        params = base.get_params()
        candidates = [{**params, **override} for override in drawn]
        _check_candidates(candidates, sorted(drawn[0]))
        self.scorer_ = check_scoring(base, self.scoring)
        self.work_used_ = 0
        cost = CostModel(self.n_splits_, folds.n_validation, _mean_epochs(candidates))
        if self.work_budget is not None:
            deadline = None
            budget = self.work_budget - n_samples * cost.mean_epochs(n_samples)
        else:
            cost = self._calibrated(cost, params, X, y, folds)
            deadline = started + self.time_budget - cost.refit_seconds(n_samples)
            budget = deadline - time.perf_counter()
        n_min = max(_MIN_DOCUMENTS, _MIN_PER_CLASS * target.n_classes)
        plan = plan_rounds(budget, cost, folds.n_train, n_min, self.factor, len(candidates))
        if plan == [(plan[0][0], 1)]:
            warnings.warn(
                "the budget affords no comparison of candidates: the estimator's own "
                "parameters are kept; raise time_budget or work_budget.",
                UserWarning,
                stacklevel=2,
            )
        search = HalvingSearch(
            candidates,
            folds,
            self.scorer_,
            self.factor,
            plan,
            cost,
            deadline,
            self.n_jobs,
            self.verbose,
        )
        with warnings.catch_warnings():
            # Wild candidates diverge: they score low, or NaN, which is the answer.
            warnings.simplefilter("ignore", ConvergenceWarning)
            evaluations = search.run(X, y, sample_weight)
        if search.n_failed:
            warnings.warn(
                f"{search.n_failed} of the search's fits diverged and scored NaN.",
                FitFailedWarning,
                stacklevel=2,
            )
        self._set_results(evaluations, drawn)
        order = self._refit_order(evaluations, candidates, n_samples, started)
        self._set_best(order[0])
        if self.refit:
            self._refit(base, order, X, y, sample_weight, n_samples)
        return self

    def _set_best(self, row: int) -> None:
        self.best_index_ = row
        self.best_params_ = dict(self.cv_results_["params"][row])
        self.best_score_ = float(self.cv_results_["mean_test_score"][row])

    def _refit(
        self,
        base: TextClassifier,
        order: list[int],
        X: Any,
        y: Any,
        sample_weight: Any,
        n_samples: int,
    ) -> None:
        """Refit the candidates of ``order`` in turn until one converges.

        A candidate that scored well on the folds can still diverge on all
        the data (a high rate on more documents a step); it gives way to the
        next one, with a warning, rather than losing the whole search.
        """
        refit_started = time.perf_counter()
        for position, row in enumerate(order):
            self._set_best(row)
            estimator = clone(base).set_params(**self.best_params_)
            try:
                estimator.fit(X, y, sample_weight=sample_weight)
            except FloatingPointError as error:
                if position == len(order) - 1:
                    raise
                # A diverged fit's work is not counted, as in the search's rounds.
                following = self.cv_results_["params"][order[position + 1]]
                warnings.warn(
                    f"the refit of {self.best_params_} on all the data diverged ({error}); "
                    f"refitting the next candidate, {following}.",
                    FitFailedWarning,
                    stacklevel=3,
                )
                continue
            self.best_estimator_ = estimator
            self.work_used_ += n_samples * estimator.n_iter_
            break
        self.refit_time_ = time.perf_counter() - refit_started

    def _splits(
        self, n_samples: int, y: Any, target: Any, groups: Any, seed: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The folds' (train, validation) rows."""
        cv = _DEFAULT_FOLDS if self.cv is None else self.cv
        labels = target.encode(y) if target.format == "labels" else None
        if isinstance(cv, numbers.Integral):
            stratified = labels is not None and np.bincount(labels).min() >= cv
            splitter = (StratifiedKFold if stratified else KFold)(
                cv, shuffle=True, random_state=seed
            )
        else:
            splitter = check_cv(cv)
        return list(splitter.split(np.zeros(n_samples), y if labels is None else labels, groups))

    def _draw(self, base: TextClassifier, seed: int) -> list[dict[str, Any]]:
        """The candidates' searched parameters: the estimator's own first, then
        up to ``_POOL_SIZE`` drawn from the space."""
        space = self.param_distributions
        if space is None:
            if base.encoder != "bag":
                raise ValueError(
                    f"the built-in space is the bag model's; give param_distributions for "
                    f"encoder={base.encoder!r}."
                )
            space = [dict(part) for part in BUILT_IN_SPACE]
            if base.tokenizer != "words":
                for part in space:
                    del part["char_ngrams"]  # char n-grams need the words tokenizer
        spaces = space if isinstance(space, list) else [space]
        params = base.get_params()
        names = sorted({name for part in spaces for name in part})
        unknown = [name for name in names if name not in params]
        if unknown:
            raise ValueError(
                f"param_distributions names {unknown}, which are not TextClassifier parameters."
            )
        n_iter = _POOL_SIZE
        if all(not hasattr(v, "rvs") for part in spaces for v in part.values()):
            n_iter = min(n_iter, len(ParameterGrid(spaces)))
        first = {name: params[name] for name in names}
        drawn, seen = [], {repr(first)}
        for sample in ParameterSampler(space, n_iter, random_state=seed):
            candidate = {**first, **sample}
            if repr(candidate) not in seen:  # a list may repeat a value, as char_ngrams'
                seen.add(repr(candidate))
                drawn.append(candidate)
        # ParameterSampler gives a whole grid in grid order: shuffled, so that
        # the first round's candidates are a random sample of it.
        order = np.random.default_rng(seed).permutation(len(drawn))
        return [first] + [drawn[i] for i in order]

    def _calibrated(
        self, cost: CostModel, params: dict[str, Any], X: Any, y: Any, folds: Folds
    ) -> CostModel:
        """``cost`` in seconds, at the rates of one fit of the estimator's own
        parameters on up to 1,000 documents of the first fold."""
        rows = np.sort(folds.splits[0][0][:_CALIBRATION_DOCUMENTS])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = TextClassifier(**params).fit(_safe_indexing(X, rows), _safe_indexing(y, rows))
        self.work_used_ += len(rows) * model.n_iter_
        timings = model.fit_timings_
        cost.seconds_per_token_pass = (timings["tokenize"] + timings["weight"]) / len(rows)
        steps = timings["shuffle"] + timings["steps"]
        cost.seconds_per_epoch = steps / (len(rows) * max(model.n_iter_, 1))
        return cost

    def _set_results(self, evaluations: list[Evaluation], drawn: list[dict[str, Any]]) -> None:
        """``cv_results_``, the best candidate and the rounds' figures."""
        self.cv_results_ = _cv_results(evaluations, drawn, self.n_splits_)
        rounds = self.cv_results_["iter"]
        self.n_iterations_ = int(rounds.max()) + 1
        self.n_resources_ = [
            int(self.cv_results_["n_resources"][rounds == r][0]) for r in range(self.n_iterations_)
        ]
        self.n_candidates_ = [int((rounds == r).sum()) for r in range(self.n_iterations_)]
        self.work_used_ += sum(e.work for e in evaluations)

    def _refit_order(
        self,
        evaluations: list[Evaluation],
        candidates: list[dict[str, Any]],
        n_samples: int,
        started: float,
    ) -> list[int]:
        """Rows of ``cv_results_`` to refit, in turn while a refit diverges.

        First the best candidate of the last round whose refit fits what is
        left of the budget (estimated from its fold fits; the cheapest to
        refit if none does): a candidate of 30 epochs with character n-grams
        can cost ten times the refit reserved for; the estimator's own
        parameters instead when that one is not ahead of them by more than
        the folds' noise. Then the last round's others by rank, then the
        estimator's own parameters.
        """
        order = np.argsort(self.cv_results_["rank_test_score"], kind="stable")
        last = [int(i) for i in order if self.cv_results_["iter"][i] == self.n_iterations_ - 1]
        if self.work_budget is not None:
            left = self.work_budget - self.work_used_
            costs = [
                n_samples * epochs_at(candidates[evaluations[i].candidate], n_samples) for i in last
            ]
        else:
            left = started + self.time_budget - time.perf_counter()
            costs = [evaluations[i].refit_seconds(n_samples) for i in last]
        affordable = [row for row, cost in zip(last, costs, strict=True) if cost <= left]
        first = affordable[0] if affordable else last[int(np.argmin(costs))]
        first = _unless_within_noise(evaluations, first, last)
        rows = [first] + [row for row in last if row != first]
        own = [(e.round, i) for i, e in enumerate(evaluations) if e.candidate == 0]
        if own and not any(evaluations[row].candidate == 0 for row in rows):
            rows.append(max(own)[1])
        return rows

    # -- the refitted estimator ------------------------------------------------
    def _refitted(self) -> TextClassifier:
        check_is_fitted(self, "cv_results_")
        if not hasattr(self, "best_estimator_"):
            raise NotFittedError(
                "this TextClassifierCV was fitted with refit=False: only the search's "
                "results exist; refit=True trains the best candidate on all the data."
            )
        return self.best_estimator_

    @property
    def classes_(self) -> Any:
        """The refitted estimator's classes."""
        return self._refitted().classes_

    def predict(self, X: Any) -> Any:
        """The refitted best estimator's :meth:`~sktext.TextClassifier.predict`."""
        return self._refitted().predict(X)

    def predict_proba(self, X: Any) -> Any:
        """The refitted best estimator's :meth:`~sktext.TextClassifier.predict_proba`."""
        return self._refitted().predict_proba(X)

    def decision_function(self, X: Any) -> Any:
        """The refitted best estimator's :meth:`~sktext.TextClassifier.decision_function`."""
        return self._refitted().decision_function(X)

    def predict_top_k(self, X: Any, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """The refitted best estimator's :meth:`~sktext.TextClassifier.predict_top_k`."""
        return self._refitted().predict_top_k(X, k)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The search's score (``scorer_``) of the refitted best estimator.

        Parameters
        ----------
        X : 1-D collection of str
            The texts.
        y : targets in the training format
            The true targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the score.

        Returns
        -------
        score : float
            ``scorer_(best_estimator_, X, y)``: the search's metric (the
            estimator's own score when ``scoring=None``).
        """
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(self.scorer_(self._refitted(), X, y, **kwargs))

    def save(self, path: Any) -> None:
        """Write the refitted best :class:`~sktext.TextClassifier` to ``path``;
        :func:`sktext.load` reads it back (as a TextClassifier).

        Parameters
        ----------
        path : str, path-like or writable binary file object
            Where to write (see :meth:`sktext.TextClassifier.save`).
        """
        self._refitted().save(path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(TextClassifier() if self.estimator is None else self.estimator)
        tags.input_tags = inner.input_tags
        tags.target_tags = inner.target_tags
        tags.classifier_tags = inner.classifier_tags
        return tags


def _unless_within_noise(evaluations: list[Evaluation], best: int, last: list[int]) -> int:
    """``best``, or the row of the estimator's own parameters in the last
    round when ``best`` does not beat them by more than the standard error of
    their paired differences over the folds (the one-standard-error rule):
    with a few folds of a small set, the top of many candidates is often
    ahead by chance, and its lead does not carry over to new documents."""
    own = [row for row in last if evaluations[row].candidate == 0]
    if not own or own[0] == best:
        return best
    gains = np.subtract(evaluations[best].scores, evaluations[own[0]].scores)
    if np.isnan(gains).any() or len(gains) < 2:
        return best
    noise = np.std(gains, ddof=1) / np.sqrt(len(gains))
    return best if gains.mean() > noise else own[0]


def _check_candidates(candidates: list[dict[str, Any]], names: list[str]) -> None:
    """A clear error for a candidate TextClassifier would refuse, before any fit."""
    for candidate in candidates:
        validate_parameter_constraints(
            {name: PARAMETER_CONSTRAINTS[name] for name in names},
            {name: candidate[name] for name in names},
            caller_name="TextClassifier",
        )
        check_combinations(candidate)


def _mean_epochs(candidates: list[dict[str, Any]]) -> Any:
    """Mean epochs of the candidates' fits on ``n`` documents, as a function of ``n``."""
    fixed = [c["max_iter"] for c in candidates if c["max_iter"] != "auto"]
    n_auto = len(candidates) - len(fixed)

    def mean_epochs(n_documents: int) -> float:
        auto = epochs_at({"max_iter": "auto"}, n_documents)
        return (sum(fixed) + n_auto * auto) / len(candidates)

    return mean_epochs


def _cv_results(
    evaluations: list[Evaluation], drawn: list[dict[str, Any]], n_splits: int
) -> dict[str, Any]:
    """``cv_results_``: one row per evaluation, GridSearchCV's and
    HalvingRandomSearchCV's keys."""
    params = [drawn[e.candidate] for e in evaluations]
    results: dict[str, Any] = {
        "iter": np.array([e.round for e in evaluations]),
        "n_resources": np.array([e.n_resources for e in evaluations]),
        "params": params,
    }
    for name in sorted({name for p in params for name in p}):
        values = np.empty(len(params), dtype=object)
        values[:] = [p.get(name) for p in params]
        results[f"param_{name}"] = np.ma.MaskedArray(values, mask=[name not in p for p in params])
    for kind, attribute in (
        ("test_score", "scores"),
        ("fit_time", "fit_times"),
        ("score_time", "score_times"),
    ):
        table = np.array([getattr(e, attribute) for e in evaluations], dtype=float)
        if kind == "test_score":
            for split in range(n_splits):
                results[f"split{split}_test_score"] = table[:, split]
        results[f"mean_{kind}"] = table.mean(axis=1)
        results[f"std_{kind}"] = table.std(axis=1)
    mean = np.nan_to_num(results["mean_test_score"], nan=-np.inf)
    rounds = results["iter"]
    # Later rounds first, then higher scores; ties share the better rank.
    better = (rounds[None, :] > rounds[:, None]) | (
        (rounds[None, :] == rounds[:, None]) & (mean[None, :] > mean[:, None])
    )
    results["rank_test_score"] = better.sum(axis=1).astype(np.int32) + 1
    return results
