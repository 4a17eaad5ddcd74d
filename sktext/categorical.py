"""Categorical side features: category values to integer codes.

Each column gets its own vocabulary, learned in ``fit``: code 0 is "unknown"
(a category never seen in training), code 1 is "missing" (None, NaN, pandas
NA), and the categories seen follow, most frequent first. The model keeps
the unknown row of each embedding at zero and never trains it, so an unseen
category adds nothing rather than noise, and never raises.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["UNKNOWN", "MISSING", "CategoricalEncoder"]

UNKNOWN = 0
MISSING = 1
_MISSING = object()  # the key of every kind of missing value


def _key(value: Any) -> Any:
    """A dictionary key for ``value``: numpy scalars as Python ones, every
    missing value as one marker."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return _MISSING
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return _MISSING
    return value


class CategoricalEncoder:
    """Codes of the categories of each side column."""

    def fit(self, columns: Sequence[np.ndarray]) -> CategoricalEncoder:
        self.categories_ = []
        for column in columns:
            try:
                counts = Counter(key for key in map(_key, column) if key is not _MISSING)
            except TypeError as error:
                raise ValueError(f"categorical values must be hashable: {error}") from None
            ordered = sorted(counts, key=lambda c: (-counts[c], type(c).__name__, repr(c)))
            self.categories_.append(ordered)
        self._index = [{c: i + 2 for i, c in enumerate(cats)} for cats in self.categories_]
        return self

    @property
    def sizes(self) -> list[int]:
        """Embedding rows a column needs: its categories, unknown and missing."""
        return [len(categories) + 2 for categories in self.categories_]

    def transform(self, columns: Sequence[np.ndarray]) -> np.ndarray:
        """Codes, shape (n_samples, n_columns), int64."""
        if len(columns) != len(self.categories_):
            raise ValueError(
                f"X has {len(columns)} categorical columns; the model was fitted with "
                f"{len(self.categories_)}."
            )
        n_samples = len(columns[0]) if columns else 0
        codes = np.empty((n_samples, len(columns)), dtype=np.int64)
        for k, (column, index) in enumerate(zip(columns, self._index, strict=True)):
            keys = map(_key, column)
            codes[:, k] = [MISSING if key is _MISSING else index.get(key, UNKNOWN) for key in keys]
        return codes

    def get_state(self) -> list[list[Any]]:
        """The categories of each column, for JSON (str, int, float, bool only)."""
        for categories in self.categories_:
            for category in categories:
                if not isinstance(category, (str, int, float, bool)):
                    raise ValueError(
                        f"save() stores categories that are str, int, float or bool; got "
                        f"{type(category).__name__} ({category!r:.50}). Pickle the model instead."
                    )
        return [list(categories) for categories in self.categories_]

    @classmethod
    def from_state(cls, state: list[list[Any]]) -> CategoricalEncoder:
        encoder = cls()
        encoder.categories_ = [list(categories) for categories in state]
        encoder._index = [{c: i + 2 for i, c in enumerate(cats)} for cats in encoder.categories_]
        return encoder
