"""Coding with abstention: the k best labels of a document, the confidence of
a prediction, coverage against accuracy, and a threshold reaching a target
accuracy chosen on out-of-fold probabilities of the training data.

Every function takes single-label probabilities (rows summing to 1, columns in
``classes`` order) or an estimator with ``predict_proba`` and ``classes_``, so
that any scikit-learn classifier works, not only :class:`~sktext.TextClassifier`.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from scipy.stats import norm
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict

__all__ = [
    "abstention_threshold",
    "confidence",
    "coverage_curve",
    "predict_with_abstention",
    "threshold_for_accuracy",
    "top_k_labels",
]

#: What a document's confidence is read on.
CONFIDENCES = ("probability", "margin")


def _single_label(proba: Any) -> np.ndarray:
    """``proba`` as a 2-D array, refusing multilabel and multi-output ones:
    a top probability or a margin only means something for a distribution."""
    # predict_proba of a multi-output target: one 2-D array an output.
    if isinstance(proba, list) and proba and np.ndim(proba[0]) == 2:
        raise ValueError("Multi-output targets are not supported: use one output's probabilities.")
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or not np.allclose(proba.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(
            "Expected single-label probabilities, shape (n_samples, n_classes) with rows "
            "summing to 1. Multilabel probabilities are independent per label: rank them "
            "with the estimator's top_k parameter instead."
        )
    return proba


def _ranked(proba: np.ndarray) -> np.ndarray:
    """Columns from the most probable to the least; ties in ``classes`` order,
    so that the first column is the label ``predict`` gives (argmax)."""
    return np.argsort(-proba, axis=1, kind="stable")


def top_k_labels(proba: Any, classes: Any, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most probable labels of each sample, with their probabilities.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Single-label probabilities in ``classes`` order.
    classes : array-like of shape (n_classes,)
        The labels of the columns.
    k : int, default=5
        How many labels a sample; more than ``n_classes`` gives all of them.

    Returns
    -------
    labels : ndarray of shape (n_samples, min(k, n_classes))
        Most probable first; equal probabilities in ``classes`` order.
    probabilities : ndarray of shape (n_samples, min(k, n_classes))
        Their probabilities, decreasing along each row.

    Examples
    --------
    >>> from sktext.abstention import top_k_labels
    >>> labels, proba = top_k_labels([[0.2, 0.5, 0.3]], ["a", "b", "c"], k=2)
    >>> labels.tolist(), proba.tolist()
    ([['b', 'c']], [[0.5, 0.3]])
    """
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an integer of at least 1, got {k!r}.")
    proba = _single_label(proba)
    columns = _ranked(proba)[:, :k]
    return np.asarray(classes)[columns], np.take_along_axis(proba, columns, axis=1)


def confidence(proba: Any, on: str = "probability") -> np.ndarray:
    """How sure each prediction is: the top probability, or the margin
    between the two most probable labels (1 for a single class).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Single-label probabilities.
    on : {"probability", "margin"}, default="probability"
        The top probability, or the top one minus the second: the margin
        tells a document torn between two labels from one spread over many.

    Returns
    -------
    confidence : ndarray of shape (n_samples,)
        In [0, 1]; higher is surer.

    Examples
    --------
    >>> from sktext.abstention import confidence
    >>> confidence([[0.6, 0.3, 0.1]], on="margin").round(2).tolist()
    [0.3]
    """
    if on not in CONFIDENCES:
        raise ValueError(f"on must be one of {CONFIDENCES}, got {on!r}.")
    proba = _single_label(proba)
    top = -np.sort(-proba, axis=1)
    if on == "probability":
        return top[:, 0]
    # A single class has no runner-up: its probability is 1, its margin too.
    return top[:, 0] - top[:, 1] if proba.shape[1] > 1 else top[:, 0]


def coverage_curve(
    y_true: Any, proba: Any, classes: Any, *, on: str = "probability"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The share of samples coded automatically, and their accuracy, at each
    confidence threshold (samples below it abstain).

    Samples of equal confidence are kept or abstain together, so there is one
    point a distinct confidence, from the highest threshold to the lowest.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels.
    proba : array-like of shape (n_samples, n_classes)
        Single-label probabilities in ``classes`` order; for a threshold
        chosen on training data, out-of-fold ones (see
        :func:`abstention_threshold`).
    classes : array-like of shape (n_classes,)
        The labels of the columns of ``proba``.
    on : {"probability", "margin"}, default="probability"
        See :func:`confidence`.

    Returns
    -------
    coverage : ndarray of shape (n_thresholds,)
        Share of the samples whose confidence reaches the threshold; increasing.
    accuracy : ndarray of shape (n_thresholds,)
        Accuracy of the argmax label on those samples.
    thresholds : ndarray of shape (n_thresholds,)
        Decreasing confidences.

    Examples
    --------
    >>> from sktext.abstention import coverage_curve
    >>> proba = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]]
    >>> coverage, accuracy, thresholds = coverage_curve([0, 1, 1], proba, [0, 1])
    >>> coverage.round(2).tolist(), accuracy.round(2).tolist(), thresholds.tolist()
    ([0.33, 0.67, 1.0], [1.0, 0.5, 0.67], [0.9, 0.8, 0.6])
    """
    proba = _single_label(proba)
    if not len(proba):
        raise ValueError("coverage_curve needs at least one sample.")
    scores = confidence(proba, on)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    order = np.argsort(-scores, kind="stable")
    scores, correct = scores[order], correct[order]
    # The last sample of each run of equal confidences closes its point.
    last = np.r_[np.flatnonzero(scores[1:] != scores[:-1]), len(scores) - 1]
    kept = last + 1
    return kept / len(scores), np.cumsum(correct)[last] / kept, scores[last]


def threshold_for_accuracy(
    y_true: Any,
    proba: Any,
    classes: Any,
    target_accuracy: float,
    *,
    on: str = "probability",
    alpha: float | None = 0.05,
) -> float:
    """The lowest confidence threshold (the largest coverage) at which the
    samples kept reach ``target_accuracy``; ``inf`` (abstain on everything),
    with a warning, if no threshold does.

    The largest coverage whose measured accuracy reaches the target is an
    optimistic pick: among many thresholds, the one chosen is often one where
    the sample happened to be lucky. With ``alpha``, the accuracy that must
    reach the target is the lower end of a one-sided ``1 - alpha`` Wilson
    interval around the measured one, so a threshold kept on few samples
    counts for what it says.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels.
    proba : array-like of shape (n_samples, n_classes)
        Single-label probabilities in ``classes`` order, of documents the
        model was not fitted on (see :func:`abstention_threshold`).
    classes : array-like of shape (n_classes,)
        The labels of the columns of ``proba``.
    target_accuracy : float
        In (0, 1]: the accuracy wanted on the documents coded automatically.
    on : {"probability", "margin"}, default="probability"
        See :func:`confidence`.
    alpha : float or None, default=0.05
        The risk that the accuracy of the samples kept is below the
        target's; None compares the measured accuracy itself.

    Returns
    -------
    threshold : float
        Samples whose confidence is at least this are coded automatically.

    Examples
    --------
    >>> from sktext.abstention import threshold_for_accuracy
    >>> proba = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6]]
    >>> threshold_for_accuracy([0, 1, 1], proba, [0, 1], 0.9, alpha=None)
    0.9
    """
    if not 0.0 < target_accuracy <= 1.0:
        raise ValueError(f"target_accuracy must be in (0, 1], got {target_accuracy!r}.")
    coverage, accuracy, thresholds = coverage_curve(y_true, proba, classes, on=on)
    if alpha is not None and not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1) or None, got {alpha!r}.")
    if alpha is not None:
        accuracy = _wilson_lower_bound(accuracy, coverage * len(np.asarray(y_true)), alpha)
    reached = np.flatnonzero(accuracy >= target_accuracy)
    if not len(reached):
        warnings.warn(
            f"No confidence threshold reaches an accuracy of {target_accuracy}: every "
            "sample would abstain.",
            UserWarning,
            stacklevel=2,
        )
        return float("inf")
    return float(thresholds[reached[-1]])


def _wilson_lower_bound(accuracy: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    """The lower end of the one-sided ``1 - alpha`` Wilson score interval of
    an accuracy measured on ``n`` samples (sound near 1, unlike the normal one)."""
    z = float(norm.ppf(1.0 - alpha))
    centre = accuracy + z * z / (2 * n)
    spread = z * np.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def abstention_threshold(
    estimator: Any,
    X: Any,
    y: Any,
    target_accuracy: float,
    *,
    on: str = "probability",
    alpha: float | None = 0.05,
    cv: int = 10,
    random_state: int | None = 0,
) -> float:
    """A confidence threshold reaching ``target_accuracy``, chosen on the
    training data alone.

    Each training sample is scored by a clone of ``estimator`` fitted on the
    other ``cv`` folds (stratified), so the probabilities are those of unseen
    documents, not the over-confident ones of the documents a model was fitted
    on; :func:`threshold_for_accuracy` then picks the threshold. Then fit
    ``estimator`` on all of ``X`` for predicting. That model is not the folds'
    ones: trained on more documents, it is more confident, and more documents
    pass a given threshold than passed it out of fold, at a lower accuracy.
    The default ten folds keep the folds' models close to it (on generated
    data five folds missed a 90 % target by 2 to 6 points, ten reached it),
    and ``alpha`` adds a margin for the noise of the measured accuracy.

    Parameters
    ----------
    estimator : classifier
        Unfitted or fitted: clones are fitted, the estimator itself is not.
    X : iterable of str or DataFrame
        The training texts.
    y : array-like of shape (n_samples,)
        Their single labels.
    target_accuracy : float
        In (0, 1]: the accuracy wanted on the documents coded automatically.
    on : {"probability", "margin"}, default="probability"
        See :func:`confidence`.
    alpha : float or None, default=0.05
        See :func:`threshold_for_accuracy`.
    cv : int, default=10
        The number of folds; each class needs at least this many samples.
    random_state : int or None, default=0
        Shuffles the samples into folds.

    Returns
    -------
    threshold : float
        For :func:`predict_with_abstention`; ``inf`` if no threshold reaches
        ``target_accuracy`` on the out-of-fold probabilities.

    Examples
    --------
    >>> from sktext import TextClassifier
    >>> from sktext.abstention import abstention_threshold
    >>> from sktext.datasets import make_text_classification
    >>> X, y = make_text_classification(300, n_classes=3, random_state=0)
    >>> clf = TextClassifier(min_count=1, max_iter=5, random_state=0)
    >>> threshold = abstention_threshold(clf, X, y, 0.9, cv=3)
    >>> clf = clf.fit(X, y)  # the model that codes, on all the training data
    """
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    if not hasattr(X, "iloc"):  # lists and tuples: rows by number
        X = np.asarray(list(X), dtype=object)
    proba = cross_val_predict(clone(estimator), X, y, cv=folds, method="predict_proba")
    classes = np.unique(np.asarray(y))  # cross_val_predict's column order
    return threshold_for_accuracy(y, proba, classes, target_accuracy, on=on, alpha=alpha)


def predict_with_abstention(
    estimator: Any,
    X: Any,
    threshold: float,
    *,
    on: str = "probability",
    abstain_label: Any = None,
) -> np.ndarray:
    """Predicted labels, and ``abstain_label`` for the samples whose
    confidence is below ``threshold`` (to be coded by people).

    Parameters
    ----------
    estimator : classifier
        Fitted, with ``predict_proba`` and ``classes_``.
    X : iterable of str or DataFrame
        The texts to code.
    threshold : float
        The confidence a sample needs to be coded, e.g. from
        :func:`abstention_threshold`.
    on : {"probability", "margin"}, default="probability"
        See :func:`confidence`; as the threshold was chosen on.
    abstain_label : object, default=None
        What an abstaining sample gets instead of a label.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Of the labels' dtype when ``abstain_label`` is of their kind (e.g.
        ``-1`` for integer labels, ``"human"`` for strings), else of dtype
        object, whether or not a sample abstains.

    Examples
    --------
    >>> from sktext import TextClassifier
    >>> from sktext.abstention import predict_with_abstention
    >>> clf = TextClassifier(min_count=1, max_iter=5, random_state=0)
    >>> clf = clf.fit(["good film", "bad film", "great film", "awful film"] * 5,
    ...               ["pos", "neg", "pos", "neg"] * 5)
    >>> predict_with_abstention(clf, ["good film", "a film"], 0.8).tolist()
    ['pos', None]
    """
    proba = _single_label(estimator.predict_proba(X))
    labels = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
    sentinel = np.asarray(abstain_label)
    same_kind = abstain_label is not None and sentinel.dtype.kind == labels.dtype.kind
    labels = labels.astype(np.result_type(labels, sentinel) if same_kind else object)
    labels[confidence(proba, on) < threshold] = abstain_label
    return labels
