"""sktext among other tools: skops, MLflow, scikit-learn's set_output, pickles."""

from __future__ import annotations

import datetime
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, make_multilabel, make_single_label, to_ragged
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktext import TextClassifier

TRUSTED = ["sktext.classifier.TextClassifier"]


def _models() -> dict:
    X, y = make_single_label(120, 3, seed=5)
    Xm, Y = make_multilabel(120, 4, seed=5)
    frame = pd.DataFrame({"text": X, "region": np.array(["n", "s", None])[y]})
    return {
        "labels": (TextClassifier(**FAST), X, np.array(["x", "y", "z"])[y]),
        "ragged": (TextClassifier(**FAST, threshold=0.4), Xm, to_ragged(Y, "abcd")),
        "indicator": (TextClassifier(**FAST, tokenizer="wordpiece", vocab_size=200), Xm, Y),
        "side_features": (
            TextClassifier(**FAST, text_column="text", categorical_columns=["region"]),
            frame,
            y,
        ),
        "attention": (TextClassifier(**{**FAST, "max_iter": 2}, encoder="attention"), X, y),
    }


@pytest.fixture(scope="module", params=list(_models()))
def fitted(request):
    clf, X, y = _models()[request.param]
    return clf.fit(X, y), X


def test_skops_round_trip_through_its_trusted_types(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    clf, X = fitted
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == TRUSTED  # the estimator alone: its state is plain data
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    restored = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.get_params() == clf.get_params()
    assert restored.loss_curve_ == clf.loss_curve_


def test_pickle_carries_the_model_file_and_set_output(fitted):
    clf, X = fitted
    clf.set_output(transform="pandas")
    try:
        restored = pickle.loads(pickle.dumps(clf))
    finally:
        clf.set_output(transform="default")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert isinstance(restored.transform(X), pd.DataFrame)
    assert "model_" not in clf.__getstate__()  # the tensors travel as the file's bytes


def test_labels_json_cannot_hold_still_pickle():
    X, y = make_single_label(60, 2, seed=7)
    days = np.array([datetime.date(2020, 1, 1), datetime.date(2021, 1, 1)], dtype=object)
    clf = TextClassifier(**FAST).fit(X, days[y])
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.predict(X[:3]).tolist() == clf.predict(X[:3]).tolist()


def test_mlflow_default_skops_flavour_and_pyfunc_on_a_dataframe(tmp_path, monkeypatch):
    """log_model with MLflow's default (skops) serialisation, from a file://
    tracking store; pyfunc predicts on a one-column DataFrame."""
    mlflow = pytest.importorskip("mlflow")
    pytest.importorskip("mlflow.sklearn")  # imported: mlflow.sklearn is then an attribute

    # The file store is opt-in since MLflow 3.7; loading is opt-in for every format.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    monkeypatch.chdir(tmp_path)  # MLflow writes nothing here either: checked below
    X, y = make_single_label(120, 3, seed=6)
    clf = TextClassifier(**FAST).fit(X, np.array(["x", "y", "z"])[y])
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    try:
        with mlflow.start_run():
            # pip_requirements given: inferring them runs a slow subprocess.
            info = mlflow.sklearn.log_model(
                clf, name="model", skops_trusted_types=TRUSTED, pip_requirements=["sktext"]
            )
        loaded = mlflow.sklearn.load_model(info.model_uri)
        served = mlflow.pyfunc.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(None)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    frame = pd.DataFrame({"text": X})
    np.testing.assert_array_equal(np.asarray(served.predict(frame)), clf.predict(X))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlruns"]


def test_set_output_pandas_in_a_pipeline(single3):
    Xtr, ytr, Xte, _ = single3
    pipe = make_pipeline(TextClassifier(**FAST), StandardScaler()).set_output(transform="pandas")
    index = pd.RangeIndex(100, 100 + len(Xte))
    out = pipe.fit(Xtr, ytr).transform(pd.Series(Xte, index=index))
    names = [f"textclassifier{i}" for i in range(FAST["dim"])]
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == names == pipe.get_feature_names_out().tolist()
    assert out.index.equals(index)
    plain = make_pipeline(TextClassifier(**FAST), StandardScaler()).fit(Xtr, ytr)
    np.testing.assert_array_equal(out.to_numpy(), plain.transform(Xte))
    clf = TextClassifier(**FAST).set_output(transform="pandas")
    assert clf.fit_transform(Xtr, ytr).columns.tolist() == names
