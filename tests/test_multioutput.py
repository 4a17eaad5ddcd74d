"""Multi-output targets: a 2-D ``y`` of class labels, one column per output."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from conftest import FAST, FILLER, signature
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, KFold

import sktext
from sktext import TextClassifier
from sktext.formats import make_target
from sktext.loss import make_loss

COARSE = np.array(["animal", "plant", "stone"])
FINE = np.array([10, 20, 30, 40])  # ints beyond {0, 1}: class labels, not an indicator
ACCURACY_BAR = 0.9  # held-out accuracy each output must reach


def make_two_outputs(n: int, seed: int, p_first: float | None = None):
    """Texts with the signature words of two independent outputs: ``a`` in
    0..2 (signatures 0..2) and ``b`` in 0..3 (signatures 10..13)."""
    rng = np.random.default_rng(seed)
    a = rng.choice(3, n, p=p_first)
    a[:3] = [0, 1, 2]  # every class present
    b = np.arange(n) % 4
    rng.shuffle(b)
    texts = []
    for i in range(n):
        words = list(rng.choice(FILLER, 6))
        words += list(rng.choice(signature(int(a[i])), 2))
        words += list(rng.choice(signature(10 + int(b[i])), 2))
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts, a, b


@pytest.fixture(scope="module")
def data():
    """300 train + 150 test documents and their two label codes."""
    X, a, b = make_two_outputs(450, seed=0)
    return X[:300], a[:300], b[:300], X[300:], a[300:], b[300:]


def _frame(a, b) -> pd.DataFrame:
    return pd.DataFrame({"coarse": COARSE[a], "fine": FINE[b]})


def test_learns_each_output_with_one_shared_encoder(data):
    Xtr, atr, btr, Xte, ate, bte = data
    y = np.column_stack([COARSE[atr], FINE[btr].astype(str)])
    clf = TextClassifier(**FAST).fit(Xtr, y)
    assert clf.target_format_ == "multioutput"
    assert [c.tolist() for c in clf.classes_] == [
        ["animal", "plant", "stone"],
        ["10", "20", "30", "40"],
    ]
    # One embedding table and one linear layer whose output blocks are the heads.
    assert clf.model_.head.out_features == 3 + 4

    pred = clf.predict(Xte)
    assert isinstance(pred, np.ndarray)
    assert pred.shape == (len(Xte), 2) and pred.dtype.kind == "U"
    assert accuracy_score(COARSE[ate], pred[:, 0]) >= ACCURACY_BAR
    assert accuracy_score(FINE[bte].astype(str), pred[:, 1]) >= ACCURACY_BAR

    proba = clf.predict_proba(Xte)
    assert isinstance(proba, list) and [p.shape for p in proba] == [(150, 3), (150, 4)]
    for k, p in enumerate(proba):
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
        assert (clf.classes_[k][p.argmax(axis=1)] == pred[:, k]).all()
    decision = clf.decision_function(Xte)
    assert isinstance(decision, list) and [d.shape for d in decision] == [(150, 3), (150, 4)]
    assert (decision[1].argmax(axis=1) == proba[1].argmax(axis=1)).all()


def test_int_labels_keep_their_values(data):
    Xtr, atr, btr, Xte, ate, bte = data
    clf = TextClassifier(**FAST).fit(Xtr, np.column_stack([atr, FINE[btr]]))
    assert clf.target_format_ == "multioutput"
    assert [c.tolist() for c in clf.classes_] == [[0, 1, 2], [10, 20, 30, 40]]
    pred = clf.predict(Xte)
    assert pred.dtype.kind == "i" and pred.shape == (150, 2)
    assert accuracy_score(ate, pred[:, 0]) >= ACCURACY_BAR
    assert accuracy_score(FINE[bte], pred[:, 1]) >= ACCURACY_BAR


def test_dataframe_in_dataframe_out(data):
    Xtr, atr, btr, Xte, ate, bte = data
    clf = TextClassifier(**FAST).fit(Xtr, _frame(atr, btr))
    assert [c.tolist() for c in clf.classes_] == [COARSE.tolist(), FINE.tolist()]
    pred = clf.predict(Xte)
    assert isinstance(pred, pd.DataFrame)
    assert pred.columns.tolist() == ["coarse", "fine"] and pred.shape == (150, 2)
    assert pred["fine"].dtype.kind == "i"  # each column keeps its own type
    assert set(pred["coarse"]) <= set(COARSE.tolist())
    assert accuracy_score(COARSE[ate], pred["coarse"].to_numpy()) >= ACCURACY_BAR
    assert accuracy_score(FINE[bte], pred["fine"].to_numpy()) >= ACCURACY_BAR
    empty = clf.predict([])
    assert isinstance(empty, pd.DataFrame) and empty.shape == (0, 2)
    assert [p.shape for p in clf.predict_proba([])] == [(0, 3), (0, 4)]


def test_mixed_column_types_come_back_as_objects(data):
    Xtr, atr, btr, Xte, _, _ = data
    y = np.empty((len(Xtr), 2), dtype=object)
    y[:, 0], y[:, 1] = COARSE[atr], FINE[btr].tolist()
    clf = TextClassifier(**FAST).fit(Xtr, y)
    pred = clf.predict(Xte)
    assert pred.dtype == object
    assert {type(v) for v in pred[:, 0]} == {str}
    assert {type(v) for v in pred[:, 1]} <= {int, np.int64}  # not "10"


@pytest.mark.parametrize(
    ("y", "format"),
    [
        (np.array([[0, 1], [1, 0], [1, 1]] * 4), "indicator"),
        (np.array([[0, 1], [1, 0], [1, 1]] * 4, dtype=bool), "indicator"),
        (np.array([[0.0, 1.0], [1.0, 0.0]] * 6), "indicator"),
        (np.array([[0.2, 1.0], [1.0, 0.5]] * 6), "soft"),
        (np.array([[0, 1], [1, 2], [2, 0]] * 4), "multioutput"),
        (np.array([[0, -1], [1, 1]] * 6), "multioutput"),
        (np.array([[0.0, 3.0], [1.0, 2.0]] * 6), "multioutput"),
        (np.array([["a", "x"], ["b", "y"]] * 6), "multioutput"),
        ([[0, 2], [1, 3]] * 6, "multioutput"),
        (pd.DataFrame({"p": ["a", "b"] * 6, "q": [0, 1] * 6}), "multioutput"),
        (pd.DataFrame({"p": [0, 1] * 6, "q": [1, 0] * 6}), "indicator"),
    ],
)
def test_detection(y, format):
    """Integers (or bools, or floats) 0/1 only are an indicator; floats in
    [0, 1] soft labels; anything else is multi-output."""
    assert make_target(y).format == format


def test_non_integral_floats_outside_unit_interval_are_regression():
    with pytest.raises(ValueError, match="regression"):
        make_target(np.array([[0.5, 2.5], [1.0, 3.0]] * 6))
    # A float column among label columns is refused the same way.
    with pytest.raises(ValueError, match="column 'q' of y.*regression"):
        make_target(pd.DataFrame({"p": ["a", "b"] * 6, "q": [0.5, 1.5] * 6}))


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (pd.DataFrame({"coarse": ["a", "b"] * 10, "fine": ["x"] * 20}), "column 'fine'.*one class"),
        (np.array([["a", "x"], ["b", "x"]] * 10), "column 1 of y has only one class"),
        (pd.DataFrame({"coarse": ["a", None] * 10, "fine": ["x", "y"] * 10}), "None"),
        (pd.DataFrame({"coarse": ["a", 1] * 10, "fine": ["x", "y"] * 10}), "mixes"),
    ],
)
def test_bad_columns_refused(y, match):
    X = [f"text number {i}" for i in range(20)]
    with pytest.raises(ValueError, match=match):
        TextClassifier(**FAST).fit(X, y)


@pytest.mark.parametrize("target_type", ["multiclass", "multilabel"])
def test_target_type_does_not_apply(target_type):
    X = [f"text number {i}" for i in range(20)]
    y = np.array([["a", "x"], ["b", "y"]] * 10)
    with pytest.raises(ValueError, match="multi-output"):
        TextClassifier(target_type=target_type, **FAST).fit(X, y)


def test_score_is_subset_accuracy(data):
    Xtr, atr, btr, Xte, ate, bte = data
    # A weak model, so that the outputs disagree on some samples.
    clf = TextClassifier(**{**FAST, "max_iter": 1, "dim": 4}).fit(Xtr, _frame(atr, btr))
    truth = _frame(ate, bte)
    pred = clf.predict(Xte)
    every = (pred.to_numpy() == truth.to_numpy()).all(axis=1)
    # MultiOutputClassifier.score: np.mean(np.all(y == y_pred, axis=1)).
    assert clf.score(Xte, truth) == pytest.approx(every.mean())
    per_output = [accuracy_score(truth[c], pred[c]) for c in truth.columns]
    assert 0 < clf.score(Xte, truth) < min(per_output)  # not trivial, not a mean
    weights = np.random.default_rng(0).random(len(Xte))
    assert clf.score(Xte, truth, sample_weight=weights) == pytest.approx(
        np.average(every, weights=weights)
    )
    # A numpy truth scores like the frame (columns are matched by position).
    assert clf.score(Xte, truth.to_numpy(dtype=object)) == clf.score(Xte, truth)


def test_unseen_labels_are_misses(data):
    Xtr, atr, btr, Xte, ate, bte = data
    clf = TextClassifier(**FAST).fit(Xtr, _frame(atr, btr))
    truth = _frame(ate, bte)
    base = clf.score(Xte, truth)
    truth.loc[:29, "fine"] = 99  # never seen in training
    expected = (clf.predict(Xte).to_numpy() == truth.to_numpy()).all(axis=1).mean()
    assert clf.score(Xte, truth) == pytest.approx(expected)
    assert clf.score(Xte, truth) <= base - 30 / len(truth) + 1e-9
    with pytest.raises(ValueError, match=r"column 1 of y holds labels not among classes_\[1\]"):
        clf.set_params(warm_start=True).fit(Xte, truth)


def test_wrong_number_of_columns(data):
    Xtr, atr, btr, Xte, ate, bte = data
    clf = TextClassifier(**FAST).fit(Xtr, _frame(atr, btr))
    for y in (COARSE[ate], _frame(ate, bte).iloc[:, :1], np.column_stack([ate, bte, bte])):
        with pytest.raises(ValueError, match="2 columns, one per output"):
            clf.score(Xte, y)


def test_save_load_and_pickle_round_trip(tmp_path, data):
    Xtr, atr, btr, Xte, _, _ = data
    for y in (_frame(atr, btr), np.column_stack([COARSE[atr], FINE[btr]])):
        clf = TextClassifier(**FAST).fit(Xtr, y)
        clf.save(tmp_path / "model.sktext")
        for copy in (sktext.load(tmp_path / "model.sktext"), pickle.loads(pickle.dumps(clf))):
            assert copy.target_format_ == "multioutput"
            assert [c.tolist() for c in copy.classes_] == [c.tolist() for c in clf.classes_]
            for a, b in zip(copy.predict_proba(Xte), clf.predict_proba(Xte), strict=True):
                np.testing.assert_array_equal(a, b)
            pred, expected = copy.predict(Xte), clf.predict(Xte)
            if isinstance(expected, pd.DataFrame):
                pd.testing.assert_frame_equal(pred, expected)
            else:
                assert pred.dtype == expected.dtype
                np.testing.assert_array_equal(pred, expected)


def test_grid_search(data):
    Xtr, atr, btr, _, _, _ = data
    search = GridSearchCV(TextClassifier(**FAST), {"dim": [4, 16]}, cv=KFold(3))
    search.fit(Xtr, _frame(atr, btr))
    assert search.best_params_ == {"dim": 16}
    assert 0.8 <= search.best_score_ <= 1.0
    assert search.predict(Xtr[:5]).columns.tolist() == ["coarse", "fine"]


def test_early_stopping_scores_subset_accuracy(data):
    Xtr, atr, btr, _, _, _ = data
    clf = TextClassifier(**{**FAST, "max_iter": 20}, early_stopping=True).fit(Xtr, _frame(atr, btr))
    assert len(clf.validation_scores_) == clf.n_iter_ < 20
    assert clf.best_validation_score_ == max(clf.validation_scores_) >= 0.9


def test_class_weight(data):
    X, a, b = make_two_outputs(300, seed=1, p_first=[0.8, 0.1, 0.1])
    y = _frame(a, b)
    params = {**FAST, "max_iter": 1}
    plain = TextClassifier(**params).fit(X, y).predict_proba(X)[0]
    balanced = TextClassifier(class_weight="balanced", **params).fit(X, y).predict_proba(X)[0]
    # Each output is balanced on its own: the rare classes of the first gain.
    assert balanced[:, 1:].mean() > plain[:, 1:].mean() + 0.05
    with pytest.raises(ValueError, match="class_weight as a dict"):
        TextClassifier(class_weight={"plant": 2.0}, **params).fit(X, y)


def test_partial_fit_takes_one_label_array_per_output(data):
    Xtr, atr, btr, Xte, ate, bte = data
    y = _frame(atr, btr)
    with pytest.raises(ValueError, match="needs classes=.*one array per output"):
        TextClassifier(**FAST).partial_fit(Xtr[:100], y.iloc[:100])
    classes = [COARSE, np.append(FINE, 50)]  # 50: a label the stream may hold
    stream = TextClassifier(**FAST)
    for _ in range(5):
        for start in range(0, 300, 100):
            stream.partial_fit(Xtr[start : start + 100], y.iloc[start : start + 100], classes)
    assert [c.tolist() for c in stream.classes_] == [COARSE.tolist(), [10, 20, 30, 40, 50]]
    assert stream.score(Xte, _frame(ate, bte)) >= 0.8
    with pytest.raises(ValueError, match="classes differs"):
        stream.partial_fit(Xtr[:100], y.iloc[:100], [COARSE, FINE])
    # A first batch may hold a single class of an output: classes declares the rest.
    single = TextClassifier(**FAST).partial_fit(Xtr[:100], y.iloc[:100].assign(fine=10), classes)
    assert single.classes_[1].tolist() == [10, 20, 30, 40, 50]
    with pytest.raises(ValueError, match="classes has 1 arrays but y has 2 outputs"):
        TextClassifier(**FAST).partial_fit(Xtr[:100], y.iloc[:100], [COARSE])


def test_loss_is_the_sum_of_per_output_cross_entropies():
    logits = torch.randn(5, 7)
    targets = torch.tensor([[0, 3], [1, 0], [2, 1], [0, 2], [1, 3]])
    expected = F.cross_entropy(logits[:, :3], targets[:, 0], reduction="none") + F.cross_entropy(
        logits[:, 3:], targets[:, 1], reduction="none"
    )
    loss = make_loss("multioutput", output_sizes=(3, 4))
    torch.testing.assert_close(loss(logits, targets), expected)
