"""Pickling and skops through the safe file's description of a fitted model.

The estimator describes itself as a JSON-able configuration and named arrays
(``TextClassifier._get_state`` / ``_from_state``); that one description
serves three ways of keeping a model:

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

from .params import FITTED, unstorable_params
from .persistence import read, write

__all__ = ["FILE_ATTRIBUTES", "pickle_state", "unpickle_state"]

#: Fitted attributes the file describes, rebuilt by :func:`from_state`.
FILE_ATTRIBUTES = (
    "target_",
    "classes_",
    "target_format_",
    "features_",
    "n_features_",
    "model_",
    "threshold_",
    "centroids_",
    *FITTED,
)
# The keys of a pickled state holding the model file's bytes, and the fitted
# tokenizer's preprocessor (code, which the file never holds).
_FILE_KEY = "_sktext_model_file"
_PREPROCESSOR_KEY = "_sktext_fitted_preprocessor"


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
        config, arrays = estimator._get_state(stored)
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
    fitted = cls._from_state(*read(io.BytesIO(state.pop(_FILE_KEY))))
    fitted.features_.tokenizer.preprocessor = state.pop(_PREPROCESSOR_KEY, None)
    return {**vars(fitted), **state}
