"""Every label format: what is learned, and what comes back (types, shapes, dtypes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import FAST, make_multilabel, make_single_label, split, to_ragged
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from sktext import TextClassifier

ACCURACY_BAR = 0.9  # held-out accuracy every single-label format must reach
F1_BAR = 0.9  # held-out micro-F1 every multilabel format must reach
ML = {**FAST, "max_iter": 10}  # multilabel (sigmoid) needs a few more epochs
NAMES = np.array(["alpha", "beta", "gamma", "delta"])


def _labels(codes: np.ndarray, kind: str):
    """Class codes 0..K-1 written as one of the 1-D label formats."""
    if kind == "str":
        return [NAMES[c] for c in codes]
    if kind == "int":
        return (np.asarray(codes) * 10 - 7).astype(np.int64)  # not 0..K-1
    if kind == "bool":
        return np.asarray(codes).astype(bool)
    if kind == "series_str":
        return pd.Series(NAMES[codes], name="label")
    if kind == "series_int":
        return pd.Series(np.asarray(codes) + 100)
    if kind == "series_category":
        return pd.Series(NAMES[codes], dtype="category")
    if kind == "object_str":
        return np.array([str(NAMES[c]) for c in codes], dtype=object)
    raise AssertionError(kind)


def _python_kind(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


# -- 1-D labels -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "n_classes"),
    [
        ("str", 2),
        ("str", 3),
        ("int", 2),
        ("int", 3),
        ("bool", 2),
        ("series_str", 3),
        ("series_int", 2),
        ("series_category", 3),
        ("object_str", 3),
    ],
)
def test_single_label_formats(kind, n_classes):
    X, codes = make_single_label(300, n_classes, seed=10 + n_classes)
    y = _labels(codes, kind)
    Xtr, Xte = X[:200], X[200:]
    y_arr = np.asarray(y)
    ytr, yte = y[:200], y_arr[200:]
    if isinstance(y, pd.Series):
        ytr = y.iloc[:200]

    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    assert clf.target_format_ == "labels"
    expected_classes = sorted(set(y_arr[:200].tolist()))
    assert clf.classes_.tolist() == expected_classes  # sorted, original values
    assert len(clf.classes_) == n_classes

    pred = clf.predict(Xte)
    assert isinstance(pred, np.ndarray)
    assert pred.shape == (100,)
    assert set(pred.tolist()) <= set(expected_classes)
    # Same kind of label as given: str stays str, int stays int, bool stays bool.
    assert {_python_kind(v) for v in pred.tolist()} == {_python_kind(y_arr[0])}
    if kind == "bool":
        assert pred.dtype == np.bool_
    if kind in ("int", "series_int"):
        assert pred.dtype.kind == "i"
    assert accuracy_score(yte, pred) >= ACCURACY_BAR

    proba = clf.predict_proba(Xte)
    assert proba.shape == (100, n_classes)
    assert proba.dtype.kind == "f"
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert ((proba >= 0) & (proba <= 1)).all()
    # predict is the most probable class.
    assert (clf.classes_[proba.argmax(axis=1)] == pred).all()

    decision = clf.decision_function(Xte)
    if n_classes == 2:
        assert decision.shape == (100,)
        assert ((decision > 0) == (pred == clf.classes_[1])).all()
    else:
        assert decision.shape == (100, n_classes)
        assert (decision.argmax(axis=1) == proba.argmax(axis=1)).all()


def test_int_labels_round_trip_values(single3):
    """Arbitrary int values (negative, gaps) come back as those values."""
    Xtr, ytr, Xte, yte = single3
    mapping = np.array([-5, 3, 1000])
    clf = TextClassifier(**FAST).fit(Xtr, mapping[ytr])
    assert clf.classes_.tolist() == [-5, 3, 1000]
    pred = clf.predict(Xte)
    assert accuracy_score(mapping[yte], pred) >= ACCURACY_BAR


def test_empty_predict_input(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    assert clf.predict([]).shape == (0,)
    assert clf.predict_proba([]).shape == (0, 3)


# -- ragged multilabel -----------------------------------------------------------


def _ragged(Y: np.ndarray, kind: str):
    rows = to_ragged(Y, NAMES.tolist())
    if kind == "lists":
        return rows
    if kind == "tuples":
        return [tuple(r) for r in rows]
    if kind == "sets":
        return [set(r) for r in rows]
    if kind == "object_array":
        out = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):
            out[i] = r
        return out
    if kind == "series":
        return pd.Series(rows)
    if kind == "int_lists":
        return [[int(j) for j in np.flatnonzero(r)] for r in Y]
    raise AssertionError(kind)


@pytest.fixture(scope="module")
def multilabel_data():
    X, Y = make_multilabel(450, 4, seed=3)
    return split(X, Y, 300)


@pytest.mark.parametrize("kind", ["lists", "tuples", "sets", "object_array", "series", "int_lists"])
def test_ragged_formats(kind, multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    y = _ragged(Ytr, kind)
    assert (Ytr.sum(axis=1) == 0).any()  # some samples have no label
    clf = TextClassifier(**ML).fit(Xtr, y)
    assert clf.target_format_ == "ragged"
    names = list(range(4)) if kind == "int_lists" else sorted(NAMES.tolist())
    assert clf.classes_.tolist() == names

    pred = clf.predict(Xte)
    assert isinstance(pred, list) and len(pred) == len(Xte)
    assert all(isinstance(row, tuple) for row in pred)
    order = {c: i for i, c in enumerate(clf.classes_.tolist())}
    for row in pred:
        assert all(label in order for label in row)
        assert [order[label] for label in row] == sorted(order[label] for label in row)
        assert len(set(row)) == len(row)
    assert any(len(row) == 0 for row in pred)  # empty predictions allowed
    assert any(len(row) >= 2 for row in pred)

    proba = clf.predict_proba(Xte)
    assert proba.shape == (len(Xte), 4)
    assert ((proba >= 0) & (proba <= 1)).all()
    # Independent sigmoids: rows do not sum to 1.
    assert np.abs(proba.sum(axis=1) - 1).max() > 0.5
    assert clf.decision_function(Xte).shape == (len(Xte), 4)

    mlb = MultiLabelBinarizer(classes=clf.classes_.tolist())
    truth = mlb.fit_transform(_ragged(Yte, "int_lists" if kind == "int_lists" else "lists"))
    predicted = mlb.transform(pred)
    assert f1_score(truth, predicted, average="micro") >= F1_BAR
    # Predictions are the thresholded probabilities.
    assert (predicted == (proba >= 0.5)).all()


# -- indicator matrices -----------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint8, np.bool_, np.float32])
def test_indicator_numpy_keeps_dtype(dtype, multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    clf = TextClassifier(**ML).fit(Xtr, Ytr.astype(dtype))
    assert clf.target_format_ == "indicator"
    assert clf.classes_.tolist() == [0, 1, 2, 3]
    pred = clf.predict(Xte)
    assert isinstance(pred, np.ndarray)
    assert pred.dtype == np.dtype(dtype)
    assert pred.shape == Yte.shape
    assert set(np.unique(pred.astype(int)).tolist()) <= {0, 1}
    assert f1_score(Yte, pred.astype(int), average="micro") >= F1_BAR
    proba = clf.predict_proba(Xte)
    assert proba.shape == Yte.shape
    assert np.abs(proba.sum(axis=1) - 1).max() > 0.5


def test_indicator_sparse(multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    clf = TextClassifier(**ML).fit(Xtr, sp.csr_matrix(Ytr))
    assert clf.target_format_ == "indicator"
    assert clf.classes_.tolist() == [0, 1, 2, 3]
    pred = clf.predict(Xte)
    assert sp.issparse(pred) and pred.format == "csr"
    assert pred.shape == Yte.shape
    assert f1_score(Yte, pred.toarray(), average="micro") >= F1_BAR
    # Other sparse formats are read too.
    clf2 = TextClassifier(**ML).fit(Xtr, sp.csc_matrix(Ytr))
    np.testing.assert_array_equal(clf2.predict(Xte).toarray(), pred.toarray())


def test_indicator_dataframe(multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    columns = ["sports", "politics", "tech", "arts"]
    frame = pd.DataFrame(Ytr, columns=columns)
    clf = TextClassifier(**ML).fit(Xtr, frame)
    assert clf.target_format_ == "indicator"
    assert clf.classes_.tolist() == columns  # column names, in column order
    pred = clf.predict(Xte)
    assert isinstance(pred, pd.DataFrame)
    assert pred.columns.tolist() == columns
    assert pred.shape == Yte.shape
    assert f1_score(Yte, pred.to_numpy(), average="micro") >= F1_BAR
    # score reads a DataFrame truth.
    assert clf.score(Xte, pd.DataFrame(Yte, columns=columns)) == pytest.approx(
        f1_score(Yte, pred.to_numpy(), average="micro")
    )


def test_equal_length_label_lists_are_ragged_not_matrix():
    """[["a","b"], ["b","c"]] (equal lengths) are label lists, not a 2-D matrix."""
    X, Y = make_multilabel(200, 3, seed=4, p=0.0)
    # every sample: exactly two labels
    pairs = [["alpha", "beta"], ["beta", "gamma"], ["alpha", "gamma"]]
    codes = np.arange(200) % 3
    rows = [pairs[c] for c in codes]
    X = [f"{x} {' '.join(r)}" for x, r in zip(X, rows, strict=True)]
    clf = TextClassifier(**ML).fit(X[:150], rows[:150])
    assert clf.target_format_ == "ragged"
    assert clf.classes_.tolist() == ["alpha", "beta", "gamma"]
    assert all(isinstance(r, tuple) for r in clf.predict(X[150:]))


# -- soft labels -----------------------------------------------------------------


def test_soft_labels_follow_targets(single3):
    Xtr, ytr, Xte, yte = single3
    # Label 0: 0.8 for class-0 documents, 0.1 otherwise; label 1: 0.2 / 0.9;
    # label 2: always 0.5.
    soft = np.where(ytr[:, None] == 0, [0.8, 0.2, 0.5], [0.1, 0.9, 0.5])
    clf = TextClassifier(**ML).fit(Xtr, soft)
    assert clf.target_format_ == "soft"
    assert clf.classes_.tolist() == [0, 1, 2]
    proba = clf.predict_proba(Xte)
    on, off = proba[yte == 0].mean(axis=0), proba[yte != 0].mean(axis=0)
    assert on[0] > on[1] + 0.3  # 0.8 vs 0.2
    assert off[1] > off[0] + 0.5  # 0.9 vs 0.1
    np.testing.assert_allclose(on[:2], [0.8, 0.2], atol=0.1)
    np.testing.assert_allclose(off[:2], [0.1, 0.9], atol=0.1)
    np.testing.assert_allclose(proba[:, 2].mean(), 0.5, atol=0.1)
    pred = clf.predict(Xte)
    assert isinstance(pred, np.ndarray)
    assert pred.dtype == np.int64
    assert pred.shape == (len(Xte), 3)
    assert set(np.unique(pred).tolist()) <= {0, 1}
    # Thresholded at 0.5: class-0 documents get label 0, the others label 1.
    assert (pred[yte == 0, 0] == 1).mean() > 0.9
    assert (pred[yte != 0, 1] == 1).mean() > 0.9


# -- target_type="multiclass" ------------------------------------------------------


@pytest.mark.parametrize("container", ["numpy", "sparse", "dataframe"])
def test_multiclass_one_hot(container, single3):
    Xtr, ytr, Xte, yte = single3
    onehot = np.eye(3, dtype=np.int32)[ytr]
    if container == "sparse":
        y = sp.csr_matrix(onehot)
    elif container == "dataframe":
        y = pd.DataFrame(onehot, columns=["x", "y", "z"])
    else:
        y = onehot
    clf = TextClassifier(target_type="multiclass", **FAST).fit(Xtr, y)
    proba = clf.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)  # softmax
    pred = clf.predict(Xte)
    if container == "sparse":
        assert sp.issparse(pred)
        pred = pred.toarray()
    elif container == "dataframe":
        assert isinstance(pred, pd.DataFrame)
        assert pred.columns.tolist() == ["x", "y", "z"]
        assert clf.classes_.tolist() == ["x", "y", "z"]
        pred = pred.to_numpy()
    else:
        assert pred.dtype == np.int32
    assert pred.shape == (len(Xte), 3)
    assert (pred.sum(axis=1) == 1).all()  # one-hot rows
    assert accuracy_score(yte, pred.argmax(axis=1)) >= ACCURACY_BAR
    assert (pred.argmax(axis=1) == proba.argmax(axis=1)).all()
    # score is accuracy against the one-hot truth.
    assert clf.score(Xte, np.eye(3, dtype=np.int32)[yte]) == pytest.approx(
        accuracy_score(yte, pred.argmax(axis=1))
    )


def test_multiclass_soft_probabilities(single3):
    Xtr, ytr, Xte, yte = single3
    # Class-c documents: probability 0.7 on c, 0.3 on (c + 1) % 3.
    target = np.zeros((len(ytr), 3))
    target[np.arange(len(ytr)), ytr] = 0.7
    target[np.arange(len(ytr)), (ytr + 1) % 3] = 0.3
    clf = TextClassifier(target_type="multiclass", **ML).fit(Xtr, target)
    proba = clf.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    rows = np.arange(len(yte))
    np.testing.assert_allclose(proba[rows, yte].mean(), 0.7, atol=0.1)
    np.testing.assert_allclose(proba[rows, (yte + 1) % 3].mean(), 0.3, atol=0.1)
    pred = clf.predict(Xte)
    assert pred.shape == (len(Xte), 3)
    assert (pred.sum(axis=1) == 1).all()
    assert set(np.unique(pred).tolist()) == {0, 1}
    assert accuracy_score(yte, pred.argmax(axis=1)) >= ACCURACY_BAR


def test_multiclass_rows_must_sum_to_one(multilabel_data):
    Xtr, Ytr, _, _ = multilabel_data
    with pytest.raises(ValueError, match="one-hot|sum"):
        TextClassifier(target_type="multiclass", **FAST).fit(Xtr, Ytr)


def test_target_type_multilabel_rejects_1d(single3):
    Xtr, ytr, _, _ = single3
    with pytest.raises(ValueError, match="multilabel"):
        TextClassifier(target_type="multilabel", **FAST).fit(Xtr, ytr)


def test_target_type_multilabel_accepts_multilabel(multilabel_data):
    Xtr, Ytr, _, _ = multilabel_data
    clf = TextClassifier(target_type="multilabel", **FAST).fit(Xtr, Ytr)
    assert clf.target_format_ == "indicator"


def test_target_type_multiclass_rejects_ragged(multilabel_data):
    Xtr, Ytr, _, _ = multilabel_data
    with pytest.raises(ValueError, match="ragged"):
        TextClassifier(target_type="multiclass", **FAST).fit(Xtr, to_ragged(Ytr, "abcd"))


# -- conversions and refusals ------------------------------------------------------


def test_column_vector_y_warns_and_works_as_1d(single3):
    Xtr, ytr, Xte, yte = single3
    with pytest.warns(DataConversionWarning):
        clf = TextClassifier(**FAST).fit(Xtr, ytr.reshape(-1, 1))
    assert clf.target_format_ == "labels"
    ref = TextClassifier(**FAST).fit(Xtr, ytr)
    assert clf.classes_.tolist() == [0, 1, 2]
    pred = clf.predict(Xte)
    assert pred.shape == (len(Xte),)
    np.testing.assert_array_equal(clf.predict_proba(Xte), ref.predict_proba(Xte))


def test_float_regression_target_refused(single3):
    Xtr, ytr, _, _ = single3
    y = ytr + np.linspace(0.01, 0.5, len(ytr))
    with pytest.raises(ValueError, match="regression"):
        TextClassifier(**FAST).fit(Xtr, y)
    with pytest.raises(ValueError, match="regression"):
        TextClassifier(**FAST).fit(Xtr, y.tolist())


def test_integral_floats_are_class_labels(single3):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr.astype(float))
    assert clf.classes_.tolist() == [0.0, 1.0, 2.0]
    assert accuracy_score(yte.astype(float), clf.predict(Xte)) >= ACCURACY_BAR


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (["a"] * 20, "one class"),
        ([3] * 20, "one class"),
        # Equal-length empty lists: a ragged y in which no sample has a label.
        ([[] for _ in range(20)], "empty|2 columns"),
        ([set() for _ in range(20)], "empty"),
        (pd.Series([[] for _ in range(20)]), "empty"),
        (["a", "b"] * 9 + [None, "a"], "None|NaN|missing"),
        ([0.0, 1.0] * 9 + [np.nan, 1.0], "NaN"),
        ([1, 0] * 9 + [None, 1], "None|NaN|missing"),
        ([["a"], ["b", None]] * 10, "missing"),
        ([["a"], ["b", np.nan]] * 10, "missing"),
        (["a", 1] * 10, "mixes"),
        (["a", 1.0] * 10, "mixes"),
        ([True, 1] * 10, "mixes"),
        ([["a", ["b"]], ["c"]] * 10, "sequence"),
        ([[["a"]], [["b"], ["c"]]] * 10, "sequence"),
        ([["a"], "b"] * 10, "not a list"),
        (np.tile([[0.5, 1.5], [0.2, 0.1]], (10, 1)), r"outside \[0, 1\]"),
        (np.tile([[0.5, -0.1], [0.2, 0.1]], (10, 1)), r"outside \[0, 1\]"),
        (np.tile([[0.5, np.nan], [0.2, 0.1]], (10, 1)), "NaN"),
        (np.tile([[0.5, np.inf], [0.2, 0.1]], (10, 1)), "NaN|infinite"),
        (np.ones((20, 1, 2)), "1-D or 2-D"),
        (None, "None"),
        ("ab" * 10, "sequence"),
        ({"a": 1}, "sequence"),
    ],
)
def test_bad_targets_refused(y, match):
    X = [f"text number {i}" for i in range(20)]
    with pytest.raises(ValueError, match=match):
        TextClassifier(**FAST).fit(X, y)


def test_indicator_needs_two_columns():
    X = [f"text number {i}" for i in range(20)]
    # (n, 1) is read as 1-D labels with a warning, so a single column of a
    # sparse matrix or DataFrame is refused.
    with pytest.raises(ValueError, match="2 columns"):
        TextClassifier(**FAST).fit(X, sp.csr_matrix(np.ones((20, 1))))


def test_wrong_number_of_columns_at_score(multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    clf = TextClassifier(**FAST).fit(Xtr, Ytr)
    with pytest.raises(ValueError, match="columns"):
        clf.score(Xte, Yte[:, :3])


# -- threshold and at_least_one ------------------------------------------------------


@pytest.fixture(scope="module")
def ml_reference(multilabel_data):
    """Probabilities of the default multilabel model on the held-out texts."""
    Xtr, Ytr, Xte, _ = multilabel_data
    clf = TextClassifier(**ML).fit(Xtr, Ytr)
    return clf.predict_proba(Xte)


def _fit_ml(multilabel_data, **params):
    Xtr, Ytr, Xte, _ = multilabel_data
    clf = TextClassifier(**{**ML, **params}).fit(Xtr, Ytr)
    return clf, clf.predict(Xte), clf.predict_proba(Xte)


def test_threshold_zero_predicts_every_label(multilabel_data, ml_reference):
    _, pred, proba = _fit_ml(multilabel_data, threshold=0.0)
    np.testing.assert_array_equal(proba, ml_reference)  # threshold: decision only
    assert (pred == 1).all()


def test_threshold_one_predicts_none(multilabel_data, ml_reference):
    _, pred, proba = _fit_ml(multilabel_data, threshold=1.0, at_least_one=False)
    assert proba.max() < 1.0
    assert (pred == 0).all()
    _, pred, _ = _fit_ml(multilabel_data, threshold=1.0, at_least_one=True)
    assert (pred.sum(axis=1) == 1).all()  # exactly one label each
    np.testing.assert_array_equal(pred.argmax(axis=1), proba.argmax(axis=1))


def test_at_least_one_auto(multilabel_data, ml_reference):
    Xtr, Ytr, Xte, _ = multilabel_data
    # Some training samples have no label: empty predictions are allowed.
    clf = TextClassifier(**ML).fit(Xtr, Ytr)
    assert clf.every_sample_labelled_ is False
    assert (clf.predict(Xte).sum(axis=1) == 0).any()
    # Every training sample has a label: so does every prediction.
    has_label = Ytr.sum(axis=1) > 0
    Xl = [x for x, keep in zip(Xtr, has_label, strict=True) if keep]
    for y in (Ytr[has_label], to_ragged(Ytr[has_label], "abcd")):
        clf = TextClassifier(**ML).fit(Xl, y)
        assert clf.every_sample_labelled_ is True
        pred = clf.predict(Xte + ["", "unknown words only"])
        lengths = [len(r) for r in pred] if isinstance(pred, list) else pred.sum(axis=1)
        assert min(lengths) >= 1
        assert clf.at_least_one == "auto"  # the parameter is left alone
    # Single-label targets never need it.
    X1, y1 = make_single_label(60, 2, seed=8)
    assert TextClassifier(**FAST).fit(X1, y1).every_sample_labelled_ is False


def test_at_least_one_auto_soft_labels_round_at_half():
    """A soft row with every value below 0.5 has no label: "auto" stays off."""
    X = ["alpha beta", "gamma delta", "eps zeta"] * 20
    soft = np.array([[0.9, 0.1], [0.1, 0.9], [0.1, 0.2]] * 20)
    clf = TextClassifier(**{**FAST, "max_iter": 20}).fit(X, soft)
    assert clf.every_sample_labelled_ is False
    assert clf.predict(["eps zeta"]).tolist() == [[0, 0]]
    keep = soft.max(axis=1) >= 0.5  # rows [0.9, 0.1] and [0.1, 0.9] only
    clf = TextClassifier(**FAST).fit([x for x, k in zip(X, keep, strict=True) if k], soft[keep])
    assert clf.every_sample_labelled_ is True


def test_at_least_one_fills_only_empty_rows(multilabel_data, ml_reference):
    _, plain, _ = _fit_ml(multilabel_data, at_least_one=False)
    _, filled, _ = _fit_ml(multilabel_data, at_least_one=True)
    empty = plain.sum(axis=1) == 0
    assert empty.any()
    np.testing.assert_array_equal(filled[~empty], plain[~empty])
    assert (filled[empty].sum(axis=1) == 1).all()
    np.testing.assert_array_equal(filled[empty].argmax(axis=1), ml_reference[empty].argmax(axis=1))


def test_threshold_scalar_moves_decisions(multilabel_data, ml_reference):
    _, low, _ = _fit_ml(multilabel_data, threshold=0.2, at_least_one=False)
    _, high, _ = _fit_ml(multilabel_data, threshold=0.8, at_least_one=False)
    np.testing.assert_array_equal(low, (ml_reference >= 0.2).astype(low.dtype))
    np.testing.assert_array_equal(high, (ml_reference >= 0.8).astype(high.dtype))
    assert low.sum() > high.sum()


def test_threshold_per_class_vector(multilabel_data, ml_reference):
    threshold = np.array([0.0, 1.0, 0.5, 0.3])
    _, pred, _ = _fit_ml(multilabel_data, threshold=threshold, at_least_one=False)
    assert (pred[:, 0] == 1).all()
    assert (pred[:, 1] == 0).all()
    np.testing.assert_array_equal(pred[:, 2], ml_reference[:, 2] >= 0.5)
    np.testing.assert_array_equal(pred[:, 3], ml_reference[:, 3] >= 0.3)
    # A list works as well as an array.
    _, pred_list, _ = _fit_ml(multilabel_data, threshold=threshold.tolist())
    np.testing.assert_array_equal(pred_list, pred)


@pytest.mark.parametrize(
    "threshold", [[0.5, 0.5, 0.5], [0.5] * 5, [[0.5] * 4], [0.5, 0.5, 0.5, 1.5]]
)
def test_threshold_bad_vector(threshold, multilabel_data):
    Xtr, Ytr, _, _ = multilabel_data
    with pytest.raises(ValueError, match="threshold"):
        TextClassifier(threshold=threshold, **FAST).fit(Xtr, Ytr)


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_bad_scalar(threshold, multilabel_data):
    Xtr, Ytr, _, _ = multilabel_data
    with pytest.raises(ValueError, match="threshold"):
        TextClassifier(threshold=threshold, **FAST).fit(Xtr, Ytr)


def test_threshold_ignored_for_single_label(single3):
    Xtr, ytr, Xte, _ = single3
    a = TextClassifier(**FAST).fit(Xtr, ytr).predict(Xte)
    b = TextClassifier(threshold=0.99, at_least_one=True, **FAST).fit(Xtr, ytr).predict(Xte)
    np.testing.assert_array_equal(a, b)


# -- score ---------------------------------------------------------------------------


def test_score_single_label_is_accuracy(single3):
    Xtr, ytr, Xte, yte = single3
    y_str = NAMES[:3]
    # A weak model, so that accuracy is not trivially 1.
    clf = TextClassifier(**{**FAST, "max_iter": 1}).fit(Xtr, y_str[ytr])
    pred = clf.predict(Xte)
    assert clf.score(Xte, y_str[yte]) == pytest.approx(accuracy_score(y_str[yte], pred))
    weights = np.random.default_rng(0).random(len(yte))
    assert clf.score(Xte, y_str[yte], sample_weight=weights) == pytest.approx(
        accuracy_score(y_str[yte], pred, sample_weight=weights)
    )


def test_score_unseen_single_labels_are_misses(single3):
    Xtr, ytr, Xte, yte = single3
    y_str = NAMES[:3]
    clf = TextClassifier(**FAST).fit(Xtr, y_str[ytr])
    truth = y_str[yte].astype(object)
    base = clf.score(Xte, truth)
    truth[:30] = "never-seen"
    pred = clf.predict(Xte)
    score = clf.score(Xte, truth)
    assert score == pytest.approx(accuracy_score(truth.astype(str), pred.astype(str)))
    assert score <= base - 30 / len(truth) + 1e-9
    # Unseen labels of another type (an int among str) are misses too.
    mixed = y_str[yte].astype(object)
    mixed[:10] = 99
    hits = (pred[10:] == y_str[yte][10:]).sum()
    assert clf.score(Xte, mixed) == pytest.approx(hits / len(truth))


def test_score_multilabel_is_micro_f1(multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    clf = TextClassifier(**{**ML, "max_iter": 4}).fit(Xtr, Ytr)
    pred = clf.predict(Xte)
    score = clf.score(Xte, Yte)
    assert score == pytest.approx(f1_score(Yte, pred, average="micro"))
    assert 0 < score < 1  # a weak model: the comparison is not trivial
    weights = np.random.default_rng(0).random(len(Yte))
    assert clf.score(Xte, Yte, sample_weight=weights) == pytest.approx(
        f1_score(Yte, pred, average="micro", sample_weight=weights)
    )


def test_score_ragged_is_micro_f1(multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    names = NAMES.tolist()
    clf = TextClassifier(**{**ML, "max_iter": 4}).fit(Xtr, to_ragged(Ytr, names))
    truth = to_ragged(Yte, names)
    mlb = MultiLabelBinarizer(classes=clf.classes_.tolist())
    expected = f1_score(mlb.fit_transform(truth), mlb.transform(clf.predict(Xte)), average="micro")
    assert 0 < expected < 1
    assert clf.score(Xte, truth) == pytest.approx(expected)


def test_score_unseen_ragged_labels_are_false_negatives(multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    names = NAMES.tolist()
    clf = TextClassifier(**ML).fit(Xtr, to_ragged(Ytr, names))
    truth = to_ragged(Yte, names)
    base = clf.score(Xte, truth)
    with_unseen = [row + ["omega"] if i % 3 == 0 else row for i, row in enumerate(truth)]
    score = clf.score(Xte, with_unseen)
    assert score < base
    # Same as sklearn's micro-F1 over the seen labels plus the unseen one.
    mlb = MultiLabelBinarizer(classes=clf.classes_.tolist() + ["omega"])
    expected = f1_score(
        mlb.fit_transform(with_unseen), mlb.transform(clf.predict(Xte)), average="micro"
    )
    assert score == pytest.approx(expected)


def test_score_length_mismatch(single3):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    with pytest.raises(ValueError):
        clf.score(Xte, yte[:-1])


# -- class_weight and sample_weight ------------------------------------------------


@pytest.fixture(scope="module")
def imbalanced():
    """Binary data, 90% class 0, with weak signal so the prior matters."""
    rng = np.random.default_rng(5)
    X, y = make_single_label(600, 2, seed=5, n_filler=12, n_signal=1)
    keep = np.flatnonzero((y == 0) | (rng.random(len(y)) < 0.12))
    X = [X[i] for i in keep]
    y = y[keep]
    return X, y


def test_class_weight_balanced_raises_minority(imbalanced):
    X, y = imbalanced
    # One epoch: with supervised pooling two already separate the training
    # documents, and a separated class's mean probability no longer moves.
    params = {**FAST, "max_iter": 1}
    plain = TextClassifier(**params).fit(X, y).predict_proba(X)[:, 1]
    balanced = TextClassifier(class_weight="balanced", **params).fit(X, y)
    assert balanced.predict_proba(X)[:, 1].mean() > plain.mean() + 0.05
    minority = TextClassifier(class_weight={1: 10.0}, **params).fit(X, y)
    assert minority.predict_proba(X)[:, 1].mean() > plain.mean() + 0.05
    majority = TextClassifier(class_weight={0: 10.0}, **params).fit(X, y)
    assert majority.predict_proba(X)[:, 1].mean() < plain.mean()


def test_class_weight_multilabel(multilabel_data):
    Xtr, Ytr, Xte, _ = multilabel_data
    params = {**ML, "max_iter": 3}
    plain = TextClassifier(**params).fit(Xtr, Ytr).predict_proba(Xte)
    for weight in ("balanced", {0: 5.0, 1: 5.0, 2: 5.0, 3: 5.0}):
        weighted = TextClassifier(class_weight=weight, **params).fit(Xtr, Ytr)
        # Positive examples weigh more: every label becomes more probable.
        assert (weighted.predict_proba(Xte).mean(axis=0) > plain.mean(axis=0)).all()


def test_class_weight_ragged_dict_by_name(multilabel_data):
    Xtr, Ytr, Xte, _ = multilabel_data
    names = NAMES.tolist()
    params = {**ML, "max_iter": 3}
    plain = TextClassifier(**params).fit(Xtr, to_ragged(Ytr, names))
    heavy = TextClassifier(class_weight={"beta": 20.0}, **params).fit(Xtr, to_ragged(Ytr, names))
    j = heavy.classes_.tolist().index("beta")
    assert heavy.predict_proba(Xte)[:, j].mean() > plain.predict_proba(Xte)[:, j].mean()


def test_class_weight_unknown_label(single3):
    Xtr, ytr, _, _ = single3
    with pytest.raises(ValueError, match="class_weight"):
        TextClassifier(class_weight={7: 2.0}, **FAST).fit(Xtr, ytr)


def test_zero_sample_weight_removes_a_class(single3):
    Xtr, ytr, Xte, yte = single3
    plain = TextClassifier(**FAST).fit(Xtr, ytr)
    assert (plain.predict(Xte)[yte == 2] == 2).mean() > 0.9
    weights = np.where(ytr == 2, 0.0, 1.0)
    weighted = TextClassifier(**FAST).fit(Xtr, ytr, sample_weight=weights)
    assert weighted.classes_.tolist() == [0, 1, 2]  # still a known class
    assert (weighted.predict(Xte) == 2).sum() == 0


def test_sample_weight_scale_invariant(single3):
    Xtr, ytr, Xte, _ = single3
    weights = np.random.default_rng(1).random(len(ytr)) + 0.5
    a = TextClassifier(**FAST).fit(Xtr, ytr, sample_weight=weights).predict_proba(Xte)
    b = TextClassifier(**FAST).fit(Xtr, ytr, sample_weight=weights * 7).predict_proba(Xte)
    np.testing.assert_allclose(a, b, atol=1e-4)
    ones = TextClassifier(**FAST).fit(Xtr, ytr, sample_weight=np.ones(len(ytr)))
    np.testing.assert_array_equal(
        ones.predict_proba(Xte), TextClassifier(**FAST).fit(Xtr, ytr).predict_proba(Xte)
    )


def test_sample_weight_multilabel(multilabel_data):
    Xtr, Ytr, Xte, Yte = multilabel_data
    weights = np.where(Ytr[:, 0] == 1, 0.0, 1.0)
    clf = TextClassifier(**ML).fit(Xtr, Ytr, sample_weight=weights)
    # Label 0 was only ever seen as positive with zero weight.
    assert clf.predict_proba(Xte)[:, 0].max() < 0.5


@pytest.mark.parametrize(
    "weights",
    [
        np.ones(5),
        -np.ones(300),
        np.full(300, np.nan),
        np.full(300, np.inf),
        np.zeros(300),
        np.ones((300, 1)),
        ["a"] * 300,
    ],
)
def test_bad_sample_weight(weights, single3):
    Xtr, ytr, _, _ = single3
    with pytest.raises(ValueError):
        TextClassifier(**FAST).fit(Xtr, ytr, sample_weight=weights)


def test_threshold_change_applies_without_refit(multilabel_data):
    """Decision parameters are read at predict time, like a tuned threshold."""
    Xtr, Ytr, Xte, _ = multilabel_data
    clf = TextClassifier(**ML).fit(Xtr, Ytr)
    default = clf.predict(Xte).sum()
    assert clf.set_params(threshold=0.0).predict(Xte).all()
    assert clf.set_params(threshold=1.0, at_least_one=False).predict(Xte).sum() == 0
    assert clf.set_params(threshold=0.5, at_least_one="auto").predict(Xte).sum() == default
