"""Serving with ONNX Runtime: the network as an ONNX graph, tokenization in Python.

:func:`export_onnx` (or ``TextClassifier.to_onnx``) writes the fitted network
as an ONNX file (the graph is described in :mod:`sktext.onnx_graph`);
:class:`OnnxPredictor` runs it.

Packaging: the ONNX file holds the network only. Tokenizing, pooling weights,
labels and the decision rule come from the sktext model itself, so a served
model is two files, the ONNX graph and the model saved with
``TextClassifier.save``; :class:`OnnxPredictor` takes both (or the fitted
estimator in place of the second) and checks that they belong together::

    clf.save("model.sktext")
    clf.to_onnx("model.onnx")
    predictor = OnnxPredictor("model.onnx", "model.sktext")
    predictor.predict(["some text"])

``onnx`` (export) and ``onnxruntime`` (inference) are the optional extra
``pip install 'sktext[onnx]'``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils.validation import check_is_fitted

from .classifier import TextClassifier, load
from .features import PREDICT_CHUNK
from .inputs import check_texts
from .onnx_graph import META_PREFIX, fingerprint, require

__all__ = ["export_onnx", "OnnxPredictor"]

# Documents a session run: the graph holds a (tokens, dim) array of weighted
# embedding rows, which at this size stays in cache instead of costing
# hundreds of MB of fresh memory a run (several times slower).
_RUN_BATCH = 1024


def export_onnx(estimator: TextClassifier, path: str | os.PathLike) -> None:
    """Write the fitted network of ``estimator`` to ``path`` as an ONNX model.

    The graph maps a batch in ``EmbeddingBag`` layout (``indices``,
    ``offsets``, ``weights``; see :mod:`sktext.onnx`) to ``logits`` and
    ``probabilities``. Serve it with :class:`OnnxPredictor`, which tokenizes
    in Python with the estimator's own tokenizer. An embedding table over
    1 GiB is stored beside the graph in ``<path>.data``. The label
    centroids of a multilabel bag model (``centroid_weight``) are not in the
    graph: :class:`OnnxPredictor` blends them in after it, so the graph
    alone gives the network's probabilities, not the estimator's.

    Parameters
    ----------
    estimator : TextClassifier
        A fitted classifier.
    path : str or path-like
        The ``.onnx`` file to write.
    """
    estimator.to_onnx(path)


class OnnxPredictor:
    """Predictions of an exported sktext model with ONNX Runtime.

    Texts are tokenized and weighted in Python by the sktext model, the
    network runs in ONNX Runtime, and the answers are decoded by the sktext
    model's label format and decision rule (``threshold``, ``at_least_one``),
    so ``predict`` and ``predict_proba`` answer as the estimator does.

    Parameters
    ----------
    onnx_path : str or path-like
        The file written by :func:`export_onnx` (``TextClassifier.to_onnx``).
    estimator : TextClassifier, str or path-like
        The fitted classifier that was exported, or its file written by
        ``TextClassifier.save`` (read with :func:`sktext.load`).
    n_threads : int or None, default=None
        ONNX Runtime's intra-op threads; None follows the estimator's
        ``n_jobs`` (one thread by default).

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        The estimator's classes.
    session_ : onnxruntime.InferenceSession
    estimator_ : TextClassifier
    """

    def __init__(
        self, onnx_path: str | os.PathLike, estimator: Any, n_threads: int | None = None
    ) -> None:
        ort = require("onnxruntime")
        if isinstance(estimator, (str, os.PathLike)):
            estimator = load(estimator)
        check_is_fitted(estimator, "model_")
        options = ort.SessionOptions()
        options.intra_op_num_threads = n_threads or effective_n_jobs(estimator.n_jobs)
        options.inter_op_num_threads = 1
        self.session_ = ort.InferenceSession(
            os.fspath(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        stored = {
            key[len(META_PREFIX) :]: value
            for key, value in self.session_.get_modelmeta().custom_metadata_map.items()
            if key.startswith(META_PREFIX)
        }
        if stored != fingerprint(estimator.model_, estimator.target_):
            raise ValueError(
                f"{os.fspath(onnx_path)!r} was not exported from this sktext model (its "
                "shapes, loss or head weights differ); pass the model it was exported from."
            )
        self.estimator_ = estimator
        self.classes_ = estimator.classes_

    def _run(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Logits and probabilities of ``X``, tokenized a chunk at a time as
        ``TextClassifier`` does, which bounds memory."""
        texts = check_texts(X)
        estimator = self.estimator_
        logits, probabilities = [], []
        for start in range(0, len(texts), PREDICT_CHUNK):
            chunk = texts[start : start + PREDICT_CHUNK]
            bags = estimator.features_.transform(chunk, None).weighted
            indptr = bags.indptr.astype(np.int64)
            for first in range(0, len(chunk), _RUN_BATCH):
                last = min(first + _RUN_BATCH, len(chunk))
                tokens = slice(indptr[first], indptr[last])
                outputs = self.session_.run(
                    ["logits", "probabilities"],
                    {
                        "indices": bags.indices[tokens].astype(np.int64),
                        "offsets": indptr[first:last] - indptr[first],
                        "weights": bags.data[tokens].astype(np.float32, copy=False),
                    },
                )
                if estimator.centroids_ is None:
                    logits.append(outputs[0])
                    probabilities.append(outputs[1])
                    continue
                # The graph holds the network; the label centroids (a sparse
                # product) blend in here, as TextClassifier's predictions do.
                mixed = estimator.centroids_.blend(outputs[0], bags[first:last])
                logits.append(mixed)
                probabilities.append(1.0 / (1.0 + np.exp(-mixed)))
        if not texts:
            empty = np.empty((0, estimator.target_.n_classes), dtype=np.float32)
            return empty, empty
        return np.concatenate(logits), np.concatenate(probabilities)

    def predict_proba(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Probability of each class, as ``TextClassifier.predict_proba``.

        Parameters
        ----------
        X : 1-D collection of str
            The texts.

        Returns
        -------
        probabilities : ndarray or list of ndarray
            Shape (n_samples, n_classes), or for multi-output targets a list
            of one (n_samples, n_classes_k) array per output.
        """
        return self.estimator_.target_.split_outputs(self._run(X)[1])

    def predict(self, X: Any) -> Any:
        """Predicted labels in the training format, as ``TextClassifier.predict``.

        Parameters
        ----------
        X : 1-D collection of str
            The texts to label.

        Returns
        -------
        labels : array, list of tuples, sparse matrix or DataFrame
            Labels in the format of the training ``y``.
        """
        return self.estimator_.predict_from_logits(self._run(X)[0])
