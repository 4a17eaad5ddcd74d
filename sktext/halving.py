"""Successive halving under a budget, for :class:`sktext.TextClassifierCV`.

The resource is training documents: round ``r`` trains each of its
candidates on ``n_r`` documents of every fold's training part (a seeded
subset, the whole part in the last round) and scores it on at most as many
of the fold's validation documents; the best ``1 / factor`` go on to the next
round, on ``factor`` times more documents. :func:`plan_rounds` chooses the
rounds so that their estimated cost fits the budget, in units of
:class:`CostModel`: documents x epochs (a work budget: the same plan, hence
the same result, on any machine) or seconds (rates measured on a first fit;
:class:`HalvingSearch` then gives each round its share of the time left).

Within a round, candidates that agree on every option feeding
:class:`~sktext.features.TextFeatures` (:data:`TEXT_OPTIONS`) share each
fold's tokenized documents: the fold's features are fitted once and only the
network is trained per candidate (:class:`FoldModel`), which gives exactly the
model a :class:`~sktext.TextClassifier` fit on the same texts would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import _safe_indexing

from .classifier import TextClassifier
from .features import Documents, TextFeatures
from .formats import as_target_input
from .model import NETWORKS
from .tokenizer import TOKENIZER_OPTIONS
from .training import auto_epochs, predict_logits, resolve_device, torch_threads

__all__ = [
    "TEXT_OPTIONS",
    "CostModel",
    "Evaluation",
    "FoldModel",
    "Folds",
    "HalvingSearch",
    "epochs_at",
    "plan_rounds",
]

#: Parameters that decide a fold's tokenized documents: candidates that agree
#: on all of them share one tokenization of each fold in a round.
TEXT_OPTIONS = (
    "text_column",
    "categorical_columns",
    "encoder",
    "tokenizer",
    "pooling",
    "max_length",
    *TOKENIZER_OPTIONS,
)


def _key_part(value: Any) -> Any:
    """A hashable stand-in for a parameter's value: the value itself, or the
    object's identity (a tokenizers.Tokenizer, a preprocessor), which the
    candidates share since they are built from one parameter dict."""
    if isinstance(value, list):
        return tuple(value)
    if value is None or isinstance(value, (str, int, float, tuple)):
        return value
    return id(value)


def text_key(params: dict[str, Any]) -> tuple:
    """What candidates must share to share a fold's tokenized documents."""
    return tuple(_key_part(params[name]) for name in TEXT_OPTIONS)


def epochs_at(params: dict[str, Any], n_documents: int) -> int:
    """Epochs a fit of ``params`` on ``n_documents`` runs (at most)."""
    max_iter = params["max_iter"]
    return auto_epochs(n_documents) if max_iter == "auto" else int(max_iter)


@dataclass
class CostModel:
    """Estimated cost of scoring one candidate on every fold, in budget units.

    ``seconds_per_epoch`` and ``seconds_per_token_pass`` are per document:
    with both None the unit is documents x epochs (a work budget), else
    seconds (a time budget), tokenization of the training and validation
    documents included.
    """

    n_splits: int
    n_validation: int
    mean_epochs: Callable[[int], float]
    seconds_per_epoch: float | None = None
    seconds_per_token_pass: float | None = None

    def refit_seconds(self, n_samples: int) -> float:
        """Estimated seconds of one fit on ``n_samples`` documents (a time budget)."""
        epochs = self.mean_epochs(n_samples)
        return n_samples * (epochs * self.seconds_per_epoch + self.seconds_per_token_pass)

    def validation_size(self, n_documents: int) -> int:
        """Validation documents scored with ``n_documents`` training ones."""
        return min(self.n_validation, n_documents)

    def __call__(self, n_documents: int) -> float:
        epochs = self.mean_epochs(n_documents)
        if self.seconds_per_epoch is None:
            return self.n_splits * n_documents * epochs
        tokenized = n_documents + self.validation_size(n_documents)
        return self.n_splits * (
            n_documents * epochs * self.seconds_per_epoch + tokenized * self.seconds_per_token_pass
        )


def _round_counts(n_first: int, n_rounds: int, factor: float) -> list[int]:
    counts = [n_first]
    for _ in range(n_rounds - 1):
        counts.append(math.ceil(counts[-1] / factor))
    return counts


def plan_rounds(
    budget: float,
    cost: Callable[[int], float],
    n_max: int,
    n_min: int,
    factor: float,
    n_pool: int,
) -> list[tuple[int, int]]:
    """The rounds, as ``(documents, candidates)``, whose cost fits ``budget``.

    Sizes are ``n_max / factor**i``, no smaller than ``n_min``. The last
    round uses the largest size at which some plan compares at least
    ``factor**2`` candidates and halves down to one (fewer would leave the
    search to chance); at that size, the plan with the most rounds (hence the
    most candidates) wins, and its first round takes as many candidates as
    the budget allows (at most ``n_pool``). Where no plan compares that many,
    the smallest size takes all the candidates the budget affords, down to
    one.
    """
    sizes = [n_max]
    while int(sizes[-1] / factor) >= max(n_min, 1) and len(sizes) < 32:
        sizes.append(int(sizes[-1] / factor))
    sizes.reverse()  # ascending
    for top in range(len(sizes) - 1, -1, -1):
        for n_rounds in range(top + 1, 0, -1):
            round_sizes = sizes[top - n_rounds + 1 : top + 1]
            n_first = _most_candidates(budget, cost, round_sizes, factor, n_pool)
            if n_first >= max(factor ** (n_rounds - 1), factor**2, 2):
                counts = _round_counts(n_first, n_rounds, factor)
                return list(zip(round_sizes, counts, strict=True))
    return [(sizes[0], max(_most_candidates(budget, cost, sizes[:1], factor, n_pool), 1))]


def _most_candidates(
    budget: float, cost: Callable[[int], float], sizes: list[int], factor: float, n_pool: int
) -> int:
    """The most first-round candidates (up to ``n_pool``) whose rounds fit
    ``budget``, each later round with room for the estimator's own parameters
    beside its survivors (:meth:`HalvingSearch._affordable`)."""
    unit = [cost(n) for n in sizes]
    reference = sum(unit[1:])

    def total(n_first: int) -> float:
        counts = _round_counts(n_first, len(sizes), factor)
        return reference + sum(c * u for c, u in zip(counts, unit, strict=True))

    low, high = 0, n_pool  # total() grows with n_first: bisect the largest that fits
    while low < high:
        middle = (low + high + 1) // 2
        if total(middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


@dataclass
class Folds:
    """The cross-validation splits, each part in a seeded order whose prefixes
    are a round's subsets (nested: a round's documents hold the previous
    round's)."""

    splits: list[tuple[np.ndarray, np.ndarray]]

    @classmethod
    def shuffled(cls, splits: list[tuple[np.ndarray, np.ndarray]], seed: int) -> Folds:
        rng = np.random.default_rng(seed)
        return cls([(rng.permutation(train), rng.permutation(test)) for train, test in splits])

    @property
    def n_train(self) -> int:
        return min(len(train) for train, _ in self.splits)

    @property
    def n_validation(self) -> int:
        return min(len(test) for _, test in self.splits)

    def rows(self, n_documents: int, n_validation: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Each fold's training and validation rows of a round, in data order."""
        for train, test in self.splits:
            yield np.sort(train[:n_documents]), np.sort(test[:n_validation])


@dataclass
class _FoldInputs:
    """A fold's documents for one text configuration: fitted features, the
    training documents, and the validation texts with their inputs."""

    features: TextFeatures
    train_X: Any
    train: Documents
    validation_X: Any
    validation: Documents


class FoldModel(TextClassifier):
    """A :class:`~sktext.TextClassifier` that takes its training documents,
    and its outputs for the fold's validation texts, from :class:`_FoldInputs`
    (set as ``_fold`` before ``fit``); any other input goes the usual way."""

    _fold: _FoldInputs | None = None

    def _documents(self, texts, side, continued, stream, classes):  # noqa: ANN001, ANN202
        fold = self._fold
        if fold is None or continued or stream or len(texts) != len(fold.train):
            return super()._documents(texts, side, continued, stream, classes)
        return fold.features, fold.train

    def _outputs(self, X: Any, embed: bool = False) -> np.ndarray:
        fold = self._fold
        if fold is None or X is not fold.validation_X:
            return super()._outputs(X, embed)
        device = resolve_device(self.device)
        self.model_.to(device)
        batch_size = NETWORKS[self.model_.kind].training.predict_batch_size
        with torch_threads(self._n_threads()):
            inputs = fold.validation.to(device)
            return predict_logits(self.model_, inputs, batch_size=batch_size, embed=embed)


def fold_inputs(
    params: dict[str, Any], train_X: Any, validation_X: Any, train_y: Any
) -> _FoldInputs:
    """Tokenize a fold once for every candidate with ``params``' text options
    (supervised pooling learns from ``train_y``, as the candidates' fit would)."""
    reader = FoldModel(**params)
    features = TextFeatures.from_params(params, NETWORKS[params["encoder"]].reads)
    train_y = as_target_input(train_y)
    target = reader._target(train_y, None, incremental=False, continued=False)
    classes = target.encode(train_y) if target.loss == "softmax" else None
    train = features.fit(*reader._split_input(train_X), classes=classes)
    validation = features.transform(*reader._split_input(validation_X))
    return _FoldInputs(features, train_X, train, validation_X, validation)


@dataclass
class Evaluation:
    """One candidate scored in one round on every fold."""

    candidate: int
    round: int
    n_resources: int
    scores: list[float] = field(default_factory=list)
    fit_times: list[float] = field(default_factory=list)
    # A fit's seconds, had it tokenized its fold alone (not shared by the group).
    alone_times: list[float] = field(default_factory=list)
    score_times: list[float] = field(default_factory=list)
    work: int = 0

    @property
    def mean_score(self) -> float:
        return float(np.mean(self.scores))

    def refit_seconds(self, n_samples: int) -> float:
        """Estimated seconds of a fit on ``n_samples`` documents: its fold
        fits', tokenization alone included, scaled to that many documents."""
        return float(np.mean(self.alone_times)) * n_samples / self.n_resources


@dataclass
class HalvingSearch:
    """Runs the planned rounds over ``candidates`` (full parameter dicts).

    Each round takes the best ``1 / factor`` of the previous one. With a
    ``deadline`` (a ``time.perf_counter`` value) the search is time-budgeted:
    round ``r`` of ``R`` gets ``1 / (R - r)`` of the time left; the first
    round goes on drawing candidates while its share lasts, a later one keeps
    the survivors whose previous fits, scaled to its documents, fit its
    share, and no candidate starts past the round's end. Without a deadline
    it runs the plan as is (a work budget: the same candidates on any
    machine). ``n_jobs``: threads fitting a candidate's folds at the same time.
    """

    candidates: list[dict[str, Any]]
    folds: Folds
    scorer: Callable
    factor: float
    plan: list[tuple[int, int]]
    cost: CostModel
    deadline: float | None = None
    n_jobs: int | None = None
    verbose: int = 0
    evaluations: list[Evaluation] = field(default_factory=list)
    n_failed: int = 0

    def run(self, X: Any, y: Any, sample_weight: Any) -> list[Evaluation]:
        """Score the rounds' candidates; the evaluations, in order."""
        data = (X, y, sample_weight)
        for number, (n_documents, n_planned) in enumerate(self.plan):
            started = time.perf_counter()
            ends = None
            if self.deadline is not None:
                ends = started + (self.deadline - started) / (len(self.plan) - number)
            if number == 0:
                pending = list(range(n_planned))
            else:
                previous = self._round(number - 1)
                pending = self._affordable(previous, n_documents, ends)
            if not pending:
                break
            complete = self._run_round(number, n_documents, pending, data, ends)
            drawn = len(pending)
            while number == 0 and complete and ends is not None and drawn < len(self.candidates):
                # The share is not spent: more candidates, as many as its rest affords.
                mean = (time.perf_counter() - started) / drawn
                more = max(int((ends - time.perf_counter()) / mean), 0)
                if not more:
                    break
                pending = list(range(drawn, min(drawn + more, len(self.candidates))))
                drawn += len(pending)
                complete = self._run_round(number, n_documents, pending, data, ends)
            if self.verbose:
                scored = self._round(number)
                best = scored[0].mean_score if scored else np.nan
                print(
                    f"round {number}: {len(scored)} candidates on {n_documents} documents, "
                    f"best score {best:.4f} ({time.perf_counter() - started:.1f} s)"
                )
        return self.evaluations

    def _round(self, number: int) -> list[Evaluation]:
        """Round ``number``'s evaluations, best first (failed fits last)."""
        done = [e for e in self.evaluations if e.round == number]
        done.sort(key=lambda e: np.inf if np.isnan(e.mean_score) else -e.mean_score)
        return done

    def _affordable(
        self, previous: list[Evaluation], n_documents: int, ends: float | None
    ) -> list[int]:
        """The next round's candidates: the best ``1 / factor`` of the previous
        one's, and before ``ends`` only those whose fits there, scaled to
        ``n_documents``, fit the time left (the best one always, if the
        deadline allows it). Candidate 0, the estimator's own parameters,
        goes on as well, last: the reference the winner must beat."""
        kept = previous[: math.ceil(len(previous) / self.factor)]
        own = [e for e in previous[len(kept) :] if e.candidate == 0 and not np.isnan(e.mean_score)]
        kept += own
        if ends is None:
            return [e.candidate for e in kept]
        left, needed = ends - time.perf_counter(), 0.0
        affordable = []
        for evaluation in kept:
            seconds = sum(evaluation.fit_times) + sum(evaluation.score_times)
            needed += seconds * n_documents / evaluation.n_resources
            first = not affordable and time.perf_counter() + needed <= self.deadline
            if needed > left and not first:
                break
            affordable.append(evaluation.candidate)
        return affordable

    def _past(self, ends: float | None) -> bool:
        """Whether ``ends`` has passed; never before the first candidate is
        scored, so that the search always has a result (the estimator's own
        parameters on the smallest round, for a budget that affords nothing)."""
        return ends is not None and bool(self.evaluations) and time.perf_counter() > ends

    def _run_round(
        self,
        number: int,
        n_documents: int,
        pending: list[int],
        data: tuple[Any, Any, Any],
        ends: float | None,
    ) -> bool:
        """Score ``pending`` on every fold, grouped by text options; False when
        ``ends`` passed first."""
        X, y, sample_weight = data
        groups: dict[tuple, list[int]] = {}
        for index in pending:
            groups.setdefault(text_key(self.candidates[index]), []).append(index)
        n_validation = self.cost.validation_size(n_documents)
        rows = list(self.folds.rows(n_documents, n_validation))
        for members in groups.values():
            if self._past(ends):
                return False
            inputs, seconds = [], []
            for train, test in rows:
                started = time.perf_counter()
                validation_X = _safe_indexing(X, test)
                train_X, train_y = _safe_indexing(X, train), _safe_indexing(y, train)
                inputs.append(
                    fold_inputs(self.candidates[members[0]], train_X, validation_X, train_y)
                )
                seconds.append(time.perf_counter() - started)
            for index in members:
                if self._past(ends):
                    return False
                outcomes = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                    delayed(self._fit_score)(index, fold, train, test, y, sample_weight)
                    for fold, (train, test) in zip(inputs, rows, strict=True)
                )
                evaluation = Evaluation(index, number, n_documents)
                for (score, fit_time, score_time, work), tokenized in zip(
                    outcomes, seconds, strict=True
                ):
                    evaluation.scores.append(score)
                    evaluation.fit_times.append(fit_time + tokenized / len(members))
                    evaluation.alone_times.append(fit_time + tokenized)
                    evaluation.score_times.append(score_time)
                    evaluation.work += work
                self.n_failed += int(np.isnan(evaluation.scores).sum())
                self.evaluations.append(evaluation)
        return True

    def _fit_score(
        self,
        candidate: int,
        fold: _FoldInputs,
        train: np.ndarray,
        test: np.ndarray,
        y: Any,
        sample_weight: Any,
    ) -> tuple[float, float, float, int]:
        """Fit one candidate on one fold and score it: the score (NaN for a
        fit that diverged), the seconds fitting and scoring, and the work
        (documents x epochs)."""
        model = FoldModel(**self.candidates[candidate])
        model._fold = fold
        weights = None if sample_weight is None else _safe_indexing(sample_weight, train)
        started = time.perf_counter()
        try:
            model.fit(fold.train_X, _safe_indexing(y, train), sample_weight=weights)
        except FloatingPointError:  # diverged: ranked last, as GridSearchCV's error_score
            return np.nan, time.perf_counter() - started, 0.0, 0
        fitted = time.perf_counter()
        kwargs = {}
        if sample_weight is not None:
            kwargs["sample_weight"] = _safe_indexing(sample_weight, test)
        score = float(self.scorer(model, fold.validation_X, _safe_indexing(y, test), **kwargs))
        return score, fitted - started, time.perf_counter() - fitted, len(train) * model.n_iter_
