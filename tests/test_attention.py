"""The attention encoder: transformer layers over the token sequence, with
padding masks, positions, truncation and three poolings."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import make_multilabel, make_single_label, signature

from sktext import TextClassifier, load

SMALL = {
    "encoder": "attention",
    "dim": 16,
    "n_heads": 2,
    "max_iter": 10,
    "min_count": 1,
    "random_state": 0,
}
POOLINGS = ["mean", "attention", "label"]


@pytest.fixture(scope="module")
def data():
    X, y = make_single_label(450, 3, seed=11)
    return X[:300], y[:300], X[300:], y[300:]


@pytest.mark.parametrize("pooling", POOLINGS)
def test_learns_single_label(pooling, data):
    Xtr, ytr, Xte, yte = data
    clf = TextClassifier(attention_pooling=pooling, **SMALL).fit(Xtr, ytr)
    assert clf.score(Xte, yte) > 0.9
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    n_queries = {"mean": 0, "attention": 1, "label": 3}[pooling]
    assert clf.model_.query.shape == (n_queries, 16)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_learns_multilabel(pooling):
    X, Y = make_multilabel(450, 4, seed=12)
    clf = TextClassifier(attention_pooling=pooling, **SMALL).fit(X[:300], Y[:300])
    assert clf.score(X[300:], Y[300:]) > 0.8
    assert clf.predict(X[300:]).shape == (150, 4)


def test_word_order_is_seen():
    """The class is the order of two words: a bag of words cannot tell."""
    rng = np.random.default_rng(0)
    texts, y = [], []
    for i in range(600):
        filler = " ".join(rng.choice([f"w{k}" for k in range(20)], 3))
        first, second = ("alpha", "omega") if i % 2 else ("omega", "alpha")
        texts.append(f"{filler} {first} {second}")
        y.append(i % 2)
    y = np.array(y)
    attention = TextClassifier(**{**SMALL, "max_iter": 20}).fit(texts[:400], y[:400])
    bag = TextClassifier(word_ngrams=1, min_count=1, random_state=0).fit(texts[:400], y[:400])
    assert attention.score(texts[400:], y[400:]) > 0.95
    assert bag.score(texts[400:], y[400:]) < 0.7


def test_padding_does_not_change_a_text(data):
    Xtr, ytr, Xte, _ = data
    clf = TextClassifier(**SMALL).fit(Xtr, ytr)
    long_text = " ".join([Xte[1]] * 5)
    alone = clf.predict_proba([Xte[0]])
    padded = clf.predict_proba([Xte[0], long_text])[:1]  # Xte[0] padded to long_text
    np.testing.assert_allclose(padded, alone, atol=1e-6)


def test_truncation_at_max_length(data):
    Xtr, ytr, _, _ = data
    clf = TextClassifier(max_length=8, **SMALL).fit(Xtr, ytr)
    text = "sig0x0 sig0x1 filler1 filler2 filler3 filler4 filler5 filler6"
    tail = " sig1x0" * 50  # past the first 8 tokens: never read
    np.testing.assert_allclose(
        clf.decision_function([text + tail]), clf.decision_function([text]), atol=1e-6
    )
    explanation = clf.explain([text + tail], classes="all")[0]
    assert (explanation.attributions[:, 8:] == 0).all()


def test_deterministic(data):
    Xtr, ytr, Xte, _ = data
    a = TextClassifier(**SMALL).fit(Xtr, ytr).predict_proba(Xte)
    b = TextClassifier(**SMALL).fit(Xtr, ytr).predict_proba(Xte)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_explanations_by_integrated_gradients(pooling, data):
    Xtr, ytr, Xte, yte = data
    clf = TextClassifier(attention_pooling=pooling, **SMALL).fit(Xtr, ytr)
    explanations = clf.explain(Xte[:40])
    logits = clf.decision_function(Xte[:40])
    tops = []
    for explanation, row, truth in zip(explanations, logits, yte[:40], strict=True):
        (label,) = explanation.classes
        np.testing.assert_allclose(explanation.logits, row[[label]], atol=1e-5)
        # Completeness up to the quadrature error of 128 steps.
        total = explanation.bias + explanation.attributions.sum(axis=1)
        np.testing.assert_allclose(total, explanation.logits, atol=0.1)
        if label == truth:
            tops.append(explanation.top(k=1)[0][0] in signature(label))
    assert np.mean(tops) > 0.9


def test_saved_pickled_and_refusals(data, tmp_path):
    Xtr, ytr, Xte, _ = data
    clf = TextClassifier(attention_pooling="label", **SMALL).fit(Xtr, ytr)
    clf.save(tmp_path / "m.sktext")
    for again in (load(tmp_path / "m.sktext"), pickle.loads(pickle.dumps(clf))):
        np.testing.assert_array_equal(again.predict_proba(Xte), clf.predict_proba(Xte))
    assert clf.transform(Xte).shape == (len(Xte), 16)
    with pytest.raises(ValueError, match="attention encoder"):
        clf.to_onnx(tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="partial_fit supports encoder='bag'"):
        TextClassifier(**SMALL).partial_fit(Xtr, ytr, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="divisible by n_heads"):
        TextClassifier(**{**SMALL, "n_heads": 3}).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="encoder='bag' only"):
        TextClassifier(char_ngrams=(2, 3), **SMALL).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="max_features applies to encoder='bag'"):
        TextClassifier(max_features=100, **SMALL).fit(Xtr, ytr)


@pytest.mark.parametrize("merge", ["sum", "concat"])
def test_side_features(merge):
    texts, y = make_single_label(450, 3, seed=13, n_signal=0)  # filler only
    frame = pd.DataFrame({"text": texts, "region": np.array(["n", "s", "e"])[y]})
    clf = TextClassifier(
        text_column="text",
        categorical_columns=["region"],
        categorical_merge=merge,
        attention_pooling="label",
        **SMALL,
    ).fit(frame[:300], y[:300])
    assert clf.score(frame[300:], y[300:]) > 0.95
    explanation = clf.explain(frame[300:301])[0]
    assert np.isfinite(explanation.attributions).all()


@pytest.mark.parametrize("tokenizer", ["wordpiece", "hash"])
def test_other_tokenizers(tokenizer, data):
    Xtr, ytr, Xte, yte = data
    clf = TextClassifier(tokenizer=tokenizer, vocab_size=400, n_buckets=4096, **SMALL)
    assert clf.fit(Xtr, ytr).score(Xte, yte) > 0.9
    explanation = clf.explain(Xte[:1])[0]
    assert len(explanation.tokens) == explanation.attributions.shape[1]


@pytest.mark.parametrize(
    "params",
    [
        {"encoder": "bag"},
        {"encoder": "bag", "pooling": "mean"},
        {"encoder": "attention"},
        {"encoder": "attention", "attention_pooling": "attention"},
        {"encoder": "attention", "attention_pooling": "label"},
        {"encoder": "attention", "dim": 50},
    ],
    ids=lambda p: "-".join(map(str, p.values())),
)
def test_every_encoder_and_pooling_fits_at_its_defaults(params):
    # TextClassifier(encoder="attention") failed: dim=50 is not divisible by
    # the default n_heads=4. dim and n_heads now default to "auto".
    X, y = make_single_label(90, 3, seed=40)
    clf = TextClassifier(max_iter=1, min_count=1, random_state=0, **params).fit(X, y)
    assert clf.predict_proba(X).shape == (90, 3)
    expected_dim = params.get("dim", 64 if params["encoder"] == "attention" else 50)
    assert clf.transform(X[:2]).shape == (2, expected_dim)
