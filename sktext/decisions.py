"""Logits to probabilities and decisions: softmax or sigmoids, thresholds,
the at-least-one and top-k rules, and thresholds tuned for F1 on held-out data.

Decisions come back encoded (class indices, or a 0/1 matrix for multilabel
targets); :mod:`sktext.targets` turns them into the user's format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.model_selection import KFold
from sklearn.utils import _safe_indexing

from .targets import Target

__all__ = [
    "DecisionRule",
    "ValidationScore",
    "cross_fitted_thresholds",
    "decide",
    "probabilities",
    "threshold_vector",
    "tune_thresholds",
]


@dataclass(frozen=True)
class DecisionRule:
    """How multilabel probabilities become labels (ignored for single labels)."""

    threshold: np.ndarray  # one per class
    at_least_one: bool = False
    top_k: int | None = None


def probabilities(target: Target, logits: np.ndarray) -> np.ndarray:
    """Independent sigmoids (multilabel) or a softmax per output."""
    tensor = torch.from_numpy(logits)
    if target.multilabel:
        return torch.sigmoid(tensor).numpy()
    # One softmax per output: a single one unless y is multi-output.
    blocks = tensor.split(target.output_sizes, dim=1)
    return torch.cat([torch.softmax(block, dim=1) for block in blocks], dim=1).numpy()


def decide(target: Target, logits: np.ndarray, rule: DecisionRule) -> np.ndarray:
    """Class indices (single label; one column per output for multi-output
    targets) or a 0/1 matrix (multilabel): labels whose probability reaches
    their threshold, at most the ``top_k`` most probable of them, and the most
    probable one for a sample left empty under ``at_least_one``."""
    if not target.multilabel:
        return target.argmax(logits)
    decisions = (probabilities(target, logits) >= rule.threshold).astype(np.int8)
    n_classes = decisions.shape[1]
    if rule.top_k is not None and rule.top_k < n_classes and len(decisions):
        # Logits rank as the probabilities do; the k largest stay eligible.
        outside = np.argpartition(-logits, rule.top_k - 1, axis=1)[:, rule.top_k :]
        np.put_along_axis(decisions, outside, 0, axis=1)
    if rule.at_least_one and len(decisions):
        empty = ~decisions.any(axis=1)
        decisions[np.flatnonzero(empty), logits[empty].argmax(axis=1)] = 1
    return decisions


def tune_thresholds(
    truth: np.ndarray, proba: np.ndarray, default: float = 0.5, min_positives: int = 1
) -> np.ndarray:
    """Per-label thresholds that maximise each label's F1 on held-out samples.

    ``truth`` is the (n_samples, n_labels) 0/1 (or soft, read at 0.5) target
    matrix, ``proba`` the predicted probabilities. The cut falls halfway
    between the lowest probability kept and the next one below, so it
    generalises rather than sitting on a held-out sample. A label with fewer
    than ``min_positives`` positive samples (but one at least) is cut at the
    rank of its positives instead, as rank-based fallbacks such as SCutFBR
    do: with one or two, the best cut on them says little about new samples,
    while predicting the label as often as it occurred, if that takes a
    threshold below ``default``, lifts its recall. A label without positives
    keeps ``default``.
    """
    n_samples, n_labels = proba.shape
    thresholds = np.full(n_labels, default, dtype=np.float64)
    ranks = np.arange(1, n_samples + 1)
    for j in range(n_labels):
        positive = truth[:, j] >= 0.5
        n_positive = int(positive.sum())
        if n_positive == 0:
            continue
        order = np.argsort(-proba[:, j], kind="stable")
        sorted_proba = proba[order, j]
        if n_positive < min_positives:
            # Too few positives to choose the best cut: cut at their rank, so
            # the label is predicted about as often as it occurred, never more
            # strictly than ``default`` (rare labels decide macro-F1); a tie
            # there (all zeros: the label was absent from a fold) keeps it.
            if n_positive < n_samples and sorted_proba[n_positive - 1] > sorted_proba[n_positive]:
                cut = (sorted_proba[n_positive - 1] + sorted_proba[n_positive]) / 2
                thresholds[j] = min(default, cut)
            continue
        # F1 when the k most probable samples are predicted positive.
        f1 = 2.0 * np.cumsum(positive[order]) / (ranks + n_positive)
        # A threshold can only cut between different probabilities.
        f1[:-1][sorted_proba[:-1] == sorted_proba[1:]] = -1.0
        best = int(np.argmax(f1))  # the first best: the highest threshold
        if best + 1 < n_samples:
            thresholds[j] = (sorted_proba[best] + sorted_proba[best + 1]) / 2
        else:
            thresholds[j] = sorted_proba[best]
    return thresholds


def cross_fitted_thresholds(
    estimator: Any,
    X: Any,
    y: Any,
    truth: np.ndarray,
    classes: np.ndarray,
    sample_weight: Any,
    *,
    n_folds: int,
    min_positives: int,
    random_state: int,
) -> np.ndarray:
    """Per-label thresholds maximising F1 on out-of-fold probabilities.

    Every training sample is scored by a clone of ``estimator`` (any
    estimator with a multilabel ``predict_proba`` and ``classes_``) fitted
    on the other folds; no data are held back from the caller's own model.
    ``truth`` is ``y`` encoded as a (n_samples, n_labels) matrix in
    ``classes`` order; see :func:`tune_thresholds` for ``min_positives``.
    """
    proba = np.zeros(truth.shape, dtype=np.float64)
    column = {label: j for j, label in enumerate(classes)}
    folds = KFold(n_folds, shuffle=True, random_state=random_state)
    if not hasattr(X, "iloc"):  # lists, tuples, arrays: rows by number
        X = np.asarray(list(X), dtype=object)
    for fit_rows, scored_rows in folds.split(np.empty((len(truth), 1))):
        model = clone(estimator).fit(
            _safe_indexing(X, fit_rows),
            _safe_indexing(y, fit_rows),
            None if sample_weight is None else _safe_indexing(sample_weight, fit_rows),
        )
        # A label absent from a fold's training part keeps probability 0.
        columns = [column[label] for label in model.classes_]
        proba[np.ix_(scored_rows, columns)] = model.predict_proba(_safe_indexing(X, scored_rows))
    return tune_thresholds(truth, proba, min_positives=min_positives)


def threshold_vector(threshold: Any, n_classes: int) -> np.ndarray:
    """One threshold per class from a number or ``n_classes`` of them."""
    threshold = np.asarray(threshold, dtype=np.float64)
    if threshold.ndim == 0:
        return np.full(n_classes, float(threshold))
    if threshold.shape != (n_classes,) or not ((threshold >= 0) & (threshold <= 1)).all():
        raise ValueError(
            f"threshold must be a number in [0, 1] or {n_classes} of them (one per "
            f"class), got shape {threshold.shape}."
        )
    return threshold


class ValidationScore:
    """The early-stopping score of the validation documents' logits:
    :meth:`TextClassifier.score` against their encoded targets."""

    def __init__(
        self, target: Target, encoded: np.ndarray, weights: np.ndarray, rule: DecisionRule
    ) -> None:
        self.target = target
        self.encoded = encoded
        self.weights = weights
        self.rule = rule

    def __call__(self, logits: np.ndarray) -> float:
        decisions = decide(self.target, logits, self.rule)
        return self.target.score_encoded(self.encoded, decisions, self.weights)
