"""Validation of X, of the X/y pairing, of fitted state and of parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sktext import TextClassifier


@pytest.fixture(scope="module")
def fitted(single3):
    Xtr, ytr, _, _ = single3
    return TextClassifier(**FAST).fit(Xtr, ytr)


@pytest.mark.parametrize(
    "container",
    [
        list,
        tuple,
        np.array,
        lambda x: np.array(x, dtype=object),
        pd.Series,
        lambda x: pd.Series(x, dtype="string"),
        lambda x: pd.Series(x, index=range(7, 7 + len(x))),
    ],
    ids=[
        "list",
        "tuple",
        "numpy_str",
        "numpy_object",
        "series",
        "series_string",
        "series_offset_index",
    ],
)
def test_x_containers(container, single3, fitted):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(**FAST).fit(container(Xtr), ytr)
    expected = fitted.predict_proba(Xte)
    np.testing.assert_array_equal(clf.predict_proba(Xte), expected)
    np.testing.assert_array_equal(fitted.predict_proba(container(Xte)), expected)
    assert fitted.predict(container(Xte)).shape == (len(Xte),)


@pytest.mark.parametrize(
    "one_column",
    [
        lambda x: pd.DataFrame({"text": x}),
        lambda x: pd.DataFrame({"text": x}, index=range(5, 5 + len(x))),
        lambda x: np.array(x, dtype=object)[:, None],
        lambda x: np.array(x)[:, None],
    ],
    ids=["dataframe", "dataframe_offset_index", "object_column", "str_column"],
)
def test_one_column_is_the_texts(one_column, single3, fitted):
    """Without text_column, a table of one column is its texts (MLflow's pyfunc
    hands predict a one-column DataFrame)."""
    Xtr, ytr, Xte, _ = single3
    expected = fitted.predict_proba(Xte)
    np.testing.assert_array_equal(fitted.predict_proba(one_column(Xte)), expected)
    clf = TextClassifier(**FAST).fit(one_column(Xtr), ytr)
    np.testing.assert_array_equal(clf.predict_proba(Xte), expected)


def test_x_generator_at_predict(fitted, single3):
    _, _, Xte, _ = single3
    np.testing.assert_array_equal(fitted.predict(x for x in Xte), fitted.predict(Xte))


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ("a single text", "single str"),
        (b"bytes", "single bytes"),
        (None, "None"),
        (["ok", 3, "ok"], "item 1 is int"),
        (["ok", None], "item 1 is NoneType"),
        (["ok", b"bytes"], "item 1 is bytes"),
        (["ok", np.nan], "item 1 is float"),
        ([["nested"], ["lists"]], "item 0 is list"),
        (np.array([["a", "b"], ["c", "d"]]), r"1-D.*shape \(2, 2\)"),
        (np.array([["a", "b", "c"]] * 2), r"1-D.*shape \(2, 3\)"),
        (pd.DataFrame({"text": ["a", "b"], "id": ["1", "2"]}), "DataFrame of 2 columns"),
        (np.array([1.0, 2.0]), "only str"),
        (12, "1-D collection of texts, got int"),
    ],
)
def test_bad_x_at_fit(X, match):
    with pytest.raises(ValueError, match=match):
        TextClassifier(**FAST).fit(X, [0, 1])


@pytest.mark.parametrize(
    "X",
    [
        "a single text",
        None,
        ["ok", 3],
        np.array([["a", "b"]]),
        pd.DataFrame({"t": ["a"], "u": ["b"]}),
        np.array([[1.0], [2.0]]),
    ],
)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_bad_x_at_predict(X, method, fitted):
    with pytest.raises(ValueError):
        getattr(fitted, method)(X)


def test_sparse_x_refused():
    import scipy.sparse as sp

    with pytest.raises(ValueError, match="1-D"):
        TextClassifier(**FAST).fit(sp.csr_matrix(np.eye(2)), [0, 1])


def test_empty_x_refused():
    with pytest.raises(ValueError, match="empty"):
        TextClassifier(**FAST).fit([], [])


@pytest.mark.parametrize(("n_x", "n_y"), [(10, 9), (9, 10)])
def test_length_mismatch(n_x, n_y):
    X = [f"doc {i}" for i in range(n_x)]
    y = [i % 2 for i in range(n_y)]
    with pytest.raises(ValueError, match=f"{n_x} texts.*{n_y} samples"):
        TextClassifier(**FAST).fit(X, y)


def test_length_mismatch_multilabel():
    X = [f"doc {i}" for i in range(10)]
    with pytest.raises(ValueError, match="10 texts.*9 samples"):
        TextClassifier(**FAST).fit(X, np.eye(3, dtype=int)[np.arange(9) % 3])
    with pytest.raises(ValueError, match="10 texts.*9 samples"):
        TextClassifier(**FAST).fit(X, [["a"], ["b", "c"], []] * 3)


def test_empty_and_whitespace_texts(single3):
    Xtr, ytr, Xte, _ = single3
    Xtr = list(Xtr)
    Xtr[:6] = ["", " ", "\t\n", "   ", "", "!!! ???"]  # no word at all
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    inputs = ["", "   ", "\n", "...", Xte[0]]
    proba = clf.predict_proba(inputs)
    assert proba.shape == (5, 3)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # Empty documents all get the same answer (the bias: class priors).
    np.testing.assert_array_equal(proba[0], proba[1])
    np.testing.assert_array_equal(proba[0], proba[3])
    assert clf.predict(inputs).shape == (5,)


def test_all_texts_empty():
    clf = TextClassifier(**FAST).fit(["", " ", "", "\t"] * 5, [0, 1, 1, 1] * 5)
    proba = clf.predict_proba(["", "unknown words"])
    assert np.isfinite(proba).all()
    # Nothing to learn from but the priors: the majority class.
    assert clf.predict(["", "x"]).tolist() == [1, 1]
    assert proba[0, 1] > proba[0, 0]


def test_unseen_words_only(fitted):
    proba = fitted.predict_proba(["zzzz qqqq", "never seen before"])
    assert np.isfinite(proba).all()
    np.testing.assert_array_equal(proba[0], proba[1])


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_not_fitted(method):
    with pytest.raises(NotFittedError):
        getattr(TextClassifier(), method)(["some text"])


def test_not_fitted_score():
    with pytest.raises(NotFittedError):
        TextClassifier().score(["some text"], [1])


@pytest.mark.parametrize(
    "params",
    [
        {"dim": 0},
        {"dim": 2.5},
        {"pooling": "max"},
        {"tokenizer": "x"},
        {"word_ngrams": 0},
        {"min_count": 0},
        {"vocab_size": 1},
        {"dropout": 1.0},
        {"dropout": -0.1},
        {"max_iter": 0},
        {"learning_rate": 0},
        {"learning_rate": -1.0},
        {"batch_size": 0},
        {"validation_fraction": 0.0},
        {"validation_fraction": 1.0},
        {"n_iter_no_change": 0},
        {"tol": -1.0},
        {"target_type": "binary"},
        {"class_weight": "auto"},
        {"lowercase": "yes"},
        {"early_stopping": "no"},
        {"char_ngrams": [2, 4]},
        {"device": 3},
    ],
)
def test_invalid_params_refused_at_fit(params, single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**{**FAST, **params})  # construction never validates
    assert clf.get_params()[next(iter(params))] == next(iter(params.values()))
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        clf.fit(Xtr, ytr)
    assert issubclass(InvalidParameterError, ValueError)


@pytest.mark.parametrize("char_ngrams", [(3,), (4, 2), (0, 3), (1, 2, 3), (2.0, 3), ("a", "b")])
def test_invalid_char_ngrams(char_ngrams, single3):
    Xtr, ytr, _, _ = single3
    with pytest.raises(ValueError, match="char_ngrams"):
        TextClassifier(char_ngrams=char_ngrams, **FAST).fit(Xtr, ytr)


def test_char_ngrams_need_words_tokenizer(single3):
    Xtr, ytr, _, _ = single3
    with pytest.raises(ValueError, match="char_ngrams"):
        TextClassifier(char_ngrams=(2, 4), tokenizer="wordpiece", **FAST).fit(Xtr, ytr)


def test_cuda_device_without_cuda(single3):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    Xtr, ytr, _, _ = single3
    with pytest.raises(ValueError, match="CUDA"):
        TextClassifier(device="cuda", **FAST).fit(Xtr, ytr)


def test_explicit_cpu_device(single3, fitted):
    Xtr, ytr, Xte, _ = single3
    clf = TextClassifier(device="cpu", **FAST).fit(Xtr, ytr)
    np.testing.assert_array_equal(clf.predict_proba(Xte), fitted.predict_proba(Xte))


def test_refit_forgets_previous_fit(single3):
    Xtr, ytr, Xte, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr, np.array(["a", "b", "c"])[ytr])
    clf.fit(Xtr, ytr)
    assert clf.classes_.tolist() == [0, 1, 2]
    assert set(clf.predict(Xte).tolist()) <= {0, 1, 2}


@pytest.mark.parametrize("tokenizer", ["words", "wordpiece"])
def test_lone_surrogates_and_odd_scripts_are_accepted(tokenizer):
    """Lone surrogates are legal in a Python str but not UTF-8: no crash."""
    texts = ["good \ud800 film", "bad \udfff movie", "good 電影 😀", "bad فيلم \x00"] * 10
    labels = ["pos", "neg", "pos", "neg"] * 10
    clf = TextClassifier(tokenizer=tokenizer, min_count=1, random_state=0).fit(texts, labels)
    assert clf.predict(["\ud800 good", "bad \udbff"]).tolist() == ["pos", "neg"]
