"""Per-token pooling weights: how much each token counts in its document vector.

The model sums token embeddings weighted by these values
(``EmbeddingBag(mode="sum", per_sample_weights=...)``), so one mechanism
serves both poolings:

* ``"mean"``: each occurrence weighs ``1 / length`` (fastText's average);
* ``"tfidf"``: sublinear tf-idf, ``(1 + log count) * idf``, scaled to unit L2
  norm per document, as ``TfidfVectorizer(sublinear_tf=True)`` computes it.
  On long documents this weighting is what lets linear models beat fastText.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["TokenWeighting"]


class TokenWeighting:
    """Turns token counts into pooling weights.

    Parameters
    ----------
    pooling : {"tfidf", "mean"}
    """

    def __init__(self, pooling: str = "tfidf") -> None:
        self.pooling = pooling

    def fit(self, counts: sp.csr_matrix) -> TokenWeighting:
        """Learn inverse document frequencies (smoothed, as scikit-learn does)."""
        self.document_frequency_ = np.zeros(counts.shape[1], dtype=np.int64)
        self.n_documents_ = 0
        return self.partial_fit(counts)

    def partial_fit(self, counts: sp.csr_matrix) -> TokenWeighting:
        """Add documents to the frequencies (for streams) and update ``idf_``."""
        self.document_frequency_ += np.bincount(counts.indices, minlength=counts.shape[1])
        self.n_documents_ += counts.shape[0]
        ratio = (1 + self.n_documents_) / (1 + self.document_frequency_)
        self.idf_ = (np.log(ratio) + 1).astype(np.float32)
        return self

    def transform(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Same sparsity as ``counts``, float32 weights in place of counts."""
        row_lengths = np.diff(counts.indptr)
        if self.pooling == "mean":
            data = counts.data / np.repeat(_row_sums(counts.data, counts.indptr), row_lengths)
        else:
            data = (1.0 + np.log(counts.data)) * self.idf_[counts.indices]
            norms = np.sqrt(_row_sums(data * data, counts.indptr))
            data = data / np.repeat(norms, row_lengths)
        return sp.csr_matrix(
            (data.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape
        )

    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able configuration and arrays; frequencies, not just idf, so
        that ``partial_fit`` keeps counting after a load."""
        config = {"pooling": self.pooling, "n_documents": int(self.n_documents_)}
        arrays = {"idf": self.idf_, "document_frequency": self.document_frequency_}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> TokenWeighting:
        """The weighting :meth:`get_state` described."""
        pooling = config["pooling"]
        if pooling not in ("tfidf", "mean"):
            raise ValueError(f"pooling {pooling!r} is not 'tfidf' or 'mean'.")
        weighting = cls(pooling)
        weighting.idf_ = arrays["idf"]
        weighting.document_frequency_ = arrays["document_frequency"]
        weighting.n_documents_ = int(config["n_documents"])
        return weighting


def _row_sums(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Per-row sums; 1 for empty rows so that dividing by them is harmless."""
    cumulative = np.concatenate([[0.0], np.cumsum(data, dtype=np.float64)])
    sums = cumulative[indptr[1:]] - cumulative[indptr[:-1]]
    sums[np.diff(indptr) == 0] = 1.0
    return sums
