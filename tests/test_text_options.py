"""Vectorizer-style text options: strip_accents, preprocessor, max_features,
word n-gram ranges. Each test checks the option's effect, not only that the
parameter exists."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from conftest import FAST

from sktext import TextClassifier, load
from sktext.tokenizer import Tokenizer


def _numbers_to_token(text: str) -> str:
    return re.sub(r"\d+", " NUM ", text)


@pytest.fixture(scope="module")
def accented():
    """Class 0 speaks of cafés, class 1 of trains; accents vary at random."""
    rng = np.random.default_rng(0)
    cafe = ["café", "crème", "brûlée", "thé"]
    train = ["gare", "quai", "billet", "voie"]
    X, y = [], []
    for i in range(200):
        words = list(rng.choice(cafe if i % 2 == 0 else train, 4))
        X.append(" ".join(words))
        y.append(i % 2)
    return X, np.array(y)


# -- strip_accents -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["ascii", "unicode"])
def test_strip_accents_makes_accented_and_plain_words_one_feature(mode):
    tok = Tokenizer(strip_accents=mode, min_count=1, word_ngrams=1)
    tok.fit_transform(["Café crème brûlée"])
    assert set(tok.vocabulary_) == {"cafe", "creme", "brulee"}
    assert (tok.transform(["cafe"]) != tok.transform(["café"])).nnz == 0


def test_without_strip_accents_plain_words_are_unknown(accented):
    X, y = accented
    plain = TextClassifier(**FAST).fit(X, y)
    stripped = TextClassifier(strip_accents="unicode", **FAST).fit(X, y)
    # "creme" and "the" were never seen without accents: no features at all,
    # unless accents are stripped.
    assert plain.tokenizer_.transform(["creme the"]).nnz == 0
    assert stripped.tokenizer_.transform(["creme the"]).nnz > 0
    np.testing.assert_allclose(
        stripped.decision_function(["creme the"]), stripped.decision_function(["crème thé"])
    )
    assert stripped.predict(["creme the brulee"])[0] == 0


# -- preprocessor ----------------------------------------------------------------


def test_preprocessor_runs_before_tokenizing_in_fit_and_predict(single3):
    Xtr, ytr, _, _ = single3
    X = [f"{text} {i}" for i, text in enumerate(Xtr)]
    clf = TextClassifier(preprocessor=_numbers_to_token, word_ngrams=1, **FAST).fit(X, ytr)
    vocabulary = clf.tokenizer_.vocabulary_
    assert "num" in vocabulary  # lowercased after the preprocessor
    assert not any(word.isdigit() for word in vocabulary)
    # Any number is the same token at predict time, even one never seen.
    np.testing.assert_allclose(
        clf.decision_function(["filler1 7"]), clf.decision_function(["filler1 123456"])
    )
    plain = TextClassifier(word_ngrams=1, **FAST).fit(X, ytr)
    assert "num" not in plain.tokenizer_.vocabulary_


def test_preprocessor_must_return_str(single3):
    Xtr, ytr, _, _ = single3
    with pytest.raises(TypeError, match="preprocessor must return a str"):
        TextClassifier(preprocessor=len, **FAST).fit(Xtr, ytr)


def test_preprocessor_pickles_but_is_refused_by_save(single3, tmp_path):
    Xtr, ytr, Xte, _ = single3
    clf = TextClassifier(preprocessor=_numbers_to_token, **FAST).fit(Xtr, ytr)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(Xte), clf.predict_proba(Xte))
    with pytest.raises(ValueError, match="cannot store a preprocessor"):
        clf.save(tmp_path / "model.sktext")
    assert not (tmp_path / "model.sktext").exists()


# -- max_features ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["words", "hash"])
def test_max_features_keeps_the_most_frequent(kind):
    texts = ["a a a a b b b c c d", "a b b c e", "a c"]
    full = Tokenizer(kind=kind, min_count=1, n_buckets=1 << 12)
    totals = np.asarray(full.fit_transform(texts).sum(axis=0)).ravel()
    limited = Tokenizer(kind=kind, min_count=1, n_buckets=1 << 12, max_features=3)
    counts = limited.fit_transform(texts)
    assert limited.n_features_ == counts.shape[1] == 3
    kept = np.flatnonzero(limited.column_map_ >= 0)
    assert sorted(totals[kept], reverse=True) == sorted(totals, reverse=True)[:3]
    # transform drops the other columns and keeps the counts of these.
    np.testing.assert_array_equal(
        limited.transform(texts).toarray(), full.transform(texts).toarray()[:, kept]
    )


def test_max_features_bounds_the_embedding_table(single3, tmp_path):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(max_features=40, **FAST).fit(Xtr, ytr)
    assert clf.n_features_ == 40
    assert clf.model_.embedding.num_embeddings <= 41
    assert clf.score(Xte, yte) > 0.8  # signature words are among the frequent
    clf.save(tmp_path / "m.sktext")
    np.testing.assert_array_equal(load(tmp_path / "m.sktext").predict(Xte), clf.predict(Xte))


# -- word n-gram ranges --------------------------------------------------------------


def test_word_ngram_range_without_unigrams():
    texts = ["the cat sat", "the cat ran", "a dog sat"]
    both = Tokenizer(word_ngrams=(1, 2), min_count=1)
    bigrams = Tokenizer(word_ngrams=(2, 2), min_count=1)
    both.fit_transform(texts)
    counts = bigrams.fit_transform(texts)
    assert bigrams.n_features_ == both.n_features_ - len(both.vocabulary_) == 5
    assert counts.sum() == 6  # two bigrams per text, no words
    assert bigrams.transform(["cat"]).nnz == 0
    assert bigrams.transform(["the cat"]).nnz == 1


def test_word_ngram_range_three_only_and_int_equivalence():
    texts = ["a b c d", "a b c", "b c d"]
    trigrams = Tokenizer(word_ngrams=(3, 3), min_count=1)
    trigrams.fit_transform(texts)
    assert trigrams.n_features_ == 2  # "a b c" and "b c d"
    one = Tokenizer(word_ngrams=2, min_count=1).fit_transform(texts)
    same = Tokenizer(word_ngrams=(1, 2), min_count=1).fit_transform(texts)
    assert (one != same).nnz == 0


def test_word_ngram_range_in_the_estimator_and_saved(single3, tmp_path):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(word_ngrams=(1, 3), **FAST).fit(Xtr, ytr)
    assert len(clf.tokenizer_.ngram_keys_) == 2  # bigrams and trigrams
    clf.save(tmp_path / "m.sktext")
    again = load(tmp_path / "m.sktext")
    assert again.word_ngrams == (1, 3)
    np.testing.assert_array_equal(again.predict_proba(Xte), clf.predict_proba(Xte))


@pytest.mark.parametrize("word_ngrams", [(0, 2), (3, 2), (1,), (1.0, 2)])
def test_invalid_word_ngram_range(word_ngrams, single3):
    Xtr, ytr, _, _ = single3
    with pytest.raises(ValueError, match="word_ngrams"):
        TextClassifier(word_ngrams=word_ngrams, **FAST).fit(Xtr, ytr)


def test_char_ngram_range_sets_the_grams():
    narrow = Tokenizer(word_ngrams=1, min_count=1, char_ngrams=(3, 3))
    wide = Tokenizer(word_ngrams=1, min_count=1, char_ngrams=(2, 4))
    narrow.fit_transform(["text"])
    wide.fit_transform(["text"])
    assert set(narrow.char_vocabulary_) == {"<te", "tex", "ext", "xt>"}
    assert {len(g) for g in wide.char_vocabulary_} == {2, 3, 4}
    assert set(narrow.char_vocabulary_) < set(wide.char_vocabulary_)
