"""The estimator side of a saved model: a fitted estimator as JSON and arrays.

:func:`get_state` turns a fitted :class:`~sktext.TextClassifier` into the
configuration and arrays that :mod:`sktext.persistence` writes, and
:func:`set_state` rebuilds the estimator from them. The file format itself
(zip, JSON, safetensors, versions, checks) lives in :mod:`sktext.persistence`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from .classifier import TextClassifier

__all__ = ["get_state", "set_state"]

# Plain fitted attributes stored as JSON (the rest is rebuilt from arrays).
_FITTED = (
    "every_sample_labelled_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
    "n_iter_",
    "fit_timings_",
)


def _json_params(params: dict) -> dict:
    """Estimator parameters as JSON, refusing the few that JSON cannot hold."""
    out = {}
    for name, value in params.items():
        if name == "class_weight" and isinstance(value, dict):
            from .targets import _json_labels

            value = {
                "pairs": [
                    [k, float(w)]
                    for k, w in zip(_json_labels(list(value)), value.values(), strict=True)
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


def get_state(estimator: TextClassifier) -> tuple[dict, dict[str, np.ndarray]]:
    """The JSON-ready configuration and the arrays of a fitted estimator.

    Parameters
    ----------
    estimator : TextClassifier
        A fitted estimator.

    Returns
    -------
    config : dict
        Parameters, labels, vocabularies and history, as JSON-ready values.
    arrays : dict of str to ndarray
        Every weight array, by name.

    Raises
    ------
    ValueError
        If a parameter or a label cannot be stored as data (a preprocessor,
        a random_state generator, labels that are not str, int, float or bool).
    """
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
    return config, arrays


def set_state(config: dict, arrays: dict[str, np.ndarray]) -> TextClassifier:
    """Rebuild a fitted estimator from what :func:`get_state` returned.

    Parameters
    ----------
    config : dict
        The configuration, as read from the file.
    arrays : dict of str to ndarray
        The weight arrays, by name.

    Returns
    -------
    TextClassifier
        The fitted estimator.

    Raises
    ------
    ValueError
        If the configuration and the arrays are missing a field or do not match.
    """
    from .categorical import CategoricalEncoder
    from .classifier import TextClassifier
    from .model import AttentionModel, BagModel
    from .targets import target_from_config
    from .tokenizer import Tokenizer
    from .weighting import TokenWeighting

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
