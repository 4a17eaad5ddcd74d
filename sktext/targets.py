"""Label formats: the one module that knows how users write ``y``.

:func:`make_target` inspects ``y`` and returns a fitted adapter that

* encodes ``y`` into what the loss needs (class codes, or a float matrix),
* names the loss (``"softmax"`` for one label a sample, ``"sigmoid"`` for
  independent labels),
* turns probabilities back into predictions in the format the user gave,
* scores predictions against ``y`` in that format.

Formats, as detected:

=================  =======================================  ==========  ==================
name               ``y``                                    loss        ``predict`` gives
=================  =======================================  ==========  ==================
``"labels"``       1-D labels of any hashable type          softmax     1-D labels
``"ragged"``       1-D of lists / tuples / sets / arrays    sigmoid     list of tuples
``"indicator"``    2-D 0/1 (numpy, scipy sparse, DataFrame) sigmoid     same container
``"soft"``         2-D floats in [0, 1], not all 0/1        sigmoid     0/1 numpy array
=================  =======================================  ==========  ==================

``target_type="multiclass"`` reads a 2-D one-hot matrix (or rows of class
probabilities) as one class a sample and trains with softmax;
``predict`` then returns one-hot rows in the container given.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning

__all__ = ["make_target", "as_target_input", "Target"]

_RAGGED_ITEM_TYPES = (list, tuple, set, frozenset, np.ndarray)


def _is_dataframe(y: Any) -> bool:
    return hasattr(y, "columns") and hasattr(y, "iloc") and getattr(y, "ndim", 0) == 2


def _is_series(y: Any) -> bool:
    return hasattr(y, "iloc") and getattr(y, "ndim", 0) == 1


def _column_labels(columns: Any, n_columns: int) -> np.ndarray:
    out = np.empty(n_columns, dtype=object)
    out[:] = list(columns)
    return out


class Target:
    """Base adapter between a label format and the model's outputs.

    Attributes
    ----------
    format : str
        One of ``"labels"``, ``"ragged"``, ``"indicator"``, ``"soft"``.
    loss : str
        ``"softmax"`` or ``"sigmoid"``.
    classes_ : ndarray
        The class (or label) names, in output-column order.
    """

    format: str = ""
    loss: str = ""
    classes_: np.ndarray

    @property
    def multilabel(self) -> bool:
        return self.loss == "sigmoid"

    @property
    def n_classes(self) -> int:
        return len(self.classes_)

    def encode(self, y: Any) -> np.ndarray:
        """``y`` for the loss: int64 codes (hard softmax) or a float32 matrix."""
        raise NotImplementedError

    def to_config(self) -> dict:
        """JSON-ready description, for :func:`target_from_config` (safe saving)."""
        raise NotImplementedError

    def class_counts(self, encoded: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
        """Weighted count of positives per class, from :meth:`encode`'s output."""
        if encoded.ndim == 1:
            return np.bincount(encoded, weights=sample_weight, minlength=self.n_classes)
        return sample_weight @ encoded

    def decode(self, decisions: np.ndarray) -> Any:
        """Predictions in the user's format from a 0/1 (n, n_classes) array
        (multilabel) or class indices (single label)."""
        raise NotImplementedError

    def true_matrix(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """``y`` as a 0/1 matrix over ``classes_`` plus a count per sample of
        labels outside ``classes_`` (never seen in training: always misses)."""
        raise NotImplementedError

    def score(self, y_true: Any, decisions: np.ndarray, sample_weight: Any = None) -> float:
        """Accuracy (single label) or micro-averaged F1 (multilabel).

        Labels never seen in training count as misses: a wrong prediction for
        single-label targets, a false negative for multilabel ones.
        """
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if not self.multilabel:
            truth, unknown = self.true_matrix(y_true)
            hit = truth[np.arange(len(decisions)), decisions].astype(bool) & (unknown == 0)
            return float(np.average(hit, weights=weights))
        truth, unknown = self.true_matrix(y_true)
        pred = decisions.astype(bool)
        truth = truth.astype(bool)
        w = np.ones(len(pred)) if weights is None else weights
        tp = w @ (pred & truth).sum(axis=1)
        fp = w @ (pred & ~truth).sum(axis=1)
        fn = w @ ((~pred & truth).sum(axis=1) + unknown)
        denominator = 2 * tp + fp + fn
        # No label predicted and none to find: a perfect answer, as sklearn's
        # f1_score(zero_division=1) counts it.
        return float(2 * tp / denominator) if denominator else 1.0


class _NamedClassesTarget(Target):
    """Targets whose classes are the user's own label values."""

    def _set_classes(self, classes: np.ndarray) -> Target:
        self.classes_ = classes
        self._index = {label: i for i, label in enumerate(classes.tolist())}
        return self

    def to_config(self) -> dict:
        return {"format": self.format, **_labels_config(self.classes_)}


class _LabelsTarget(_NamedClassesTarget):
    """1-D class labels: binary or multiclass, softmax."""

    format = "labels"
    loss = "softmax"

    def fit(self, y: np.ndarray) -> _LabelsTarget:
        return self._set_classes(_unique_labels(y))

    def _codes(self, y: Any) -> np.ndarray:
        """Class index of each label, -1 for labels never seen in training."""
        index = self._index
        values = _as_label_array(y).tolist()
        return np.fromiter(
            (index.get(v, -1) if isinstance(v, Hashable) else -1 for v in values),
            dtype=np.int64,
            count=len(values),
        )

    def encode(self, y: Any) -> np.ndarray:
        codes = self._codes(y)
        if (codes < 0).any():
            unseen = _as_label_array(y)[codes < 0][:5].tolist()
            raise ValueError(f"y holds labels not among classes_: {unseen}.")
        return codes

    def decode(self, decisions: np.ndarray) -> np.ndarray:
        return self.classes_[decisions]

    def true_matrix(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        codes = self._codes(y)
        known = codes >= 0
        truth = np.zeros((len(codes), self.n_classes), dtype=np.int8)
        truth[np.flatnonzero(known), codes[known]] = 1
        return truth, (~known).astype(np.int64)


class _RaggedTarget(_NamedClassesTarget):
    """Sequences of labels a sample (empty allowed): multilabel, sigmoid."""

    format = "ragged"
    loss = "sigmoid"

    def fit(self, y: list) -> _RaggedTarget:
        labels = {label for row in y for label in row}
        if not labels:
            raise ValueError(
                "y is ragged multilabel but every sample has an empty label list: "
                "there is no label to learn."
            )
        return self._set_classes(_unique_labels(np.array(_object_array(list(labels)))))

    def true_matrix(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        rows = _ragged_rows(y)
        truth = np.zeros((len(rows), self.n_classes), dtype=np.int8)
        unknown = np.zeros(len(rows), dtype=np.int64)
        for i, row in enumerate(rows):
            for label in set(row):
                j = self._index.get(label)
                if j is None:
                    unknown[i] += 1
                else:
                    truth[i, j] = 1
        return truth, unknown

    def encode(self, y: Any) -> np.ndarray:
        truth, unknown = self.true_matrix(y)
        if unknown.any():
            raise ValueError("y holds labels not among classes_.")
        return truth.astype(np.float32)

    def decode(self, decisions: np.ndarray) -> list[tuple]:
        rows, columns = np.nonzero(decisions)  # row-major: labels in classes_ order
        labels = self.classes_[columns].tolist()
        ends = np.cumsum(np.bincount(rows, minlength=len(decisions))).tolist()
        starts = [0, *ends][:-1]
        return [tuple(labels[start:end]) for start, end in zip(starts, ends, strict=True)]


class _MatrixTarget(Target):
    """2-D targets: 0/1 indicators or soft labels, as multilabel (sigmoid) or,
    with ``target_type="multiclass"``, as one class a sample (softmax)."""

    def fit(self, y: Any, soft: bool, single_label: bool) -> _MatrixTarget:
        self.format = "soft" if soft else "indicator"
        self.loss = "softmax" if single_label else "sigmoid"
        self._sparse = sp.issparse(y)
        self._dataframe = _is_dataframe(y)
        self._columns = y.columns if self._dataframe else None
        self._dtype = np.int64 if soft else _dense(y).dtype
        n_columns = np.shape(y)[1]  # y may be a list of rows
        self.classes_ = (
            _column_labels(y.columns, n_columns) if self._dataframe else np.arange(n_columns)
        )
        return self

    def to_config(self) -> dict:
        container = "sparse" if self._sparse else "dataframe" if self._dataframe else "numpy"
        return {
            "format": self.format,
            "loss": self.loss,
            "container": container,
            "dtype": np.dtype(self._dtype).str,
            "n_columns": self.n_classes,
            "columns": None if self._columns is None else _json_labels(self._columns),
        }

    def _matrix(self, y: Any) -> np.ndarray:
        matrix = _dense(y).astype(np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.n_classes:
            raise ValueError(
                f"y has {matrix.shape[1] if matrix.ndim == 2 else 'no'} columns; "
                f"the model was fitted with {self.n_classes}."
            )
        return matrix

    def encode(self, y: Any) -> np.ndarray:
        matrix = self._matrix(y)
        if self.loss == "softmax" and self.format == "indicator":
            return matrix.argmax(axis=1).astype(np.int64)
        return matrix

    def true_matrix(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        # Soft truth is rounded at 0.5 to score decisions against it.
        matrix = self._matrix(y)
        if self.loss == "softmax":
            truth = np.zeros(matrix.shape, dtype=np.int8)
            truth[np.arange(len(matrix)), matrix.argmax(axis=1)] = 1
        else:
            truth = (matrix >= 0.5).astype(np.int8)
        return truth, np.zeros(len(matrix), dtype=np.int64)

    def decode(self, decisions: np.ndarray) -> Any:
        if decisions.ndim == 1:  # class indices -> one-hot rows
            onehot = np.zeros((len(decisions), self.n_classes), dtype=np.int64)
            onehot[np.arange(len(decisions)), decisions] = 1
            decisions = onehot
        out = decisions.astype(self._dtype)
        if self._sparse:
            return sp.csr_matrix(out)
        if self._dataframe:
            import pandas as pd

            return pd.DataFrame(out, columns=self._columns)
        return out


def _json_labels(labels: Any) -> list:
    """Labels as JSON values, or a clear error for labels JSON cannot hold."""
    values = list(labels.tolist() if hasattr(labels, "tolist") else labels)
    for value in values:
        if not isinstance(value, (str, int, float, bool)):
            raise ValueError(
                f"label {value!r} ({type(value).__name__}) cannot be saved in the safe "
                "format, which stores labels as JSON str, int, float or bool; use pickle "
                "or convert the labels to str."
            )
    return values


def _labels_config(classes: np.ndarray) -> dict:
    return {"classes": _json_labels(classes), "dtype": classes.dtype.str}


def _restore_labels(values: list, dtype: str) -> np.ndarray:
    if np.dtype(dtype).kind == "O":
        return _object_array(values)
    return np.asarray(values, dtype=dtype)


def target_from_config(config: dict) -> Target:
    """Rebuild a fitted :class:`Target` from :meth:`Target.to_config` output."""
    kind = config["format"]
    if kind in ("labels", "ragged"):
        target = _LabelsTarget() if kind == "labels" else _RaggedTarget()
        return target._set_classes(_restore_labels(config["classes"], config["dtype"]))
    if kind not in ("indicator", "soft"):
        raise ValueError(f"unknown target format {kind!r}")
    target = _MatrixTarget()
    target.format = kind
    target.loss = config["loss"]
    target._sparse = config["container"] == "sparse"
    target._dataframe = config["container"] == "dataframe"
    target._columns = config["columns"]
    target._dtype = np.dtype(config["dtype"])
    target.classes_ = (
        _restore_labels(config["columns"], "O")
        if target._dataframe
        else np.arange(config["n_columns"])
    )
    return target


def _object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _dense(y: Any) -> np.ndarray:
    if sp.issparse(y):
        return y.toarray()
    if _is_dataframe(y):
        return y.to_numpy()
    return np.asarray(y)


def _as_label_array(y: Any) -> np.ndarray:
    if _is_series(y):
        y = y.to_numpy()
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind != "O":
        return y
    items = list(y)
    arr = np.asarray(items) if items else np.empty(0)
    if arr.ndim == 2 and arr.shape[1] == 1:
        # A column vector, read as 1-D labels (make_target warns about it).
        arr = arr[:, 0]
        items = arr.tolist()
    if arr.ndim != 1 or arr.dtype.kind == "O" or _mixes_kinds(items):
        # Kept as objects: numpy would turn ["a", 1] into strings, hiding the mix.
        arr = _object_array(items)
    return arr


def _mixes_kinds(items: list) -> bool:
    """Whether the labels are of different kinds (str, int, bool, float...)."""
    if len(set(map(type, items))) < 2:
        return False
    return len({_label_kind(v) for v in items}) > 1


def _unique_labels(y: np.ndarray) -> np.ndarray:
    """Sorted class labels, refusing missing values and mixed types."""
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError("y contains NaN; every sample needs a label.")
    if y.dtype.kind == "O":
        values = y.tolist()
        if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in values):
            raise ValueError("y contains None or NaN; every sample needs a label.")
        unhashable = [v for v in values if not isinstance(v, Hashable)]
        if unhashable:
            raise ValueError(f"y contains unhashable labels such as {unhashable[0]!r}.")
        kinds = {_label_kind(v) for v in values}
        if len(kinds) > 1:
            raise ValueError(
                f"y mixes label types ({', '.join(sorted(kinds))}); use one type, "
                "e.g. convert every label to str."
            )
        classes = sorted(set(values))
        return (
            _object_array(classes)
            if kinds == {"str"} or kinds == {"other"}
            else (np.asarray(classes))
        )
    return np.unique(y)


def _label_kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, str):
        return "str"
    return "other"


def _ragged_rows(y: Any) -> list:
    rows = list(y.to_numpy() if _is_series(y) else y)
    for i, row in enumerate(rows):
        if not isinstance(row, _RAGGED_ITEM_TYPES):
            raise ValueError(
                f"y looks ragged multilabel but sample {i} is {type(row).__name__} "
                f"({row!r}), not a list, tuple, set or array of labels."
            )
        for label in row:
            if not isinstance(label, Hashable) or isinstance(label, _RAGGED_ITEM_TYPES):
                raise ValueError(
                    f"sample {i} of y holds {label!r}: a label must be a hashable "
                    "scalar such as a str or int, not a sequence."
                )
            if label is None or (isinstance(label, float) and np.isnan(label)):
                raise ValueError(f"sample {i} of y holds a missing label ({label!r}).")
    return rows


def _check_matrix(y: Any) -> tuple[np.ndarray, bool]:
    """Validate a 2-D target; return it dense and whether it is soft."""
    matrix = _dense(y)
    if matrix.dtype.kind == "O":
        try:
            matrix = matrix.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "y is 2-D with non-numeric entries: multi-output targets of class "
                "labels are not supported; give a 0/1 indicator or soft labels."
            ) from None
    if matrix.dtype.kind not in "biuf":
        raise ValueError(f"y is 2-D with dtype {matrix.dtype}; expected numbers in [0, 1].")
    if matrix.dtype.kind == "f" and not np.isfinite(matrix).all():
        raise ValueError("y contains NaN or infinite values.")
    if matrix.size and (matrix.min() < 0 or matrix.max() > 1):
        raise ValueError(
            "y is 2-D with values outside [0, 1]: expected a 0/1 indicator matrix or "
            "soft labels (probabilities)."
        )
    soft = matrix.dtype.kind == "f" and not np.isin(matrix, (0.0, 1.0)).all()
    return matrix, soft


def _is_ragged(y: Any) -> bool:
    items = y.to_numpy() if _is_series(y) else y
    if isinstance(items, np.ndarray):
        if items.dtype.kind != "O" or items.ndim != 1:
            return False
    try:
        first = next(iter(items))
    except (StopIteration, TypeError):
        return False
    if isinstance(first, np.ndarray) and not isinstance(items, np.ndarray):
        # A list of equal-length arrays is a 2-D matrix, as numpy reads it.
        return len({np.shape(row) for row in items}) > 1
    if isinstance(first, (list, tuple)) and not isinstance(items, np.ndarray):
        lengths = {len(row) if isinstance(row, (list, tuple)) else -1 for row in items}
        return (
            len(lengths) > 1
            or -1 in lengths
            or any(isinstance(row, (set, frozenset)) for row in items)
            or _holds_non_numbers(items)
        )
    return isinstance(first, _RAGGED_ITEM_TYPES)


def _holds_non_numbers(rows: Any) -> bool:
    """Equal-length lists of strings are label lists, not a numeric matrix."""
    return any(not isinstance(v, (numbers.Number, np.bool_)) for row in rows for v in row)


def as_target_input(y: Any) -> Any:
    """``y`` as a numpy array when it is an array-like known only by its
    ``__array__`` method (it may not support ``len`` or iteration); other
    containers (lists, numpy, scipy sparse, pandas) are returned as they are."""
    if (
        hasattr(y, "__array__")
        and not isinstance(y, np.ndarray)
        and not sp.issparse(y)
        and not _is_dataframe(y)
        and not _is_series(y)
    ):
        return np.asarray(y)
    return y


def make_target(y: Any, target_type: str | None = None) -> Target:
    """Detect the format of ``y`` and return a fitted :class:`Target`.

    Parameters
    ----------
    y : array-like, sparse matrix or DataFrame
        The training target, in any of the formats in the module docstring.
    target_type : {None, "multiclass", "multilabel"}
        ``None`` detects the format. ``"multiclass"`` reads a 2-D one-hot or
        probability matrix as one class a sample (softmax); ``"multilabel"``
        insists on a multilabel format (ragged, indicator or soft).

    Returns
    -------
    Target
    """
    if y is None:
        raise ValueError("TextClassifier requires y to be passed, but the target y is None.")
    if isinstance(y, (str, bytes, Mapping)):
        raise ValueError(f"y must be a sequence of labels, got {type(y).__name__}.")
    if _is_ragged(y):
        if target_type == "multiclass":
            raise ValueError("target_type='multiclass' but y is ragged: give one label a sample.")
        rows = _ragged_rows(y)
        return _RaggedTarget().fit(rows)

    if sp.issparse(y) or _is_dataframe(y) or np.ndim(y) == 2:
        shape = y.shape if hasattr(y, "shape") else np.shape(y)
        if shape[1] == 1 and not _is_dataframe(y) and not sp.issparse(y):
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please "
                "change the shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=3,
            )
            return make_target(np.asarray(y).ravel(), target_type)
        matrix, soft = _check_matrix(y)
        single_label = target_type == "multiclass"
        if single_label:
            sums = matrix.sum(axis=1)
            if not np.allclose(sums, 1.0, atol=1e-4):
                raise ValueError(
                    "target_type='multiclass' needs each row of y to be one-hot or a "
                    "probability distribution summing to 1."
                )
        if matrix.shape[1] < 2:
            raise ValueError("y needs at least 2 columns (labels).")
        return _MatrixTarget().fit(y, soft=soft, single_label=single_label)

    if np.ndim(y) != 1 and not _is_series(y):
        raise ValueError(f"y must be 1-D or 2-D, got shape {np.shape(y)}.")
    if target_type == "multilabel":
        raise ValueError(
            "target_type='multilabel' but y is 1-D with one label a sample; give "
            "lists of labels or a 0/1 indicator matrix."
        )
    labels = _as_label_array(y)
    if (
        labels.dtype.kind == "f"
        and np.isfinite(labels).all()
        and not np.all(labels == np.round(labels))
    ):
        raise ValueError(
            "y holds non-integer floats: that is a continuous (regression) target. "
            "TextClassifier needs class labels (str, int, bool) or a multilabel format."
        )
    if labels.dtype.kind == "O":
        non_integral = [
            v for v in labels.tolist() if isinstance(v, float) and np.isfinite(v) and v != round(v)
        ]
        if non_integral:
            raise ValueError(
                "y holds non-integer floats: that is a continuous (regression) target, not class "
                "labels."
            )
    target = _LabelsTarget().fit(labels)
    if target.n_classes < 2:
        raise ValueError(
            f"y has only one class ({target.classes_[0]!r}); a classifier needs samples "
            "of at least 2 classes."
        )
    return target


def make_stream_target(y: Any, classes: Any, target_type: str | None = None) -> Target:
    """The target of a stream of batches (``partial_fit``) whose first batch is ``y``.

    Label formats need the whole label set up front, as scikit-learn's
    ``partial_fit(classes=...)`` does: later batches may hold labels the first
    one lacks. Matrix formats take theirs from the columns (``classes``, if
    given, must match their number).
    """
    if _is_ragged(y) or (not sp.issparse(y) and not _is_dataframe(y) and np.ndim(y) == 1):
        if classes is None:
            raise ValueError(
                "partial_fit needs classes=... on its first call: every label the "
                "stream may hold (as scikit-learn's partial_fit does)."
            )
        declared = _as_label_array(classes)
        if _is_ragged(y):  # sets: a ragged y whatever the label type
            target = make_target([{label} for label in declared.tolist()], target_type)
        else:
            target = make_target(declared, target_type)
        if len(target.classes_) != len(declared):
            raise ValueError("classes holds duplicate labels.")
    else:
        target = make_target(y, target_type)
        if classes is not None and len(classes) != target.n_classes:
            raise ValueError(
                f"classes has {len(classes)} entries but y has {target.n_classes} columns."
            )
    return target
