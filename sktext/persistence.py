"""Safe saving and loading: no pickle, nothing executed on load.

A saved model is a zip archive with two members:

* ``sktext.json``: format name and version, the estimator's parameters, the
  label set and format, the tokenizer's vocabularies, the training history;
* ``weights.safetensors``: every array (embedding table, head, idf weights,
  n-gram keys) in the safetensors layout (an 8-byte little-endian header
  length, a JSON header of dtypes, shapes and offsets, then raw bytes), which
  the ``safetensors`` library also reads.

Loading parses JSON and raw numbers only, and checks every field before use:
a corrupted, truncated or foreign file raises :class:`ValueError` naming the
problem.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from typing import Any

import numpy as np
import torch

__all__ = ["save", "load", "FORMAT_VERSION"]

FORMAT_NAME = "sktext"
FORMAT_VERSION = 1
_CONFIG = "sktext.json"
_WEIGHTS = "weights.safetensors"
_DTYPES = {
    "F16": np.float16,
    "F32": np.float32,
    "F64": np.float64,
    "I32": np.int32,
    "I64": np.int64,
    "U64": np.uint64,
}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
# Plain fitted attributes stored as JSON (the rest is rebuilt from arrays).
_FITTED = (
    "every_sample_labelled_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
    "n_iter_",
    "fit_timings_",
)


def _to_safetensors(arrays: dict[str, np.ndarray]) -> bytes:
    header: dict[str, Any] = {"__metadata__": {"format": FORMAT_NAME}}
    offset = 0
    for name, array in arrays.items():
        size = array.nbytes
        header[name] = {
            "dtype": _CODES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the format aligns data on 8 bytes
    body = b"".join(
        np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes() for a in arrays.values()
    )
    return len(encoded).to_bytes(8, "little") + encoded + body


def _from_safetensors(data: bytes) -> dict[str, np.ndarray]:
    if len(data) < 8:
        raise ValueError("the weights are truncated (no safetensors header).")
    header_size = int.from_bytes(data[:8], "little")
    if header_size > len(data) - 8:
        raise ValueError("the weights are truncated (header longer than the file).")
    try:
        header = json.loads(data[8 : 8 + header_size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the weights header is not valid JSON: {error}") from None
    if not isinstance(header, dict):
        raise ValueError("the weights header is not a JSON object.")
    body = memoryview(data)[8 + header_size :]
    arrays = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
            shape = [int(n) for n in entry["shape"]]
            start, stop = (int(n) for n in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"weights entry {name!r} is malformed.") from None
        expected = math.prod(shape) * dtype.itemsize
        if (
            min(shape, default=0) < 0
            or not 0 <= start <= stop <= len(body)
            or (stop - start != expected)
        ):
            raise ValueError(f"weights entry {name!r} does not fit the file (truncated?).")
        arrays[name] = np.frombuffer(body[start:stop], dtype=dtype).reshape(shape).copy()
    return arrays


def _json_params(params: dict) -> dict:
    """Estimator parameters as JSON, refusing the few that JSON cannot hold."""
    out = {}
    for name, value in params.items():
        if name == "class_weight" and isinstance(value, dict):
            from .targets import json_labels

            value = {
                "pairs": [
                    [k, float(w)]
                    for k, w in zip(json_labels(list(value)), value.values(), strict=True)
                ]
            }
        elif name in ("char_ngrams", "word_ngrams", "categorical_columns") and isinstance(
            value, tuple
        ):
            value = list(value)
        elif name == "preprocessor" and value is not None:
            raise ValueError(
                "save() cannot store a preprocessor: the format holds data, never code, "
                "so that loading a file cannot run it. Pickle the model (joblib.dump) "
                "instead, or apply the function to the texts before fit and predict."
            )
        elif name == "threshold" and not isinstance(value, str):
            value = np.asarray(value, dtype=float).tolist()
        elif name == "device":
            value = str(value)
        elif name == "tokenizer" and not isinstance(value, str):
            # A path, or a tokenizers.Tokenizer whose JSON is saved with the
            # fitted tokenizer (and put back as the parameter by load()).
            value = os.fspath(value) if isinstance(value, os.PathLike) else {"pretrained": True}
        elif name == "random_state" and not (value is None or isinstance(value, int)):
            raise ValueError("save() stores random_state only as an int or None; set an int first.")
        out[name] = value
    return out


def _restore_params(params: dict) -> dict:
    params = dict(params)
    weights = params.get("class_weight")
    if isinstance(weights, dict):
        params["class_weight"] = {k: w for k, w in weights["pairs"]}
    for name in ("char_ngrams", "word_ngrams"):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    return params


def _attention_shape(model: Any) -> dict:
    """What rebuilds an attention encoder (nothing for the bag model)."""
    from .model import AttentionModel

    if not isinstance(model, AttentionModel):
        return {"encoder": "bag"}
    return {
        "encoder": "attention",
        "n_tokens": model.embedding.num_embeddings - 2,
        "n_heads": model.encoder.layers[0].self_attn.num_heads,
        "n_layers": len(model.encoder.layers),
        "max_length": model.position.num_embeddings,
        "pooling": model.pooling,
    }


def save(estimator: Any, path: str | os.PathLike) -> None:
    """Write a fitted :class:`~sktext.TextClassifier` to ``path`` safely."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator, "model_")
    tokenizer_config, arrays = estimator.tokenizer_.get_state()
    arrays["idf"] = estimator.weighting_.idf_
    # Frequencies, not just idf: partial_fit keeps counting after a load.
    arrays["document_frequency"] = estimator.weighting_.document_frequency_
    arrays["threshold"] = estimator.threshold_
    for name, tensor in estimator.model_.state_dict().items():
        arrays[f"model.{name}"] = tensor.detach().cpu().numpy()
    config = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "params": _json_params(estimator.get_params()),
        "target": estimator.target_.to_config(),
        "tokenizer": tokenizer_config,
        "pooling": estimator.weighting_.pooling,
        "n_documents": estimator.weighting_.n_documents_,
        "model": {
            "n_features": estimator.n_features_,
            "dim": estimator.model_.embedding.embedding_dim,
            "n_outputs": estimator.model_.head.out_features,
            "dropout": estimator.model_.dropout.p,
            "categories": [table.num_embeddings for table in estimator.model_.categorical],
            "merge": estimator.model_.merge,
            **_attention_shape(estimator.model_),
        },
        "categorical": (
            None
            if estimator.categorical_encoder_ is None
            else estimator.categorical_encoder_.get_state()
        ),
        "fitted": {name: getattr(estimator, name) for name in _FITTED},
    }
    payload = json.dumps(config).encode("utf-8")
    weights = _to_safetensors(arrays)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_CONFIG, payload)
        archive.writestr(_WEIGHTS, weights)


def _read_archive(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {_CONFIG, _WEIGHTS} <= names:
                raise ValueError(
                    f"{os.fspath(path)!r} is not an sktext model file "
                    f"(members {sorted(names)[:5]})."
                )
            config_bytes = archive.read(_CONFIG)
            weights = archive.read(_WEIGHTS)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as error:
        raise ValueError(
            f"{os.fspath(path)!r} is not an sktext model file, or it is corrupted or "
            f"truncated: {error}"
        ) from None
    try:
        config = json.loads(config_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the model configuration is not valid JSON: {error}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ValueError(f"{os.fspath(path)!r} is not an sktext model file.")
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"model format version {config.get('format_version')!r} is not supported by "
            f"this sktext (reads version {FORMAT_VERSION})."
        )
    return config, _from_safetensors(weights)


def load(path: str | os.PathLike) -> Any:
    """Read a model written by :func:`save` (or ``TextClassifier.save``).

    Raises
    ------
    ValueError
        If the file is not an sktext model, is corrupted or truncated, or was
        written by an incompatible format version.
    """
    from .categorical import CategoricalEncoder
    from .classifier import TextClassifier
    from .model import AttentionModel, BagModel
    from .targets import target_from_config
    from .tokenizer import Tokenizer
    from .weighting import TokenWeighting

    config, arrays = _read_archive(path)
    try:
        params = _restore_params(config["params"])
        target = target_from_config(config["target"])
        tokenizer = Tokenizer.from_state(config["tokenizer"], arrays)
        if isinstance(params.get("tokenizer"), dict):
            params["tokenizer"] = tokenizer.pretrained
        estimator = TextClassifier(**params)
        weighting = TokenWeighting(config["pooling"])
        weighting.idf_ = arrays["idf"]
        weighting.document_frequency_ = arrays["document_frequency"]
        weighting.n_documents_ = int(config["n_documents"])
        shape = config["model"]
        side = {
            "categories": [int(size) for size in shape["categories"]],
            "merge": str(shape["merge"]),
        }
        if shape.get("encoder", "bag") == "bag":
            model = BagModel(
                int(shape["n_features"]),
                int(shape["dim"]),
                int(shape["n_outputs"]),
                float(shape["dropout"]),
                **side,
            )
        else:
            model = AttentionModel(
                int(shape["n_tokens"]),
                int(shape["dim"]),
                int(shape["n_outputs"]),
                float(shape["dropout"]),
                n_heads=int(shape["n_heads"]),
                n_layers=int(shape["n_layers"]),
                max_length=int(shape["max_length"]),
                pooling=str(shape["pooling"]),
                **side,
            )
        model.load_state_dict(
            {
                name[len("model.") :]: torch.from_numpy(array)
                for name, array in arrays.items()
                if name.startswith("model.")
            }
        )
        fitted = {name: config["fitted"][name] for name in _FITTED}
        encoder = (
            None
            if config["categorical"] is None
            else CategoricalEncoder.from_state(config["categorical"])
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"the model file is inconsistent: {error!r}") from None
    if weighting.idf_.shape != (tokenizer.n_features_,) or target.n_classes != shape["n_outputs"]:
        raise ValueError("the model file is inconsistent: array sizes do not match.")
    estimator.target_ = target
    estimator.classes_ = target.classes_
    estimator.target_format_ = target.format
    estimator.tokenizer_ = tokenizer
    estimator.weighting_ = weighting
    estimator.n_features_ = tokenizer.n_features_
    estimator.model_ = model
    estimator.threshold_ = arrays["threshold"]
    estimator.categorical_encoder_ = encoder
    for name in _FITTED:
        setattr(estimator, name, fitted[name])
    return estimator
