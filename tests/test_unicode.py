"""Unicode rules of new models: normalisation, combining marks, emoji, and
question and exclamation marks.

Models saved before these rules keep theirs (tests/test_format_versions.py
predicts on the same kinds of text with format-v1 files); here the state and
pickle side of that is checked, and the rules of new models themselves.
"""

from __future__ import annotations

import pickle
import unicodedata

import numpy as np
import pytest
from conftest import FAST, FILLER
from hypothesis import given, settings
from hypothesis import strategies as st

from sktext import TextClassifier
from sktext import charclasses as cc
from sktext.splitting import (
    LEGACY_WORD_RULES,
    TOKEN_MARKS,
    UNICODE_WORD_RULES,
    WORD_RULES,
    _word_patterns,
    _words,
)
from sktext.tokenizer import Tokenizer

NFC_NAIVE = "naïve"
NFD_NAIVE = unicodedata.normalize("NFD", NFC_NAIVE)


def _vocabulary(*texts: str, **options) -> set[str]:
    tokenizer = Tokenizer(min_count=1, word_ngrams=1, **options)
    tokenizer.fit_transform(list(texts))
    return set(tokenizer.vocabulary_)


@pytest.mark.skipif(
    unicodedata.unidata_version != cc.UNICODE_VERSION,
    reason="the tables are of another Unicode version than this Python's",
)
def test_character_tables_are_those_of_unicodedata():
    for table, categories in [
        ((cc.MARKS_BMP, cc.MARKS_ASTRAL), cc.MARK_CATEGORIES),
        ((cc.SYMBOLS_BMP, cc.SYMBOLS_ASTRAL), cc.SYMBOL_CATEGORIES),
    ]:
        assert table[0] == cc.category_ranges(categories, 0, 0xFFFF)
        assert table[1] == cc.category_ranges(categories, 0x10000, 0x10FFFF)


# -- normalisation and combining marks -----------------------------------------


def test_decomposed_naive_is_one_token_equal_to_the_precomposed_one():
    assert NFD_NAIVE != NFC_NAIVE
    assert _vocabulary(NFD_NAIVE) == _vocabulary(NFC_NAIVE) == {NFC_NAIVE}
    # Unnormalised, the marks still stay inside the word: one token.
    assert _vocabulary(NFD_NAIVE, normalize_unicode=None) == {NFD_NAIVE}
    # The rules of models saved before split it at the mark.
    assert _vocabulary(NFD_NAIVE, normalize_unicode=None, word_rules=LEGACY_WORD_RULES) == {
        "nai",
        "ve",
    }


def test_a_model_fitted_on_nfc_texts_scores_the_same_on_their_nfd_copies():
    rng = np.random.default_rng(0)
    signals = [["café", "crème", "thé"], ["élève", "école", "leçon"], ["forêt", "rivière", "île"]]

    def texts(n):
        y = rng.integers(0, 3, n)
        words = [[*rng.choice(FILLER, 5), *rng.choice(signals[label], 2)] for label in y]
        return [" ".join(text) + " naïve" for text in words], y

    X, y = texts(300)
    nfd = [unicodedata.normalize("NFD", text) for text in X]
    assert nfd != X
    clf = TextClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(nfd), clf.predict_proba(X))
    assert clf.score(nfd, y) == clf.score(X, y) == 1.0
    # Without normalisation the decomposed words are unseen: the signal is
    # lost. Scored on new texts: on the training ones, memorised filler
    # words alone score above chance.
    X_new, y_new = texts(300)
    nfd_new = [unicodedata.normalize("NFD", text) for text in X_new]
    assert TextClassifier(**FAST, normalize_unicode=None).fit(X, y).score(nfd_new, y_new) < 0.5


def test_devanagari_vowel_signs_stay_inside_their_word():
    assert _words("कमी कम") == ["कमी", "कम"]
    assert _vocabulary("कमी", "कम") == {"कमी", "कम"}
    assert _vocabulary("कमी", "कम", normalize_unicode=None, word_rules=LEGACY_WORD_RULES) == {"कम"}


def test_arabic_with_harakat_stays_whole():
    text = "كَتَبَ الوَلَدُ الدَّرْسَ"
    assert _words(text) == text.split()
    tokenizer = Tokenizer(min_count=1)
    tokenizer.fit_transform([text])
    assert set(tokenizer.vocabulary_) == set(text.split())


def test_nfkc_folds_compatibility_forms_and_none_does_not_normalise():
    texts = ["ﬁle ＡＢＣ"]
    assert _vocabulary(*texts, normalize_unicode="NFKC") == {"file", "abc"}
    assert _vocabulary(*texts) == {"ﬁle", "ａｂｃ"}  # NFC keeps them
    assert _vocabulary(NFD_NAIVE, normalize_unicode="NFKC") == {NFC_NAIVE}
    tokenizer = Tokenizer(min_count=1, normalize_unicode=None)
    tokenizer.fit_transform([NFC_NAIVE])
    assert tokenizer.transform([NFD_NAIVE]).nnz == 0


def test_strip_accents_gives_the_same_words_whatever_the_normalisation():
    for mode in ("ascii", "unicode"):
        for form in ("NFC", "NFKC", None):
            words = _vocabulary(
                "Crème brûlée, naïve", NFD_NAIVE, normalize_unicode=form, strip_accents=mode
            )
            assert words == {"creme", "brulee", "naive"}, (mode, form)


def test_wordpiece_gets_normalised_texts():
    texts = ["the file is naïve"] * 20
    tokenizer = Tokenizer(kind="wordpiece", lowercase=False, min_count=1, vocab_size=80)
    tokenizer.fit_transform(texts)
    assert (tokenizer.transform([NFD_NAIVE]) != tokenizer.transform([NFC_NAIVE])).nnz == 0
    folding = Tokenizer(
        kind="wordpiece", min_count=1, vocab_size=80, normalize_unicode="NFKC", lowercase=False
    )
    folding.fit_transform(["the ﬁle is naïve"] * 20)
    assert (folding.transform(["the ﬁle"]) != folding.transform(["the file"])).nnz == 0


# -- emoji -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "👍🏽",
        "👨\u200d👩\u200d👧",
        "❤️",
        "🇫🇷",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    ],
    ids=["skin-tone", "zwj-family", "variation-selector", "flag", "subdivision-flag"],
)
def test_an_emoji_sequence_is_one_token(text):
    assert _words(f"ok{text}ok {text}") == ["ok", text, "ok", text]


def test_emoji_are_tokens_paired_with_their_neighbours():
    tokenizer = Tokenizer(min_count=1, word_ngrams=2)
    tokenizer.fit_transform(["so good 😍", "so bad 😡😡", "🇫🇷 🇩🇪"])
    assert {"😍", "😡", "🇫🇷", "🇩🇪"} <= set(tokenizer.vocabulary_)
    # "good 😍" is a bigram of its own: unseen in "bad 😍".
    good, bad = tokenizer.transform(["good 😍", "bad 😍"])
    assert good.nnz == 3 and bad.nnz == 2
    assert _vocabulary("😍 😡", normalize_unicode=None, word_rules=LEGACY_WORD_RULES) == set()


def test_a_model_learns_a_label_carried_only_by_emoji():
    rng = np.random.default_rng(1)
    emoji = [["😀", "😍", "👍🏽"], ["😡", "🤬", "👎🏿"], ["😢", "💔", "👨\u200d👩\u200d👧"]]
    y = rng.integers(0, 3, 450)
    words = [" ".join(rng.choice(FILLER, 6)) for _ in y]
    X = [f"{text} {rng.choice(emoji[label])}" for text, label in zip(words, y, strict=True)]
    clf = TextClassifier(**FAST).fit(X[:300], y[:300])
    assert clf.score(X[300:], y[300:]) >= 0.95
    # Under the rules of models saved before, the texts count exactly as
    # their words without the emoji: no model could learn the label.
    legacy = Tokenizer(min_count=1, normalize_unicode=None, word_rules=LEGACY_WORD_RULES)
    counts = legacy.fit_transform(X)
    assert (counts != legacy.transform(words)).nnz == 0


# -- explanations ------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"char_ngrams": (2, 4), "word_ngrams": 3}])
def test_spans_point_into_the_normalised_text_and_features_match_the_counts(options):
    texts = [
        f"{NFD_NAIVE} café 👍🏽 कमी",
        "كَتَبَ 😡 東京 ﬁle",
        "plain ascii text",
        f"{NFD_NAIVE} 👍🏽",
    ] * 3
    tokenizer = Tokenizer(min_count=1, **options)
    tokenizer.fit_transform(texts)
    for text in texts:
        found = tokenizer.token_features(text)
        assert found.text == unicodedata.normalize("NFC", text)
        assert found.tokens == [found.text[start:end] for start, end in found.spans]
        assert [t.lower() for t in found.tokens] == _words(found.text.lower())
        counts = np.bincount(found.feature, weights=found.share, minlength=tokenizer.n_features_)
        np.testing.assert_allclose(counts, tokenizer.transform([text]).toarray()[0], atol=1e-9)


def test_explain_spans_hold_the_emoji_and_the_whole_words():
    X = [f"{' '.join(FILLER[i : i + 4])} {e} {NFD_NAIVE}" for i in range(40) for e in "😀😡"]
    y = [e == "😀" for i in range(40) for e in "😀😡"]
    clf = TextClassifier(**FAST).fit(X, y)
    explanation = clf.explain([f"filler1 😀 {NFD_NAIVE}"])[0]
    assert explanation.tokens == ["filler1", "😀", NFC_NAIVE]
    for token, (start, end) in zip(explanation.tokens, explanation.spans, strict=True):
        assert explanation.text[start:end] == token
    assert explanation.top(k=1)[0][0] == "😀"


# -- question and exclamation marks ---------------------------------------------------


def test_question_and_exclamation_marks_are_tokens_of_their_own():
    assert _words("Why?! Name it.") == ["Why", "?", "!", "Name", "it"]
    assert _words("¿Qué? ¡Sí! لماذا؟ 什么？") == ["¿", "Qué", "?", "¡", "Sí", "!", "لماذا", "؟"] + [
        "什",
        "么",
        "？",
    ]
    assert _words("a?b…c‽") == ["a", "?", "b", "c", "‽"]  # other punctuation separates
    for mark in TOKEN_MARKS:
        assert _vocabulary(f"x{mark}y") == {"x", mark, "y"}, repr(mark)
        assert _vocabulary(f"x{mark}y", word_rules=UNICODE_WORD_RULES) == {"x", "y"}
    # Marks count and pair like words: "!!" is two tokens, a bigram of them.
    tokenizer = Tokenizer(min_count=1, word_ngrams=2)
    counts = tokenizer.fit_transform(["wow!!", "wow"])
    assert counts[0].sum() == 3 + 2 and tokenizer.vocabulary_ == {"!": 0, "wow": 1}


def test_a_rules_2_state_keeps_marks_as_separators():
    tokenizer = Tokenizer(min_count=1, word_rules=UNICODE_WORD_RULES)
    tokenizer.fit_transform(["why ? now", "why not"])
    restored = Tokenizer.from_state(*tokenizer.get_state())
    assert restored.word_rules == UNICODE_WORD_RULES and "?" not in restored.vocabulary_
    assert (restored.transform(["why?"]) != tokenizer.transform(["why"])).nnz == 0


# -- saved state and pickles ---------------------------------------------------------


def test_the_state_records_the_rules_and_old_states_keep_theirs():
    tokenizer = Tokenizer(min_count=1)
    tokenizer.fit_transform(["😀 naïve", "😀 naïve"])
    config, arrays = tokenizer.get_state()
    assert config["normalize_unicode"] == "NFC" and config["word_rules"] == WORD_RULES
    restored = Tokenizer.from_state(config, arrays)
    assert (restored.transform([NFD_NAIVE]) != tokenizer.transform([NFD_NAIVE])).nnz == 0
    # A state written before the rules existed: no normalisation, rules 1.
    old = {k: v for k, v in config.items() if k not in ("normalize_unicode", "word_rules")}
    legacy = Tokenizer.from_state(old, arrays)
    assert (legacy.normalize_unicode, legacy.word_rules) == (None, LEGACY_WORD_RULES)
    assert legacy.transform(["😀"]).nnz == 0 and legacy.transform([NFD_NAIVE]).nnz == 0
    for field, value in [("normalize_unicode", "NFD"), ("word_rules", 4)]:
        with pytest.raises(ValueError, match=field):
            Tokenizer.from_state({**config, field: value}, arrays)


def test_pickles_without_the_rules_keep_the_legacy_rules():
    tokenizer = Tokenizer(min_count=1)
    tokenizer.fit_transform(["😀 naïve"])
    assert pickle.loads(pickle.dumps(tokenizer)).transform(["😀"]).nnz == 1
    old = object.__new__(Tokenizer)
    old.__dict__.update(vars(tokenizer))
    del old.__dict__["normalize_unicode"], old.__dict__["word_rules"], old.__dict__["_splitter"]
    old.__dict__["vocabulary_"] = tokenizer.vocabulary_
    restored = pickle.loads(pickle.dumps(old))
    assert (restored.normalize_unicode, restored.word_rules) == (None, LEGACY_WORD_RULES)
    assert restored.transform(["😀"]).nnz == 0


def test_the_classifier_passes_normalize_unicode_on(tmp_path):
    X, y = ["ﬁle one", "file two", "ﬁle three", "other four"] * 5, [0, 0, 0, 1] * 5
    clf = TextClassifier(**FAST, normalize_unicode="NFKC").fit(X, y)
    assert clf.tokenizer_.normalize_unicode == "NFKC" and "file" in clf.tokenizer_.vocabulary_
    clf.save(tmp_path / "m")
    from sktext import load

    loaded = load(tmp_path / "m")
    assert loaded.get_params()["normalize_unicode"] == "NFKC"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


# -- properties ----------------------------------------------------------------------

SPECIAL = list("\u0301\u0308\u093f\u0940\u064e\u200d\ufe0f\u20e3\u3099") + [
    "😀",
    "🏽",
    "🇫",
    "東",
    "ﬁ",
    "Ａ",
    "İ",
    "ß",
    "\U000e0067",
    "\ud800",
]
TEXTS = st.text(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL)), max_size=40
)


@settings(max_examples=150, deadline=None, database=None)
@given(text=TEXTS, form=st.sampled_from(["NFC", "NFKC", None]), lowercase=st.booleans())
def test_every_word_is_a_substring_of_the_normalised_text(text, form, lowercase):
    tokenizer = Tokenizer(min_count=1, normalize_unicode=form, lowercase=lowercase)
    counts = tokenizer.fit_transform([text, text])
    assert counts.shape == (2, tokenizer.n_features_)
    normal = text if form is None else unicodedata.normalize(form, text)
    searched = normal.lower() if lowercase else normal
    assert all(word and word in searched for word in tokenizer.vocabulary_)
    found = tokenizer.token_features(text)
    assert found.tokens == [found.text[start:end] for start, end in found.spans]


@settings(max_examples=150, deadline=None, database=None)
@given(text=TEXTS)
def test_the_fast_paths_find_the_words_of_the_full_pattern(text):
    assert _words(text) == _word_patterns()[1].findall(text)
