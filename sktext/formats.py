"""Label formats: reading a raw ``y`` and detecting how the user wrote it.

:func:`make_target` (and :func:`make_stream_target`, for ``partial_fit``)
inspects ``y``, checks its labels and returns the fitted adapter of its format
(:mod:`sktext.targets`), which then encodes, decodes and scores.

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

from .containers import (
    dense,
    is_dataframe,
    is_ragged,
    is_series,
    label_array,
    label_kind,
    object_array,
    output_columns,
    ragged_rows,
)
from .targets import LabelsTarget, MatrixTarget, MultiOutputTarget, RaggedTarget, Target

__all__ = ["as_target_input", "compatible_target", "make_stream_target", "make_target"]


def as_target_input(y: Any) -> Any:
    """``y`` as a numpy array when it is an array-like known only by its
    ``__array__`` method (it may not support ``len`` or iteration); other
    containers (lists, numpy, scipy sparse, pandas) are returned as they are."""
    if (
        hasattr(y, "__array__")
        and not isinstance(y, np.ndarray)
        and not sp.issparse(y)
        and not is_dataframe(y)
        and not is_series(y)
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
    if is_ragged(y):
        if target_type == "multiclass":
            raise ValueError("target_type='multiclass' but y is ragged: give one label a sample.")
        return _fit_ragged(ragged_rows(y))

    if sp.issparse(y) or is_dataframe(y) or np.ndim(y) == 2:
        shape = y.shape if hasattr(y, "shape") else np.shape(y)
        if shape[1] == 1 and not is_dataframe(y) and not sp.issparse(y):
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please "
                "change the shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=3,
            )
            return make_target(np.asarray(y).ravel(), target_type)
        return _fit_matrix(y, target_type, output_classes)

    if np.ndim(y) != 1 and not is_series(y):
        raise ValueError(f"y must be 1-D or 2-D, got shape {np.shape(y)}.")
    if target_type == "multilabel":
        raise ValueError(
            "target_type='multilabel' but y is 1-D with one label a sample; give "
            "lists of labels or a 0/1 indicator matrix."
        )
    return _fit_labels(label_array(y), "y")


def make_stream_target(y: Any, classes: Any, target_type: str | None = None) -> Target:
    """The target of a stream of batches (``partial_fit``) whose first batch is ``y``.

    Label formats need the whole label set up front, as scikit-learn's
    ``partial_fit(classes=...)`` does: later batches may hold labels the first
    one lacks; multi-output ``y`` needs one array of labels per output, as
    ``MultiOutputClassifier.partial_fit`` does. Matrix formats take theirs from
    the columns (``classes``, if given, must match their number).
    """
    if is_ragged(y) or (not sp.issparse(y) and not is_dataframe(y) and np.ndim(y) == 1):
        if classes is None:
            raise ValueError(
                "partial_fit needs classes=... on its first call: every label the "
                "stream may hold (as scikit-learn's partial_fit does)."
            )
        declared = label_array(classes)
        if is_ragged(y):  # sets: a ragged y whatever the label type
            target = make_target([{label} for label in declared.tolist()], target_type)
        else:
            target = make_target(declared, target_type)
        if len(target.classes_) != len(declared):
            raise ValueError("classes holds duplicate labels.")
    else:
        target = make_target(y, target_type, output_classes=classes)
        if isinstance(target, MultiOutputTarget):
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


def _fit_ragged(rows: list) -> RaggedTarget:
    labels = {label for row in rows for label in row}
    if not labels:
        raise ValueError(
            "y is ragged multilabel but no sample has any label (every label list "
            "is empty): there is no label to learn."
        )
    return RaggedTarget(_unique_labels(np.array(object_array(list(labels)))))


def _fit_matrix(y: Any, target_type: str | None, output_classes: Any) -> Target:
    """The adapter of a 2-D ``y`` of more than one column."""
    matrix, kind = _check_matrix(y)
    if kind == "multioutput":
        if matrix is None:  # labels that are not numbers
            if target_type is not None:
                raise ValueError(
                    f"target_type={target_type!r} reads a 2-D y as 0/1 or probability "
                    "columns, but y holds other class labels (multi-output); leave "
                    "target_type=None."
                )
            return _fit_multioutput(y, output_classes)
        return _fit_numeric_multioutput(y, matrix, target_type, output_classes)
    single_label = target_type == "multiclass"
    if single_label:
        sums = matrix.sum(axis=1)
        if not np.allclose(sums, 1.0, atol=1e-4):
            raise ValueError(
                "target_type='multiclass' needs each row of y to be one-hot or a "
                "probability distribution summing to 1."
            )
    if matrix.shape[1] < 2:
        raise ValueError(f"y needs at least 2 columns (labels); it has {matrix.shape[1]}.")
    soft = kind == "soft"
    return MatrixTarget(
        format="soft" if soft else "indicator",
        loss="softmax" if single_label else "sigmoid",
        container="sparse" if sp.issparse(y) else "dataframe" if is_dataframe(y) else "numpy",
        dtype=np.int64 if soft else dense(y).dtype,
        columns=y.columns if is_dataframe(y) else None,
        n_columns=np.shape(y)[1],  # y may be a list of rows
    )


def _fit_numeric_multioutput(
    y: Any, matrix: np.ndarray, target_type: str | None, output_classes: Any
) -> MultiOutputTarget:
    """A 2-D ``y`` of integers beyond {0, 1}: multi-output class labels, as
    scikit-learn reads it, but with a warning when a few stray cells are all
    that keep it from being a 0/1 indicator (likely typos, which would turn a
    multilabel task into another one)."""
    n_stray, stray = _stray_cells(y, matrix)
    if target_type is not None:
        raise ValueError(
            f"target_type={target_type!r} reads a 2-D y as 0/1 or probability columns, "
            f"but {stray}, which makes y multi-output class labels: fix those cells to 0 "
            "or 1 if y is an indicator, else leave target_type=None."
        )
    if not _few(n_stray, matrix.size):
        return _fit_multioutput(y, output_classes)
    warnings.warn(
        "y is read as multi-output class labels (one softmax per column, as "
        f"scikit-learn reads a 2-D integer y), but {stray}; the rest are 0 or 1, as in "
        "a multilabel indicator. If y is meant as one, fix those cells to 0 or 1: "
        "target_type='multilabel' would refuse this y (it needs values in [0, 1]).",
        UserWarning,
        stacklevel=5,
    )
    try:
        return _fit_multioutput(y, output_classes)
    except ValueError as error:
        raise ValueError(
            "y is read as multi-output class labels (one softmax per column) because "
            f"{stray}: {error} If y is a 0/1 multilabel indicator, fix those cells to 0 or 1."
        ) from error


def _stray_cells(y: Any, matrix: np.ndarray) -> tuple[int, str]:
    """How many cells of a numeric 2-D ``y`` lie outside {0, 1}, and a phrase
    saying so and where the first is."""
    outside = ~np.isin(matrix, (0, 1))
    n = int(outside.sum())
    row, column = np.argwhere(outside)[0].tolist()
    name = y.columns.tolist()[column] if is_dataframe(y) else column
    return n, (
        f"{n} of its {outside.size} cells {'is' if n == 1 else 'are'} outside {{0, 1}} "
        f"(the first: {matrix[row, column].item()!r} at row {row}, column {name!r})"
    )


def _few(n_stray: int, n_cells: int) -> bool:
    """Whether ``n_stray`` cells outside {0, 1} are few enough to be typos in
    a 0/1 indicator: at most 10 (or 1% of the cells), and at most a tenth of
    them, so that a small y of genuine class labels is not taken for one."""
    return n_stray <= max(10, 0.01 * n_cells) and n_stray <= 0.1 * n_cells


def _check_matrix(y: Any) -> tuple[np.ndarray | None, str]:
    """Validate a 2-D target; return it as dense numbers (None for labels
    that are not numbers) and its kind: "indicator", "soft" or "multioutput"."""
    matrix = dense(y)
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
        return matrix, "multioutput"
    raise ValueError(
        "y is 2-D with non-integer values outside [0, 1]: that is a continuous "
        "(regression) target, not a 0/1 indicator, soft labels (probabilities) or "
        "class labels."
    )


def _fit_multioutput(y: Any, declared: Any = None) -> MultiOutputTarget:
    """The classes of each column of ``y``, or (``declared``, for streams) one
    array of labels per output given up front."""
    columns = output_columns(y)
    if not columns:
        raise ValueError("y is 2-D with no column: there is no output to learn.")
    names = list(y.columns) if is_dataframe(y) else None
    if declared is not None:
        return MultiOutputTarget(_declared_outputs(declared, len(columns)), names)
    outputs = [
        _fit_labels(label_array(column), f"column {name!r} of y")
        for name, column in zip(
            range(len(columns)) if names is None else names, columns, strict=True
        )
    ]
    # Not for streams: their first batch may lack some paths.
    target = MultiOutputTarget(outputs, names)
    return target.fit_paths(target.encode(y))


def _fit_labels(labels: np.ndarray, name: str) -> LabelsTarget:
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
    target = LabelsTarget(_unique_labels(labels))
    if target.n_classes < 2:
        raise ValueError(
            f"{name} has only one class ({target.classes_[0]!r}); a classifier needs "
            "samples of at least 2 classes."
        )
    return target


def _declared_outputs(classes: Any, n_outputs: int) -> list[LabelsTarget]:
    """One label adapter per output, from ``classes`` (``partial_fit``)."""
    outputs = []
    for k, declared in enumerate(classes):
        labels = label_array(declared)
        output = _fit_labels(labels, f"classes[{k}]")
        if output.n_classes != len(labels):
            raise ValueError(f"classes[{k}] holds duplicate labels.")
        outputs.append(output)
    if len(outputs) != n_outputs:
        raise ValueError(f"classes has {len(outputs)} arrays but y has {n_outputs} outputs.")
    return outputs


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
        kinds = {label_kind(v) for v in values}
        if len(kinds) > 1:
            raise ValueError(
                f"y mixes label types ({', '.join(sorted(kinds))}); use one type, "
                "e.g. convert every label to str."
            )
        classes = sorted(set(values))
        return (
            object_array(classes)
            if kinds == {"str"} or kinds == {"other"}
            else (np.asarray(classes))
        )
    return np.unique(y)


def compatible_target(new: Target, old: Target) -> Target:
    """``old`` (a fitted target), after checking that ``new`` (read from the
    y of a ``warm_start`` refit) is in a compatible format; its encoding then
    refuses labels or columns the model does not have."""
    family = {
        "labels": "labels",
        "ragged": "ragged",
        "indicator": "matrix",
        "soft": "matrix",
        "multioutput": "multioutput",
    }
    if (family[new.format], new.loss) != (family[old.format], old.loss):
        raise ValueError(
            f"warm_start=True but y is now {new.format!r} ({new.loss}) while the model "
            f"was fitted on {old.format!r} ({old.loss}); refit with warm_start=False."
        )
    return old
