"""Base tokens to feature counts: vocabularies, n-grams, the counts matrix.

A :class:`Tokenizer` is fitted on the training texts (so cross-validation never
leaks vocabulary from held-out folds) and turns texts into a sparse
``(n_texts, n_features)`` matrix of token counts. The text side (preparing
texts and splitting them into base tokens) is :mod:`sktext.splitting`; this
module forms the features from the base tokens. Features are, in this order:

1. base tokens: whole words (``kind="words"``), subwords (``"wordpiece"``),
   the tokens of a ``"pretrained"`` tokenizer, or hashed words (``"hash"``);
2. word n-grams of 2..``word_ngrams`` consecutive base tokens (fastText's
   bigrams), identified by a 64-bit hash of their token ids;
3. optionally, character n-grams of each word (fastText's subwords), which give
   words never seen in training a representation.

Base tokens follow the rules of :mod:`sktext.splitting` (NFC normalisation,
combining marks inside words, emoji and question and exclamation marks as
tokens); a state saved before those rules existed keeps the earlier ones
(``word_rules=2``: no mark tokens; ``word_rules=1``: no normalisation
either), so saved models keep predicting as they did.
After counting, ``max_features`` may keep only the most frequent features.
Only n-grams seen at least ``min_count`` times in training become features,
so the embedding table grows with the data, not with a fixed bucket count
(``kind="hash"`` instead hashes words and n-grams into ``n_buckets`` rows).
Fit and transform count through one path, :meth:`Tokenizer._count`.
Every step is deterministic: vocabularies are ordered by (count desc, token).
For ``kind="words"`` and ``"hash"`` the counting runs compiled
(:mod:`sktext.compiled`: splitting, lookups and the counts matrix in C++, on
``n_jobs`` threads) with the very same output; the Python path below, whose
per-token work after splitting is vectorised in numpy, serves the other kinds
and checkouts where the extension is not built.
"""

from __future__ import annotations

import gc
import itertools
import numbers
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import compiled
from .splitting import (
    BUILT_IN,
    LEGACY_WORD_RULES,
    NORMALIZATION_FORMS,
    SPLITTERS,
    UNICODE_WORD_RULES,
    WORD_RULES,
    BaseTokens,
    SplitOptions,
    Splitter,
    ordered_vocabulary,
    prepare,
    resolve_tokenizer,
)

__all__ = ["BUILT_IN", "TOKENIZER_OPTIONS", "TokenFeatures", "Tokenizer", "resolve_tokenizer"]

# The Tokenizer parameters an estimator passes on under the same names: all
# but ``kind`` and ``pretrained``, which come from ``resolve_tokenizer``.
TOKENIZER_OPTIONS = (
    "lowercase",
    "normalize_unicode",
    "strip_accents",
    "preprocessor",
    "word_ngrams",
    "char_ngrams",
    "min_count",
    "max_features",
    "vocab_size",
    "n_buckets",
)

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd


def _hash_windows(ids: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of the ``n`` ids beginning at each of ``starts``."""
    key = ids[starts].astype(np.uint64)
    for j in range(1, n):
        # uint64 arithmetic wraps around: that is the hash.
        key = key * _MULTIPLIER + ids[starts + j].astype(np.uint64) + np.uint64(j)
    return key ^ (key >> np.uint64(31))


def _ngram_windows(ids: np.ndarray, doc: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and docs of the windows of ``n`` in-vocabulary tokens inside
    one document."""
    if len(ids) < n:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    last = len(ids) - n + 1
    valid = doc[:last] == doc[n - 1 :]
    known = ids >= 0
    for j in range(n):
        valid &= known[j : j + last]
    starts = np.flatnonzero(valid)
    return starts, doc[starts]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while tokenizing.

    Splitting makes one list a text: hundreds of thousands of new container
    objects, which trigger collections that scan every live object. They
    create no reference cycles, so pausing the collector loses nothing, and it
    halved predict time on 10,000 short texts (46,000 -> 92,000 docs/s).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Tokenizer:
    """Learns a vocabulary from texts and counts its features in texts.

    Parameters
    ----------
    kind : {"words", "wordpiece", "hash", "pretrained"}
        Base tokens: regex words with a learned vocabulary, WordPiece
        subwords, regex words hashed with their n-grams into ``n_buckets``
        rows (no vocabulary: nothing to learn, any word gets a row), or the
        tokens of the ``pretrained`` Hugging Face tokenizer, used as is.
    lowercase : bool
        Lowercase texts before splitting.
    word_ngrams : int or tuple (min_n, max_n)
        Word n-gram lengths: ``n`` means ``(1, n)``; with ``min_n > 1`` the
        base tokens only serve to form n-grams and are not features.
    char_ngrams : tuple of int or None
        ``(min_n, max_n)`` character n-grams of each word (with ``<``/``>``
        marking word boundaries), or None for none.
    min_count : int
        Words (``kind="words"``), word n-grams and character n-grams seen
        fewer times in training are not features.
    vocab_size : int
        Size of the WordPiece vocabulary (``kind="wordpiece"`` only).
    n_buckets : int
        Rows shared by hashed words and n-grams (``kind="hash"`` only).
    pretrained : tokenizers.Tokenizer or None
        The tokenizer of ``kind="pretrained"``.
    strip_accents : None, "ascii" or "unicode"
        Remove accents as ``TfidfVectorizer`` does, before lowercasing.
    preprocessor : callable or None
        ``str -> str`` applied to each text first.
    max_features : int or None
        Keep only the ``max_features`` features (tokens and n-grams together)
        most frequent in training, ties to the earlier feature.
    normalize_unicode : {"NFC", "NFKC"} or None
        Unicode normal form texts are put in after ``preprocessor`` and
        before ``strip_accents`` and lowercasing, or None for none.
    word_rules : {1, 2, 3}
        Version of the rules that split words (``kind="words"`` and
        ``"hash"``, :mod:`sktext.splitting`): 3 makes each question or
        exclamation mark a token; 2, the rules of models saved before,
        keeps combining marks inside words and makes emoji tokens; 1, those
        of models saved before 2, does neither.
    """

    def __init__(
        self,
        kind: str = "words",
        lowercase: bool = True,
        word_ngrams: int = 2,
        char_ngrams: tuple[int, int] | None = None,
        min_count: int = 2,
        vocab_size: int = 30000,
        n_buckets: int = 2**20,
        pretrained: Any = None,
        strip_accents: str | None = None,
        preprocessor: Callable[[str], str] | None = None,
        max_features: int | None = None,
        normalize_unicode: str | None = "NFC",
        word_rules: int = WORD_RULES,
    ) -> None:
        if kind not in SPLITTERS:
            raise ValueError(f"kind must be one of {tuple(SPLITTERS)}; got {kind!r}.")
        if normalize_unicode not in NORMALIZATION_FORMS:
            raise ValueError(
                f"normalize_unicode must be one of {NORMALIZATION_FORMS}; "
                f"got {normalize_unicode!r}."
            )
        if word_rules not in (LEGACY_WORD_RULES, UNICODE_WORD_RULES, WORD_RULES):
            raise ValueError(
                f"word_rules must be {LEGACY_WORD_RULES}, {UNICODE_WORD_RULES} or {WORD_RULES}; "
                f"got {word_rules!r}."
            )
        self.kind = kind
        self.lowercase = lowercase
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_count = min_count
        self.vocab_size = vocab_size
        self.n_buckets = n_buckets
        self.pretrained = pretrained
        self.strip_accents = strip_accents
        self.preprocessor = preprocessor
        self.max_features = max_features
        self.normalize_unicode = normalize_unicode
        self.word_rules = word_rules
        self._splitter = self._new_splitter()

    def _new_splitter(self) -> Splitter:
        options = SplitOptions(
            lowercase=self.lowercase,
            min_count=self.min_count,
            vocab_size=self.vocab_size,
            n_buckets=self.n_buckets,
            pretrained=self.pretrained,
            word_rules=self.word_rules,
        )
        return SPLITTERS[self.kind](options)

    def __getstate__(self) -> dict[str, Any]:
        # The compiled tables are rebuilt from the vocabularies when needed.
        state = self.__dict__.copy()
        state.pop("_compiled", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A pickle from before the Unicode rules keeps the rules it was
        # fitted with: no normalisation, the legacy words.
        self.__dict__.update({"normalize_unicode": None, "word_rules": LEGACY_WORD_RULES})
        self.__dict__.update(state)
        if "_splitter" not in state:
            # Pickled before splitters existed, when the Tokenizer itself held
            # the vocabulary and the WordPiece backend: hand them to one.
            self._splitter = self._new_splitter()
            vocabulary = self.__dict__.pop("vocabulary_", None)
            backend = self.__dict__.pop("_backend", None)
            if vocabulary is not None:
                wordpiece = None if backend is None else backend.to_str()
                self._splitter.set_state({"vocabulary": list(vocabulary), "wordpiece": wordpiece})

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Base token -> id (empty for ``kind="hash"``)."""
        return self._splitter.vocabulary

    @property
    def n_base_tokens(self) -> int:
        """Distinct base-token ids: the vocabulary, or the hash buckets."""
        return self._splitter.n_base_tokens

    # -- options -----------------------------------------------------------
    def _prepare(self, texts: Sequence[str]) -> Sequence[str]:
        return prepare(texts, self.preprocessor, self.strip_accents, self.normalize_unicode)

    def _ngram_range(self) -> tuple[int, int]:
        if isinstance(self.word_ngrams, numbers.Integral):
            return 1, int(self.word_ngrams)
        low, high = self.word_ngrams
        return int(low), int(high)

    def _ngram_sizes(self) -> range:
        """Lengths of the word n-grams (2 or more) that are features."""
        low, high = self._ngram_range()
        return range(max(low, 2), high + 1)

    def _n_base_features(self) -> int:
        return len(self.vocabulary_) if self._ngram_range()[0] == 1 else 0

    def _char_offset(self) -> int:
        """The first column of character n-grams (after the word n-grams)."""
        return self._n_base_features() + sum(map(len, self.ngram_keys_))

    # -- public ------------------------------------------------------------
    @_gc_paused()
    def fit_transform(
        self,
        texts: Sequence[str],
        keep: Callable[[Collection[str]], Collection[str]] | None = None,
        n_jobs: int = 1,
    ) -> sp.csr_matrix:
        """Learn the vocabulary from ``texts`` and return their feature counts,
        tokenized on ``n_jobs`` threads (the compiled path; the result is the
        same whatever ``n_jobs``).

        ``keep`` (``kind="words"`` only): given the distinct words of the
        texts, those to keep whatever ``min_count`` says (that fit takes the
        Python path).
        """
        return self._count(texts, fit=True, keep=keep, n_jobs=n_jobs)

    @_gc_paused()
    def transform(self, texts: Sequence[str], n_jobs: int = 1) -> sp.csr_matrix:
        """Feature counts of ``texts``; unknown tokens and n-grams are ignored."""
        return self._count(texts, fit=False, n_jobs=n_jobs)

    @_gc_paused()
    def sequences(self, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
        """The base tokens of each text, in order, as flat ids shifted by 2 (0
        is padding, 1 a token outside the vocabulary), cut to the first
        ``max_length``; and the length of each. An empty text is one unknown
        token, so that attention always has something to attend to."""
        tokens = self._splitter.split(self._prepare(texts))
        lengths = tokens.lengths
        ids = np.where(tokens.ids >= 0, tokens.ids + 2, 1)
        # Keep each text's first max_length tokens.
        starts = np.cumsum(lengths) - lengths
        kept = np.minimum(lengths, max_length)
        position = np.repeat(starts - (np.cumsum(kept) - kept), kept) + np.arange(kept.sum())
        ids = ids[position]
        empty = np.flatnonzero(kept == 0)
        if len(empty):
            ids = np.insert(ids, (np.cumsum(kept) - kept)[empty], 1)
            kept[empty] = 1
        return ids, kept

    def token_features(self, text: str) -> TokenFeatures:
        """The base tokens of one text, their character spans, and which
        features each token takes part in: its own, a share of every word
        n-gram it belongs to, its character n-grams. Spans index the text
        after ``preprocessor``, ``normalize_unicode`` and ``strip_accents``,
        returned as ``text``."""
        (text,) = self._prepare([text])
        tokens, spans, base = self._splitter.locate(text)
        token, feature, share = self._token_feature_pairs(base)
        column_map = getattr(self, "column_map_", None)
        if column_map is not None:
            feature = column_map[feature]
            kept = feature >= 0
            token, feature, share = token[kept], feature[kept], share[kept]
        return TokenFeatures(text, tokens, spans, token, feature, share)

    # -- counting ----------------------------------------------------------
    def _count(
        self,
        texts: Sequence[str],
        fit: bool,
        keep: Callable[[Collection[str]], Collection[str]] | None = None,
        n_jobs: int = 1,
    ) -> sp.csr_matrix:
        """Feature counts of ``texts``, learning the features first if ``fit``
        (as ``CountVectorizer._count_vocab`` does with ``fixed_vocab``)."""
        if keep is None and compiled.AVAILABLE and self.kind in compiled.KINDS:
            return self._compiled_count(texts, fit, n_jobs)
        texts = self._prepare(texts)
        if fit:
            self.column_map_ = None
            # Only a vocabulary of words keeps words (check_vectors refuses the other kinds).
            tokens = (
                self._splitter.fit_split(texts)
                if keep is None
                else self._splitter.fit_split(texts, keep=keep)
            )
        else:
            tokens = self._splitter.split(texts)
        doc = np.repeat(np.arange(len(texts)), tokens.lengths)
        if fit:
            self._fit_features(tokens, doc)
        counts = self._pairs_to_counts(*self._pairs(tokens, doc), len(texts))
        return self._limit(counts) if fit else counts

    # -- the compiled path (sktext.compiled) -------------------------------
    def _compiled_count(self, texts: Sequence[str], fit: bool, n_jobs: int) -> sp.csr_matrix:
        """:meth:`_count` by the extension: the same features and counts."""
        form = self.normalize_unicode
        if self.preprocessor is not None or self.strip_accents is not None:
            # Rare options: prepared in Python, then normalised already.
            texts, form = self._prepare(texts), None
        options = {"form": form, "lowercase": self.lowercase, "rules": self.word_rules}
        options["n_jobs"] = n_jobs
        hashed = self._splitter.hashed
        if not fit:
            n_features = getattr(self, "n_features_", self.n_buckets)
            column_map = getattr(self, "column_map_", None)
            model = self._compiled_model()
            arrays = compiled.transform(model, texts, options, column_map, n_features)
            return compiled.counts_matrix(arrays, (len(texts), n_features))
        self.column_map_ = None
        model, self.ngram_keys_, _, arrays = compiled.fit(
            texts, options, hashed, self.n_buckets, self.min_count,
            self._ngram_range()[0] == 1, self._ngram_sizes(), self.char_ngrams,
        )  # fmt: skip
        if hashed:
            self.n_features_ = self.n_buckets
        else:
            self._splitter.vocabulary = {t: i for i, t in enumerate(model.vocabulary())}
            if self.char_ngrams is not None:
                self.char_vocabulary_ = {t: i for i, t in enumerate(model.char_vocabulary())}
            self.n_features_ = self._char_offset() + len(getattr(self, "char_vocabulary_", ()))
        self._compiled = (model, *self._compiled_sources())
        return self._limit(compiled.counts_matrix(arrays, (len(texts), self.n_features_)))

    def _compiled_sources(self) -> tuple:
        """What the extension's tables are built from."""
        ngram_keys = getattr(self, "ngram_keys_", [])
        return self.vocabulary_, ngram_keys, getattr(self, "char_vocabulary_", None)

    def _compiled_model(self) -> Any:
        """The extension's tables of the fitted features, built once: again
        only when what they were built from was replaced (a loaded state)."""
        sources = self._compiled_sources()
        cached = self.__dict__.get("_compiled")
        if cached is None or any(a is not b for a, b in zip(cached[1:], sources, strict=True)):
            vocabulary, ngram_keys, char_vocabulary = sources
            if list(vocabulary.values()) != list(range(len(vocabulary))):
                vocabulary = sorted(vocabulary, key=vocabulary.__getitem__)
            model = compiled.model(
                self._splitter.hashed, self.n_buckets, vocabulary, self._ngram_range()[0] == 1,
                self._ngram_sizes(), ngram_keys, self.char_ngrams, char_vocabulary,
            )  # fmt: skip
            self._compiled = cached = (model, *sources)
        return cached[0]

    def _fit_features(self, tokens: BaseTokens, doc: np.ndarray) -> None:
        """Learn the word n-gram keys and character n-grams kept by ``min_count``."""
        if self._splitter.hashed:  # n-grams share the buckets: nothing to learn
            self.ngram_keys_, self.n_features_ = [], self.n_buckets
            return
        self.ngram_keys_ = []
        for n in self._ngram_sizes():
            starts, _ = _ngram_windows(tokens.ids, doc, n)
            keys, counts = np.unique(_hash_windows(tokens.keys, starts, n), return_counts=True)
            self.ngram_keys_.append(keys[counts >= self.min_count])
        if tokens.words is not None and self.char_ngrams is not None:
            self._fit_char_ngrams(tokens.words)
        self.n_features_ = self._char_offset() + len(getattr(self, "char_vocabulary_", ()))

    def _pairs(self, tokens: BaseTokens, doc: np.ndarray) -> tuple[list, list]:
        """(document, feature) pairs: base tokens, word n-grams, char n-grams."""
        rows, cols = [], []
        if self._ngram_range()[0] == 1:
            known = tokens.ids >= 0
            rows.append(doc[known])
            cols.append(tokens.ids[known])
        for _, _, ngram_doc, columns in self._ngram_columns(tokens, doc):
            rows.append(ngram_doc)
            cols.append(columns)
        if tokens.words is not None and self.char_ngrams is not None:
            char_doc, char_ids = self._char_features(tokens.words, doc)
            rows.append(char_doc)
            cols.append(self._char_offset() + char_ids)
        return rows, cols

    def _ngram_columns(
        self, tokens: BaseTokens, doc: np.ndarray
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """For each n-gram length ``n``: ``(n, starts, docs, columns)`` of the
        word n-grams that are features, hashed into the splitter's buckets or
        looked up among the keys learned in fit."""
        offset = self._n_base_features()
        for i, n in enumerate(self._ngram_sizes()):
            starts, ngram_doc = _ngram_windows(tokens.ids, doc, n)
            window = _hash_windows(tokens.keys, starts, n)
            if self._splitter.hashed:
                yield n, starts, ngram_doc, (window % np.uint64(self.n_buckets)).astype(np.int64)
                continue
            keys = self.ngram_keys_[i]
            position = np.minimum(np.searchsorted(keys, window), max(len(keys) - 1, 0))
            hit = keys[position] == window if len(keys) else np.zeros(len(window), bool)
            yield n, starts[hit], ngram_doc[hit], offset + position[hit]
            offset += len(keys)

    def _pairs_to_counts(self, rows: list, cols: list, n_texts: int) -> sp.csr_matrix:
        empty = np.empty(0, np.int64)
        row = np.concatenate([empty, *rows])
        col = np.concatenate([empty, *cols])
        # The hash kind needs no fit: unfitted, every bucket is a feature.
        column_map = getattr(self, "column_map_", None)
        if column_map is not None:  # max_features: drop the other columns
            col = column_map[col]
            kept = col >= 0
            row, col = row[kept], col[kept]
        return _csr(row, col, (n_texts, getattr(self, "n_features_", self.n_buckets)))

    def _limit(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Apply ``max_features`` to freshly fitted counts."""
        if self.max_features is None or self.n_features_ <= self.max_features:
            return counts
        totals = np.bincount(counts.indices, weights=counts.data, minlength=self.n_features_)
        # A stable sort of -totals keeps the earlier column among equals.
        kept = np.sort(np.argsort(-totals, kind="stable")[: self.max_features])
        self.column_map_ = np.full(self.n_features_, -1, dtype=np.int64)
        self.column_map_[kept] = np.arange(len(kept))
        self.n_features_ = len(kept)
        return counts[:, kept]

    # -- character n-grams -------------------------------------------------
    def _grams(self, word: str) -> list[str]:
        low, high = self.char_ngrams
        marked = f"<{word}>"
        return [marked[i : i + n] for n in range(low, high + 1) for i in range(len(marked) - n + 1)]

    def _fit_char_ngrams(self, words: list[list[str]]) -> None:
        gram_counts: Counter = Counter()
        for word, count in Counter(itertools.chain.from_iterable(words)).items():
            for gram in self._grams(word):
                gram_counts[gram] += count
        self.char_vocabulary_ = ordered_vocabulary(gram_counts, self.min_count)

    def _char_features(
        self, words: list[list[str]], doc: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(doc, feature) pairs of the character n-grams of every word."""
        unique = {w: i for i, w in enumerate(set(itertools.chain.from_iterable(words)))}
        local = np.fromiter(
            map(unique.__getitem__, itertools.chain.from_iterable(words)),
            dtype=np.int64,
            count=len(doc),
        )
        vocab = self.char_vocabulary_
        per_word = [[vocab[g] for g in self._grams(w) if g in vocab] for w in unique]
        lengths = np.fromiter(map(len, per_word), dtype=np.int64, count=len(per_word))
        pointer = np.concatenate([[0], np.cumsum(lengths)])
        gram_ids = np.fromiter(
            itertools.chain.from_iterable(per_word), dtype=np.int64, count=pointer[-1]
        )
        token_lengths = lengths[local]
        total = int(token_lengths.sum())
        token_start = np.cumsum(token_lengths) - token_lengths
        position = np.repeat(pointer[local] - token_start, token_lengths) + np.arange(total)
        return np.repeat(doc, token_lengths), gram_ids[position]

    # -- explanations ------------------------------------------------------
    def _token_feature_pairs(self, base: BaseTokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(token index, feature, share) triples for one text; an n-gram
        gives each of its n tokens a share of 1/n."""
        positions = np.arange(len(base.ids))
        doc = np.zeros(len(base.ids), dtype=np.int64)
        pairs = []
        if self._ngram_range()[0] == 1:
            known = base.ids >= 0
            pairs.append((positions[known], base.ids[known], 1.0))
        for n, starts, _, columns in self._ngram_columns(base, doc):
            for j in range(n):
                pairs.append((starts + j, columns, 1.0 / n))
        if base.words is not None and self.char_ngrams is not None:
            (words,) = base.words
            vocab = self.char_vocabulary_
            grams = [
                (i, vocab[g]) for i, w in enumerate(words) for g in self._grams(w) if g in vocab
            ]
            if grams:
                index, gram = np.asarray(grams, dtype=np.int64).T
                pairs.append((index, self._char_offset() + gram, 1.0))
        if not pairs:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0)
        token = np.concatenate([p[0] for p in pairs]).astype(np.int64)
        feature = np.concatenate([p[1] for p in pairs]).astype(np.int64)
        share = np.concatenate([np.full(len(p[0]), p[2]) for p in pairs])
        return token, feature, share

    # -- saving ------------------------------------------------------------
    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-ready settings and vocabularies, plus the n-gram key arrays.
        A ``preprocessor`` is code, not data: it is not part of the state."""
        split_state = self._splitter.get_state()
        config = {
            "kind": self.kind,
            "lowercase": self.lowercase,
            "word_ngrams": list(self._ngram_range()),
            "char_ngrams": None if self.char_ngrams is None else list(self.char_ngrams),
            "min_count": self.min_count,
            "vocab_size": self.vocab_size,
            "n_buckets": self.n_buckets,
            "strip_accents": self.strip_accents,
            "max_features": self.max_features,
            "normalize_unicode": self.normalize_unicode,
            "word_rules": self.word_rules,
            "vocabulary": split_state["vocabulary"],
            "char_vocabulary": (
                list(self.char_vocabulary_) if hasattr(self, "char_vocabulary_") else None
            ),
            "wordpiece": split_state["wordpiece"],
            "n_features": self.n_features_,
        }
        # zip without strict: the hash kind hashes its n-grams and keeps no keys.
        arrays = {
            f"ngram_keys.{n}": k
            for n, k in zip(self._ngram_sizes(), self.ngram_keys_, strict=False)
        }
        if self.column_map_ is not None:
            arrays["column_map"] = self.column_map_
        return config, arrays

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> Tokenizer:
        """Inverse of :meth:`get_state`.

        Raises
        ------
        ValueError
            If the state names an unknown ``kind``, normal form or rules
            version, or lacks what its kind needs (the tokenizer JSON of
            ``"wordpiece"`` and ``"pretrained"``). A state without
            ``normalize_unicode`` and ``word_rules`` (written before they
            existed) gets the rules of then: no normalisation, rules 1.
        """
        kind = config["kind"]
        if kind not in SPLITTERS:
            raise ValueError(
                f"the tokenizer state's field 'kind' is {kind!r}, not one of {tuple(SPLITTERS)}."
            )
        char_ngrams = config["char_ngrams"]
        word_ngrams = config["word_ngrams"]
        tokenizer = cls(
            kind=kind,
            lowercase=bool(config["lowercase"]),
            word_ngrams=(
                int(word_ngrams) if isinstance(word_ngrams, int) else tuple(map(int, word_ngrams))
            ),
            char_ngrams=None if char_ngrams is None else tuple(char_ngrams),
            min_count=int(config["min_count"]),
            vocab_size=int(config["vocab_size"]),
            n_buckets=int(config["n_buckets"]),
            strip_accents=config.get("strip_accents"),
            max_features=config.get("max_features"),
            normalize_unicode=config.get("normalize_unicode"),
            word_rules=config.get("word_rules", LEGACY_WORD_RULES),
        )
        tokenizer._splitter.set_state(config)
        tokenizer.pretrained = tokenizer._splitter.pretrained
        if config["char_vocabulary"] is not None:
            tokenizer.char_vocabulary_ = {t: i for i, t in enumerate(config["char_vocabulary"])}
        tokenizer.ngram_keys_ = (
            []  # hashed n-grams need no keys
            if tokenizer._splitter.hashed
            else [arrays[f"ngram_keys.{n}"] for n in tokenizer._ngram_sizes()]
        )
        tokenizer.column_map_ = arrays.get("column_map")
        tokenizer.n_features_ = int(config["n_features"])
        return tokenizer


@dataclass
class TokenFeatures:
    """What :meth:`Tokenizer.token_features` finds in one text."""

    text: str
    tokens: list[str]
    spans: list[tuple[int, int]]
    token: np.ndarray  # token index of each (token, feature) pair
    feature: np.ndarray  # feature (column) of each pair
    share: np.ndarray  # the token's share of the feature: 1, or 1/n for an n-gram


def _csr(row: np.ndarray, col: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """(document, feature) pairs as a matrix of counts with sorted indices."""
    counts = sp.csr_matrix((np.ones(len(row), dtype=np.float32), (row, col)), shape=shape)
    counts.sum_duplicates()
    return counts
