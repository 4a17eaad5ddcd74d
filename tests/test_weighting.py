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

from sktext.weighting import TokenWeighting, class_concentration


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


# -- supervised pooling: class concentrations from the training labels ------

CLASSES = np.random.default_rng(5).integers(0, 3, size=COUNTS.shape[0])


def reference_concentration(counts: sp.csr_matrix, classes: np.ndarray) -> np.ndarray:
    """The documented formula on a dense features x classes table."""
    presence = counts.toarray() > 0
    n_classes = classes.max() + 1
    per_class = np.stack([presence[classes == c].sum(axis=0) for c in range(n_classes)], axis=1)
    sizes = np.bincount(classes, minlength=n_classes)
    smoothing = 2 / n_classes  # two pseudo-documents a token
    rates = (per_class + smoothing) / (sizes + 2 * smoothing)
    shares = rates / rates.sum(axis=1, keepdims=True)
    entropy = -(shares * np.log(shares)).sum(axis=1)
    return 1 - entropy / np.log(n_classes)


def test_class_concentration_matches_the_dense_formula():
    got = class_concentration(COUNTS, CLASSES)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, reference_concentration(COUNTS, CLASSES), atol=1e-6)
    # One-hot rows are the same classes.
    np.testing.assert_allclose(class_concentration(COUNTS, np.eye(3)[CLASSES]), got, atol=1e-7)


def test_class_concentration_by_hand():
    # Token 0 in both documents of class 0 and none of class 1; token 1 in
    # every document; token 2 in none.
    counts = sp.csr_matrix(np.array([[1, 2, 0], [3, 1, 0], [0, 1, 0], [0, 1, 0]]))
    got = class_concentration(counts, np.array([0, 0, 1, 1]))
    shares = np.array([3 / 4, 1 / 4])  # rates (2 + 1) / 4 and (0 + 1) / 4
    expected = 1 + (shares * np.log(shares)).sum() / np.log(2)
    np.testing.assert_allclose(got, [expected, 0.0, 0.0], atol=1e-7)


def test_soft_rows_share_a_documents_mass_out():
    counts = sp.csr_matrix(np.array([[1, 0], [0, 1], [1, 1]]))
    soft = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    got = class_concentration(counts, soft)
    # Per-class df: token 0 (0.9 + 0.5, 0.1 + 0.5), token 1 (0.2 + 0.5, 0.8 + 0.5),
    # of class masses (1.6, 1.4).
    rates = (np.array([[1.4, 0.6], [0.7, 1.3]]) + 1) / (np.array([1.6, 1.4]) + 2)
    shares = rates / rates.sum(axis=1, keepdims=True)
    expected = 1 + (shares * np.log(shares)).sum(axis=1) / np.log(2)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_a_single_class_concentrates_nothing():
    np.testing.assert_array_equal(class_concentration(COUNTS, np.zeros(40, int)), 0.0)


def test_supervised_weights_by_formula():
    weighting = TokenWeighting("supervised").fit(COUNTS, CLASSES)
    assert weighting.pooling_ == "supervised"
    factor = np.sqrt(weighting.idf_) * (0.5 + reference_concentration(COUNTS, CLASSES))
    dense = COUNTS.toarray().astype(np.float64)
    expected = np.where(dense > 0, (1 + np.log(np.maximum(dense, 1))) * factor, 0.0)
    norms = np.linalg.norm(expected, axis=1, keepdims=True)
    expected = expected / np.where(norms > 0, norms, 1)
    got = weighting.transform(COUNTS)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.toarray(), expected, rtol=1e-5, atol=1e-7)


def test_a_class_deciding_token_outweighs_an_equally_frequent_neutral_one():
    # Tokens 0 and 1 in half the documents each: token 0 exactly in class 0.
    counts = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 1], [0, 1, 1], [0, 0, 1]] * 5))
    classes = np.array([0, 0, 1, 1] * 5)
    supervised = TokenWeighting("supervised").fit(counts, classes).transform(counts).toarray()
    tfidf = TokenWeighting("tfidf").fit(counts).transform(counts).toarray()
    assert tfidf[0, 0] == pytest.approx(tfidf[0, 1])
    assert supervised[0, 0] > 2 * supervised[0, 1]


def test_auto_is_supervised_with_classes_and_tfidf_without():
    assert TokenWeighting("auto").fit(COUNTS, CLASSES).pooling_ == "supervised"
    unsupervised = TokenWeighting("auto").fit(COUNTS)
    assert unsupervised.pooling_ == "tfidf"
    assert unsupervised.relevance_ is None
    np.testing.assert_array_equal(
        unsupervised.transform(COUNTS).toarray(),
        TokenWeighting("tfidf").fit(COUNTS).transform(COUNTS).toarray(),
    )


def test_supervised_without_classes_is_an_error():
    with pytest.raises(ValueError, match="single-label targets"):
        TokenWeighting("supervised").fit(COUNTS)


def test_partial_fit_keeps_the_concentrations_and_counts_on():
    weighting = TokenWeighting("supervised").fit(COUNTS[:30], CLASSES[:30])
    relevance = weighting.relevance_.copy()
    weighting.partial_fit(COUNTS[30:])
    np.testing.assert_array_equal(weighting.relevance_, relevance)
    np.testing.assert_allclose(weighting.idf_, TokenWeighting("tfidf").fit(COUNTS).idf_)


@pytest.mark.parametrize("pooling", ["supervised", "tfidf", "mean"])
def test_state_round_trip_and_select(pooling):
    weighting = TokenWeighting(pooling).fit(COUNTS, CLASSES if pooling == "supervised" else None)
    config, arrays = weighting.get_state()
    assert ("relevance" in arrays) == (pooling == "supervised")
    loaded = TokenWeighting.from_state(config, arrays)
    np.testing.assert_array_equal(
        loaded.transform(COUNTS).toarray(), weighting.transform(COUNTS).toarray()
    )
    keep = np.arange(COUNTS.shape[1]) % 3 != 0
    pruned = weighting.select(keep)
    assert pruned.pooling_ == pooling
    np.testing.assert_array_equal(pruned.token_weights_, weighting.token_weights_[keep])
    np.testing.assert_array_equal(pruned.document_frequency_, weighting.document_frequency_[keep])
    # The kept columns weigh as before, renormalised without the others.
    refit = pruned.transform(COUNTS[:, keep]).toarray()
    full = weighting.transform(COUNTS).toarray()[:, keep]
    scale = full.sum(axis=1) if pooling == "mean" else np.linalg.norm(full, axis=1)
    full = full / np.where(scale > 0, scale, 1)[:, None]
    np.testing.assert_allclose(refit, full, rtol=1e-5, atol=1e-7)


def test_a_supervised_state_without_relevance_is_refused():
    config, arrays = TokenWeighting("supervised").fit(COUNTS, CLASSES).get_state()
    del arrays["relevance"]
    with pytest.raises(ValueError, match="relevance"):
        TokenWeighting.from_state(config, arrays)
