"""Label formats: the one module that knows how users write ``y``.

:func:`make_target` inspects ``y`` and returns a fitted adapter that

* encodes ``y`` into what the loss needs (class codes, or a float matrix),
* names the loss (``"softmax"`` for one label a sample, ``"sigmoid"`` for
  independent labels),
* turns probabilities back into predictions in the format the user gave,
* scores predictions against ``y`` in that format.

Formats, as detected:

=================  =======================================  ===========  ==================
name               ``y``                                    loss         ``predict`` gives
=================  =======================================  ===========  ==================
``"labels"``       1-D labels of any hashable type          softmax      1-D labels
``"ragged"``       1-D of lists / tuples / sets / arrays    sigmoid      list of tuples
``"indicator"``    2-D 0/1 (numpy, scipy sparse, DataFrame) sigmoid      same container
``"soft"``         2-D floats in [0, 1], not all 0/1        sigmoid      0/1 numpy array
``"multioutput"``  2-D class labels, one column per output  multioutput  2-D labels / frame
=================  =======================================  ===========  ==================

A 2-D ``y`` is an indicator when it holds only 0 and 1 (ints, bools or
floats), soft labels when it holds floats in [0, 1] that are not all 0/1, and
multi-output class labels otherwise (strings, ints beyond {0, 1}, integral
floats, mixed columns); non-integral floats outside [0, 1] are a regression
target and raise. Multi-output targets train one softmax per output over its
own block of the logits (one head per output on a shared encoder).

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
        One of ``"labels"``, ``"ragged"``, ``"indicator"``, ``"soft"``,
        ``"multioutput"``.
    loss : str
        ``"softmax"``, ``"sigmoid"`` or ``"multioutput"`` (one softmax per output).
    classes_ : ndarray
        The class (or label) names, in output-column order (multi-output: a
        list of such arrays, one per output).
    """

    format: str = ""
    loss: str = ""
    classes_: np.ndarray

    @property
    def multilabel(self) -> bool:
        return self.loss == "sigmoid"

    @property
    def n_classes(self) -> int:
        """Number of logits the model needs (all outputs together)."""
        return len(self.classes_)

    @property
    def output_sizes(self) -> tuple[int, ...]:
        """Logits of each output, in order: one block, but for multi-output targets."""
        return (self.n_classes,)

    def split_outputs(self, matrix: np.ndarray) -> Any:
        """Per-class columns (logits, probabilities) as the user's format has
        them: the matrix itself, or a list of one block per output."""
        return matrix

    def argmax(self, logits: np.ndarray) -> np.ndarray:
        """Index of the most probable class of each sample (single-label targets)."""
        return logits.argmax(axis=1)

    def same_classes(self, other: Target) -> bool:
        """Whether ``other`` has the same classes, in the same order."""
        return self.classes_.tolist() == other.classes_.tolist()

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
            "columns": None if self._columns is None else json_labels(self._columns),
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


class _MultiOutputTarget(Target):
    """2-D class labels, one column per output (scikit-learn's
    ``multiclass-multioutput``): one softmax per output, each over its own
    block of the logits, as one label adapter per column."""

    format = "multioutput"
    loss = "multioutput"
    classes_: list[np.ndarray]

    def fit(self, y: Any, declared: Any = None) -> _MultiOutputTarget:
        """Learn the classes of each column of ``y``, or take them from
        ``declared`` (one array of labels per output, for streams)."""
        self._dataframe = _is_dataframe(y)
        self._columns = list(y.columns) if self._dataframe else None
        columns = _output_columns(y)
        if not columns:
            raise ValueError("y is 2-D with no column: there is no output to learn.")
        if declared is None:
            names = self._columns if self._dataframe else range(len(columns))
            self._set_outputs(
                [
                    _fit_labels(_as_label_array(column), f"column {name!r} of y")
                    for name, column in zip(names, columns, strict=True)
                ]
            )
        else:
            self._set_outputs(_declared_outputs(declared, len(columns)))
        return self

    def _set_outputs(self, outputs: list[_LabelsTarget]) -> _MultiOutputTarget:
        self.outputs = outputs
        self.classes_ = [output.classes_ for output in outputs]
        return self

    @property
    def n_classes(self) -> int:
        return sum(self.output_sizes)

    @property
    def output_sizes(self) -> tuple[int, ...]:
        return tuple(len(classes) for classes in self.classes_)

    def split_outputs(self, matrix: np.ndarray) -> list[np.ndarray]:
        return np.split(matrix, np.cumsum(self.output_sizes)[:-1], axis=1)

    def argmax(self, logits: np.ndarray) -> np.ndarray:
        """Class index of each output, shape (n_samples, n_outputs)."""
        blocks = self.split_outputs(logits)
        return np.stack([block.argmax(axis=1) for block in blocks], axis=1)

    def same_classes(self, other: Target) -> bool:
        return isinstance(other, _MultiOutputTarget) and [
            classes.tolist() for classes in self.classes_
        ] == [classes.tolist() for classes in other.classes_]

    def to_config(self) -> dict:
        return {
            "format": self.format,
            "outputs": [_labels_config(classes) for classes in self.classes_],
            "columns": None if self._columns is None else json_labels(self._columns),
        }

    def _columns_of(self, y: Any) -> list:
        columns = _output_columns(y)
        if len(columns) != len(self.outputs):
            raise ValueError(
                f"y must be 2-D with {len(self.outputs)} columns, one per output as in "
                f"fit; got {len(columns) or 'no'} columns."
            )
        return columns

    def _codes(self, y: Any) -> np.ndarray:
        """Class index of each label, -1 where unseen, shape (n_samples, n_outputs)."""
        columns = self._columns_of(y)
        return np.stack(
            [output._codes(column) for output, column in zip(self.outputs, columns, strict=True)],
            axis=1,
        )

    def encode(self, y: Any) -> np.ndarray:
        codes = self._codes(y)
        if (codes < 0).any():
            k = int(np.flatnonzero((codes < 0).any(axis=0))[0])
            unseen = _as_label_array(self._columns_of(y)[k])[codes[:, k] < 0][:5].tolist()
            raise ValueError(f"column {k} of y holds labels not among classes_[{k}]: {unseen}.")
        return codes

    def class_counts(self, encoded: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                np.bincount(encoded[:, k], weights=sample_weight, minlength=size)
                for k, size in enumerate(self.output_sizes)
            ]
        )

    def decode(self, decisions: np.ndarray) -> Any:
        columns = [output.decode(decisions[:, k]) for k, output in enumerate(self.outputs)]
        if self._dataframe:
            import pandas as pd

            frame = pd.DataFrame(dict(enumerate(columns)))
            frame.columns = self._columns
            return frame
        if len({column.dtype.kind for column in columns}) == 1:
            return np.stack(columns, axis=1)
        # Columns of different kinds (str and int): objects keep each its type,
        # where numpy would turn every label into a string.
        out = np.empty((len(decisions), len(columns)), dtype=object)
        for k, column in enumerate(columns):
            out[:, k] = column
        return out

    def true_matrix(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        parts = [
            output.true_matrix(column)
            for output, column in zip(self.outputs, self._columns_of(y), strict=True)
        ]
        return np.hstack([truth for truth, _ in parts]), sum(unknown for _, unknown in parts)

    def score(self, y_true: Any, decisions: np.ndarray, sample_weight: Any = None) -> float:
        """Subset accuracy, as ``MultiOutputClassifier.score``: a sample counts
        when every output is right (a label never seen in training never is)."""
        hit = (self._codes(y_true) == decisions).all(axis=1)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        return float(np.average(hit, weights=weights))


def _output_columns(y: Any) -> list:
    """The columns of a 2-D multi-output ``y``, each a 1-D collection of labels."""
    if _is_dataframe(y):
        return [y.iloc[:, k] for k in range(y.shape[1])]
    if isinstance(y, np.ndarray) or sp.issparse(y):
        matrix = _dense(y)
    else:
        # Objects: numpy would turn the rows of a list holding str and int
        # columns into strings; each column is typed on its own instead.
        matrix = np.asarray(y, dtype=object)
    if matrix.ndim != 2:
        return []
    return list(matrix.T)


def json_labels(labels: Any) -> list:
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
    return {"classes": json_labels(classes), "dtype": classes.dtype.str}


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
    if kind == "multioutput":
        target = _MultiOutputTarget()
        target._columns = config["columns"]
        target._dataframe = target._columns is not None
        return target._set_outputs(
            [
                _LabelsTarget()._set_classes(_restore_labels(output["classes"], output["dtype"]))
                for output in config["outputs"]
            ]
        )
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


def _check_matrix(y: Any) -> tuple[np.ndarray | None, str]:
    """Validate a 2-D target; return it as dense numbers (None for class
    labels) and its kind: "indicator", "soft" or "multioutput"."""
    matrix = _dense(y)
    if matrix.dtype.kind == "O":
        if not all(isinstance(v, (numbers.Real, np.bool_)) for v in matrix.ravel().tolist()):
            return None, "multioutput"
        matrix = matrix.astype(np.float64)
    if matrix.dtype.kind not in "biuf":  # str, bytes, dates...: class labels
        return None, "multioutput"
    if matrix.dtype.kind == "f" and not np.isfinite(matrix).all():
        raise ValueError("y contains NaN or infinite values.")
    if np.isin(matrix, (0, 1)).all():
        return matrix, "indicator"
    if matrix.min() >= 0 and matrix.max() <= 1:
        return matrix, "soft"  # floats: integers in [0, 1] are 0/1, seen above
    if (matrix == np.round(matrix)).all():
        return None, "multioutput"
    raise ValueError(
        "y is 2-D with non-integer values outside [0, 1]: that is a continuous "
        "(regression) target, not a 0/1 indicator, soft labels (probabilities) or "
        "class labels."
    )


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


def make_target(y: Any, target_type: str | None = None, output_classes: Any = None) -> Target:
    """Detect the format of ``y`` and return a fitted :class:`Target`.

    Parameters
    ----------
    y : array-like, sparse matrix or DataFrame
        The training target, in any of the formats in the module docstring.
    target_type : {None, "multiclass", "multilabel"}
        ``None`` detects the format. ``"multiclass"`` reads a 2-D one-hot or
        probability matrix as one class a sample (softmax); ``"multilabel"``
        insists on a multilabel format (ragged, indicator or soft).
    output_classes : list of array-like, optional
        Multi-output ``y`` only: the labels of each output, declared up front
        (``partial_fit``), where the columns of ``y`` may lack some.

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
        matrix, kind = _check_matrix(y)
        if kind == "multioutput":
            if target_type is not None:
                raise ValueError(
                    f"target_type={target_type!r} reads a 2-D y as 0/1 or probability "
                    "columns, but y holds other class labels (multi-output); leave "
                    "target_type=None."
                )
            return _MultiOutputTarget().fit(y, output_classes)
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
        return _MatrixTarget().fit(y, soft=kind == "soft", single_label=single_label)

    if np.ndim(y) != 1 and not _is_series(y):
        raise ValueError(f"y must be 1-D or 2-D, got shape {np.shape(y)}.")
    if target_type == "multilabel":
        raise ValueError(
            "target_type='multilabel' but y is 1-D with one label a sample; give "
            "lists of labels or a 0/1 indicator matrix."
        )
    return _fit_labels(_as_label_array(y), "y")


def _fit_labels(labels: np.ndarray, name: str) -> _LabelsTarget:
    """The label adapter of one output, refusing continuous values and single
    classes (``name`` says which output, in the errors)."""
    if labels.dtype.kind == "f":
        finite = labels[np.isfinite(labels)]
        continuous = bool((finite != np.round(finite)).any())
    else:
        continuous = labels.dtype.kind == "O" and any(
            isinstance(v, float) and np.isfinite(v) and v != round(v) for v in labels.tolist()
        )
    if continuous:
        raise ValueError(
            f"{name} holds non-integer floats: that is a continuous (regression) target. "
            "TextClassifier needs class labels (str, int, bool) or a multilabel format."
        )
    target = _LabelsTarget().fit(labels)
    if target.n_classes < 2:
        raise ValueError(
            f"{name} has only one class ({target.classes_[0]!r}); a classifier needs "
            "samples of at least 2 classes."
        )
    return target


def make_stream_target(y: Any, classes: Any, target_type: str | None = None) -> Target:
    """The target of a stream of batches (``partial_fit``) whose first batch is ``y``.

    Label formats need the whole label set up front, as scikit-learn's
    ``partial_fit(classes=...)`` does: later batches may hold labels the first
    one lacks; multi-output ``y`` needs one array of labels per output, as
    ``MultiOutputClassifier.partial_fit`` does. Matrix formats take theirs from
    the columns (``classes``, if given, must match their number).
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
        target = make_target(y, target_type, output_classes=classes)
        if isinstance(target, _MultiOutputTarget):
            if classes is None:
                raise ValueError(
                    "partial_fit on multi-output y needs classes=[...] on its first call: "
                    "one array per output of every label the stream may hold, as "
                    "MultiOutputClassifier.partial_fit does."
                )
            return target
        if classes is not None and len(classes) != target.n_classes:
            raise ValueError(
                f"classes has {len(classes)} entries but y has {target.n_classes} columns."
            )
    return target


def _declared_outputs(classes: Any, n_outputs: int) -> list[_LabelsTarget]:
    """One label adapter per output, from ``classes`` (``partial_fit``)."""
    outputs = []
    for k, declared in enumerate(classes):
        labels = _as_label_array(declared)
        output = _fit_labels(labels, f"classes[{k}]")
        if output.n_classes != len(labels):
            raise ValueError(f"classes[{k}] holds duplicate labels.")
        outputs.append(output)
    if len(outputs) != n_outputs:
        raise ValueError(f"classes has {len(outputs)} arrays but y has {n_outputs} outputs.")
    return outputs
