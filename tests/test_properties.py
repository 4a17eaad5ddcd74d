"""Property tests: arbitrary unicode texts and label structures in every format.

Whatever the texts (emoji, CJK, right-to-left scripts, control characters,
empty strings) and whatever the labels, ``fit`` either succeeds or raises the
documented ValueError (too few classes, no label at all), and the outputs
have the type, shape and label set of the format given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sktext import TextClassifier

PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,  # write no .hypothesis directory into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)

SPECIAL_TEXTS = [
    "",
    " ",
    "\t\n",
    "😀 🚀 👩‍👩‍👧",
    "日本語のテキスト",
    "中文 文本",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u200f\u200e\u202e",
    "\x00\x01\x1f\x7f",
    "a\u0301 e\u0300",
    "ＡＢＣ ｆｕｌｌ",
    "word word word",
    "Ünïcödé ß",
    "\ufeffbom",
    "tab\tsep\nline",
]
WORDS = ["alpha", "beta", "gamma", "δέλτα", "эпсилон", "ζ", "猫", "犬", "🙂"]

texts_strategy = st.one_of(
    st.text(st.characters(codec=None), max_size=30),  # any code point but surrogates
    st.sampled_from(SPECIAL_TEXTS),
    st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join),
)

label_values = st.one_of(
    st.lists(st.text(max_size=5), min_size=1, max_size=4, unique=True),
    st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=4, unique=True),
    st.just([False, True]),
)


def params_strategy():
    return st.fixed_dictionaries(
        {
            "max_iter": st.just(1),
            "dim": st.just(8),
            "min_count": st.integers(1, 2),
            "random_state": st.just(0),
            "word_ngrams": st.integers(1, 3),
            "pooling": st.sampled_from(["tfidf", "mean"]),
            "lowercase": st.booleans(),
            "batch_size": st.sampled_from([1, 3, 64]),
        }
    ).flatmap(
        lambda p: st.one_of(
            st.just({**p, "tokenizer": "words"}),
            st.just({**p, "tokenizer": "words", "char_ngrams": (2, 3)}),
            st.just({**p, "tokenizer": "wordpiece", "vocab_size": 40}),
        )
    )


@st.composite
def texts_and(draw, n_min: int = 1, n_max: int = 8):
    n = draw(st.integers(n_min, n_max))
    return draw(st.lists(texts_strategy, min_size=n, max_size=n))


def _check_proba(proba: np.ndarray, n: int, n_classes: int, rows_sum_to_one: bool) -> None:
    assert isinstance(proba, np.ndarray)
    assert proba.shape == (n, n_classes)
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    if rows_sum_to_one and n:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)


# -- 1-D labels ----------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data(), params=params_strategy(), test_texts=st.lists(texts_strategy, max_size=5))
def test_property_single_label(data, params, test_texts):
    X = data.draw(texts_and())
    values = data.draw(label_values)
    y = data.draw(st.lists(st.sampled_from(values), min_size=len(X), max_size=len(X)))
    as_array = data.draw(st.booleans())
    y_in = np.array(y) if as_array else y
    clf = TextClassifier(**params)
    n_distinct = len(set(y))
    if n_distinct < 2:
        with pytest.raises(ValueError, match="one class"):
            clf.fit(X, y_in)
        return
    clf.fit(X, y_in)
    assert clf.target_format_ == "labels"
    assert clf.classes_.tolist() == sorted(set(y))
    pred = clf.predict(test_texts)
    assert isinstance(pred, np.ndarray)
    assert pred.shape == (len(test_texts),)
    assert set(pred.tolist()) <= set(y)
    assert all(type(p) is type(y[0]) for p in pred.tolist())  # same Python type back
    _check_proba(clf.predict_proba(test_texts), len(test_texts), n_distinct, True)
    decision = clf.decision_function(test_texts)
    assert decision.shape == (
        (len(test_texts),) if n_distinct == 2 else (len(test_texts), n_distinct)
    )
    assert 0.0 <= clf.score(X, y_in) <= 1.0


@PROPERTY_SETTINGS
@given(
    X=texts_and(n_min=2),
    labels=st.lists(
        st.one_of(st.text(max_size=3), st.integers(0, 3), st.booleans()), min_size=2, max_size=8
    ),
)
def test_property_mixed_label_types_refused(X, labels):
    y = (labels * len(X))[: len(X)]
    kinds_used = {"bool" if isinstance(v, bool) else type(v).__name__ for v in y}
    clf = TextClassifier(max_iter=1, dim=8, min_count=1)
    if len(kinds_used) > 1:
        with pytest.raises(ValueError, match="mixes"):
            clf.fit(X, y)
    elif len(set(y)) < 2:
        with pytest.raises(ValueError, match="one class"):
            clf.fit(X, y)
    else:
        clf.fit(X, y)
        assert set(clf.predict(X).tolist()) <= set(y)


# -- ragged multilabel -------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data(), params=params_strategy(), test_texts=st.lists(texts_strategy, max_size=5))
def test_property_ragged(data, params, test_texts):
    X = data.draw(texts_and())
    use_int = data.draw(st.booleans())
    pool = (
        data.draw(st.lists(st.integers(0, 50), min_size=1, max_size=5, unique=True))
        if use_int
        else data.draw(st.lists(st.text(max_size=4), min_size=1, max_size=5, unique=True))
    )
    rows = data.draw(
        st.lists(
            st.lists(st.sampled_from(pool), max_size=3, unique=True),
            min_size=len(X),
            max_size=len(X),
        )
    )
    # Sets are always ragged; equal-length lists of numbers would be read as a
    # 0/1 matrix, so int labels come in sets.
    container = "set" if use_int else data.draw(st.sampled_from(["list", "tuple", "set"]))
    convert = {"list": list, "tuple": tuple, "set": set}[container]
    y = [convert(r) for r in rows]
    if data.draw(st.booleans()):
        y = pd.Series(y)
    clf = TextClassifier(**params)
    seen = sorted({label for r in rows for label in r})
    if not seen:
        with pytest.raises(ValueError, match="empty|2 columns"):
            clf.fit(X, y)
        return
    clf.fit(X, y)
    assert clf.target_format_ == "ragged"
    assert clf.classes_.tolist() == seen
    pred = clf.predict(test_texts)
    assert isinstance(pred, list) and len(pred) == len(test_texts)
    order = {c: i for i, c in enumerate(seen)}
    for row in pred:
        assert isinstance(row, tuple)
        assert all(label in order for label in row)
        assert [order[label] for label in row] == sorted(order[label] for label in row)
        if clf.every_sample_labelled_:
            assert len(row) >= 1
    _check_proba(clf.predict_proba(test_texts), len(test_texts), len(seen), False)
    assert 0.0 <= clf.score(X, y) <= 1.0


# -- indicator and soft matrices -----------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data(), params=params_strategy(), test_texts=st.lists(texts_strategy, max_size=5))
def test_property_indicator(data, params, test_texts):
    X = data.draw(texts_and())
    n_labels = data.draw(st.integers(2, 4))
    Y = np.array(
        data.draw(
            st.lists(
                st.lists(st.integers(0, 1), min_size=n_labels, max_size=n_labels),
                min_size=len(X),
                max_size=len(X),
            )
        )
    )
    kind = data.draw(st.sampled_from(["int64", "int8", "bool", "sparse", "dataframe"]))
    if kind == "sparse":
        y = sp.csr_matrix(Y)
    elif kind == "dataframe":
        y = pd.DataFrame(Y, columns=[f"label {j}" for j in range(n_labels)])
    else:
        y = Y.astype(kind)
    clf = TextClassifier(**params).fit(X, y)
    assert clf.target_format_ == "indicator"
    pred = clf.predict(test_texts)
    if kind == "sparse":
        assert sp.issparse(pred)
        dense = pred.toarray()
    elif kind == "dataframe":
        assert isinstance(pred, pd.DataFrame)
        assert pred.columns.tolist() == y.columns.tolist()
        assert clf.classes_.tolist() == y.columns.tolist()
        dense = pred.to_numpy()
    else:
        assert isinstance(pred, np.ndarray) and pred.dtype == np.dtype(kind)
        assert clf.classes_.tolist() == list(range(n_labels))
        dense = pred
    assert dense.shape == (len(test_texts), n_labels)
    assert set(np.unique(dense.astype(int)).tolist()) <= {0, 1}
    if clf.every_sample_labelled_ and len(test_texts):
        assert (dense.sum(axis=1) >= 1).all()
    _check_proba(clf.predict_proba(test_texts), len(test_texts), n_labels, False)
    assert 0.0 <= clf.score(X, y) <= 1.0


@PROPERTY_SETTINGS
@given(data=st.data(), params=params_strategy(), test_texts=st.lists(texts_strategy, max_size=5))
def test_property_soft(data, params, test_texts):
    X = data.draw(texts_and())
    n_labels = data.draw(st.integers(2, 4))
    unit = st.floats(0.0, 1.0, allow_nan=False)
    Y = np.array(
        data.draw(
            st.lists(
                st.lists(unit, min_size=n_labels, max_size=n_labels),
                min_size=len(X),
                max_size=len(X),
            )
        )
    )
    multiclass = data.draw(st.booleans())
    if multiclass:  # rows as probability distributions
        Y = Y + 1e-3
        Y = Y / Y.sum(axis=1, keepdims=True)
    clf = TextClassifier(**params, target_type="multiclass" if multiclass else None)
    clf.fit(X, Y)
    hard = np.isin(Y, (0.0, 1.0)).all()
    assert clf.target_format_ == ("indicator" if hard else "soft")
    pred = clf.predict(test_texts)
    assert isinstance(pred, np.ndarray)
    assert pred.shape == (len(test_texts), n_labels)
    if not hard:
        assert pred.dtype == np.int64
    assert set(np.unique(pred).tolist()) <= {0, 1}
    if multiclass:
        assert (pred.sum(axis=1) == 1).all()  # one-hot rows
    _check_proba(clf.predict_proba(test_texts), len(test_texts), n_labels, multiclass)
    assert 0.0 <= clf.score(X, Y) <= 1.0


# -- X of arbitrary texts --------------------------------------------------------------------


# Arbitrary texts often hold no token at all: the warning that says so is expected.
@pytest.mark.filterwarnings("ignore:no token was kept")
@PROPERTY_SETTINGS
@given(X=texts_and(n_min=2, n_max=10), params=params_strategy(), early=st.booleans())
def test_property_any_texts(X, params, early):
    y = np.arange(len(X)) % 2
    clf = TextClassifier(**params, early_stopping=early).fit(X, y)
    proba = clf.predict_proba(X)
    _check_proba(proba, len(X), 2, True)
    # Predictions are a function of the text alone: duplicates agree.
    first = {}
    for text, row in zip(X, proba, strict=True):
        if text in first:
            np.testing.assert_array_equal(row, first[text])
        first[text] = row
