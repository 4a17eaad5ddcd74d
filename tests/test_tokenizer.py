"""The Tokenizer (texts -> feature counts) and TokenWeighting (counts -> pooling weights)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from sktext.splitting import TOKEN_MARKS
from sktext.tokenizer import Tokenizer
from sktext.weighting import TokenWeighting

# The words of the default rules, as a regular expression of plain text.
WORDS_AND_MARKS = rf"\w+|[{re.escape(TOKEN_MARKS)}]"

TEXTS = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat and a dog",
    "The Cat, the DOG!",
    "",
    "   ",
    "mat log mat log mat",
]


def _row(matrix: sp.csr_matrix, i: int) -> dict[int, float]:
    start, stop = matrix.indptr[i], matrix.indptr[i + 1]
    indices, data = matrix.indices[start:stop].tolist(), matrix.data[start:stop].tolist()
    return dict(zip(indices, data, strict=True))


# -- base words and counts -------------------------------------------------------


def test_counts_matrix_shape_and_values():
    tok = Tokenizer(word_ngrams=1, min_count=1)
    counts = tok.fit_transform(TEXTS)
    assert sp.issparse(counts) and counts.format == "csr"
    assert counts.shape == (len(TEXTS), tok.n_features_)
    assert counts.dtype == np.float32
    assert tok.n_features_ == len(tok.vocabulary_)
    # One stored entry per distinct (document, token), the value its count.
    # "," separates words; "!" is a token of its own.
    expected_nnz = sum(
        len(set(t.lower().replace(",", " ").replace("!", " ! ").split())) for t in TEXTS
    )
    assert counts.nnz == expected_nnz
    v = tok.vocabulary_
    assert _row(counts, 0) == {
        v["the"]: 2.0,
        v["cat"]: 1.0,
        v["sat"]: 1.0,
        v["on"]: 1.0,
        v["mat"]: 1.0,
    }
    assert _row(counts, 6) == {v["mat"]: 3.0, v["log"]: 2.0}
    # Empty and whitespace-only texts: empty rows.
    assert counts[4].nnz == 0 and counts[5].nnz == 0
    # Row sums = number of words.
    np.testing.assert_array_equal(np.asarray(counts.sum(axis=1)).ravel(), [6, 6, 5, 5, 0, 0, 5])


def test_vocabulary_order_count_then_token():
    tok = Tokenizer(word_ngrams=1, min_count=1)
    tok.fit_transform(["b a c b", "c b d"])
    # counts: b=3, c=2, a=1, d=1 -> by count desc, then alphabetically
    assert list(tok.vocabulary_) == ["b", "c", "a", "d"]
    assert list(tok.vocabulary_.values()) == [0, 1, 2, 3]


def test_deterministic_vocabulary_and_counts():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choice(words, 12)) for _ in range(80)]
    a, b = (
        Tokenizer(word_ngrams=3, char_ngrams=(2, 4)),
        Tokenizer(word_ngrams=3, char_ngrams=(2, 4)),
    )
    ca, cb = a.fit_transform(texts), b.fit_transform(list(reversed(texts)))
    # Same texts (any order) -> the same features with the same ids.
    assert list(a.vocabulary_.items()) == list(b.vocabulary_.items())
    assert list(a.char_vocabulary_.items()) == list(b.char_vocabulary_.items())
    for ka, kb in zip(a.ngram_keys_, b.ngram_keys_, strict=True):
        np.testing.assert_array_equal(ka, kb)
    assert (ca != cb[::-1]).nnz == 0
    assert (a.transform(texts) != ca).nnz == 0  # transform == fit_transform


def test_lowercase():
    lower = Tokenizer(word_ngrams=1, min_count=1)
    lower.fit_transform(["Cat cat CAT"])
    assert list(lower.vocabulary_) == ["cat"]
    cased = Tokenizer(word_ngrams=1, min_count=1, lowercase=False)
    cased.fit_transform(["Cat cat CAT"])
    assert sorted(cased.vocabulary_) == ["CAT", "Cat", "cat"]
    assert cased.transform(["cat"]).nnz == 1
    assert cased.transform(["cAt"]).nnz == 0


def test_unicode_words():
    tok = Tokenizer(word_ngrams=1, min_count=1)
    counts = tok.fit_transform(["日本語 テキスト", "café naïve", "שלום עולם", "😀 🚀"])
    # CJK characters are tokens of their own (see test_cjk_characters_...).
    assert {"日", "本", "語", "テ", "ト", "café", "naïve", "שלום", "עולם"} <= set(tok.vocabulary_)
    # Emoji are tokens of their own (tests/test_unicode.py), except under the
    # rules of models saved before, where they are not word characters.
    assert {"😀", "🚀"} <= set(tok.vocabulary_) and counts[3].nnz == 2
    legacy = Tokenizer(word_ngrams=1, min_count=1, word_rules=1, normalize_unicode=None)
    assert legacy.fit_transform(["😀 🚀", "a"])[0].nnz == 0


def test_unknown_words_ignored():
    tok = Tokenizer(word_ngrams=2, min_count=1)
    tok.fit_transform(TEXTS)
    counts = tok.transform(["zebra quux", "zebra cat"])
    assert counts.shape == (2, tok.n_features_)
    assert counts[0].nnz == 0
    assert _row(counts, 1) == {tok.vocabulary_["cat"]: 1.0}


def test_transform_empty_list():
    tok = Tokenizer(min_count=1)
    tok.fit_transform(TEXTS)
    assert tok.transform([]).shape == (0, tok.n_features_)


# -- word n-grams ----------------------------------------------------------------------


def test_bigrams_add_features():
    unigram = Tokenizer(word_ngrams=1, min_count=1)
    bigram = Tokenizer(word_ngrams=2, min_count=1)
    trigram = Tokenizer(word_ngrams=3, min_count=1)
    unigram.fit_transform(TEXTS)
    bigram.fit_transform(TEXTS)
    trigram.fit_transform(TEXTS)
    assert bigram.n_features_ > unigram.n_features_
    assert trigram.n_features_ > bigram.n_features_
    assert unigram.vocabulary_ == bigram.vocabulary_  # bigrams come after words


def test_bigrams_exact_count_and_no_cross_document_windows():
    tok = Tokenizer(word_ngrams=2, min_count=1)
    counts = tok.fit_transform(["a b", "c d", "a b"])
    # words a b c d + bigrams "a b", "c d"; never "b c" across documents
    assert tok.n_features_ == 6
    assert len(tok.ngram_keys_) == 1 and len(tok.ngram_keys_[0]) == 2
    assert counts[0].nnz == 3
    assert tok.transform(["b c"]).nnz == 2  # the words only


def test_bigrams_distinguish_word_order():
    texts = ["good not bad", "bad not good"] * 2
    unigram = Tokenizer(word_ngrams=1, min_count=1)
    u = unigram.fit_transform(texts)
    assert (u[0] != u[1]).nnz == 0  # same bag of words
    bigram = Tokenizer(word_ngrams=2, min_count=1)
    b = bigram.fit_transform(texts)
    assert (b[0] != b[1]).nnz > 0
    # Same words in the same order -> the same features.
    assert (bigram.transform(["good not bad"]) != b[0]).nnz == 0


def test_ngrams_skip_unknown_words():
    # "x" and "y" are frequent; "rare" is not, so "x rare y" has no bigram.
    texts = ["x y", "x y", "x rare y"]
    tok = Tokenizer(word_ngrams=2, min_count=2)
    counts = tok.fit_transform(texts)
    assert set(tok.vocabulary_) == {"x", "y"}
    assert len(tok.ngram_keys_[0]) == 1  # "x y"
    assert counts[2].nnz == 2  # x and y only


def test_min_count_prunes_words_and_ngrams():
    texts = ["a b c", "a b d", "a e"]
    two = Tokenizer(word_ngrams=2, min_count=2)
    two.fit_transform(texts)
    assert set(two.vocabulary_) == {"a", "b"}
    assert len(two.ngram_keys_[0]) == 1  # "a b" seen twice; "b c", "b d", "a e" once
    one = Tokenizer(word_ngrams=2, min_count=1)
    one.fit_transform(texts)
    assert set(one.vocabulary_) == {"a", "b", "c", "d", "e"}
    assert len(one.ngram_keys_[0]) == 4
    three = Tokenizer(word_ngrams=2, min_count=3)
    three.fit_transform(texts)
    assert set(three.vocabulary_) == {"a"}
    assert three.n_features_ == 1


# -- character n-grams ------------------------------------------------------------------


def test_char_ngrams_represent_misspellings():
    texts = ["classifier training data", "text classifier model"] * 3
    plain = Tokenizer(word_ngrams=1, min_count=1)
    plain.fit_transform(texts)
    assert plain.transform(["classifer"]).nnz == 0  # unseen word: nothing
    chars = Tokenizer(word_ngrams=1, min_count=1, char_ngrams=(3, 5))
    counts = chars.fit_transform(texts)
    assert chars.n_features_ == len(chars.vocabulary_) + len(chars.char_vocabulary_)
    assert counts.shape[1] == chars.n_features_
    row = chars.transform(["classifer"])
    assert row.nnz > 0
    assert (row.indices >= len(chars.vocabulary_)).all()  # char n-grams only
    # The misspelling shares n-grams with "classifier" and not with "model".
    full = set(chars.transform(["classifier"]).indices.tolist())
    other = set(chars.transform(["model"]).indices.tolist())
    assert len(set(row.indices.tolist()) & full) > len(set(row.indices.tolist()) & other)


def test_char_ngram_boundaries():
    tok = Tokenizer(word_ngrams=1, min_count=1, char_ngrams=(2, 3))
    tok.fit_transform(["ab"])
    # "<ab>": 2-grams <a ab b>, 3-grams <ab ab>
    assert set(tok.char_vocabulary_) == {"<a", "ab", "b>", "<ab", "ab>"}


def test_char_ngrams_count_every_occurrence():
    tok = Tokenizer(word_ngrams=1, min_count=1, char_ngrams=(3, 3))
    counts = tok.fit_transform(["aa aa"])
    # word "aa" twice; its grams "<aa", "aa>" twice each
    row = _row(counts, 0)
    assert row[tok.vocabulary_["aa"]] == 2.0
    offset = len(tok.vocabulary_)
    assert row[offset + tok.char_vocabulary_["<aa"]] == 2.0
    assert row[offset + tok.char_vocabulary_["aa>"]] == 2.0


# -- WordPiece ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wordpiece():
    rng = np.random.default_rng(1)
    stems = ["play", "work", "read", "walk", "talk", "jump"]
    suffixes = ["", "s", "ed", "ing", "er"]
    texts = [
        " ".join(f"{rng.choice(stems)}{rng.choice(suffixes)}" for _ in range(8)) for _ in range(200)
    ]
    tok = Tokenizer(kind="wordpiece", word_ngrams=2, min_count=1, vocab_size=120)
    return tok, texts, tok.fit_transform(texts)


def test_wordpiece_features(wordpiece):
    tok, texts, counts = wordpiece
    assert counts.shape == (len(texts), tok.n_features_)
    assert "[UNK]" in tok.vocabulary_ and tok.vocabulary_["[UNK]"] == 0
    assert len(tok.vocabulary_) <= 120
    assert len(tok.ngram_keys_[0]) > 0  # subword bigrams
    assert tok.n_features_ == len(tok.vocabulary_) + len(tok.ngram_keys_[0])
    assert (counts.sum(axis=1) > 0).all()
    assert (tok.transform(texts) != counts).nnz == 0


def test_wordpiece_unseen_words(wordpiece):
    tok, _, _ = wordpiece
    # An unseen combination of known pieces, and a word of unseen characters.
    row = tok.transform(["replaying", "жжж"])
    assert row[0].nnz > 0
    assert row[1].nnz > 0  # at least [UNK]
    assert tok.transform([""]).nnz == 0


def test_wordpiece_vocabulary_sorted(wordpiece):
    tok, texts, _ = wordpiece
    tokens = list(tok.vocabulary_)
    assert tokens[0] == "[UNK]"
    assert tokens[1:] == sorted(tokens[1:])


# -- TokenWeighting ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def counts():
    tok = Tokenizer(word_ngrams=2, min_count=1)
    return tok.fit_transform(TEXTS)


def test_tfidf_unit_norm_rows(counts):
    weights = TokenWeighting("tfidf").fit(counts).transform(counts)
    assert weights.dtype == np.float32
    assert weights.shape == counts.shape
    np.testing.assert_array_equal(weights.indices, counts.indices)  # same sparsity
    np.testing.assert_array_equal(weights.indptr, counts.indptr)
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    nonempty = np.diff(counts.indptr) > 0
    np.testing.assert_allclose(norms[nonempty], 1.0, rtol=1e-5)
    assert np.isfinite(weights.data).all()
    assert (weights.data > 0).all()


def test_tfidf_matches_sklearn():
    tok = Tokenizer(word_ngrams=1, min_count=1)
    counts = tok.fit_transform(TEXTS)
    ours = TokenWeighting("tfidf").fit(counts).transform(counts).toarray()
    ref = (
        TfidfVectorizer(
            token_pattern=WORDS_AND_MARKS, sublinear_tf=True, vocabulary=tok.vocabulary_
        )
        .fit_transform(TEXTS)
        .toarray()
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def test_idf_learned_at_fit_only(counts):
    weighting = TokenWeighting("tfidf").fit(counts)
    idf = weighting.idf_.copy()
    weighting.transform(counts[:2])
    np.testing.assert_array_equal(weighting.idf_, idf)
    # Rarer tokens weigh more.
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    assert idf[df.argmin()] > idf[df.argmax()]


def test_mean_rows_sum_to_one(counts):
    weights = TokenWeighting("mean").fit(counts).transform(counts)
    sums = np.asarray(weights.sum(axis=1)).ravel()
    nonempty = np.diff(counts.indptr) > 0
    np.testing.assert_allclose(sums[nonempty], 1.0, rtol=1e-5)
    assert (sums[~nonempty] == 0).all()
    # Each token weighs its count over the row's total count.
    row_total = np.asarray(counts.sum(axis=1)).ravel()
    np.testing.assert_allclose(
        weights.toarray()[nonempty],
        counts.toarray()[nonempty] / row_total[nonempty, None],
        rtol=1e-6,
    )


@pytest.mark.parametrize("pooling", ["tfidf", "mean"])
def test_empty_documents_give_empty_rows(pooling):
    tok = Tokenizer(word_ngrams=2, min_count=1)
    counts = tok.fit_transform(["", "a b", "  "])
    weights = TokenWeighting(pooling).fit(counts).transform(counts)
    assert weights[0].nnz == 0 and weights[2].nnz == 0
    assert np.isfinite(weights.data).all()
    empty = tok.transform(["", "zzz"])
    out = TokenWeighting(pooling).fit(counts).transform(empty)
    assert out.nnz == 0 and out.shape == (2, counts.shape[1])


@pytest.mark.parametrize(
    "options",
    [{}, {"word_ngrams": 3, "min_count": 2}, {"char_ngrams": (2, 4)}, {"kind": "wordpiece"}],
)
def test_fit_transform_equals_transform(options):
    """fit_transform takes shortcuts (n-gram positions from the fit's sort);
    it must count exactly what transform counts on the same texts."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choice(words, rng.integers(0, 12))) for _ in range(200)]
    tokenizer = Tokenizer(**{"min_count": 1, **options})
    fitted = tokenizer.fit_transform(texts)
    again = tokenizer.transform(texts)
    assert fitted.shape == again.shape
    assert (fitted != again).nnz == 0


def test_hash_tokenizer_needs_no_vocabulary_and_is_stable():
    texts = ["the cat sat", "the dog sat", "a bird flew"]
    tokenizer = Tokenizer(kind="hash", n_buckets=1 << 16)
    counts = tokenizer.fit_transform(texts)
    assert counts.shape == (3, 1 << 16) and tokenizer.vocabulary_ == {}
    # 3 words + 2 bigrams a document, no collisions at this size.
    assert counts.getnnz(axis=1).tolist() == [5, 5, 5]
    # Unseen words get rows too, and the same rows in another tokenizer
    # (the hash does not depend on the process).
    unseen = Tokenizer(kind="hash", n_buckets=1 << 16).transform(["zebra the cat"])
    assert (tokenizer.transform(["zebra the cat"]) != unseen).nnz == 0
    assert set(unseen.indices) & set(counts[0].indices)  # "the", "cat", "the cat"
    assert unseen.nnz == 5


def test_hash_tokenizer_buckets_bound_the_features():
    texts = [" ".join(f"w{i}" for i in range(j, j + 20)) for j in range(50)]
    counts = Tokenizer(kind="hash", n_buckets=7).fit_transform(texts)
    assert counts.shape[1] == 7 and counts.indices.max() < 7
    assert counts.sum() == 50 * (20 + 19)  # every word and bigram counted once


def test_ascii_fast_path_splits_exactly_like_the_regex():
    import string

    from sktext.splitting import _RULES, _words

    rng = np.random.default_rng(1)
    alphabet = list(string.printable) + ["é", "ß", "\u00a0", "١", "한"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet, rng.integers(0, 60)))
        assert _words(text) == re.findall(WORDS_AND_MARKS, text), repr(text)
        assert _RULES[2][0](text) == re.findall(r"\w+", text), repr(text)
    every_ascii = "".join(map(chr, range(128)))
    assert _words(every_ascii) == re.findall(WORDS_AND_MARKS, every_ascii)
    assert _RULES[2][0](every_ascii) == re.findall(r"\w+", every_ascii)


def test_cjk_characters_are_tokens_of_their_own():
    from sktext.splitting import _words

    assert _words("我爱北京 hello wörld ひらがな 한국어") == [
        "我",
        "爱",
        "北",
        "京",
        "hello",
        "wörld",
        "ひ",
        "ら",
        "が",
        "な",
        "한국어",
    ]


def test_a_classifier_learns_a_chinese_task_written_without_spaces():
    """Classes are signalled by two-character words inside unbroken runs of
    random characters: with whole runs as tokens nothing generalises; with
    characters and character bigrams the signal words are found."""
    from sktext import TextClassifier

    rng = np.random.default_rng(3)
    filler = [chr(c) for c in range(0x4E00, 0x4E00 + 300)]
    signals = [["天气", "下雨"], ["股票", "银行"], ["足球", "比赛"]]

    def document(label: int) -> str:
        parts = [*rng.choice(filler, rng.integers(8, 16)), rng.choice(signals[label])]
        parts += list(rng.choice(filler, rng.integers(8, 16)))
        return "".join(parts)

    y = rng.integers(0, 3, 600)
    X = [document(label) for label in y]
    assert " " not in X[0]
    clf = TextClassifier(random_state=0, min_count=1).fit(X[:400], y[:400])
    assert clf.score(X[400:], y[400:]) >= 0.9
