"""Label formats under stress: a ``y`` that is almost one format, or not the
format the model was fitted on, gets a warning or an error naming the problem,
never a silently different task, a wrong score or numpy's own message."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import FAST, make_multilabel, make_single_label, to_ragged

from sktext import TextClassifier

X1, Y1 = make_single_label(120, 3, seed=61)
XM, YM = make_multilabel(120, 4, seed=62)
RAGGED = to_ragged(YM, "abcd")


@pytest.fixture(scope="module")
def models():
    """One model fitted on each kind of label format."""
    return {
        "labels": TextClassifier(**FAST).fit(X1, Y1),
        "ragged": TextClassifier(**FAST).fit(XM, RAGGED),
        "indicator": TextClassifier(**FAST).fit(XM, YM),
        "multioutput": TextClassifier(**FAST).fit(X1, np.column_stack([Y1, (Y1 + 1) % 3])),
    }


# -- item 6: an indicator matrix with a stray value --------------------------------


@pytest.mark.parametrize("stray", [2, -1])
def test_stray_value_in_an_indicator_warns_and_keeps_sklearns_reading(stray):
    Y = YM.copy()
    Y[5, 2] = stray
    with pytest.warns(UserWarning) as record:
        clf = TextClassifier(**FAST).fit(XM, Y)
    message = str(record[0].message)
    assert "1 of its 480 cells is outside {0, 1}" in message
    assert f"the first: {stray} at row 5, column 2" in message
    assert "target_type='multilabel'" in message and "fix those cells" in message
    assert clf.target_format_ == "multioutput"  # as scikit-learn reads a 2-D integer y


def test_stray_value_with_a_constant_column_names_the_real_cause():
    Y = YM.copy()
    Y[5, 2] = 2
    Y[:, 3] = 0
    with (
        pytest.warns(UserWarning, match="outside"),
        pytest.raises(ValueError, match=r"because 1 of its 480 cells is outside \{0, 1\}") as info,
    ):
        TextClassifier(**FAST).fit(XM, Y)
    assert "column 3 of y has only one class" in str(info.value)
    assert "fix those cells to 0 or 1" in str(info.value)


def test_target_type_multilabel_names_the_stray_cells():
    Y = YM.copy()
    Y[5, 2] = 2
    with pytest.raises(ValueError, match=r"row 5, column 2.*fix those cells to 0 or 1"):
        TextClassifier(**FAST, target_type="multilabel").fit(XM, Y)


def test_stray_values_in_a_dataframe_name_the_column():
    Y = pd.DataFrame(YM, columns=list("pqrs"))
    Y.iloc[7, 1] = 5
    with pytest.warns(UserWarning, match=r"the first: 5 at row 7, column 'q'"):
        TextClassifier(**FAST).fit(XM, Y)


@pytest.mark.parametrize("n_stray", [30, 13])
def test_class_labels_beyond_a_few_stray_cells_do_not_warn(n_stray):
    # 30 of 480 cells: more than 10 and than 1%. 13 of 40 in a small y of
    # genuine class labels: more than a tenth of the cells.
    n = 120 if n_stray == 30 else 10
    Y = YM[:n].copy()
    Y.ravel()[np.random.default_rng(0).choice(Y.size, n_stray, replace=False)] = 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = TextClassifier(**FAST).fit(XM[:n], Y)
    assert clf.target_format_ == "multioutput"


# -- item 13: score (and encode) with y in another format than fit's ---------------

MISMATCHES = [
    ("labels", [["a"], ["b", "c"]] * 60, r"ragged multilabel.*fitted on 1-D labels"),
    ("labels", [[0, 1], [1, 2]] * 60, r"2-D array.*fitted on 1-D labels"),
    ("labels", YM, r"2-D array.*fitted on 1-D labels"),
    ("labels", sp.csr_matrix(YM), r"2-D matrix.*fitted on 1-D labels"),
    ("labels", pd.DataFrame(YM), r"2-D matrix.*fitted on 1-D labels"),
    ("ragged", ["a", "b"] * 60, r"1-D labels.*fitted on lists of labels"),
    ("ragged", YM, r"2-D array.*fitted on lists of labels"),
    ("ragged", sp.csr_matrix(YM), r"2-D matrix.*fitted on lists of labels"),
    ("indicator", Y1, r"1-D labels.*fitted on a 0/1 indicator matrix of 4 columns"),
    ("indicator", RAGGED, r"ragged multilabel.*fitted on a 0/1 indicator matrix"),
    ("indicator", YM[:, :3], r"3 columns, but the model was fitted on a 0/1 indicator matrix of 4"),
    ("indicator", YM * 3, r"holds 3 at row \d+, column \d+.*must lie in \[0, 1\]"),
    ("indicator", np.where(YM == 1, "yes", "no"), r"2-D array of labels.*indicator matrix"),
    ("multioutput", Y1, r"1-D labels.*fitted on 2-D class labels in 2 columns"),
    ("multioutput", RAGGED, r"ragged multilabel.*fitted on 2-D class labels in 2 columns"),
    ("multioutput", np.column_stack([Y1, Y1, Y1]), r"3 columns, but the model was fitted on"),
]


@pytest.mark.parametrize(("fitted", "y", "match"), MISMATCHES)
def test_score_refuses_y_in_another_format(models, fitted, y, match):
    clf = models[fitted]
    X = XM if fitted in ("ragged", "indicator") else X1
    with pytest.raises(ValueError, match=match):
        clf.score(X, y)


def test_ragged_score_on_a_labels_model_is_not_a_number():
    """The red-team case: one-label lists of str (ragged, as fit reads them)
    were flattened into 1-D labels and scored."""
    clf = TextClassifier(**FAST).fit(X1[:8], list("abcd") * 2)
    with pytest.raises(ValueError, match="target_format_='labels'"):
        clf.score(X1[:4], [["a"], ["b"], ["c"], ["d"]])
    # Ints in one-label lists are a column vector, as scikit-learn reads them.
    ints = TextClassifier(**FAST).fit(X1[:8], [0, 1, 2, 3] * 2)
    assert 0 <= ints.score(X1[:4], [[0], [1], [2], [3]]) <= 1


# -- item 14: messages that name the parameter and the problem ----------------------


def test_partial_fit_with_another_format_names_the_mismatch():
    clf = TextClassifier(**FAST).partial_fit(X1, Y1, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"ragged multilabel.*fitted on 1-D labels"):
        clf.partial_fit(X1[:4], [[0], [1, 2], [2], [0, 1]])
    ragged = TextClassifier(**FAST).partial_fit(XM, RAGGED, classes=list("abcd"))
    with pytest.raises(ValueError, match=r"1-D labels.*fitted on lists of labels"):
        ragged.partial_fit(XM[:4], ["a", "b", "c", "d"])


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones(5), r"sample_weight has shape \(5,\); expected \(120,\)"),
        (["a"] * 120, "sample_weight must hold numbers"),
        (-np.ones(120), "sample_weight must be finite and non-negative"),
    ],
)
def test_score_checks_sample_weight(models, weights, match):
    with pytest.raises(ValueError, match=match):
        models["labels"].score(X1, Y1, sample_weight=weights)


def test_fit_names_a_str_sample_weight():
    with pytest.raises(ValueError, match="sample_weight must hold numbers"):
        TextClassifier(**FAST).fit(X1, Y1, sample_weight=["a"] * len(Y1))


def test_only_empty_label_lists_say_no_sample_has_a_label():
    X = [f"text number {i}" for i in range(300)]
    with pytest.raises(ValueError, match="no sample has any label"):
        TextClassifier(**FAST).fit(X, [[]] * 300)


@pytest.mark.parametrize("weight", ["a", float("nan"), -1.0, None])
def test_class_weight_values_must_be_numbers(weight):
    with pytest.raises(ValueError, match=r"class_weight must map labels to finite"):
        TextClassifier(**FAST, class_weight={0: weight}).fit(X1, Y1)


def test_n_jobs_zero_names_the_parameter():
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        TextClassifier(**FAST, n_jobs=0).fit(X1, Y1)



def test_labels_ending_in_nul_are_kept():
    # numpy's fixed-width str arrays drop trailing NULs: "\x00" became ""
    # (found by test_properties' single-label property).
    clf = TextClassifier(min_count=1, max_iter=3, random_state=0)
    clf.fit(["a", "b", "c", "d"], ["0", "\x00", "0", "a\x00"])
    assert clf.classes_.tolist() == sorted(["0", "\x00", "a\x00"])
    assert clf.score(["a", "b", "c", "d"], ["0", "\x00", "0", "a\x00"]) >= 0
    assert set(clf.predict(["a", "b"]).tolist()) <= {"0", "\x00", "a\x00"}
