"""The ONNX graph of a fitted bag network: built node by node, no exporter.

The graph has three inputs, the ``EmbeddingBag`` layout of a batch:

* ``indices`` (int64, one per token): embedding rows;
* ``offsets`` (int64, one per document): where each document's tokens start;
* ``weights`` (float32, one per token): the pooling weights;

and two outputs, ``logits`` and ``probabilities`` (softmax, per-label sigmoid,
or one softmax per output for multi-output targets), each of shape
``(n_documents, n_classes)``. Its metadata carry a :func:`fingerprint` that ties
it to its sktext model. ``onnx`` is an optional dependency, imported on use.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from types import ModuleType
from typing import Any

import numpy as np

from .model import BagModel
from .targets import Target

__all__ = ["META_PREFIX", "fingerprint", "require", "write_onnx"]

# Opset 16 is the first with ScatterElements/ScatterND reduction="add"; 17 is
# read by onnxruntime 1.13 and later. IR version 8 goes with opset 17, so that
# runtimes older than the ``onnx`` package writing the file still load it.
_OPSET = 17
_IR_VERSION = 8
# Protocol buffers cap a file at 2 GiB; a larger embedding table goes in an
# external data file beside the graph.
_EXTERNAL_DATA_BYTES = 1 << 30
META_PREFIX = "sktext."


def require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{module} is needed for ONNX export and serving; install the optional extra "
            f"with: pip install 'sktext[onnx]'"
        ) from None


def fingerprint(model: BagModel, target: Target) -> dict[str, str]:
    """What ties an ONNX file to its sktext model: the loss, the shapes and a
    hash of the head's weights (cheap, unlike hashing the embedding table)."""
    head = hashlib.sha256()
    for tensor in (model.head.weight, model.head.bias):
        head.update(tensor.detach().cpu().numpy().astype("<f4").tobytes())
    return {
        "loss": target.loss,
        "output_sizes": json.dumps(list(target.output_sizes)),
        "embedding_shape": json.dumps(list(model.embedding.weight.shape)),
        "head_sha256": head.hexdigest(),
    }


def _graph(model: BagModel, target: Target) -> Any:
    """The network as an ONNX ModelProto (built node by node: no exporter
    dependency, and ``EmbeddingBag`` with per-sample weights becomes plain
    Gather, Mul and a scatter-add)."""
    onnx = require("onnx")
    from onnx import TensorProto, helper, numpy_helper

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
    metadata = {META_PREFIX + k: v for k, v in fingerprint(model, target).items()}
    helper.set_model_props(proto, metadata)
    onnx.checker.check_model(proto)
    return proto


def write_onnx(model: BagModel, target: Target, path: str | os.PathLike) -> None:
    """Write the fitted bag network ``model`` (answering in ``target``'s
    format) to ``path`` as an ONNX model; an embedding table over 1 GiB goes
    in ``<path>.data`` beside it."""
    if model.kind != "bag":
        raise ValueError(
            "ONNX export covers the bag model (encoder='bag'); this one is an attention "
            "encoder. Serve it with pickle or save()."
        )
    if len(model.categorical):
        raise ValueError(
            "ONNX export covers text-only models; this one has categorical side "
            "features (categorical_columns). Serve it with pickle or save()."
        )
    onnx = require("onnx")
    proto = _graph(model, target)
    large = model.embedding.weight.numel() * 4 > _EXTERNAL_DATA_BYTES
    onnx.save_model(
        proto,
        os.fspath(path),
        save_as_external_data=large,
        location=os.path.basename(os.fspath(path)) + ".data",
    )
