"""Pretrained word vectors, as fastText's ``-pretrainedVectors``: read, and
matched to the words of the training texts.

A source is the path of a ``.vec`` file (word2vec's text format, one word and
its numbers a line, after an optional ``n_words dim`` header line as fastText
writes it; gzipped if the name ends in ``.gz``), or a mapping word -> vector
(duck-typed: ``word in source`` and ``source[word]``, so that gensim's
``KeyedVectors`` work; its width is ``source.vector_size``, or that of its
first value).

Only the words of the training texts are looked for: a file is streamed and
the numbers of a line are parsed only when its word is one of them, so
memory holds the matched vectors, never the file.

Matching: the texts' words are what the tokenizer makes of them (after
``preprocessor``, ``normalize_unicode``, ``strip_accents`` and lowercasing).
A file's words are prepared the same way, and the first line whose prepared
word is a training word gives its vector (fastText's files are sorted by
frequency, so "the" wins over "The"); a word with a separator in it ("U.S.",
"don't") never matches, since texts never give such a word. A mapping is
looked up with the training words as they are: its keys must be in that form
(lowercase with ``lowercase=True``).
"""

from __future__ import annotations

import gzip
import itertools
import os
import warnings
from collections.abc import Callable, Collection, Iterable
from typing import Any, BinaryIO

import numpy as np

from .splitting import prepare

__all__ = ["WordVectors", "check_vectors", "vector_width"]

# Lines of a .vec file prepared and matched at a time: batches make the
# preparation of words cheap, and 8192 lines of 300 numbers hold about 20 MB
# (reading 200,000 such lines for 20,000 words peaked 87 MB above the
# imports' RSS; with 65,536-line batches, 470 MB).
_CHUNK = 8192


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def _open(path: str) -> BinaryIO:
    try:
        return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    except OSError as error:
        raise ValueError(f"cannot read the pretrained_vectors file {path!r}: {error}") from None


def _header(file: BinaryIO, path: str) -> tuple[int, bytes | None]:
    """The vectors' width from the first line of a .vec file, and that line
    if it is a vector (a file without fastText's header) rather than the header."""
    try:
        first = file.readline()
        fields = first.split()
        if len(fields) == 2 and all(field.isdigit() for field in fields):
            return int(fields[1]), None
        if len(fields) < 2:
            raise ValueError("its first line is neither 'n_words dim' nor a word and its vector")
        np.asarray(fields[1:], dtype=np.float32)
    except (OSError, EOFError, ValueError) as error:
        raise ValueError(
            f"pretrained_vectors {path!r} is not a word2vec text (.vec) file: {error}."
        ) from None
    return len(fields) - 1, first


def vector_width(source: Any) -> int | None:
    """The width of the vectors of ``source`` (None for no source).

    Raises ValueError if it cannot be told: an unreadable file, or a mapping
    with neither ``vector_size`` nor a first value.
    """
    if source is None:
        return None
    if _is_path(source):
        path = os.fspath(source)
        with _open(path) as file:
            return _header(file, path)[0]
    width = getattr(source, "vector_size", None)
    if width is None and callable(getattr(source, "values", None)):
        first = next(iter(source.values()), None)
        width = None if first is None else np.shape(first)[-1]
    if not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(
            "cannot tell the width of the pretrained_vectors mapping: it has no "
            "vector_size attribute and no first value to measure."
        )
    return int(width)


def check_vectors(params: dict[str, Any]) -> None:
    """Refuse ``pretrained_vectors`` where it cannot apply, and a ``dim``
    that disagrees with the vectors' width."""
    source = params.get("pretrained_vectors")
    if source is None:
        return
    if not _is_path(source) and not (
        hasattr(source, "__contains__") and hasattr(source, "__getitem__")
    ):
        raise ValueError(
            "pretrained_vectors must be the path of a .vec file or a mapping word -> "
            f"vector; got {type(source).__name__}."
        )
    if params["tokenizer"] != "words":
        raise ValueError(
            "pretrained_vectors requires tokenizer='words': hash buckets mix words with "
            "n-grams and subword tokenizers have no word rows for a word's vector."
        )
    if params["encoder"] == "bag" and not _has_unigrams(params["word_ngrams"]):
        raise ValueError(
            f"pretrained_vectors needs the words themselves as features; word_ngrams="
            f"{params['word_ngrams']!r} keeps only longer n-grams."
        )
    width = vector_width(source)
    if params["dim"] != "auto" and params["dim"] != width:
        raise ValueError(
            f"dim={params['dim']} disagrees with the pretrained vectors, which have "
            f"{width} dimensions: set dim='auto' (or dim={width})."
        )


def _has_unigrams(word_ngrams: Any) -> bool:
    return not isinstance(word_ngrams, tuple) or word_ngrams[0] == 1


class WordVectors:
    """The vectors of a source for the words of some texts.

    Parameters
    ----------
    source : path or mapping
        See the module docstring.
    prepare_words : callable
        ``list[str] -> list[str]``: a file's words as the texts' words are
        made (see :meth:`for_tokenizer`).

    Attributes
    ----------
    vectors : dict of str -> ndarray of shape (width,), float32
        The vectors found by :meth:`select`, by training word.
    """

    def __init__(self, source: Any, prepare_words: Callable[[list[str]], list[str]]) -> None:
        self.source = source
        self.prepare_words = prepare_words
        self.width = vector_width(source)
        self.vectors: dict[str, np.ndarray] = {}

    @classmethod
    def for_tokenizer(cls, source: Any, tokenizer: Any) -> WordVectors:
        """Vectors matched to the words of a :class:`~sktext.tokenizer.Tokenizer`:
        a file's words prepared with its options."""

        def prepare_words(words: list[str]) -> list[str]:
            prepared = prepare(
                words, tokenizer.preprocessor, tokenizer.strip_accents, tokenizer.normalize_unicode
            )
            return [word.lower() for word in prepared] if tokenizer.lowercase else list(prepared)

        return cls(source, prepare_words)

    def select(self, words: Collection[str]) -> set[str]:
        """Read the vectors of those of ``words`` the source has; return them.

        The tokenizer calls this with every distinct word of the training
        texts: the words returned are kept whatever ``min_count`` says.
        """
        wanted = set(words)
        if _is_path(self.source):
            self.vectors = self._read_file(os.fspath(self.source), wanted)
        else:
            self.vectors = {
                word: self._checked(self.source[word], word)
                for word in wanted
                if word in self.source
            }
        if wanted and not self.vectors:
            warnings.warn(
                "no word of the training texts has a pretrained vector: the model trains as "
                "without them (a mapping is looked up with the words as the texts give them, "
                "lowercased with lowercase=True).",
                UserWarning,
                stacklevel=2,
            )
        return set(self.vectors)

    def _read_file(self, path: str, wanted: set[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with _open(path) as file:
            _, first = _header(file, path)
            lines: Iterable[bytes] = file if first is None else itertools.chain([first], file)
            while chunk := list(itertools.islice(lines, _CHUNK)):
                heads = [line.split(b" ", 1) for line in chunk]
                words = self.prepare_words([h[0].decode("utf-8", "replace") for h in heads])
                for word, head in zip(words, heads, strict=True):
                    if word in wanted and word not in found and len(head) == 2:
                        found[word] = self._checked(head[1].split(), word)
        return found

    def _checked(self, vector: Any, word: str) -> np.ndarray:
        try:
            vector = np.asarray(vector, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(f"the pretrained vector of {word!r} is not numbers.") from None
        if vector.shape != (self.width,):
            raise ValueError(
                f"the pretrained vector of {word!r} has shape {vector.shape}; the vectors "
                f"are {self.width} wide."
            )
        if not np.isfinite(vector).all():
            raise ValueError(f"the pretrained vector of {word!r} holds NaN or infinite values.")
        return vector

    def rows(self, row_of: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, matrix)``: the table row of each found word (``row_of``;
        words without a row, e.g. dropped by ``max_features``, are left out)
        and its vector, rows in increasing order."""
        pairs = sorted((row_of[w], w) for w in self.vectors if row_of.get(w, -1) >= 0)
        rows = np.fromiter((row for row, _ in pairs), dtype=np.int64, count=len(pairs))
        matrix = np.zeros((len(pairs), self.width), dtype=np.float32)
        for i, (_, word) in enumerate(pairs):
            matrix[i] = self.vectors[word]
        return rows, matrix
