"""Label centroids: a nearest-centroid (Rocchio) score blended into the bag
model's multilabel probabilities.

Each label's centroid is the normalised sum of its training documents'
pooling-weight rows (tf-idf rows, each scaled to unit length); a document's
score for the label is the cosine between its row and the centroid. The
network learns a label from its positives through a head row that starts at
the label's (strongly negative) prior odds, so a label with a handful of
positives ends the epochs with scores that barely separate its documents
from the rest; the centroid needs no training, ranks by shared vocabulary,
and suits exactly those labels, as the neighbourhood methods that lead
Reuters-21578's macro-F1 (kNN, Rocchio) show. A multilabel probability is

    (1 - weight) * sigmoid(logit) + weight * cosine(document, centroid)

and the estimator's logits are that mix's log odds, so ``predict``,
``predict_proba``, ``decision_function`` and ``threshold="auto"`` (whose
out-of-fold fits blend the same way) agree. Measured on Reuters-21578
(benchmarks/RESULTS.md, "Multilabel thresholds and label weights").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .batches import Bags
from .targets import Target

__all__ = [
    "CENTROID_WEIGHT",
    "LabelCentroids",
    "blend",
    "fit_centroids",
    "load_centroids",
    "store_centroids",
]

#: What ``centroid_weight="auto"`` gives a multilabel bag model. On Reuters
#: with threshold="auto", shares of 0.3 to 0.5 gave the same macro-F1
#: (0.56-0.57, against 0.48 without) and 0.1 or 0.2 less; at the fixed
#: threshold 0.5 the cosine (0.2 on average for a label's own documents)
#: pulls probabilities under the cut, and 0.5 lost 0.4 points of micro-F1
#: where 0.3 lost none. The low end of the plateau also changes least
#: where the network already ranks well (labels with many positives).
CENTROID_WEIGHT = 0.3

# Mixed probabilities are kept this far inside (0, 1), so that their log
# odds stay finite.
_EPSILON = 1e-12


class LabelCentroids:
    """Unit-length label centroids over the features, and their blend weight.

    Parameters
    ----------
    matrix : sparse matrix of shape (n_labels, n_inputs)
        One unit-length row a label (all zeros for a label without
        positive training documents).
    weight : float
        The centroid score's share of the blended probability, in (0, 1].
    """

    def __init__(self, matrix: sp.csr_matrix, weight: float) -> None:
        self.matrix = sp.csr_matrix(matrix, dtype=np.float32)
        self.weight = float(weight)
        # The features' rows of centroid values, made once: the product with
        # documents would otherwise convert the transpose at every call (a
        # third of the centroids' share of a predict, 100k short documents).
        self._by_feature = self.matrix.T.tocsr()

    @classmethod
    def fit(
        cls, bags: Bags, n_inputs: int, encoded: np.ndarray, weights: np.ndarray, weight: float
    ) -> LabelCentroids:
        """Centroids of the documents ``bags`` (over ``n_inputs`` features)
        with 0/1 (or soft) label matrix ``encoded`` and sample ``weights``."""
        rows = _unit_rows(_csr(bags, n_inputs))
        labels = sp.csr_matrix(np.asarray(encoded, dtype=np.float64) * weights[:, None])
        return cls(_unit_rows(sp.csr_matrix(labels.T @ rows)), weight)

    def scores(self, bags: Bags | sp.csr_matrix) -> np.ndarray:
        """Cosine of each document of ``bags`` with each label's centroid,
        shape (n_documents, n_labels)."""
        rows = _unit_rows(_csr(bags, self.matrix.shape[1]))
        return np.asarray((rows @ self._by_feature).todense(), dtype=np.float64)

    def blend(self, logits: np.ndarray, bags: Bags | sp.csr_matrix) -> np.ndarray:
        """The log odds of the mixed probabilities of the network's ``logits``
        and the centroid scores of the same documents ``bags``."""
        network = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
        mixed = (1.0 - self.weight) * network + self.weight * self.scores(bags)
        mixed = np.clip(mixed, _EPSILON, 1.0 - _EPSILON)
        return np.log(mixed) - np.log1p(-mixed)

    def select(self, keep: np.ndarray) -> LabelCentroids:
        """The centroids over the features ``keep`` (a mask) only, each
        normalised again: what a pruned model's documents are compared with."""
        return LabelCentroids(_unit_rows(self.matrix[:, np.flatnonzero(keep)]), self.weight)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The configuration and arrays the model file holds."""
        config = {"weight": self.weight, "shape": list(self.matrix.shape)}
        arrays = {
            "centroids.data": self.matrix.data,
            "centroids.indices": self.matrix.indices.astype(np.int64),
            "centroids.indptr": self.matrix.indptr.astype(np.int64),
        }
        return config, arrays

    @classmethod
    def from_state(
        cls, config: dict[str, Any] | None, arrays: dict[str, np.ndarray]
    ) -> LabelCentroids | None:
        """What :meth:`get_state` wrote (None: a model without centroids)."""
        if config is None:
            return None
        matrix = sp.csr_matrix(
            (arrays["centroids.data"], arrays["centroids.indices"], arrays["centroids.indptr"]),
            shape=tuple(config["shape"]),
        )
        return cls(matrix, config["weight"])


def fit_centroids(
    estimator: Any,
    stream: bool,
    target: Target,
    documents: Any,
    encoded: np.ndarray,
    weights: np.ndarray,
) -> LabelCentroids | None:
    """The centroids ``estimator`` (a :class:`~sktext.TextClassifier` whose
    network and features are fitted) blends in after training on
    ``documents`` with targets ``encoded`` and sample ``weights``: None for
    single-label targets (a softmax's most probable class, which a cosine mix
    would not calibrate), soft targets (whose probabilities estimate the
    targets' values, which a cosine is not), token sequences (the attention encoder's: no
    pooling weights) and ``centroid_weight=0``; ``centroid_weight="auto"`` is
    :data:`CENTROID_WEIGHT`. A ``stream`` (``partial_fit``) keeps the
    estimator's centroids: a call's few documents would not make them."""
    if stream:
        return getattr(estimator, "centroids_", None)
    weight = estimator.centroid_weight
    weight = CENTROID_WEIGHT if weight == "auto" else weight
    binary = target.multilabel and target.format != "soft"
    if not binary or not isinstance(documents, Bags) or weight == 0:
        return None
    n_inputs = estimator.features_.n_inputs
    return LabelCentroids.fit(documents, n_inputs, encoded, weights, weight)


def blend(centroids: LabelCentroids | None, logits: np.ndarray, bags: Any) -> np.ndarray:
    """``logits`` of the documents ``bags`` with ``centroids`` blended in
    (:meth:`LabelCentroids.blend`); as they are without centroids."""
    return logits if centroids is None else centroids.blend(logits, bags)


def store_centroids(
    centroids: LabelCentroids | None, arrays: dict[str, np.ndarray]
) -> dict[str, Any] | None:
    """The model file's "centroids" field; adds the centroids' arrays to ``arrays``."""
    if centroids is None:
        return None
    config, own = centroids.get_state()
    arrays.update(own)
    return config


def load_centroids(
    config: dict[str, Any] | None, arrays: dict[str, np.ndarray]
) -> LabelCentroids | None:
    """What :func:`store_centroids` wrote (None: a file without centroids,
    such as every file before format version 4)."""
    return LabelCentroids.from_state(config, arrays)


def _csr(bags: Bags | sp.csr_matrix, n_inputs: int) -> sp.csr_matrix:
    """The pooling-weight rows of ``bags`` (or the CSR matrix of them, as
    :mod:`sktext.onnx` has) as a CPU CSR matrix of ``n_inputs`` columns."""
    if sp.issparse(bags):
        return sp.csr_matrix(bags, shape=(bags.shape[0], n_inputs))
    return sp.csr_matrix(
        (
            bags.weights.detach().cpu().numpy().astype(np.float64),
            bags.indices.detach().cpu().numpy(),
            bags.host_indptr,
        ),
        shape=(len(bags), n_inputs),
    )


def _unit_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """``matrix`` (CSR) with every non-zero row scaled to unit length, as
    scikit-learn's ``normalize``, which refuses matrices without columns
    (a vocabulary left empty)."""
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix)
