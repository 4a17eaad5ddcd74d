"""The compiled tokenizer: the hot path of ``kind="words"`` and ``"hash"``.

:mod:`sktext._tokenize` (Cython and C++, built by ``pip install``) scans the
words of :mod:`sktext.splitting`, looks them and their n-grams up in hash
tables and writes the CSR counts directly, without the GIL and on ``n_jobs``
threads over chunks of texts; :class:`sktext.tokenizer.Tokenizer` sends its
``fit_transform`` and ``transform`` there, and keeps the Python path for the
other kinds and where the extension is not built (a checkout used without
``pip install -e .``). The output is the Python path's, bit for bit:
``tests/test_compiled.py`` checks it against a pure-Python reference.

The character classes are not a second copy of the rules: the extension gets
them here, at import, from the very tables the Python path's regular
expressions are built of (:mod:`sktext.charclasses` and the CJK ranges of
:mod:`sktext.splitting`); ``\\w`` is the running Python's, as for ``re``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp

from .charclasses import MARKS_ASTRAL, MARKS_BMP, SYMBOLS_ASTRAL, SYMBOLS_BMP
from .splitting import CJK_RANGES, TOKEN_MARKS

try:
    from . import _tokenize
except ImportError:  # a checkout whose extension is not built: the Python path
    _tokenize = None

__all__ = [
    "AVAILABLE",
    "KINDS",
    "class_ranges",
    "counts_matrix",
    "disabled",
    "fit",
    "latin1_lowercase",
    "model",
    "transform",
]

#: Whether the extension is built and importable.
AVAILABLE = _tokenize is not None
#: The tokenizer kinds it serves; WordPiece and pretrained ones stay in Rust.
KINDS = ("words", "hash")

_ESCAPED_RANGE = re.compile(r"\\[uU]([0-9a-fA-F]+)(?:-\\[uU]([0-9a-fA-F]+))?")


def _parse(spec: str) -> list[tuple[int, int]]:
    """``\\uXXXX-\\uYYYY`` ranges (charclasses' format) as code-point pairs."""
    return [(int(a, 16), int(b or a, 16)) for a, b in _ESCAPED_RANGE.findall(spec)]


def class_ranges() -> tuple[list, list, list, list]:
    """The sorted ``(first, last)`` ranges of the CJK characters, combining
    marks, symbols and punctuation marks made tokens that the word rules read."""
    marks = _parse(MARKS_BMP) + _parse(MARKS_ASTRAL)
    symbols = _parse(SYMBOLS_BMP) + _parse(SYMBOLS_ASTRAL)
    token_marks = sorted((ord(c), ord(c)) for c in TOKEN_MARKS)
    return list(CJK_RANGES), sorted(marks), sorted(symbols), token_marks


def latin1_lowercase() -> bytes | None:
    """``str.lower()`` of each of the 256 Latin-1 characters, as bytes, if each
    is one Latin-1 character (so in every Python so far), else None."""
    lowered = [chr(c).lower() for c in range(256)]
    if any(len(c) != 1 or ord(c) > 255 for c in lowered):
        return None
    return bytes(ord(c) for c in lowered)


if AVAILABLE:
    _tokenize.set_classes(*class_ranges(), latin1_lowercase())


@contextmanager
def disabled() -> Iterator[None]:
    """No compiled code inside: tokenizers take the Python path and the bag
    model trains with torch's steps (:mod:`sktext.compiled_training` reads
    :data:`AVAILABLE` too). What the tests compare the compiled paths with,
    and the benchmarks time them against. Not thread-safe.

    Examples
    --------
    >>> from sktext.tokenizer import Tokenizer
    >>> with disabled():
    ...     Tokenizer(min_count=1).fit_transform(["a b", "b c"]).toarray()
    array([[1., 1., 0., 0., 1.],
           [1., 0., 1., 1., 0.]], dtype=float32)
    """
    global AVAILABLE
    before, AVAILABLE = AVAILABLE, False
    try:
        yield
    finally:
        AVAILABLE = before


def counts_matrix(arrays: tuple[np.ndarray, ...], shape: tuple[int, int]) -> sp.csr_matrix:
    """The ``(data, indices, indptr)`` of the extension as a CSR matrix,
    its indices sorted and without duplicates as they are written."""
    counts = sp.csr_matrix(arrays, shape=shape)
    counts.has_sorted_indices = True
    counts.has_canonical_format = True
    return counts


def model(
    hashed: bool,
    n_buckets: int,
    vocabulary: Sequence[str],
    base_features: bool,
    ngram_sizes: range,
    ngram_keys: list[np.ndarray],
    char_ngrams: tuple[int, int] | None,
    char_vocabulary: Sequence[str] | None,
) -> Any:
    """The fitted features as the extension's lookup tables."""
    return _tokenize.CompiledModel(
        hashed,
        n_buckets,
        list(vocabulary),
        base_features,
        (ngram_sizes.start, ngram_sizes.stop - 1),
        list(ngram_keys),
        (0, -1) if char_ngrams is None or hashed else tuple(char_ngrams),
        None if char_vocabulary is None else list(char_vocabulary),
    )


def fit(
    texts: Sequence[str],
    options: dict[str, Any],
    hashed: bool,
    n_buckets: int,
    min_count: int,
    base_features: bool,
    ngram_sizes: range,
    char_ngrams: tuple[int, int] | None,
) -> tuple[Any, list[np.ndarray], int, tuple[np.ndarray, ...]]:
    """Learn and count: ``(model, ngram_keys, n_features, csr arrays)``.
    ``options`` are ``form``, ``lowercase``, ``rules`` and ``n_jobs``."""
    return _tokenize.fit(
        texts,
        options["form"],
        options["lowercase"],
        options["rules"],
        options["n_jobs"],
        hashed,
        n_buckets,
        min_count,
        base_features,
        (ngram_sizes.start, ngram_sizes.stop - 1),
        (0, -1) if char_ngrams is None or hashed else tuple(char_ngrams),
    )


def transform(
    compiled_model: Any,
    texts: Sequence[str],
    options: dict[str, Any],
    column_map: np.ndarray | None,
    n_features: int,
) -> tuple[np.ndarray, ...]:
    """The csr arrays of the feature counts of ``texts``."""
    return _tokenize.transform(
        compiled_model,
        texts,
        options["form"],
        options["lowercase"],
        options["rules"],
        options["n_jobs"],
        column_map,
        n_features,
    )
