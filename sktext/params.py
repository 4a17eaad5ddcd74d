"""The estimator's state in the file's layout: parameters as JSON, the plain
fitted attributes, and the upgrade of older files' layouts to today's.

:mod:`sktext.persistence` writes and reads the file; this module says what a
parameter becomes in it, and how a file of an earlier format version reads as
one of today's (a parameter missing from an old file takes the behaviour it
had then).
"""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .model import NETWORKS
from .targets import json_labels
from .vectors import check_vectors

__all__ = [
    "FITTED",
    "PARAMETER_CONSTRAINTS",
    "check_combinations",
    "params_from_json",
    "params_to_json",
    "unstorable_params",
    "upgrade",
]

#: The estimator's parameters and what each accepts, checked in ``fit`` (and,
#: for those read at predict time, in ``predict``) by scikit-learn's validation.
PARAMETER_CONSTRAINTS: dict[str, list] = {
    "text_column": [str, numbers.Integral, None],
    "categorical_columns": [list, tuple, None],
    "categorical_merge": [StrOptions({"sum", "concat"})],
    "encoder": [StrOptions({"bag", "attention"})],
    "n_layers": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_heads": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "max_length": [Interval(numbers.Integral, 1, None, closed="left")],
    "attention_pooling": [StrOptions({"mean", "attention", "label"})],
    # A name, a tokenizers.Tokenizer or a path: checked by resolve_tokenizer.
    "tokenizer": "no_validation",
    "lowercase": ["boolean"],
    "strip_accents": [StrOptions({"ascii", "unicode"}), None],
    "normalize_unicode": [StrOptions({"NFC", "NFKC"}), None],
    "preprocessor": [callable, None],
    "word_ngrams": [Interval(numbers.Integral, 1, None, closed="left"), tuple],
    "char_ngrams": [tuple, None],
    "min_count": [Interval(numbers.Integral, 1, None, closed="left")],
    "max_features": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "vocab_size": [Interval(numbers.Integral, 2, None, closed="left")],
    "n_buckets": [Interval(numbers.Integral, 1, None, closed="left")],
    # A .vec path, or a mapping word -> vector (gensim's KeyedVectors too).
    "pretrained_vectors": [str, os.PathLike, HasMethods(["__contains__", "__getitem__"]), None],
    "pooling": [StrOptions({"auto", "supervised", "tfidf", "mean"})],
    "dim": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "max_iter": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "learning_rate": [Interval(numbers.Real, 0, None, closed="neither"), StrOptions({"auto"})],
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
    "tol": [Interval(numbers.Real, 0, None, closed="left")],
    "target_type": [StrOptions({"multiclass", "multilabel"}), None],
    "threshold": [
        Interval(numbers.Real, 0, 1, closed="both"),
        "array-like",
        StrOptions({"auto"}),
    ],
    "at_least_one": ["boolean", StrOptions({"auto"})],
    "top_k": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "class_weight": [StrOptions({"balanced"}), dict, None],
    "centroid_weight": [Interval(numbers.Real, 0, 1, closed="both"), StrOptions({"auto"})],
    "device": [str, torch.device],
    # 0 threads has no meaning (joblib refuses it, with a message about Parallel).
    "n_jobs": [
        Interval(numbers.Integral, None, -1, closed="right"),
        Interval(numbers.Integral, 1, None, closed="left"),
        None,
    ],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def check_combinations(params: dict[str, Any]) -> None:
    """Refuse what the constraints of single parameters cannot see: n-gram
    ranges, options that need another, and the network's own refusals."""
    for name in ("word_ngrams", "char_ngrams"):
        value = params[name]
        if not isinstance(value, tuple):
            continue
        if (
            len(value) != 2
            or not all(isinstance(v, numbers.Integral) for v in value)
            or not 1 <= value[0] <= value[1]
        ):
            raise ValueError(
                f"{name} must be (min_n, max_n) with 1 <= min_n <= max_n, got {value!r}."
            )
    if params["char_ngrams"] is not None and params["tokenizer"] != "words":
        raise ValueError("char_ngrams requires tokenizer='words'.")
    check_vectors(params)
    if params["encoder"] != "bag" and params["centroid_weight"] not in ("auto", 0):
        raise ValueError(
            "centroid_weight blends tf-idf centroids into the bag model's scores; "
            f"encoder={params['encoder']!r} has no tf-idf rows: use centroid_weight=0 or 'auto'."
        )
    NETWORKS[params["encoder"]].check_params(params)


#: Plain fitted attributes stored as JSON (the rest is rebuilt from arrays).
FITTED = (
    "every_sample_labelled_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
    "n_iter_",
    "fit_timings_",
)


def params_to_json(params: dict[str, Any]) -> dict[str, Any]:
    """Estimator parameters as JSON, refusing the few that JSON cannot hold."""
    out = {}
    for name, value in params.items():
        if name == "class_weight" and isinstance(value, dict):
            labels = json_labels(list(value))
            value = {"pairs": [[k, float(w)] for k, w in zip(labels, value.values(), strict=True)]}
        elif name in ("char_ngrams", "word_ngrams", "categorical_columns") and isinstance(
            value, tuple
        ):
            value = list(value)
        elif name == "preprocessor" and name in unstorable_params(params):
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
        elif name == "pretrained_vectors" and value is not None:
            # A path is kept; a mapping cannot go into JSON: a placeholder,
            # which loading turns into None (the vectors are in the weights).
            value = os.fspath(value) if isinstance(value, (str, os.PathLike)) else {"mapping": True}
        elif name == "random_state" and name in unstorable_params(params):
            raise ValueError("save() stores random_state only as an int or None; set an int first.")
        out[name] = value
    return out


def unstorable_params(params: dict[str, Any]) -> list[str]:
    """The parameters JSON cannot hold: a preprocessor (code) and a
    ``RandomState`` (whose state would have to be pickled)."""
    unstorable = []
    if params.get("preprocessor") is not None:
        unstorable.append("preprocessor")
    if not (params.get("random_state") is None or isinstance(params.get("random_state"), int)):
        unstorable.append("random_state")
    return unstorable


def params_from_json(params: dict[str, Any]) -> dict[str, Any]:
    """The estimator's parameters from :func:`params_to_json`'s JSON."""
    params = dict(params)
    weights = params.get("class_weight")
    if isinstance(weights, dict):
        params["class_weight"] = {k: w for k, w in weights["pairs"]}
    for name in ("char_ngrams", "word_ngrams"):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    if isinstance(params.get("pretrained_vectors"), dict):  # a mapping's placeholder
        params["pretrained_vectors"] = None
    return params


def upgrade(config: dict[str, Any]) -> dict[str, Any]:
    """A configuration of any format version in today's layout."""
    if config["format_version"] == 1:
        config = _from_format_v1(config)
    if config["format_version"] < 4:
        # Version 4 added label centroids (centroid_weight); older models had none.
        config = {**config, "params": {**config["params"], "centroid_weight": 0.0}}
    # Versions 3 and 4 added quantized networks and supervised pooling, which
    # files of earlier versions do not hold: they read as they are.
    return config


def _from_format_v1(config: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept the tokenizer, pooling and categories at the top level
    and one "model" section for both networks."""
    shape = dict(config["model"])
    kind = shape.pop("encoder", "bag")
    if kind != "bag":  # the attention encoder's table is sized by n_tokens
        shape.pop("n_features")
    features = {
        "tokenizer": config["tokenizer"],
        "weighting": {"pooling": config["pooling"], "n_documents": config["n_documents"]},
        "categorical": config["categorical"],
        "reads": NETWORKS[kind].reads,
        "max_length": config["params"].get("max_length"),
    }
    # Parameters added since, at the behaviour files of version 1 had: no
    # Unicode normalisation; dim and n_heads were always numbers then.
    params = {"normalize_unicode": None, **config["params"]}
    network = {"kind": kind, "config": shape}
    return {**config, "params": params, "features": features, "network": network}
