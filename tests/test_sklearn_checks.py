"""scikit-learn's common estimator checks, through a test-only numeric adapter.

TextClassifier takes raw texts, so its tags say ``input_tags.string=True,
two_d_array=False``, under which ``check_estimator`` runs almost nothing.
:class:`NumericTextClassifier` turns each numeric row into a text of tokens
(feature ``j`` with its value in quantile bin ``k`` becomes ``"f{j}b{k}"``),
which lets nearly every common check exercise the real estimator: parameter
handling, cloning, pickling, fitted state, label formats, sample weights,
multilabel output formats, idempotence and invariances.

The adapter does only what text input makes necessary: it validates the
numeric X (2-D, finite, ``n_features_in_``) and learns the bin edges in
``fit``. Targets, sample weights and everything else go to TextClassifier
untouched.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import SkipTestWarning
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted, validate_data

from sktext import TextClassifier

N_BINS = 8
# Small, fast settings; with them the adapter passes the accuracy checks.
ADAPTER_PARAMS = {"min_count": 1, "word_ngrams": 1, "dim": 16, "max_iter": 5, "random_state": 0}


class NumericTextClassifier(TextClassifier):
    """TextClassifier on numeric 2-D X: each value becomes a bin token."""

    def _texts(self, X, reset: bool) -> list[str]:
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        if reset:
            quantiles = np.linspace(0, 1, N_BINS + 1)[1:-1]
            self.bin_edges_ = np.quantile(X, quantiles, axis=0).T  # (n_features, N_BINS-1)
        bins = np.stack(
            [
                np.searchsorted(edges, column, side="right")
                for edges, column in zip(self.bin_edges_, X.T, strict=True)
            ],
            axis=1,
        ).reshape(len(X), -1)
        return [" ".join(f"f{j}b{k}" for j, k in enumerate(row)) for row in bins]

    def fit(self, X, y, sample_weight=None):
        return super().fit(self._texts(X, reset=True), y, sample_weight=sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        # Bin edges, like the vocabulary, come from the first batch.
        texts = self._texts(X, reset=not hasattr(self, "model_"))
        return super().partial_fit(texts, y, classes=classes, sample_weight=sample_weight)

    def _predict_texts(self, X) -> list[str]:
        check_is_fitted(self, "model_")
        return self._texts(X, reset=False)

    def predict(self, X):
        return super().predict(self._predict_texts(X))

    def predict_proba(self, X):
        return super().predict_proba(self._predict_texts(X))

    def decision_function(self, X):
        return super().decision_function(self._predict_texts(X))

    def transform(self, X):
        return super().transform(self._predict_texts(X))

    def fit_transform(self, X, y, sample_weight=None):
        return self.fit(X, y, sample_weight=sample_weight).transform(X)

    def score(self, X, y, sample_weight=None):
        return super().score(self._predict_texts(X), y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = False
        tags.input_tags.two_d_array = True
        tags.input_tags.one_d_array = False
        return tags


# Keep this short: each entry says why the check cannot hold here.
EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "a weight of 2 is not the same as a repeated row here: training is mini-batch "
        "SGD (repeating rows changes the batches and the steps an epoch, as for "
        "sklearn's own SGDClassifier, which expects this failure too), and text "
        "statistics (idf document frequencies, min_count, the adapter's quantile bin "
        "edges) count documents, not weights"
    ),
}


def _expected_failed_checks(estimator) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [NumericTextClassifier(**ADAPTER_PARAMS)],
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


def test_adapter_learns():
    """The adapter is faithful enough for the accuracy checks to mean something."""
    from sklearn.datasets import make_blobs
    from sklearn.linear_model import LogisticRegression

    X, y = make_blobs(300, centers=3, cluster_std=0.6, random_state=0)
    clf = NumericTextClassifier(**ADAPTER_PARAMS).fit(X[:200], y[:200])
    assert clf.n_features_in_ == 2
    reference = LogisticRegression().fit(X[:200], y[:200]).score(X[200:], y[200:])
    assert clf.score(X[200:], y[200:]) >= min(0.95, reference - 0.03)
    with pytest.raises(ValueError, match="3 features.*expecting 2"):
        clf.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.array([[np.nan, 1.0]]))


with warnings.catch_warnings():  # sklearn warns, at collection, that it skips the rest
    warnings.filterwarnings("ignore", "Can't test estimator", SkipTestWarning)
    _text_estimator_checks = parametrize_with_checks(
        [TextClassifier(**ADAPTER_PARAMS)], xfail_strict=True
    )


@_text_estimator_checks
def test_sklearn_checks_on_text_estimator(estimator, check):
    """With its own tags (string input) sklearn 1.9 applies only the cloning
    check; any check a later sklearn applies to text estimators runs here too."""
    check(estimator)
