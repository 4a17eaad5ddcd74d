"""Serving with ONNX Runtime: the network as an ONNX graph, tokenization in Python.

:func:`export_onnx` (or ``TextClassifier.to_onnx``) writes the fitted network
as an ONNX file with three inputs, the ``EmbeddingBag`` layout of a batch:

* ``indices`` (int64, one per token): embedding rows;
* ``offsets`` (int64, one per document): where each document's tokens start;
* ``weights`` (float32, one per token): the pooling weights;

and two outputs, ``logits`` and ``probabilities`` (softmax, per-label sigmoid,
or one softmax per output for multi-output targets), each of shape
``(n_documents, n_classes)``.

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

import hashlib
import importlib
import json
import os
from types import ModuleType
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .decisions import decide
from .model import BagModel

__all__ = ["export_onnx", "OnnxPredictor"]

# Opset 16 is the first with ScatterElements/ScatterND reduction="add"; 17 is
# read by onnxruntime 1.13 and later. IR version 8 goes with opset 17, so that
# runtimes older than the ``onnx`` package writing the file still load it.
_OPSET = 17
_IR_VERSION = 8
# Protocol buffers cap a file at 2 GiB; a larger embedding table goes in an
# external data file beside the graph.
_EXTERNAL_DATA_BYTES = 1 << 30
_META_PREFIX = "sktext."
# Documents a session run: the graph holds a (tokens, dim) array of weighted
# embedding rows, which at this size stays in cache instead of costing
# hundreds of MB of fresh memory a run (several times slower).
_RUN_BATCH = 1024


def _require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{module} is needed for ONNX export and serving; install the optional extra "
            f"with: pip install 'sktext[onnx]'"
        ) from None


def _fingerprint(estimator: Any) -> dict[str, str]:
    """What ties an ONNX file to its sktext model: the loss, the shapes and a
    hash of the head's weights (cheap, unlike hashing the embedding table)."""
    model = estimator.model_
    head = hashlib.sha256()
    for tensor in (model.head.weight, model.head.bias):
        head.update(tensor.detach().cpu().numpy().astype("<f4").tobytes())
    return {
        "loss": estimator.target_.loss,
        "output_sizes": json.dumps(list(estimator.target_.output_sizes)),
        "embedding_shape": json.dumps(list(model.embedding.weight.shape)),
        "head_sha256": head.hexdigest(),
    }


def _graph(estimator: Any) -> Any:
    """The network as an ONNX ModelProto (built node by node: no exporter
    dependency, and ``EmbeddingBag`` with per-sample weights becomes plain
    Gather, Mul and a scatter-add)."""
    onnx = _require("onnx")
    from onnx import TensorProto, helper, numpy_helper

    model = estimator.model_
    target = estimator.target_
    table = model.embedding.weight.detach().cpu().numpy().astype(np.float32)
    head_weight = model.head.weight.detach().cpu().numpy().astype(np.float32)
    head_bias = model.head.bias.detach().cpu().numpy().astype(np.float32)
    dim = table.shape[1]

    initializers = [
        numpy_helper.from_array(table, "embedding"),
        numpy_helper.from_array(head_weight, "head_weight"),
        numpy_helper.from_array(head_bias, "head_bias"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "axis0"),
        numpy_helper.from_array(np.array([dim], dtype=np.int64), "dim"),
    ]
    zero_int = numpy_helper.from_array(np.array([0], dtype=np.int64))
    one_int = numpy_helper.from_array(np.array([1], dtype=np.int64))
    zero_float = numpy_helper.from_array(np.array([0.0], dtype=np.float32))
    node = helper.make_node
    nodes = [
        # Document of each token: a 1 at every document's first token, summed
        # cumulatively. The marks have one slot more than tokens because empty
        # documents at the end start at offset n_tokens; empty documents
        # elsewhere share their successor's slot, which then counts them all.
        node("Shape", ["indices"], ["n_tokens"]),
        node("Shape", ["offsets"], ["n_documents"]),
        node("Add", ["n_tokens", "one"], ["n_slots"]),
        node("ConstantOfShape", ["n_slots"], ["no_marks"], value=zero_int),
        node("ConstantOfShape", ["n_documents"], ["ones"], value=one_int),
        node("ScatterElements", ["no_marks", "offsets", "ones"], ["marks"], reduction="add"),
        node("CumSum", ["marks", "axis0"], ["counted"]),
        node("Slice", ["counted", "zero", "n_tokens"], ["counted_tokens"]),
        node("Sub", ["counted_tokens", "one"], ["document"]),
        node("Unsqueeze", ["document", "one"], ["scatter_index"]),
        # EmbeddingBag(mode="sum", per_sample_weights): weighted rows, added
        # into their document's row.
        node("Gather", ["embedding", "indices"], ["rows"], axis=0),
        node("Unsqueeze", ["weights", "one"], ["column_weights"]),
        node("Mul", ["rows", "column_weights"], ["weighted_rows"]),
        node("Concat", ["n_documents", "dim"], ["pooled_shape"], axis=0),
        node("ConstantOfShape", ["pooled_shape"], ["no_documents"], value=zero_float),
        node(
            "ScatterND",
            ["no_documents", "scatter_index", "weighted_rows"],
            ["pooled"],
            reduction="add",
        ),
        # Dropout is the identity at inference; the head is x @ W.T + b.
        node("Gemm", ["pooled", "head_weight", "head_bias"], ["logits"], transB=1),
    ]
    if target.multilabel:
        nodes.append(node("Sigmoid", ["logits"], ["probabilities"]))
    elif len(target.output_sizes) == 1:
        nodes.append(node("Softmax", ["logits"], ["probabilities"], axis=1))
    else:  # multi-output: one softmax per output's block of columns
        sizes = np.array(target.output_sizes, dtype=np.int64)
        initializers.append(numpy_helper.from_array(sizes, "output_sizes"))
        blocks = [f"logits_{k}" for k in range(len(sizes))]
        nodes.append(node("Split", ["logits", "output_sizes"], blocks, axis=1))
        nodes += [node("Softmax", [b], [f"{b}_softmax"], axis=1) for b in blocks]
        nodes.append(node("Concat", [f"{b}_softmax" for b in blocks], ["probabilities"], axis=1))

    n_classes = target.n_classes
    graph = helper.make_graph(
        nodes,
        "sktext_bag_model",
        inputs=[
            helper.make_tensor_value_info("indices", TensorProto.INT64, ["n_tokens"]),
            helper.make_tensor_value_info("offsets", TensorProto.INT64, ["n_documents"]),
            helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["n_tokens"]),
        ],
        outputs=[
            helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n_documents", n_classes])
            for name in ("logits", "probabilities")
        ],
        initializer=initializers,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET)],
        ir_version=_IR_VERSION,
        producer_name="sktext",
    )
    helper.set_model_props(proto, {_META_PREFIX + k: v for k, v in _fingerprint(estimator).items()})
    onnx.checker.check_model(proto)
    return proto


def export_onnx(estimator: Any, path: str | os.PathLike) -> None:
    """Write the fitted network of ``estimator`` to ``path`` as an ONNX model.

    The graph maps a batch in ``EmbeddingBag`` layout (``indices``,
    ``offsets``, ``weights``; see :mod:`sktext.onnx`) to ``logits`` and
    ``probabilities``. Serve it with :class:`OnnxPredictor`, which tokenizes
    in Python with the estimator's own tokenizer. An embedding table over
    1 GiB is stored beside the graph in ``<path>.data``.

    Parameters
    ----------
    estimator : TextClassifier
        A fitted classifier.
    path : str or path-like
        The ``.onnx`` file to write.
    """
    check_is_fitted(estimator, "model_")
    if not isinstance(estimator.model_, BagModel):
        raise ValueError(
            "ONNX export covers the bag model (encoder='bag'); this one is an attention "
            "encoder. Serve it with pickle or save()."
        )
    if estimator.categorical_encoder_ is not None:
        raise ValueError(
            "ONNX export covers text-only models; this one has categorical side "
            "features (categorical_columns). Serve it with pickle or save()."
        )
    onnx = _require("onnx")
    proto = _graph(estimator)
    large = estimator.model_.embedding.weight.numel() * 4 > _EXTERNAL_DATA_BYTES
    onnx.save_model(
        proto,
        os.fspath(path),
        save_as_external_data=large,
        location=os.path.basename(os.fspath(path)) + ".data",
    )


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
        ort = _require("onnxruntime")
        if isinstance(estimator, (str, os.PathLike)):
            from .persistence import load

            estimator = load(estimator)
        check_is_fitted(estimator, "model_")
        options = ort.SessionOptions()
        options.intra_op_num_threads = n_threads or estimator._n_threads()
        options.inter_op_num_threads = 1
        self.session_ = ort.InferenceSession(
            os.fspath(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        stored = {
            key[len(_META_PREFIX) :]: value
            for key, value in self.session_.get_modelmeta().custom_metadata_map.items()
            if key.startswith(_META_PREFIX)
        }
        if stored != _fingerprint(estimator):
            raise ValueError(
                f"{os.fspath(onnx_path)!r} was not exported from this sktext model (its "
                "shapes, loss or head weights differ); pass the model it was exported from."
            )
        self.estimator_ = estimator
        self.classes_ = estimator.classes_

    def _run(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Logits and probabilities of ``X``, tokenized a chunk at a time as
        ``TextClassifier`` does, which bounds memory."""
        from .classifier import _PREDICT_CHUNK
        from .inputs import check_texts

        texts = check_texts(X)
        estimator = self.estimator_
        logits, probabilities = [], []
        for start in range(0, len(texts), _PREDICT_CHUNK):
            chunk = texts[start : start + _PREDICT_CHUNK]
            bags = estimator.weighting_.transform(estimator.tokenizer_.transform(chunk))
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
                logits.append(outputs[0])
                probabilities.append(outputs[1])
        if not texts:
            empty = np.empty((0, estimator.target_.n_classes), dtype=np.float32)
            return empty, empty
        return np.concatenate(logits), np.concatenate(probabilities)

    def predict_proba(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Probability of each class, as ``TextClassifier.predict_proba``.

        Parameters
        ----------
        X : 1-D collection of str

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or for multi-output targets
        a list of one (n_samples, n_classes_k) array per output.
        """
        return self.estimator_.target_.split_outputs(self._run(X)[1])

    def predict(self, X: Any) -> Any:
        """Predicted labels in the training format, as ``TextClassifier.predict``.

        Parameters
        ----------
        X : 1-D collection of str

        Returns
        -------
        Labels in the format of the training ``y``.
        """
        estimator = self.estimator_
        logits = self._run(X)[0]
        decisions = decide(estimator.target_, logits, estimator._decision_rule())
        return estimator.target_.decode(decisions)
