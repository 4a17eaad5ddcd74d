"""The compiled tokenizer (sktext._tokenize) gives the Python path's output, bit for bit.

Two references: a small pure-Python one written here (the words of
``splitting``'s regular expressions, counted with dicts and Python ints), and
the Tokenizer's own Python path, forced by switching the extension off.
"""

from __future__ import annotations

import hashlib
import itertools
import pickle
import unicodedata
from collections import Counter
from contextlib import nullcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sktext import compiled
from sktext.charclasses import MARKS_ASTRAL, MARKS_BMP, SYMBOLS_ASTRAL, SYMBOLS_BMP
from sktext.datasets import make_text_classification
from sktext.splitting import _RULES, CJK_RANGES, TOKEN_MARKS, WORD_RULES
from sktext.tokenizer import Tokenizer

MASK = 2**64 - 1
MULTIPLIER = 0x9E3779B97F4A7C15

# Characters where the word rules have something to decide.
MIXED = (
    "aZé_9 \t\n.,-'!?¿؟！‽"  # ... and question and exclamation marks (tokens)
    "\u0301\u0308"  # combining acute, diaeresis (NFC composes them)
    "İßΣς"  # lowercasing changes length or context
    "कमीि"  # Devanagari with vowel signs
    "كَتَبَ"  # Arabic harakat
    "中文字テスト\u3099\u30fb"  # CJK, kana voicing mark, middle dot
    "\U00020000"  # an ideograph outside the CJK ranges: a word character
    "👍🏽👨\u200d👩🇫🇷🇩🇪\ufe0f\U000e0067©"  # emoji, tone, ZWJ, flags, VS16, tag, ©
    "\ud800"  # a lone surrogate
)
TEXTS = st.lists(st.text(max_size=30), max_size=6)
MIXED_TEXTS = st.lists(st.text(alphabet=MIXED, max_size=30), max_size=6)
ANY_TEXTS = st.one_of(TEXTS, MIXED_TEXTS)


# -- the pure-Python reference -------------------------------------------
def window_hash(keys: list[int]) -> int:
    key = keys[0]
    for j, k in enumerate(keys[1:], 1):
        key = (key * MULTIPLIER + k + j) & MASK
    return key ^ (key >> 31)


def blake(word: str) -> int:
    digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def grams(word: str, low: int, high: int) -> list[str]:
    marked = f"<{word}>"
    return [marked[i : i + n] for n in range(low, high + 1) for i in range(len(marked) - n + 1)]


def ranked(counts: Counter, min_count: int) -> dict:
    kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    return {t: i for i, t in enumerate(kept)}


class Reference:
    """Words, hash and char n-gram features counted with dicts."""

    def __init__(self, kind, word_ngrams, char_ngrams, min_count, n_buckets=4096):
        self.kind, self.char_ngrams, self.min_count = kind, char_ngrams, min_count
        self.low, self.high = word_ngrams
        self.n_buckets = n_buckets

    def words(self, text: str) -> list[str]:
        return _RULES[WORD_RULES][0](unicodedata.normalize("NFC", text).lower())

    def ids(self, words):
        if self.kind == "hash":
            keys = [blake(w) for w in words]
            return [k % self.n_buckets for k in keys], keys
        ids = [self.vocabulary.get(w, -1) for w in words]
        return ids, ids

    def windows(self, ids, keys):
        for n in range(max(self.low, 2), self.high + 1):
            for s in range(len(ids) - n + 1):
                if min(ids[s : s + n]) >= 0:
                    yield n, window_hash(keys[s : s + n])

    def fit(self, texts):
        docs = [self.words(t) for t in texts]
        counts = Counter(itertools.chain.from_iterable(docs))
        self.vocabulary = {} if self.kind == "hash" else ranked(counts, self.min_count)
        self.columns = {}
        offset = len(self.vocabulary) if self.low == 1 else 0
        if self.kind == "words":
            ngrams = Counter(w for d in docs for w in self.windows(*self.ids(d)))
            for n in range(max(self.low, 2), self.high + 1):
                keys = sorted(k for (m, k), c in ngrams.items() if m == n and c >= self.min_count)
                self.columns.update({(n, k): offset + i for i, k in enumerate(keys)})
                offset += len(keys)
        self.char_vocabulary = {}
        if self.char_ngrams and self.kind == "words":
            gram_counts = Counter()
            for word, count in counts.items():
                for g in grams(word, *self.char_ngrams):
                    gram_counts[g] += count
            self.char_vocabulary = ranked(gram_counts, self.min_count)
        self.char_offset = offset
        return self

    def transform(self, texts) -> list[dict]:
        rows = []
        for text in texts:
            words = self.words(text)
            ids, keys = self.ids(words)
            row = Counter(i for i in ids if i >= 0 and self.low == 1)
            for n, key in self.windows(ids, keys):
                if self.kind == "hash":
                    row[key % self.n_buckets] += 1
                elif (n, key) in self.columns:
                    row[self.columns[n, key]] += 1
            for w in words if self.char_vocabulary else ():
                row.update(
                    self.char_offset + self.char_vocabulary[g]
                    for g in grams(w, *self.char_ngrams)
                    if g in self.char_vocabulary
                )
            rows.append(dict(row))
        return rows


def as_rows(counts) -> list[dict]:
    return [
        dict(zip(counts.indices[a:b].tolist(), counts.data[a:b].tolist(), strict=True))
        for a, b in itertools.pairwise(counts.indptr)
    ]


def assert_same_matrix(a, b):
    assert a.shape == b.shape
    for name in ("indptr", "indices", "data"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


def assert_same_fit(a: Tokenizer, b: Tokenizer):
    assert list(a.vocabulary_.items()) == list(b.vocabulary_.items())
    assert len(a.ngram_keys_) == len(b.ngram_keys_)
    for x, y in zip(a.ngram_keys_, b.ngram_keys_, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    assert getattr(a, "char_vocabulary_", None) == getattr(b, "char_vocabulary_", None)
    assert a.n_features_ == b.n_features_
    if a.column_map_ is None:
        assert b.column_map_ is None
    else:
        np.testing.assert_array_equal(a.column_map_, b.column_map_)


def both_paths(params, train, test, n_jobs=1):
    """(tokenizer, fit counts, transform counts) of the compiled path, then
    of the Python path."""
    out = []
    for path in (nullcontext(), compiled.disabled()):
        with path:
            tokenizer = Tokenizer(**params)
            fitted = tokenizer.fit_transform(train, n_jobs=n_jobs)
            out.append((tokenizer, fitted, tokenizer.transform(test, n_jobs=n_jobs)))
    return out


def check_paths(params, train, test, n_jobs=1):
    (a, fit_a, test_a), (b, fit_b, test_b) = both_paths(params, train, test, n_jobs)
    assert_same_fit(a, b)
    assert_same_matrix(fit_a, fit_b)
    assert_same_matrix(test_a, test_b)
    return a, fit_a, test_a


# -- properties ------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(
    ANY_TEXTS,
    ANY_TEXTS,
    st.sampled_from([1, 2, 3, (2, 3)]),
    st.sampled_from([None, (1, 3), (3, 5)]),
    st.sampled_from([1, 2]),
)
def test_words_match_the_reference(train, test, word_ngrams, char_ngrams, min_count):
    params = dict(word_ngrams=word_ngrams, char_ngrams=char_ngrams, min_count=min_count)
    tokenizer, fitted, transformed = check_paths(params, train, test)
    ngrams = (1, word_ngrams) if isinstance(word_ngrams, int) else word_ngrams
    reference = Reference("words", ngrams, char_ngrams, min_count).fit(train)
    assert tokenizer.vocabulary_ == reference.vocabulary
    assert getattr(tokenizer, "char_vocabulary_", {}) == reference.char_vocabulary
    assert as_rows(fitted) == reference.transform(train)
    assert as_rows(transformed) == reference.transform(test)


@settings(max_examples=100, deadline=None)
@given(ANY_TEXTS, ANY_TEXTS, st.sampled_from([1, 2, 3, (2, 3)]))
def test_hash_matches_the_reference(train, test, word_ngrams):
    params = dict(kind="hash", word_ngrams=word_ngrams, n_buckets=4096)
    _, fitted, transformed = check_paths(params, train, test)
    ngrams = (1, word_ngrams) if isinstance(word_ngrams, int) else word_ngrams
    reference = Reference("hash", ngrams, None, 1).fit(train)
    assert as_rows(fitted) == reference.transform(train)
    assert as_rows(transformed) == reference.transform(test)


@settings(max_examples=100, deadline=None)
@given(
    ANY_TEXTS,
    st.sampled_from(["words", "hash"]),
    st.sampled_from([None, "NFKC"]),
    st.booleans(),
    st.sampled_from([None, "ascii", "unicode"]),
    st.sampled_from([None, 3]),
)
def test_options_match_the_python_path(texts, kind, form, lowercase, strip_accents, max_features):
    params = dict(
        kind=kind,
        normalize_unicode=form,
        lowercase=lowercase,
        strip_accents=strip_accents,
        max_features=max_features,
        min_count=1,
        n_buckets=512,
    )
    check_paths(params, texts, texts[::-1])


@settings(max_examples=100, deadline=None)
@given(ANY_TEXTS, st.sampled_from(["words", "hash"]))
def test_legacy_rules_match_the_python_path(texts, kind):
    params = dict(kind=kind, word_rules=1, normalize_unicode=None, min_count=1, n_buckets=512)
    check_paths(params, texts, texts[::-1])


@settings(max_examples=100, deadline=None)
@given(ANY_TEXTS, st.sampled_from(["words", "hash"]))
def test_rules_2_match_the_python_path(texts, kind):
    """Models saved with rules 2 (no mark tokens) keep them, compiled too."""
    params = dict(kind=kind, word_rules=2, min_count=1, n_buckets=512)
    check_paths(params, texts, texts[::-1])


# One-byte texts take the scanner's own lowercasing (a table of str.lower()
# over Latin-1) and skip NFC; mixed with wider texts, each goes its own way.
LATIN1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=30)
LATIN1_TEXTS = st.lists(st.one_of(LATIN1, LATIN1, st.text(max_size=10)), max_size=6)


@settings(max_examples=100, deadline=None)
@given(
    LATIN1_TEXTS,
    LATIN1_TEXTS,
    st.sampled_from(["words", "hash"]),
    st.sampled_from([None, "NFC", "NFKC"]),
    st.booleans(),
    st.sampled_from([1, 2, 3]),
)
def test_latin1_fast_path_matches_the_python_path(train, test, kind, form, lowercase, rules):
    params = dict(
        kind=kind,
        normalize_unicode=form,
        lowercase=lowercase,
        word_rules=rules,
        min_count=1,
        n_buckets=512,
    )
    check_paths(params, train, test)


def test_latin1_lowering_and_nfc_are_what_the_fast_path_assumes():
    """The scanner lowercases one-byte texts by this table and skips NFC on
    them: both only hold if str.lower() keeps Latin-1 in Latin-1 and no
    Latin-1 text changes under NFC (no character decomposes, no pair composes)."""
    table = compiled.latin1_lowercase()
    assert table == bytes(ord(chr(c).lower()) for c in range(256))
    latin1 = [chr(c) for c in range(256)]
    for a in latin1:
        pairs = [a + b for b in latin1]
        assert [unicodedata.normalize("NFC", p) for p in pairs] == pairs


@settings(max_examples=100, deadline=None)
@given(MIXED_TEXTS, st.integers(2, 5))
def test_threads_do_not_change_the_output(texts, n_jobs):
    texts = texts * 3  # enough documents for several chunks
    params = dict(char_ngrams=(2, 3), min_count=1)
    one = Tokenizer(**params)
    many = Tokenizer(**params)
    assert_same_matrix(one.fit_transform(texts), many.fit_transform(texts, n_jobs=n_jobs))
    assert_same_fit(one, many)
    assert_same_matrix(one.transform(texts[1:]), many.transform(texts[1:], n_jobs=n_jobs))


# -- examples --------------------------------------------------------------
def test_the_extension_is_built():
    """``pip install -e .`` builds sktext._tokenize; without it every text
    goes the slow Python way."""
    assert compiled.AVAILABLE


def test_word_hash_is_blake2b():
    from sktext import _tokenize

    for word in ["", "a", "x" * 128, "y" * 129, "é😀", "\ud800b", "z" * 1000]:
        assert _tokenize.stable_hash(word) == blake(word)


def test_class_ranges_are_those_of_the_python_rules():
    """The extension's classes are parsed from the tables of the regular
    expressions; written back, they are those tables."""
    cjk, marks, symbols, token_marks = compiled.class_ranges()
    assert cjk == list(CJK_RANGES)
    assert "".join(chr(a) for a, b in token_marks if a == b) == "".join(sorted(TOKEN_MARKS))

    def escape(code):
        return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"

    def written(ranges):
        return "".join(escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in ranges)

    assert written(marks) == MARKS_BMP + MARKS_ASTRAL
    assert written(symbols) == SYMBOLS_BMP + SYMBOLS_ASTRAL


def test_defaults_take_the_compiled_path():
    texts, _ = make_text_classification(n_samples=200, random_state=0)
    tokenizer = Tokenizer()
    tokenizer.fit_transform(texts)
    model = tokenizer._compiled[0]
    tokenizer.transform(texts)
    assert tokenizer._compiled[0] is model  # built in fit, reused


def test_a_larger_corpus_on_threads_matches_the_python_path():
    texts, _ = make_text_classification(n_samples=900, length=(100, 300), random_state=0)
    check_paths({"char_ngrams": (3, 5), "max_features": 5000}, texts[:600], texts[600:], 3)
    check_paths({"kind": "hash", "n_buckets": 2**16}, texts[:600], texts[600:], 2)


def test_a_pickled_or_loaded_tokenizer_rebuilds_its_tables():
    texts, _ = make_text_classification(n_samples=300, random_state=0)
    tokenizer = Tokenizer(char_ngrams=(2, 4), max_features=300)
    tokenizer.fit_transform(texts)
    expected = tokenizer.transform(texts)
    copy = pickle.loads(pickle.dumps(tokenizer))
    assert "_compiled" not in copy.__dict__
    assert_same_matrix(copy.transform(texts), expected)
    loaded = Tokenizer.from_state(*tokenizer.get_state())
    assert_same_matrix(loaded.transform(texts), expected)
    with compiled.disabled():
        assert_same_matrix(loaded.transform(texts), expected)


def test_a_text_that_is_not_a_str_is_named():
    tokenizer = Tokenizer(min_count=1)
    with pytest.raises(TypeError, match="text 1 is int"):
        tokenizer.fit_transform(["a b", 3])
