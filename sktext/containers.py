"""How a target ``y`` is read out of the containers users give it in.

Lists, numpy arrays, pandas Series and DataFrames, scipy sparse matrices: the
helpers here turn them into numpy arrays of labels, rows or columns, for
format detection (:mod:`sktext.formats`) and for the adapters that encode and
score ``y`` (:mod:`sktext.targets`) alike, so that both read a container the
same way.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "RAGGED_ITEM_TYPES",
    "dense",
    "is_dataframe",
    "is_ragged",
    "is_series",
    "label_array",
    "label_kind",
    "object_array",
    "output_columns",
    "ragged_rows",
]

RAGGED_ITEM_TYPES = (list, tuple, set, frozenset, np.ndarray)


def is_dataframe(y: Any) -> bool:
    """Whether ``y`` is a pandas DataFrame (or quacks like one)."""
    return hasattr(y, "columns") and hasattr(y, "iloc") and getattr(y, "ndim", 0) == 2


def is_series(y: Any) -> bool:
    """Whether ``y`` is a pandas Series (or quacks like one)."""
    return hasattr(y, "iloc") and getattr(y, "ndim", 0) == 1


def object_array(items: list) -> np.ndarray:
    """A 1-D object array of ``items``, even when they are sequences (which
    ``np.asarray`` would turn into a 2-D array)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def dense(y: Any) -> np.ndarray:
    """``y`` as a numpy array: sparse matrices and DataFrames densified."""
    if sp.issparse(y):
        return y.toarray()
    if is_dataframe(y):
        return y.to_numpy()
    return np.asarray(y)


def label_array(y: Any) -> np.ndarray:
    """A 1-D collection of labels as a 1-D numpy array; labels of mixed kinds
    (or that numpy cannot hold in one dtype) as objects."""
    if is_series(y):
        y = y.to_numpy()
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind != "O":
        return y
    items = list(y)
    arr = np.asarray(items) if items else np.empty(0)
    if arr.ndim == 2 and arr.shape[1] == 1:
        # A column vector, read as 1-D labels (make_target warns about it).
        arr = arr[:, 0]
        items = arr.tolist()
    if arr.ndim != 1 or arr.dtype.kind == "O" or _mixes_kinds(items) or _nul_ended(arr, items):
        # Kept as objects: numpy would turn ["a", 1] into strings, hiding the
        # mix, and its fixed-width strings drop trailing NUL characters.
        arr = object_array(items)
    return arr


def _nul_ended(arr: np.ndarray, items: list) -> bool:
    """Whether a label is a str ending in NUL, which a numpy str array loses."""
    return arr.dtype.kind == "U" and any(v.endswith("\x00") for v in items)


def _mixes_kinds(items: list) -> bool:
    """Whether the labels are of different kinds (str, int, bool, float...)."""
    if len(set(map(type, items))) < 2:
        return False
    return len({label_kind(v) for v in items}) > 1


def label_kind(value: Any) -> str:
    """``"bool"``, ``"int"``, ``"float"``, ``"str"`` or ``"other"``."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, str):
        return "str"
    return "other"


def is_ragged(y: Any) -> bool:
    """Whether ``y`` is ragged multilabel: a 1-D collection of label lists
    (lists, tuples, sets, arrays), rather than 1-D labels or a 2-D matrix."""
    items = y.to_numpy() if is_series(y) else y
    if isinstance(items, np.ndarray):
        if items.dtype.kind != "O" or items.ndim != 1:
            return False
    try:
        first = next(iter(items))
    except (StopIteration, TypeError):
        return False
    if isinstance(first, np.ndarray) and not isinstance(items, np.ndarray):
        # A list of equal-length arrays is a 2-D matrix, as numpy reads it
        # (but empty arrays only are samples without labels).
        shapes = {np.shape(row) for row in items}
        return len(shapes) > 1 or shapes == {(0,)}
    if isinstance(first, (list, tuple)) and not isinstance(items, np.ndarray):
        lengths = {len(row) if isinstance(row, (list, tuple)) else -1 for row in items}
        return (
            len(lengths) > 1
            or -1 in lengths
            or lengths == {0}  # empty lists only: samples without labels
            or any(isinstance(row, (set, frozenset)) for row in items)
            or _holds_non_numbers(items)
        )
    return isinstance(first, RAGGED_ITEM_TYPES)


def _holds_non_numbers(rows: Any) -> bool:
    """Equal-length lists of strings are label lists, not a numeric matrix."""
    return any(not isinstance(v, (numbers.Number, np.bool_)) for row in rows for v in row)


def ragged_rows(y: Any) -> list:
    """The label lists of a ragged multilabel ``y``, checked: each a list,
    tuple, set or array of hashable, non-missing scalars."""
    rows = list(y.to_numpy() if is_series(y) else y)
    for i, row in enumerate(rows):
        if not isinstance(row, RAGGED_ITEM_TYPES):
            raise ValueError(
                f"y looks ragged multilabel but sample {i} is {type(row).__name__} "
                f"({row!r}), not a list, tuple, set or array of labels."
            )
        for label in row:
            if not isinstance(label, Hashable) or isinstance(label, RAGGED_ITEM_TYPES):
                raise ValueError(
                    f"sample {i} of y holds {label!r}: a label must be a hashable "
                    "scalar such as a str or int, not a sequence."
                )
            if label is None or (isinstance(label, float) and np.isnan(label)):
                raise ValueError(f"sample {i} of y holds a missing label ({label!r}).")
    return rows


def output_columns(y: Any) -> list:
    """The columns of a 2-D multi-output ``y``, each a 1-D collection of labels
    (an empty list when ``y`` is not 2-D)."""
    if is_dataframe(y):
        return [y.iloc[:, k] for k in range(y.shape[1])]
    if isinstance(y, np.ndarray) or sp.issparse(y):
        matrix = dense(y)
    else:
        # Objects: numpy would turn the rows of a list holding str and int
        # columns into strings; each column is typed on its own instead.
        matrix = np.asarray(y, dtype=object)
    if matrix.ndim != 2:
        return []
    return list(matrix.T)
