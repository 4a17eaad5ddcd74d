"""Per-token pooling weights: how much each token counts in its document vector.

The model sums token embeddings weighted by these values
(``EmbeddingBag(mode="sum", per_sample_weights=...)``), so one mechanism
serves every pooling:

* ``"mean"``: each occurrence weighs ``1 / length`` (fastText's average);
* ``"tfidf"``: sublinear tf-idf, ``(1 + log count) * idf``, scaled to unit L2
  norm per document, as ``TfidfVectorizer(sublinear_tf=True)`` computes it.
  On long documents this weighting is what lets linear models beat fastText.
* ``"supervised"``: ``(1 + log count) * sqrt(idf) * (0.5 + concentration)``,
  unit L2 norm, where a token's concentration ``1 - H(class | token) /
  log(n_classes)`` (in [0, 1]) says how much its presence tells the class
  apart, from the training labels (:func:`class_concentration`). Frequent
  words that decide the class (TREC's "how many", "who") keep their weight
  that idf alone would shrink; rare words spread over the classes lose some.
  Fitted on single-label targets only (hard classes or soft rows).
* ``"auto"``: ``"supervised"`` when ``fit`` is given class labels, else
  ``"tfidf"`` (multilabel and multi-output targets, streams).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["TokenWeighting", "class_concentration"]

# Pooling kinds a fitted weighting (and a saved file) holds.
KINDS = ("tfidf", "mean", "supervised")
# Pseudo-documents each token gets, spread over the classes, in the per-class
# document frequencies (2: binary Laplace smoothing, (df_c + 1) / (n_c + 2));
# and the weight a token that says nothing about the class keeps. Measured:
# benchmarks/RESULTS.md, "Default training of the bag model".
SMOOTHING = 2.0
FLOOR = 0.5


class TokenWeighting:
    """Turns token counts into pooling weights.

    Parameters
    ----------
    pooling : {"auto", "supervised", "tfidf", "mean"}
    """

    def __init__(self, pooling: str = "tfidf") -> None:
        self.pooling = pooling

    def fit(self, counts: sp.csr_matrix, classes: np.ndarray | None = None) -> TokenWeighting:
        """Learn inverse document frequencies (smoothed, as scikit-learn does)
        and, for supervised pooling, each token's class concentration.

        ``classes``: each training document's class, as int codes (n,) or
        one row of class probabilities (n, n_classes); None where the target
        has no single class (multilabel, multi-output) or is a stream.
        """
        kind = self.pooling
        if kind == "auto":
            kind = "tfidf" if classes is None else "supervised"
        if kind == "supervised" and classes is None:
            raise ValueError(
                "pooling='supervised' learns token weights from single-label targets in "
                "fit: not from multilabel or multi-output targets, nor in partial_fit. "
                "Use pooling='tfidf' (or 'auto') there."
            )
        self.pooling_ = kind
        self.relevance_ = (
            None if kind != "supervised" else FLOOR + class_concentration(counts, classes)
        )
        self.document_frequency_ = np.zeros(counts.shape[1], dtype=np.int64)
        self.n_documents_ = 0
        return self.partial_fit(counts)

    def partial_fit(self, counts: sp.csr_matrix) -> TokenWeighting:
        """Add documents to the frequencies (for streams) and update ``idf_``;
        the class concentrations stay those of ``fit``."""
        self.document_frequency_ += np.bincount(counts.indices, minlength=counts.shape[1])
        self.n_documents_ += counts.shape[0]
        ratio = (1 + self.n_documents_) / (1 + self.document_frequency_)
        self.idf_ = (np.log(ratio) + 1).astype(np.float32)
        return self

    @property
    def token_weights_(self) -> np.ndarray:
        """Each feature's factor on ``1 + log count`` before the L2 norm
        (tf-idf and supervised pooling)."""
        if self.pooling_ == "supervised":
            return (np.sqrt(self.idf_) * self.relevance_).astype(np.float32)
        return self.idf_

    def transform(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Same sparsity as ``counts``, float32 weights in place of counts."""
        row_lengths = np.diff(counts.indptr)
        if self.pooling_ == "mean":
            data = counts.data / np.repeat(_row_sums(counts.data, counts.indptr), row_lengths)
        else:
            data = (1.0 + np.log(counts.data)) * self.token_weights_[counts.indices]
            norms = np.sqrt(_row_sums(data * data, counts.indptr))
            data = data / np.repeat(norms, row_lengths)
        return sp.csr_matrix(
            (data.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape
        )

    def select(self, keep: np.ndarray) -> TokenWeighting:
        """The weighting of the features ``keep`` (a boolean mask) only, with
        frequencies in the smallest integer type that holds them (pruned
        models take no ``partial_fit``)."""
        pruned = TokenWeighting(self.pooling)
        pruned.pooling_ = self.pooling_
        pruned.idf_ = self.idf_[keep]
        pruned.relevance_ = None if self.relevance_ is None else self.relevance_[keep]
        dtype = np.min_scalar_type(self.n_documents_)
        pruned.document_frequency_ = self.document_frequency_[keep].astype(dtype)
        pruned.n_documents_ = self.n_documents_
        return pruned

    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able configuration and arrays; frequencies, not just idf, so
        that ``partial_fit`` keeps counting after a load."""
        config = {"pooling": self.pooling_, "n_documents": int(self.n_documents_)}
        arrays = {"idf": self.idf_, "document_frequency": self.document_frequency_}
        if self.relevance_ is not None:
            arrays["relevance"] = self.relevance_
        return config, arrays

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> TokenWeighting:
        """The weighting :meth:`get_state` described (files written before
        supervised pooling hold "tfidf" or "mean" and no relevance)."""
        pooling = config["pooling"]
        if pooling not in KINDS:
            raise ValueError(f"pooling {pooling!r} is not one of {', '.join(map(repr, KINDS))}.")
        weighting = cls(pooling)
        weighting.pooling_ = pooling
        weighting.idf_ = arrays["idf"]
        weighting.relevance_ = arrays.get("relevance") if pooling == "supervised" else None
        if pooling == "supervised" and (
            weighting.relevance_ is None or weighting.relevance_.shape != weighting.idf_.shape
        ):
            raise ValueError("supervised pooling needs one relevance weight per idf weight.")
        weighting.document_frequency_ = arrays["document_frequency"]
        weighting.n_documents_ = int(config["n_documents"])
        return weighting


def class_concentration(counts: sp.csr_matrix, classes: np.ndarray) -> np.ndarray:
    """``1 - H(class | token) / log(n_classes)`` for each feature (column of
    ``counts``), float32 in [0, 1].

    The distribution over classes of a token is that of the smoothed rates
    ``p(token | c) = (df_c + a) / (n_c + 2a)``, ``a = 2 / n_classes`` (two
    pseudo-documents a token, whatever the number of classes; binary: add-one),
    ``df_c`` the documents of class ``c`` that hold it and ``n_c`` the
    documents of the class, normalised over the classes: every class weighs the same, so a token is
    not concentrated for being common in a large class. ``classes`` are int
    codes (n,) or soft rows (n, n_classes), whose mass each document shares
    out. A single class gives zeros. Computed on the sparse counts, in time
    linear in their nonzeros: no dense features x classes table.
    """
    n_documents = counts.shape[0]
    if classes.ndim == 1:
        n_classes = int(classes.max()) + 1 if len(classes) else 1
        mass = sp.csr_matrix(
            (np.ones(n_documents), (np.arange(n_documents), classes)),
            shape=(n_documents, n_classes),
        )
    else:
        n_classes = classes.shape[1]
        mass = sp.csr_matrix(classes.astype(np.float64))
    if n_classes < 2:
        return np.zeros(counts.shape[1], dtype=np.float32)
    presence = sp.csr_matrix(
        (np.ones(len(counts.data)), counts.indices, counts.indptr), shape=counts.shape
    )
    per_class = sp.coo_matrix(presence.T @ mass)  # df_c, nonzeros only
    # Per class: fewer pseudo-documents the more classes, so that with many
    # small classes the smoothing does not drown every token's evidence.
    smoothing = SMOOTHING / n_classes
    denominator = np.asarray(mass.sum(axis=0)).ravel() + 2 * smoothing
    base = smoothing / denominator  # the rate of a class without the token
    rates = (per_class.data + smoothing) / denominator[per_class.col]
    base_total, base_plogp = base.sum(), (base * np.log(base)).sum()
    # Sums over the classes: the base rates, corrected where df_c > 0.
    total = base_total + np.bincount(
        per_class.row, rates - base[per_class.col], minlength=counts.shape[1]
    )
    plogp = base_plogp + np.bincount(
        per_class.row,
        rates * np.log(rates) - (base * np.log(base))[per_class.col],
        minlength=counts.shape[1],
    )
    entropy = np.log(total) - plogp / total  # of the rates normalised by total
    return np.clip(1.0 - entropy / np.log(n_classes), 0.0, 1.0).astype(np.float32)


def _row_sums(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Per-row sums; 1 for empty rows so that dividing by them is harmless."""
    cumulative = np.concatenate([[0.0], np.cumsum(data, dtype=np.float64)])
    sums = cumulative[indptr[1:]] - cumulative[indptr[:-1]]
    sums[np.diff(indptr) == 0] = 1.0
    return sums
