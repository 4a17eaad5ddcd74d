"""explain(): token attributions, exact for the bag model, with character spans."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST, make_multilabel, signature
from sklearn.exceptions import NotFittedError

from sktext import TextClassifier
from sktext.tokenizer import Tokenizer

CONFIGS = [
    pytest.param({}, id="words+bigrams"),
    pytest.param({"word_ngrams": 3, "char_ngrams": (3, 4)}, id="trigrams+chars"),
    pytest.param({"word_ngrams": (2, 2)}, id="bigrams-only"),
    pytest.param({"max_features": 60}, id="max_features"),
    pytest.param({"tokenizer": "hash", "n_buckets": 4096}, id="hash"),
    pytest.param({"tokenizer": "wordpiece", "vocab_size": 300}, id="wordpiece"),
    pytest.param({"pooling": "mean"}, id="mean"),
]


@pytest.mark.parametrize("params", CONFIGS)
def test_token_feature_shares_add_up_to_the_counts(params, single3):
    Xtr, ytr, Xte, _ = single3
    clf = TextClassifier(**{**FAST, **params}).fit(Xtr, ytr)
    tokenizer: Tokenizer = clf.tokenizer_
    for text in Xte[:20]:
        found = tokenizer.token_features(text)
        counts = np.bincount(found.feature, weights=found.share, minlength=clf.n_features_)
        np.testing.assert_allclose(counts, tokenizer.transform([text]).toarray()[0], atol=1e-9)


@pytest.mark.parametrize("params", CONFIGS)
def test_attributions_are_complete(params, single3):
    """Token attributions plus the bias give the logits, for every class."""
    Xtr, ytr, Xte, _ = single3
    clf = TextClassifier(**{**FAST, **params}).fit(Xtr, ytr)
    explanations = clf.explain(Xte[:20], classes="all")
    logits = clf.decision_function(Xte[:20])
    for explanation, row in zip(explanations, logits, strict=True):
        assert explanation.attributions.shape == (3, len(explanation.tokens))
        total = explanation.bias + explanation.attributions.sum(axis=1)
        np.testing.assert_allclose(total, row, atol=1e-5)
        np.testing.assert_allclose(explanation.logits, row, atol=1e-5)


def test_deciding_words_get_the_largest_attributions(single3):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    predicted = clf.predict(Xte)
    explanations = clf.explain(Xte)
    right = 0
    for explanation, label, truth in zip(explanations, predicted, yte, strict=True):
        assert explanation.classes.tolist() == [label]  # the predicted class by default
        if label != truth:
            continue
        right += 1
        top_token, top_score = explanation.top(k=1)[0]
        assert top_token in signature(label), explanation.top(k=3)
        assert top_score > 0
    assert right > 0.9 * len(yte)


def test_multilabel_explains_each_predicted_label():
    X, Y = make_multilabel(450, 4, seed=3)
    clf = TextClassifier(**FAST).fit(X[:300], Y[:300])
    predicted = clf.predict(X[300:])
    hits, total = 0, 0
    for explanation, row, truth in zip(clf.explain(X[300:]), predicted, Y[300:], strict=True):
        labels = np.flatnonzero(row)
        if not len(labels):  # a text with no label explains its most probable one
            assert len(explanation.classes) == 1
            continue
        assert explanation.classes.tolist() == labels.tolist()
        for label in np.flatnonzero(row & truth):
            total += 1
            hits += explanation.top(label, k=1)[0][0] in signature(label)
    # A text may hold one signature word among eight fillers, one of which can
    # carry a little weight by chance: nearly always, the signature word wins.
    assert hits >= 0.95 * total, (hits, total)


def test_spans_point_into_the_text():
    texts = ["Good MOVIE, great acting!", "bad movie; awful acting", "good film", "bad film"] * 5
    y = [1, 0, 1, 0] * 5
    clf = TextClassifier(**FAST).fit(texts, y)
    explanation = clf.explain(["A GOOD movie... truly great."])[0]
    assert explanation.tokens == ["A", "GOOD", "movie", "truly", "great"]
    for token, (start, end) in zip(explanation.tokens, explanation.spans, strict=True):
        assert explanation.text[start:end] == token


def test_spans_index_the_preprocessed_text():
    texts = ["café noir", "thé vert", "café crème", "thé noir"] * 5
    y = [0, 1, 0, 1] * 5
    clf = TextClassifier(strip_accents="unicode", preprocessor=str.upper, **FAST).fit(texts, y)
    explanation = clf.explain(["un café"])[0]
    assert explanation.text == "UN CAFE" and explanation.tokens == ["UN", "CAFE"]
    assert explanation.top(k=1)[0][0] == "CAFE"


def test_chinese_characters_are_tokens_with_spans():
    texts = ["今天天气很好", "股票市场上涨", "今天下雨了", "银行股票下跌"] * 10
    y = ["weather", "finance", "weather", "finance"] * 10
    clf = TextClassifier(**FAST).fit(texts, y)
    explanation = clf.explain(["股票下跌"], classes="finance")[0]
    assert explanation.tokens == ["股", "票", "下", "跌"]
    assert explanation.spans == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert explanation.attributions.sum() > 0


def test_html_escapes_and_shades():
    texts = ["good <b>movie</b>", "bad movie", "good film", "bad film"] * 5
    y = [1, 0, 1, 0] * 5
    clf = TextClassifier(**FAST).fit(texts, y)
    page = clf.explain(["a <script>good</script> & film"], classes=1)[0].to_html()
    assert "<script" not in page and "&lt;" in page and "&amp;" in page
    assert page.count("<span") == 5  # a, script, good, script, film


def test_explain_errors(single3):
    Xtr, ytr, Xte, _ = single3
    with pytest.raises(NotFittedError):
        TextClassifier().explain(Xte[:2])
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="not among classes_"):
        clf.explain(Xte[:2], classes=[7])
    with pytest.raises(ValueError, match="not among the explained classes"):
        clf.explain(Xte[:1], classes=0)[0].top(2)
    multioutput = TextClassifier(**FAST).fit(Xtr, np.stack([ytr, ytr % 2], axis=1))
    with pytest.raises(ValueError, match="multi-output"):
        multioutput.explain(Xte[:2])
