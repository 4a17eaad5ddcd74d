"""TokenWeighting: sublinear tf-idf and mean pooling weights of token counts.

``TokenWeighting`` learns idf as scikit-learn's smoothed idf,
``log((1 + n) / (1 + df)) + 1``, and weights a count ``c`` by
``(1 + log c) * idf`` scaled to unit L2 norm per row: exactly
``TfidfTransformer(sublinear_tf=True)`` with its defaults (``smooth_idf=True``,
``norm="l2"``), which serves as the reference, up to float32 rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from sktext.weighting import TokenWeighting


def random_counts(n_rows: int, n_tokens: int, seed: int) -> sp.csr_matrix:
    """Counts from 1 to 9 on about a third of the cells, with an empty row and a
    token that no document holds."""
    rng = np.random.default_rng(seed)
    dense = rng.integers(1, 10, size=(n_rows, n_tokens)) * (rng.random((n_rows, n_tokens)) < 0.35)
    dense[1] = 0
    dense[:, -1] = 0
    return sp.csr_matrix(dense.astype(np.int64))


COUNTS = random_counts(40, 25, seed=0)


def test_tfidf_matches_scikit_learns_sublinear_tfidf():
    weighting = TokenWeighting("tfidf").fit(COUNTS)
    reference = TfidfTransformer(sublinear_tf=True).fit(COUNTS)
    np.testing.assert_allclose(weighting.idf_, reference.idf_, rtol=1e-6)
    np.testing.assert_allclose(
        weighting.transform(COUNTS).toarray(),
        reference.transform(COUNTS).toarray(),
        rtol=1e-5,
        atol=1e-7,
    )


def test_tfidf_of_new_documents_uses_the_learned_idf():
    new = random_counts(15, 25, seed=1)
    weighting = TokenWeighting("tfidf").fit(COUNTS)
    reference = TfidfTransformer(sublinear_tf=True).fit(COUNTS)
    np.testing.assert_allclose(
        weighting.transform(new).toarray(), reference.transform(new).toarray(), rtol=1e-5, atol=1e-7
    )


def test_tfidf_by_hand():
    # Two documents: token 0 once in the first; token 1 three times in the
    # first and once in the second. df = (1, 2), n = 2.
    counts = sp.csr_matrix(np.array([[1, 3], [0, 1]]))
    weighting = TokenWeighting("tfidf").fit(counts)
    idf = [math.log(3 / 2) + 1, math.log(3 / 3) + 1]
    np.testing.assert_allclose(weighting.idf_, idf, rtol=1e-6)
    first = np.array([1 * idf[0], (1 + math.log(3)) * idf[1]])
    weights = weighting.transform(counts).toarray()
    np.testing.assert_allclose(weights[0], first / np.linalg.norm(first), rtol=1e-6)
    np.testing.assert_allclose(weights[1], [0.0, 1.0], rtol=1e-6)


def test_tfidf_rows_have_unit_norm_and_the_sparsity_of_the_counts():
    weights = TokenWeighting("tfidf").fit(COUNTS).transform(COUNTS)
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights.indptr, COUNTS.indptr)
    np.testing.assert_array_equal(weights.indices, COUNTS.indices)
    assert (weights.data > 0).all()
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    holds_tokens = np.diff(COUNTS.indptr) > 0
    np.testing.assert_allclose(norms[holds_tokens], 1.0, rtol=1e-6)


@pytest.mark.parametrize("pooling", ["tfidf", "mean"])
def test_empty_rows_stay_empty_and_finite(pooling):
    counts = sp.csr_matrix(np.array([[0, 0, 0], [2, 0, 1], [0, 0, 0]]))
    weights = TokenWeighting(pooling).fit(counts).transform(counts)
    assert np.isfinite(weights.data).all()
    np.testing.assert_array_equal(np.diff(weights.indptr), [0, 2, 0])


def test_rarer_tokens_weigh_more_at_equal_counts():
    # Token 0 in every document, token 1 in one: same count in document 0.
    counts = sp.csr_matrix(np.array([[2, 2], [1, 0], [1, 0], [1, 0]]))
    weighting = TokenWeighting("tfidf").fit(counts)
    assert weighting.idf_[0] == pytest.approx(1.0)  # log(5 / 5) + 1
    first = weighting.transform(counts).toarray()[0]
    assert first[1] > first[0]


def test_mean_pooling_weighs_each_occurrence_one_over_the_length():
    counts = sp.csr_matrix(np.array([[2, 1, 1, 0], [0, 0, 0, 5], [1, 0, 3, 0]]))
    weights = TokenWeighting("mean").fit(counts).transform(counts)
    expected = [[0.5, 0.25, 0.25, 0.0], [0.0, 0.0, 0.0, 1.0], [0.25, 0.0, 0.75, 0.0]]
    np.testing.assert_allclose(weights.toarray(), expected, rtol=1e-6)
    assert weights.dtype == np.float32


def test_mean_pooling_ignores_document_frequencies():
    weighting = TokenWeighting("mean").fit(COUNTS)
    other = TokenWeighting("mean").fit(random_counts(10, 25, seed=2))
    np.testing.assert_array_equal(
        weighting.transform(COUNTS).toarray(), other.transform(COUNTS).toarray()
    )


def test_partial_fit_over_batches_counts_like_one_fit():
    batches = [COUNTS[:7], COUNTS[7:8], COUNTS[8:30], COUNTS[30:]]
    streamed = TokenWeighting("tfidf")
    streamed.fit(batches[0])
    for batch in batches[1:]:
        streamed.partial_fit(batch)
    whole = TokenWeighting("tfidf").fit(COUNTS)
    assert streamed.n_documents_ == whole.n_documents_ == COUNTS.shape[0]
    np.testing.assert_array_equal(streamed.document_frequency_, whole.document_frequency_)
    np.testing.assert_array_equal(
        streamed.document_frequency_, np.asarray((COUNTS > 0).sum(axis=0)).ravel()
    )
    np.testing.assert_allclose(streamed.idf_, whole.idf_, rtol=1e-7)
    np.testing.assert_allclose(
        streamed.transform(COUNTS).toarray(), whole.transform(COUNTS).toarray(), rtol=1e-7
    )


def test_fit_starts_over():
    weighting = TokenWeighting("tfidf").fit(random_counts(30, 25, seed=3))
    weighting.partial_fit(random_counts(5, 25, seed=4))
    weighting.fit(COUNTS)
    fresh = TokenWeighting("tfidf").fit(COUNTS)
    assert weighting.n_documents_ == COUNTS.shape[0]
    np.testing.assert_array_equal(weighting.document_frequency_, fresh.document_frequency_)
    np.testing.assert_array_equal(weighting.idf_, fresh.idf_)
