"""Target adapters: between the user's label format and the model's outputs.

:func:`sktext.formats.make_target` reads ``y``, detects its format and returns
one of the adapters below, fitted; each

* encodes ``y`` into what the loss needs (class codes, or a float matrix),
* names the loss (``"softmax"`` for one label a sample, ``"sigmoid"`` for
  independent labels, ``"multioutput"`` for one softmax per output),
* turns decisions back into predictions in the format the user gave,
* scores predictions against ``y`` in that format (or against its encoding),
* describes itself as JSON (:meth:`Target.to_config`) and is rebuilt from
  that description (:func:`target_from_config`) by the safe file format.

=================  ============================  ===========  ==================
format             adapter                       loss         ``predict`` gives
=================  ============================  ===========  ==================
``"labels"``       :class:`LabelsTarget`         softmax      1-D labels
``"ragged"``       :class:`RaggedTarget`         sigmoid      list of tuples
``"indicator"``    :class:`MatrixTarget`         sigmoid      same container
``"soft"``         :class:`MatrixTarget`         sigmoid      0/1 numpy array
``"multioutput"``  :class:`MultiOutputTarget`    multioutput  2-D labels / frame
=================  ============================  ===========  ==================

A matrix target fitted with ``target_type="multiclass"`` has the softmax loss
and ``predict`` returns one-hot rows in the container given.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax

from .containers import (
    RAGGED_ITEM_TYPES,
    dense,
    is_dataframe,
    is_ragged,
    is_series,
    label_array,
    object_array,
    output_columns,
    ragged_rows,
)
from .inputs import sample_weight_values

__all__ = [
    "LabelsTarget",
    "MatrixTarget",
    "MultiOutputTarget",
    "RaggedTarget",
    "Target",
    "json_labels",
    "target_from_config",
]


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

    @classmethod
    def from_config(cls, config: dict) -> Target:
        """The fitted adapter that :meth:`to_config` described."""
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

    def fitted_on(self) -> str:
        """The format of the ``y`` fitted on, in words (for error messages)."""
        raise NotImplementedError

    def _mismatch(self, y: Any) -> ValueError:
        """The error for a ``y`` (to encode or score) in another format than fit's."""
        return ValueError(
            f"y looks like {_looks_like(y)}, but the model was fitted on "
            f"{self.fitted_on()}: give y in that format (target_format_={self.format!r})."
        )

    def score(self, y_true: Any, decisions: np.ndarray, sample_weight: Any = None) -> float:
        """Accuracy (single label) or micro-averaged F1 (multilabel).

        Labels never seen in training count as misses: a wrong prediction for
        single-label targets, a false negative for multilabel ones.
        """
        truth, unknown = self.true_matrix(y_true)
        weights = _score_weights(sample_weight, len(decisions))
        if not self.multilabel:
            hit = truth[np.arange(len(decisions)), decisions].astype(bool) & (unknown == 0)
            return float(np.average(hit, weights=weights))
        return _micro_f1(decisions, truth.astype(bool), weights, unknown)

    def score_encoded(
        self, encoded: np.ndarray, decisions: np.ndarray, weights: np.ndarray
    ) -> float:
        """:meth:`score` against already-encoded targets (:meth:`encode`'s
        output, e.g. of an early-stopping split): accuracy, or micro-averaged
        F1 for multilabel targets."""
        if not self.multilabel:
            truth = encoded if encoded.ndim == 1 else encoded.argmax(axis=1)
            return float(np.average(decisions == truth, weights=weights))
        return _micro_f1(decisions, encoded >= 0.5, weights)


def _score_weights(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` of :meth:`Target.score`, checked (None: unweighted)."""
    return None if sample_weight is None else sample_weight_values(sample_weight, n_samples)


def _looks_like(y: Any) -> str:
    """What ``y`` looks like, in words, for the errors of a ``y`` in the wrong format."""
    if is_ragged(y):
        return "lists of labels (ragged multilabel)"
    if sp.issparse(y) or is_dataframe(y):
        return f"a 2-D matrix of shape {y.shape}"
    try:
        values = np.asarray(y)
    except ValueError:  # numpy refuses rows of different lengths
        return "a mix of labels and lists of labels"
    if values.ndim == 1 or values.shape[1:] == (1,):
        return "1-D labels, one a sample"
    kind = "numbers" if values.dtype.kind in "biuf" else "labels"
    return f"a {values.ndim}-D array of {kind}, of shape {values.shape}"


def _micro_f1(
    decisions: np.ndarray, truth: np.ndarray, weights: np.ndarray | None, unknown: Any = 0
) -> float:
    """Micro-averaged F1 of 0/1 ``decisions`` against boolean ``truth``;
    ``unknown`` labels a sample (never seen in training) are false negatives."""
    predicted = decisions.astype(bool)
    w = np.ones(len(predicted)) if weights is None else weights
    tp = w @ (predicted & truth).sum(axis=1)
    errors = w @ ((predicted != truth).sum(axis=1) + unknown)
    # No label predicted and none to find: a perfect answer, as sklearn's
    # f1_score(zero_division=1) counts it.
    return float(2 * tp / (2 * tp + errors)) if tp + errors else 1.0


class _NamedClassesTarget(Target):
    """Targets whose classes are the user's own label values."""

    def __init__(self, classes: np.ndarray) -> None:
        self.classes_ = classes
        self._index = {label: i for i, label in enumerate(classes.tolist())}

    def to_config(self) -> dict:
        return {"format": self.format, **_labels_config(self.classes_)}

    @classmethod
    def from_config(cls, config: dict) -> _NamedClassesTarget:
        return cls(_restore_labels(config["classes"], config["dtype"]))


class LabelsTarget(_NamedClassesTarget):
    """1-D class labels: binary or multiclass, softmax."""

    format = "labels"
    loss = "softmax"

    def fitted_on(self) -> str:
        return "1-D labels, one a sample"

    def _labels(self, y: Any) -> np.ndarray:
        """``y`` as a 1-D array of labels, refusing ragged and 2-D ``y``
        (which numpy would turn into rows of labels, none ever a class, or
        flatten: one-label lists of str read as a column vector)."""
        if sp.issparse(y) or is_dataframe(y) or is_ragged(y):
            raise self._mismatch(y)
        try:
            labels = label_array(y)
        except ValueError:  # numpy refuses rows of different lengths
            raise self._mismatch(y) from None
        if labels.dtype.kind == "O" and any(
            isinstance(v, RAGGED_ITEM_TYPES) for v in labels.tolist()
        ):
            raise self._mismatch(y)
        return labels

    def _codes(self, y: Any) -> np.ndarray:
        """Class index of each label, -1 for labels never seen in training."""
        index = self._index
        values = self._labels(y).tolist()
        return np.fromiter(
            (index.get(v, -1) if isinstance(v, Hashable) else -1 for v in values),
            dtype=np.int64,
            count=len(values),
        )

    def encode(self, y: Any) -> np.ndarray:
        codes = self._codes(y)
        if (codes < 0).any():
            unseen = label_array(y)[codes < 0][:5].tolist()
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


class RaggedTarget(_NamedClassesTarget):
    """Sequences of labels a sample (empty allowed): multilabel, sigmoid."""

    format = "ragged"
    loss = "sigmoid"

    def fitted_on(self) -> str:
        return "lists of labels (ragged multilabel)"

    def _rows(self, y: Any) -> list:
        """The label lists of ``y``, refusing 1-D labels and numeric matrices
        (a 0/1 indicator's rows would read as lists of the labels 0 and 1)."""
        items = y.to_numpy() if is_series(y) else y
        numeric = isinstance(items, np.ndarray) and items.dtype.kind in "biuf"
        one_label = isinstance(items, np.ndarray) and items.dtype.kind != "O" and items.ndim == 1
        if sp.issparse(y) or is_dataframe(y) or numeric or one_label:
            raise self._mismatch(y)
        rows = list(items)
        if rows and not any(isinstance(row, RAGGED_ITEM_TYPES) for row in rows):
            raise self._mismatch(y)
        return ragged_rows(rows)

    def true_matrix(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        rows = self._rows(y)
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


class MatrixTarget(Target):
    """2-D targets: 0/1 indicators or soft labels, as multilabel (sigmoid) or,
    with ``target_type="multiclass"``, as one class a sample (softmax).

    Parameters
    ----------
    format : {"indicator", "soft"}
    loss : {"sigmoid", "softmax"}
    container : {"numpy", "sparse", "dataframe"}
        What ``predict`` returns, as ``y`` was given.
    dtype : dtype
        Of the predicted 0/1 values.
    columns : sequence or None
        The DataFrame's column labels (they name the classes), else None.
    n_columns : int
    """

    def __init__(
        self,
        format: str,
        loss: str,
        container: str,
        dtype: Any,
        columns: Any,
        n_columns: int,
    ) -> None:
        self.format = format
        self.loss = loss
        self._sparse = container == "sparse"
        self._dataframe = container == "dataframe"
        self._columns = columns
        self._dtype = np.dtype(dtype)
        self.classes_ = object_array(list(columns)) if self._dataframe else np.arange(n_columns)

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

    @classmethod
    def from_config(cls, config: dict) -> MatrixTarget:
        return cls(
            config["format"],
            config["loss"],
            config["container"],
            config["dtype"],
            config["columns"],
            config["n_columns"],
        )

    def fitted_on(self) -> str:
        if self.loss == "softmax":
            kind = "one-hot (or probability)"
        else:
            kind = "0/1 indicator" if self.format == "indicator" else "soft-label"
        return f"a {kind} matrix of {self.n_classes} columns"

    def _matrix(self, y: Any) -> np.ndarray:
        """``y`` as a float32 matrix of values in [0, 1], one column per class."""
        try:
            values = dense(y)
            if values.dtype.kind == "O":  # e.g. a list of rows mixing ints and floats
                values = values.astype(np.float64)
        except (TypeError, ValueError):  # rows of different lengths, or of labels
            raise self._mismatch(y) from None
        if values.ndim != 2 or values.dtype.kind not in "biuf":
            raise self._mismatch(y)
        if values.shape[1] != self.n_classes:
            raise ValueError(
                f"y has {values.shape[1]} columns, but the model was fitted on {self.fitted_on()}."
            )
        matrix = values.astype(np.float32)
        outside = ~((matrix >= 0) & (matrix <= 1))  # NaN included
        if outside.any():
            row, column = np.argwhere(outside)[0].tolist()
            raise ValueError(
                f"y holds {values[row, column].item()!r} at row {row}, column {column}, "
                f"but the model was fitted on {self.fitted_on()}: values must lie in [0, 1]."
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


class MultiOutputTarget(Target):
    """2-D class labels, one column per output (scikit-learn's
    ``multiclass-multioutput``): one softmax per output, each over its own
    block of the logits, as one label adapter per column.

    Parameters
    ----------
    outputs : list of LabelsTarget
        One per column of ``y``, in order.
    columns : list or None
        The DataFrame's column labels, else None (``y`` was an array).
    """

    format = "multioutput"
    loss = "multioutput"
    classes_: list[np.ndarray]
    # The valid rows of class codes when the outputs nest (see fit_paths);
    # a class attribute, so that models pickled before it decode as they did.
    paths: np.ndarray | None = None

    def __init__(self, outputs: list[LabelsTarget], columns: list | None) -> None:
        self._columns = columns
        self._dataframe = columns is not None
        self.outputs = outputs
        self.classes_ = [output.classes_ for output in outputs]

    @property
    def n_classes(self) -> int:
        return sum(self.output_sizes)

    @property
    def output_sizes(self) -> tuple[int, ...]:
        return tuple(len(classes) for classes in self.classes_)

    def split_outputs(self, matrix: np.ndarray) -> list[np.ndarray]:
        return np.split(matrix, np.cumsum(self.output_sizes)[:-1], axis=1)

    def fit_paths(self, encoded: np.ndarray) -> MultiOutputTarget:
        """Keep the training rows of class codes as the valid paths when the
        outputs nest: when one output (the finest, a leaf code) determines
        every other one, as the levels of a classification do (NACE's
        section, division, group, class). Returns self."""
        paths = np.unique(encoded, axis=0)
        finest = int(np.argmax(self.output_sizes))
        if len(self.outputs) > 1 and len(paths) == len(np.unique(encoded[:, finest])):
            self.paths = paths
        return self

    def argmax(self, logits: np.ndarray) -> np.ndarray:
        """Class index of each output, shape (n_samples, n_outputs): each
        output's most probable class, or for nested outputs (:meth:`fit_paths`)
        the valid path of the highest summed log-probability over the
        outputs, so that the codes predicted for a sample always form a path
        seen in training."""
        blocks = self.split_outputs(logits)
        if self.paths is None:
            return np.stack([block.argmax(axis=1) for block in blocks], axis=1)
        scores = sum(
            log_softmax(block, axis=1)[:, self.paths[:, k]] for k, block in enumerate(blocks)
        )
        return self.paths[scores.argmax(axis=1)]

    def same_classes(self, other: Target) -> bool:
        return isinstance(other, MultiOutputTarget) and [
            classes.tolist() for classes in self.classes_
        ] == [classes.tolist() for classes in other.classes_]

    def to_config(self) -> dict:
        return {
            "format": self.format,
            "outputs": [_labels_config(classes) for classes in self.classes_],
            "columns": None if self._columns is None else json_labels(self._columns),
            **({} if self.paths is None else {"paths": self.paths.tolist()}),
        }

    @classmethod
    def from_config(cls, config: dict) -> MultiOutputTarget:
        target = cls(
            [LabelsTarget.from_config(output) for output in config["outputs"]],
            config["columns"],
        )
        if "paths" in config:  # saved since nested outputs decode along paths
            target.paths = np.asarray(config["paths"], dtype=np.int64).reshape(
                -1, len(target.outputs)
            )
        return target

    def fitted_on(self) -> str:
        return f"2-D class labels in {len(self.outputs)} columns, one per output"

    def _columns_of(self, y: Any) -> list:
        columns = output_columns(y)
        if not columns:
            raise self._mismatch(y)
        if len(columns) != len(self.outputs):
            raise ValueError(
                f"y has {len(columns)} columns, but the model was fitted on {self.fitted_on()}."
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
            unseen = label_array(self._columns_of(y)[k])[codes[:, k] < 0][:5].tolist()
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
        codes = self._codes(y_true)
        return self.score_encoded(codes, decisions, _score_weights(sample_weight, len(decisions)))

    def score_encoded(
        self, encoded: np.ndarray, decisions: np.ndarray, weights: np.ndarray | None
    ) -> float:
        """Subset accuracy against class codes (-1 for unseen labels: misses)."""
        return float(np.average((decisions == encoded).all(axis=1), weights=weights))


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
        return object_array(values)
    return np.asarray(values, dtype=dtype)


# The adapter of each format, for target_from_config.
_ADAPTERS: dict[str, type[Target]] = {
    "labels": LabelsTarget,
    "ragged": RaggedTarget,
    "indicator": MatrixTarget,
    "soft": MatrixTarget,
    "multioutput": MultiOutputTarget,
}


def target_from_config(config: dict) -> Target:
    """Rebuild a fitted :class:`Target` from :meth:`Target.to_config` output."""
    adapter = _ADAPTERS.get(config["format"])
    if adapter is None:
        raise ValueError(f"unknown target format {config['format']!r}")
    return adapter.from_config(config)
