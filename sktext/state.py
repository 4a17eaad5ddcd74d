"""The fitted estimator as data: a JSON-able configuration and named arrays.

One description serves three ways of keeping a model:

* :meth:`~sktext.TextClassifier.save` and :func:`~sktext.load` write and read
  it as the safe file (:mod:`sktext.persistence`);
* pickle, joblib and cloudpickle carry it as that file's bytes
  (:func:`pickle_state`), so that a pickle holds no torch tensor and loads
  on a machine without the training device;
* skops, which rebuilds only types it is told to trust and cannot construct
  torch tensors, gets the same plain dict: parameters, bytes and the few
  attributes scikit-learn keeps (``_sklearn_version``, ``set_output``'s
  configuration), so that ``sktext.classifier.TextClassifier`` is the one
  type to trust.

A model that the file cannot describe (labels or categories JSON cannot
hold) pickles as its attributes, as any estimator does; skops then refuses
it, as it refuses torch modules.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from .features import TextFeatures
from .model import NETWORKS
from .params import FITTED, params_from_json, params_to_json, unstorable_params, upgrade
from .persistence import read, write
from .targets import target_from_config

__all__ = ["FILE_ATTRIBUTES", "get_state", "from_state", "pickle_state", "unpickle_state"]

#: Fitted attributes the file describes, rebuilt by :func:`from_state`.
FILE_ATTRIBUTES = (
    "target_",
    "classes_",
    "target_format_",
    "features_",
    "n_features_",
    "model_",
    "threshold_",
    *FITTED,
)
# The keys of a pickled state holding the model file's bytes, and the fitted
# tokenizer's preprocessor (code, which the file never holds).
_FILE_KEY = "_sktext_model_file"
_PREPROCESSOR_KEY = "_sktext_fitted_preprocessor"


def get_state(estimator: Any, params: dict[str, Any]) -> tuple[dict, dict[str, np.ndarray]]:
    """A fitted estimator as JSON-able configuration and named arrays: each
    part (features, network, target) describes itself; ``params`` are the
    parameters to record (``get_params()``, or a JSON-storable stand-in)."""
    check_is_fitted(estimator, "model_")
    features, arrays = estimator.features_.get_state()
    arrays["threshold"] = estimator.threshold_
    for name, tensor in estimator.model_.state_dict().items():
        arrays[f"model.{name}"] = tensor.detach().cpu().numpy()
    config = {
        "params": params_to_json(params),
        "target": estimator.target_.to_config(),
        "features": features,
        "network": {"kind": estimator.model_.kind, "config": estimator.model_.get_config()},
        "fitted": {name: getattr(estimator, name) for name in FITTED},
    }
    return config, arrays


def from_state(cls: type, config: dict, arrays: dict[str, np.ndarray]) -> Any:
    """The fitted ``cls`` instance :func:`get_state` described (any format version).

    Raises ValueError when the parts do not fit together.
    """
    try:
        config = upgrade(config)
        params = params_from_json(config["params"])
        target = target_from_config(config["target"])
        features = TextFeatures.from_state(config["features"], arrays)
        if isinstance(params.get("tokenizer"), dict):
            params["tokenizer"] = features.tokenizer.pretrained
        estimator = cls(**params)
        network = config["network"]
        if network["kind"] not in NETWORKS:
            raise ValueError(f"network kind {network['kind']!r} is not one of {list(NETWORKS)}")
        model = NETWORKS[network["kind"]].from_config(network["config"])
        prefix = "model."
        model.load_state_dict(
            {
                name[len(prefix) :]: torch.from_numpy(array)
                for name, array in arrays.items()
                if name.startswith(prefix)
            }
        )
        fitted = {name: config["fitted"][name] for name in FITTED}
        threshold = arrays["threshold"]
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"the model file is inconsistent: {error!r}") from None
    if target.n_classes != model.head.out_features or features.n_inputs > max(
        model.embedding.num_embeddings, 1
    ):
        raise ValueError("the model file is inconsistent: array sizes do not match.")
    estimator.target_ = target
    estimator.classes_ = target.classes_
    estimator.target_format_ = target.format
    estimator.features_ = features
    estimator.n_features_ = features.tokenizer.n_features_
    estimator.model_ = model
    estimator.threshold_ = threshold
    for name, value in fitted.items():
        setattr(estimator, name, value)
    return estimator


def pickle_state(estimator: Any, state: dict[str, Any]) -> dict[str, Any]:
    """What pickle and skops keep of a fitted estimator whose default
    ``state`` (``BaseEstimator.__getstate__``) is given: the model file's
    bytes in place of the fitted attributes, beside everything else.

    Parameters the file cannot hold (a preprocessor, a ``RandomState``) are
    kept as they are in ``state``; the file records None for them.
    """
    params = estimator.get_params()
    stored = {**params, **dict.fromkeys(unstorable_params(params))}
    try:
        config, arrays = get_state(estimator, stored)
    except ValueError:  # labels or categories JSON cannot hold: attributes, as pickle has them
        return state
    buffer = io.BytesIO()
    write(buffer, config, arrays)
    kept = {name: value for name, value in state.items() if name not in FILE_ATTRIBUTES}
    if not isinstance(params["tokenizer"], (str, os.PathLike)):
        # A tokenizers.Tokenizer: the file holds it and from_state puts it
        # back, so skops never meets a type it cannot build.
        del kept["tokenizer"]
    kept[_FILE_KEY] = buffer.getvalue()
    preprocessor = estimator.features_.tokenizer.preprocessor
    if preprocessor is not None:
        kept[_PREPROCESSOR_KEY] = preprocessor
    return kept


def unpickle_state(cls: type, state: dict[str, Any]) -> dict[str, Any]:
    """The attributes of the estimator :func:`pickle_state` kept (a state
    without a model file, from a pickle of another version, as it is)."""
    if _FILE_KEY not in state:
        return state
    state = dict(state)
    fitted = from_state(cls, *read(io.BytesIO(state.pop(_FILE_KEY))))
    fitted.features_.tokenizer.preprocessor = state.pop(_PREPROCESSOR_KEY, None)
    return {**vars(fitted), **state}
