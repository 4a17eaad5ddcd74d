"""ONNX export and the ONNX Runtime predictor answer as the torch estimator does."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from sktext import TextClassifier, load  # noqa: E402
from sktext.datasets import make_text_classification  # noqa: E402
from sktext.onnx import OnnxPredictor, export_onnx  # noqa: E402
from sktext.onnx_graph import require  # noqa: E402

TEXTS, LABELS = make_text_classification(400, 3, random_state=0)
_, TAGS = make_text_classification(400, 3, multilabel=True, random_state=0)
# Empty documents first, in the middle, in a row and last: the graph's
# token-to-document mapping must skip them all.
TEST = ["", *TEXTS[:150], "", "", "unknownword", TEXTS[150], ""]


def _check_same(clf: TextClassifier, predictor: OnnxPredictor) -> None:
    expected, got = clf.predict_proba(TEST), predictor.predict_proba(TEST)
    if isinstance(expected, list):  # multi-output
        assert len(got) == len(expected)
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_allclose(g, e, atol=1e-5, rtol=0)
    else:
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    predicted, served = clf.predict(TEST), predictor.predict(TEST)
    if isinstance(predicted, list):  # ragged
        assert served == predicted
    else:
        np.testing.assert_array_equal(served, predicted)


@pytest.mark.parametrize(
    ("y", "params"),
    [
        pytest.param(LABELS, {}, id="multiclass"),
        pytest.param(np.array(LABELS) == "class_0", {}, id="binary"),
        pytest.param(TAGS, {}, id="multilabel"),
        pytest.param(TAGS, {"threshold": 0.3, "at_least_one": True}, id="multilabel-rule"),
        pytest.param(LABELS, {"tokenizer": "wordpiece", "vocab_size": 300}, id="wordpiece"),
        pytest.param(
            LABELS, {"pooling": "mean", "tokenizer": "hash", "n_buckets": 5000}, id="hash"
        ),
        pytest.param(
            np.column_stack([LABELS, np.where(np.arange(400) % 2, "odd", "even")]),
            {},
            id="multioutput",
        ),
    ],
)
def test_onnx_matches_torch(tmp_path, y, params):
    clf = TextClassifier(random_state=0, min_count=1, **params).fit(TEXTS, y)
    clf.to_onnx(tmp_path / "model.onnx")
    _check_same(clf, OnnxPredictor(tmp_path / "model.onnx", clf))


def test_predictor_from_saved_model(tmp_path):
    clf = TextClassifier(random_state=0).fit(TEXTS, TAGS)
    clf.save(tmp_path / "model.sktext")
    export_onnx(load(tmp_path / "model.sktext"), tmp_path / "model.onnx")
    predictor = OnnxPredictor(str(tmp_path / "model.onnx"), str(tmp_path / "model.sktext"))
    _check_same(clf, predictor)
    assert predictor.classes_.tolist() == clf.classes_.tolist()


def test_empty_inputs(tmp_path):
    clf = TextClassifier(random_state=0).fit(TEXTS, LABELS)
    clf.to_onnx(tmp_path / "model.onnx")
    predictor = OnnxPredictor(tmp_path / "model.onnx", clf)
    assert predictor.predict_proba([]).shape == (0, 3)
    assert len(predictor.predict([])) == 0
    # Documents without a single known token: the prior (bias) alone.
    np.testing.assert_allclose(
        predictor.predict_proba(["", ""]), clf.predict_proba(["", ""]), atol=1e-6
    )
    with pytest.raises(ValueError, match="single str"):
        predictor.predict("one text")


def test_onnx_file_of_another_model_is_refused(tmp_path):
    first = TextClassifier(random_state=0).fit(TEXTS, LABELS)
    second = TextClassifier(random_state=1).fit(TEXTS, LABELS)
    first.to_onnx(tmp_path / "first.onnx")
    with pytest.raises(ValueError, match="not exported from this sktext model"):
        OnnxPredictor(tmp_path / "first.onnx", second)


def test_export_needs_fitted_model(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TextClassifier().to_onnx(tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_missing_dependency_names_the_extra():
    with pytest.raises(ImportError, match=r"sktext\[onnx\]"):
        require("onnxruntime_not_installed_here")
