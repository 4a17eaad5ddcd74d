"""What the estimator accepts as X and sample_weight: checks with clear
errors, and the split of a table into its text column and side columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["check_sample_weight", "check_texts", "sample_weight_values", "split_table"]


def check_texts(X: Any, name: str = "X") -> list[str]:
    """A list of str from any 1-D collection of str, or from a DataFrame or
    2-D array of exactly one column; a clear error otherwise."""
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"{name} must be a collection of texts, got a single {type(X).__name__}; "
            f"wrap it in a list: [{name}]."
        )
    if X is None:
        raise ValueError(f"{name} is None; expected a list of texts.")
    if isinstance(X, (Mapping, AbstractSet)):
        # A dict would give its keys, a set an arbitrary order: neither lines
        # its texts up with y or with the predictions.
        kind = "dict" if isinstance(X, Mapping) else type(X).__name__
        raise TypeError(
            f"{name} is a {kind}, which has no order of its own that lines its texts "
            "up with y and with the answers; pass a list, tuple, numpy array or pandas Series."
        )
    if hasattr(X, "columns"):
        if len(X.columns) != 1:
            raise ValueError(
                f"{name} is a DataFrame of {len(X.columns)} columns "
                f"({list(X.columns)[:5]}): set text_column to the column of texts (and "
                "categorical_columns to any side features), or pass the text column alone."
            )
        # One column can only be the texts: what MLflow's pyfunc and
        # ColumnTransformer hand over.
        X = X.iloc[:, 0]
    if hasattr(X, "iloc"):  # pandas Series
        X = X.to_numpy()
    if not sp.issparse(X) and getattr(X, "ndim", None) == 2 and X.shape[1] == 1:
        X = X[:, 0]
    if sp.issparse(X) or (hasattr(X, "ndim") and X.ndim != 1):
        shape = getattr(X, "shape", None)
        raise ValueError(
            f"{name} must be a 1-D collection of texts, got an array of shape {shape}."
        )
    try:
        texts = list(X)
    except TypeError:
        raise ValueError(
            f"{name} must be a 1-D collection of texts, got {type(X).__name__}."
        ) from None
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValueError(
            f"{name} must hold only str; item {bad} is {type(texts[bad]).__name__} "
            f"({texts[bad]!r:.50})."
        )
    return texts


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """``sample_weight`` for training: float32, scaled to mean 1 (ones if None)."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float32)
    weights = sample_weight_values(sample_weight, n_samples)
    # Scaled to mean 1, so that the learning rate does not depend on the scale.
    return (weights / weights.mean()).astype(np.float32)


def sample_weight_values(sample_weight: Any, n_samples: int) -> np.ndarray:
    """``sample_weight`` as float64 values, one per sample, or a clear error:
    they must be finite, non-negative numbers, not all zero."""
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"sample_weight must hold numbers, one weight a sample ({error})."
        ) from None
    if weights.ndim != 1 or len(weights) != n_samples:
        raise ValueError(f"sample_weight has shape {weights.shape}; expected ({n_samples},).")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    if weights.sum() <= 0:
        raise ValueError("sample_weight sums to zero: no sample would count.")
    return weights


def split_table(
    X: Any, text_column: Any, categorical_columns: Sequence[Any] | None
) -> tuple[Any, list[np.ndarray] | None]:
    """``(texts, side columns)`` of ``X``: X itself and None without
    ``text_column``; else the named (DataFrame) or numbered (2-D array)
    text column and one object array per categorical column (None if none)."""
    if text_column is None:
        if categorical_columns:
            raise ValueError("categorical_columns needs text_column: which column holds the text?")
        return X, None
    columns = list(categorical_columns or [])
    if text_column in columns:
        raise ValueError(f"text_column {text_column!r} is also among categorical_columns.")
    if hasattr(X, "columns"):  # a DataFrame
        missing = [c for c in [text_column, *columns] if c not in X.columns]
        if missing:
            raise ValueError(f"X has no column {missing[0]!r}; its columns are {list(X.columns)}.")
        return X[text_column], [X[c].to_numpy(dtype=object) for c in columns] or None
    if sp.issparse(X) or getattr(X, "ndim", None) != 2:
        raise ValueError(
            "text_column is set, so X must be a pandas DataFrame or a 2-D array with a "
            f"text column; got {type(X).__name__} of shape {getattr(X, 'shape', None)}."
        )
    array = np.asarray(X, dtype=object)
    for c in [text_column, *columns]:
        if not isinstance(c, (int, np.integer)) or not -array.shape[1] <= c < array.shape[1]:
            raise ValueError(
                f"X is a {array.shape} array: columns are numbers below {array.shape[1]}, "
                f"got {c!r}."
            )
    return array[:, text_column], [array[:, c] for c in columns] or None
