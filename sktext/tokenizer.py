"""Text to ids: the one module that reads strings.

A :class:`Tokenizer` is fitted on the training texts (so cross-validation never
leaks vocabulary from held-out folds) and turns texts into a sparse
``(n_texts, n_features)`` matrix of token counts. Features are, in this order:

1. base tokens: whole words (``kind="words"``, split by a regular expression)
   or subwords (``kind="wordpiece"``, a WordPiece vocabulary trained with the
   ``tokenizers`` library and encoded with its multi-threaded batch encoder);
2. word n-grams of 2..``word_ngrams`` consecutive base tokens (fastText's
   bigrams), identified by a 64-bit hash of their token ids;
3. optionally, character n-grams of each word (fastText's subwords), which give
   words never seen in training a representation.

Before splitting, texts pass through an optional ``preprocessor`` and accent
stripping; after counting, ``max_features`` may keep only the most frequent
features. Only n-grams seen at least ``min_count`` times in training become features,
so the embedding table grows with the data, not with a fixed bucket count.
Every step is deterministic: vocabularies are ordered by (count desc, token).
All per-token work after splitting is vectorised in numpy.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import numbers
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["TokenFeatures", "Tokenizer", "resolve_tokenizer"]

BUILT_IN = ("words", "wordpiece", "hash")
# The Tokenizer's options that are the estimator's parameters of the same name.
TOKENIZER_OPTIONS = (
    "lowercase",
    "strip_accents",
    "preprocessor",
    "word_ngrams",
    "char_ngrams",
    "min_count",
    "max_features",
    "vocab_size",
    "n_buckets",
)

_WORD = re.compile(r"\w+")
# Chinese and Japanese write words without spaces, so ``\w+`` would make a
# whole sentence one token. Their ideographs and kana become one token each
# instead; word bigrams then pair adjacent characters, much like words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_WORD_OR_CJK = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd


def _hash_windows(ids: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of the ``n`` ids beginning at each of ``starts``."""
    key = ids[starts].astype(np.uint64)
    for j in range(1, n):
        # uint64 arithmetic wraps around: that is the hash.
        key = key * _MULTIPLIER + ids[starts + j].astype(np.uint64) + np.uint64(j)
    return key ^ (key >> np.uint64(31))


# Every ASCII character that ``\w`` does not match, mapped to a space.
_ASCII_NON_WORD = str.maketrans(
    {chr(i): " " for i in range(128) if not (chr(i).isalnum() or chr(i) == "_")}
)


def _words(text: str) -> list[str]:
    """The ``\\w+`` runs of ``text``, CJK characters one by one. On ASCII text
    (most of it in practice) ``translate`` + ``split`` finds exactly the same
    runs twice as fast as the regular expression, which is the hottest line of
    tokenization."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD).split()
    if _HAS_CJK.search(text) is None:
        return _WORD.findall(text)
    return _WORD_OR_CJK.findall(text)


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


def _stable_hash(word: str) -> int:
    """64-bit hash of a word, the same in every process (unlike ``hash``)."""
    digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def resolve_tokenizer(spec: Any) -> tuple[str, Any]:
    """``(kind, backend)`` for a ``tokenizer`` parameter: a built-in kind (no
    backend), or a pretrained Hugging Face tokenizer given as a
    ``tokenizers.Tokenizer`` (copied, so later changes to it do not reach the
    model) or as the path of a ``tokenizer.json``."""
    from tokenizers import Tokenizer as HFTokenizer

    if isinstance(spec, str) and spec in BUILT_IN:
        return spec, None
    if isinstance(spec, HFTokenizer):
        return "pretrained", HFTokenizer.from_str(spec.to_str())
    if isinstance(spec, (str, os.PathLike)):
        path = os.fspath(spec)
        if not path.endswith(".json"):
            raise ValueError(
                f"tokenizer must be one of {BUILT_IN}, a tokenizers.Tokenizer or the path "
                f"of a tokenizer.json file; got {spec!r}."
            )
        try:
            return "pretrained", HFTokenizer.from_file(path)
        except Exception as error:  # the Rust side raises plain Exceptions
            raise ValueError(f"cannot read the tokenizer file {path!r}: {error}") from None
    raise ValueError(
        f"tokenizer must be one of {BUILT_IN}, a tokenizers.Tokenizer or the path of a "
        f"tokenizer.json file; got {type(spec).__name__}."
    )


def _encodable(texts: Sequence[str]) -> list[str]:
    """Texts the Rust tokenizer accepts: lone surrogates (invalid UTF-8, yet
    legal in a Python str) become U+FFFD instead of raising."""
    out = list(texts)
    for i, text in enumerate(out):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            out[i] = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return out


def _ordered_vocabulary(counts: Counter, min_count: int) -> dict[str, int]:
    kept = [token for token, c in counts.items() if c >= min_count]
    kept.sort(key=lambda token: (-counts[token], token))
    return {token: i for i, token in enumerate(kept)}


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
    ) -> None:
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

    # -- text and n-gram options -------------------------------------------
    def _prepare(self, texts: Sequence[str]) -> Sequence[str]:
        """Texts after ``preprocessor`` and ``strip_accents`` (lowercasing is
        left to each kind of splitting)."""
        steps = []
        if self.preprocessor is not None:
            steps.append(self._preprocess)
        if self.strip_accents is not None:
            from sklearn.feature_extraction.text import strip_accents_ascii, strip_accents_unicode

            steps.append(
                strip_accents_ascii if self.strip_accents == "ascii" else strip_accents_unicode
            )
        if not steps:  # the common case costs nothing
            return texts
        out = list(texts)
        for step in steps:
            out = list(map(step, out))
        return out

    def _preprocess(self, text: str) -> str:
        out = self.preprocessor(text)
        if not isinstance(out, str):
            raise TypeError(
                f"preprocessor must return a str, it returned {type(out).__name__} "
                f"for {text[:50]!r}."
            )
        return out

    def _ngram_range(self) -> tuple[int, int]:
        if isinstance(self.word_ngrams, numbers.Integral):
            return 1, int(self.word_ngrams)
        low, high = self.word_ngrams
        return int(low), int(high)

    def _ngram_sizes(self) -> range:
        """Lengths of the word n-grams (2 or more) that are features."""
        low, high = self._ngram_range()
        return range(max(low, 2), high + 1)

    # -- base tokens -------------------------------------------------------
    def _split(self, texts: Sequence[str]) -> list[list[str]]:
        if self.lowercase:
            return [_words(text.lower()) for text in texts]
        return [_words(text) for text in texts]

    def _fit_words(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        words = self._split(texts)
        counts = Counter(itertools.chain.from_iterable(words))
        self.vocabulary_ = _ordered_vocabulary(counts, self.min_count)
        if self.char_ngrams is not None:
            self._fit_char_ngrams(counts)
        return self._word_ids(words), words

    def _word_ids(self, words: list[list[str]]) -> np.ndarray:
        """Flat vocabulary ids of the words, -1 for out-of-vocabulary ones."""
        n_tokens = sum(map(len, words))
        return np.fromiter(
            map(self.vocabulary_.get, itertools.chain.from_iterable(words), itertools.repeat(-1)),
            dtype=np.int64,
            count=n_tokens,
        )

    def _fit_wordpiece(self, texts: Sequence[str]) -> None:
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers import models, normalizers, pre_tokenizers, trainers

        backend = HFTokenizer(models.WordPiece(unk_token="[UNK]"))
        backend.normalizer = normalizers.BertNormalizer(
            clean_text=True,
            handle_chinese_chars=True,
            strip_accents=None,
            lowercase=self.lowercase,
        )
        backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(
            vocab_size=self.vocab_size, special_tokens=["[UNK]"], show_progress=False
        )
        backend.train_from_iterator(_encodable(texts), trainer)
        # The trainer breaks ties between equal counts in hash-map order, so ids
        # change from run to run; sorting the learned tokens makes ids a function
        # of the token set alone.
        tokens = sorted(backend.get_vocab(), key=lambda t: (t != "[UNK]", t))
        backend.model = models.WordPiece(
            vocab={t: i for i, t in enumerate(tokens)}, unk_token="[UNK]"
        )
        self._backend = backend
        self.vocabulary_ = {t: i for i, t in enumerate(tokens)}

    def _wordpiece_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self._backend.encode_batch(_encodable(texts), add_special_tokens=False)
        lengths = np.fromiter(map(len, encodings), dtype=np.int64, count=len(encodings))
        if not encodings:
            return np.empty(0, np.int64), lengths
        ids = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in encodings])
        return ids, lengths

    # -- character n-grams -------------------------------------------------
    def _grams(self, word: str) -> list[str]:
        low, high = self.char_ngrams
        marked = f"<{word}>"
        return [marked[i : i + n] for n in range(low, high + 1) for i in range(len(marked) - n + 1)]

    def _fit_char_ngrams(self, word_counts: Counter) -> None:
        gram_counts: Counter = Counter()
        for word, count in word_counts.items():
            for gram in self._grams(word):
                gram_counts[gram] += count
        self.char_vocabulary_ = _ordered_vocabulary(gram_counts, self.min_count)

    def _char_features(self, words: list[list[str]], doc: np.ndarray):
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

    # -- word n-grams ------------------------------------------------------
    def _ngram_windows(self, ids: np.ndarray, doc: np.ndarray, n: int):
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

    def _fit_ngrams(self, ids: np.ndarray, doc: np.ndarray) -> list:
        """Learn the n-gram keys; return each n's (document, key index) pairs."""
        self.ngram_keys_ = []
        found = []
        for n in self._ngram_sizes():
            starts, ngram_doc = self._ngram_windows(ids, doc, n)
            keys, inverse, counts = np.unique(
                _hash_windows(ids, starts, n), return_inverse=True, return_counts=True
            )
            kept = counts >= self.min_count
            self.ngram_keys_.append(keys[kept])
            # The sort inside np.unique already located every window's key.
            window_kept = kept[inverse]
            found.append((ngram_doc[window_kept], (np.cumsum(kept) - 1)[inverse[window_kept]]))
        return found

    def _lookup_ngrams(self, ids: np.ndarray, doc: np.ndarray) -> list:
        """Each n's (document, key index) pairs for the n-grams learned in fit."""
        found = []
        for n, keys in zip(self._ngram_sizes(), self.ngram_keys_, strict=True):
            starts, ngram_doc = self._ngram_windows(ids, doc, n)
            hashed = _hash_windows(ids, starts, n)
            position = np.minimum(np.searchsorted(keys, hashed), max(len(keys) - 1, 0))
            hit = keys[position] == hashed if len(keys) else np.zeros(len(hashed), bool)
            found.append((ngram_doc[hit], position[hit]))
        return found

    # -- hashing -----------------------------------------------------------
    def _hashed_pairs(self, texts: Sequence[str]) -> tuple[list, list]:
        """(document, bucket) pairs of words and word n-grams hashed into
        ``n_buckets`` rows."""
        words = self._split(texts)
        n_tokens = sum(map(len, words))
        # Hash each distinct word once, then spread the hashes over tokens.
        unique = {w: i for i, w in enumerate(set(itertools.chain.from_iterable(words)))}
        codes = np.fromiter(map(_stable_hash, unique), dtype=np.uint64, count=len(unique))
        local = np.fromiter(
            map(unique.__getitem__, itertools.chain.from_iterable(words)),
            dtype=np.int64,
            count=n_tokens,
        )
        keys = codes[local]
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        doc = np.repeat(np.arange(len(texts)), lengths)
        buckets = np.uint64(self.n_buckets)
        rows, cols = [], []
        if self._ngram_range()[0] == 1:
            rows.append(doc)
            cols.append((keys % buckets).astype(np.int64))
        for n in self._ngram_sizes():
            starts, ngram_doc = self._ngram_windows(local, doc, n)
            rows.append(ngram_doc)
            cols.append((_hash_windows(keys, starts, n) % buckets).astype(np.int64))
        return rows, cols

    # -- sequences (the attention encoder) -------------------------------
    @property
    def n_base_tokens(self) -> int:
        """Distinct base-token ids: the vocabulary, or the hash buckets."""
        return self.n_buckets if self.kind == "hash" else len(self.vocabulary_)

    @_gc_paused()
    def sequences(self, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
        """The base tokens of each text, in order, as flat ids shifted by 2 (0
        is padding, 1 a token outside the vocabulary), cut to the first
        ``max_length``; and the length of each. An empty text is one unknown
        token, so that attention always has something to attend to."""
        texts = self._prepare(texts)
        if self.kind in ("wordpiece", "pretrained"):
            ids, lengths = self._wordpiece_ids(texts)
        else:
            words = self._split(texts)
            lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
            if self.kind == "hash":
                flat = itertools.chain.from_iterable(words)
                codes = np.fromiter(map(_stable_hash, flat), dtype=np.uint64, count=lengths.sum())
                ids = (codes % np.uint64(self.n_buckets)).astype(np.int64)
            else:
                ids = self._word_ids(words)
        ids = np.where(ids >= 0, ids + 2, 1)
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

    # -- explanations ------------------------------------------------------
    def token_features(self, text: str) -> TokenFeatures:
        """The base tokens of one text, their character spans, and which
        features each token takes part in: its own, a share of every word
        n-gram it belongs to, its character n-grams. Spans index the text
        after ``preprocessor`` and ``strip_accents``, returned as ``text``."""
        (text,) = self._prepare([text])
        if self.kind in ("wordpiece", "pretrained"):
            encoding = self._backend.encode(_encodable([text])[0], add_special_tokens=False)
            tokens, spans = list(encoding.tokens), [tuple(span) for span in encoding.offsets]
            ids = np.asarray(encoding.ids, dtype=np.int64)
            words = None
        else:
            # The same runs as _words, with their positions.
            matches = list(_WORD_OR_CJK.finditer(text))
            tokens, spans = [m.group() for m in matches], [m.span() for m in matches]
            words = [t.lower() for t in tokens] if self.lowercase else tokens
            if self.kind == "hash":
                ids = np.fromiter(map(_stable_hash, words), dtype=np.uint64, count=len(words))
            else:
                ids = np.fromiter(
                    (self.vocabulary_.get(w, -1) for w in words), dtype=np.int64, count=len(words)
                )
        token, feature, share = self._token_feature_pairs(ids, words)
        column_map = getattr(self, "column_map_", None)
        if column_map is not None:
            feature = column_map[feature]
            kept = feature >= 0
            token, feature, share = token[kept], feature[kept], share[kept]
        return TokenFeatures(text, tokens, spans, token, feature, share)

    def _token_feature_pairs(self, ids: np.ndarray, words: list[str] | None):
        """(token index, feature, share) triples for one text; an n-gram
        gives each of its n tokens a share of 1/n."""
        positions = np.arange(len(ids))
        doc = np.zeros(len(ids), dtype=np.int64)
        pairs = []
        hashed = self.kind == "hash"
        if self._ngram_range()[0] == 1:
            if hashed:
                pairs.append((positions, (ids % np.uint64(self.n_buckets)).astype(np.int64), 1.0))
            else:
                known = ids >= 0
                pairs.append((positions[known], ids[known], 1.0))
        offset = self._n_base_features()
        keys_by_size = [None] * len(self._ngram_sizes()) if hashed else self.ngram_keys_
        for n, keys in zip(self._ngram_sizes(), keys_by_size, strict=True):
            # Hashed words are all "known": their windows use local positions.
            starts, _ = self._ngram_windows(positions if hashed else ids, doc, n)
            window = _hash_windows(ids.astype(np.uint64) if hashed else ids, starts, n)
            if hashed:
                columns = (window % np.uint64(self.n_buckets)).astype(np.int64)
            else:
                position = np.minimum(np.searchsorted(keys, window), max(len(keys) - 1, 0))
                hit = keys[position] == window if len(keys) else np.zeros(len(window), bool)
                starts, columns = starts[hit], offset + position[hit]
                offset += len(keys)
            for j in range(n):
                pairs.append((starts + j, columns, 1.0 / n))
        if words is not None and self.char_ngrams is not None:
            grams = [
                (i, self.char_vocabulary_[g])
                for i, w in enumerate(words)
                for g in self._grams(w)
                if g in self.char_vocabulary_
            ]
            if grams:
                index, gram = np.asarray(grams, dtype=np.int64).T
                pairs.append((index, offset + gram, 1.0))
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
            "vocabulary": list(self.vocabulary_),
            "char_vocabulary": (
                list(self.char_vocabulary_) if hasattr(self, "char_vocabulary_") else None
            ),
            "wordpiece": self._backend.to_str() if hasattr(self, "_backend") else None,
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
        """Inverse of :meth:`get_state`."""
        char_ngrams = config["char_ngrams"]
        word_ngrams = config["word_ngrams"]
        tokenizer = cls(
            kind=config["kind"],
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
        )
        tokenizer.vocabulary_ = {t: i for i, t in enumerate(config["vocabulary"])}
        if config["char_vocabulary"] is not None:
            tokenizer.char_vocabulary_ = {t: i for i, t in enumerate(config["char_vocabulary"])}
        if config["wordpiece"] is not None:  # a WordPiece or pretrained backend
            from tokenizers import Tokenizer as HFTokenizer

            tokenizer._backend = HFTokenizer.from_str(config["wordpiece"])
            if tokenizer.kind == "pretrained":
                tokenizer.pretrained = tokenizer._backend
        tokenizer.ngram_keys_ = (
            []  # hashed n-grams need no keys
            if tokenizer.kind == "hash"
            else [arrays[f"ngram_keys.{n}"] for n in tokenizer._ngram_sizes()]
        )
        tokenizer.column_map_ = arrays.get("column_map")
        tokenizer.n_features_ = int(config["n_features"])
        return tokenizer

    # -- public ------------------------------------------------------------
    @_gc_paused()
    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Learn the vocabulary from ``texts`` and return their feature counts."""
        texts = self._prepare(texts)
        self.column_map_ = None
        if self.kind == "hash":  # nothing to learn but, maybe, max_features
            self.vocabulary_, self.ngram_keys_, self.n_features_ = {}, [], self.n_buckets
            return self._limit(self._pairs_to_counts(*self._hashed_pairs(texts), len(texts)))
        if self.kind == "pretrained":  # used as is: nothing to train
            self._backend = self.pretrained
            self.vocabulary_ = self._backend.get_vocab()
            if max(self.vocabulary_.values(), default=-1) + 1 != len(self.vocabulary_):
                raise ValueError("the pretrained tokenizer's token ids are not contiguous.")
        elif self.kind == "wordpiece":
            self._fit_wordpiece(texts)
        if self.kind in ("wordpiece", "pretrained"):
            ids, lengths = self._wordpiece_ids(texts)
            words = None
        else:
            ids, words = self._fit_words(texts)
            lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        doc = np.repeat(np.arange(len(texts)), lengths)
        ngrams = self._fit_ngrams(ids, doc)
        self.n_features_ = (
            self._n_base_features()
            + sum(map(len, self.ngram_keys_))
            + len(getattr(self, "char_vocabulary_", ()))
        )
        rows, cols = self._pairs(ids, doc, ngrams, words)
        return self._limit(self._pairs_to_counts(rows, cols, len(texts)))

    @_gc_paused()
    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Feature counts of ``texts``; unknown tokens and n-grams are ignored."""
        texts = self._prepare(texts)
        if self.kind == "hash":
            rows, cols = self._hashed_pairs(texts)
        else:
            if self.kind in ("wordpiece", "pretrained"):
                ids, lengths = self._wordpiece_ids(texts)
                words = None
            else:
                words = self._split(texts)
                ids = self._word_ids(words)
                lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
            doc = np.repeat(np.arange(len(texts)), lengths)
            rows, cols = self._pairs(ids, doc, self._lookup_ngrams(ids, doc), words)
        return self._pairs_to_counts(rows, cols, len(texts))

    def _n_base_features(self) -> int:
        return len(self.vocabulary_) if self._ngram_range()[0] == 1 else 0

    def _pairs(self, ids, doc, ngrams: list, words) -> tuple[list, list]:
        """(document, feature) pairs: base tokens, word n-grams, char n-grams."""
        rows, cols = [], []
        if self._ngram_range()[0] == 1:
            known = ids >= 0
            rows.append(doc[known])
            cols.append(ids[known])
        offset = self._n_base_features()
        for (ngram_doc, position), keys in zip(ngrams, self.ngram_keys_, strict=True):
            rows.append(ngram_doc)
            cols.append(offset + position)
            offset += len(keys)
        if words is not None and self.char_ngrams is not None:
            char_doc, char_ids = self._char_features(words, doc)
            rows.append(char_doc)
            cols.append(offset + char_ids)
        return rows, cols

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
