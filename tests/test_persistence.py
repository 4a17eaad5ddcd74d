"""Safe save / load: identical predictions, clear errors, no code executed."""

from __future__ import annotations

import datetime
import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import FAST, make_multilabel, make_single_label, to_ragged

import sktext
from sktext import TextClassifier
from sktext.persistence import FORMAT_VERSION


def _targets():
    X, y = make_single_label(120, 3, seed=3)
    Xm, Y = make_multilabel(120, 4, seed=3)
    names = np.array(["a", "b", "c", "d"])
    return {
        "int": (X, y),
        "str": (X, np.array(["x", "y", "z"])[y]),
        "bool": (X, y == 0),
        "object-str": (X, np.array(["x", "y", "z"], dtype=object)[y]),
        "ragged": (Xm, to_ragged(Y, names)),
        "indicator": (Xm, Y),
        "sparse": (Xm, sp.csr_matrix(Y)),
        "dataframe": (Xm, pd.DataFrame(Y, columns=list(names))),
        "soft": (Xm, np.clip(Y * 0.8 + 0.1, 0, 1)),
        "onehot-multiclass": (X, np.eye(3, dtype=np.int64)[y]),
    }


def _same(a, b) -> bool:
    if sp.issparse(a):
        return sp.issparse(b) and (a != b).nnz == 0
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.equals(b)
    if isinstance(a, list):
        return a == b
    return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("name", list(_targets()))
def test_round_trip_gives_identical_predictions(tmp_path, name):
    X, y = _targets()[name]
    params = {"target_type": "multiclass"} if name == "onehot-multiclass" else {}
    clf = TextClassifier(**FAST, **params).fit(X, y)
    path = tmp_path / "model.sktext"
    clf.save(path)
    loaded = sktext.load(path)
    assert np.array_equal(clf.predict_proba(X), loaded.predict_proba(X))
    assert _same(clf.predict(X), loaded.predict(X))
    assert np.array_equal(clf.classes_, loaded.classes_)
    assert loaded.get_params() == clf.get_params()
    assert loaded.loss_curve_ == clf.loss_curve_
    assert loaded.score(X, y) == clf.score(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"tokenizer": "wordpiece", "vocab_size": 200},
        {"char_ngrams": (2, 4), "word_ngrams": 3},
        {"pooling": "mean", "class_weight": {0: 2.0, 1: 1.0}, "threshold": 0.4},
    ],
)
def test_round_trip_of_tokenizer_options(tmp_path, params):
    X, y = make_single_label(120, 3, seed=4)
    clf = TextClassifier(**{**FAST, **params}).fit(X, y)
    clf.save(tmp_path / "m")
    loaded = sktext.load(tmp_path / "m")
    unseen = ["sig0x1 misspeled sig1x2 words", ""]
    assert np.array_equal(clf.predict_proba(X + unseen), loaded.predict_proba(X + unseen))
    assert loaded.get_params() == clf.get_params()


def test_saved_file_holds_no_pickle_and_weights_are_safetensors(tmp_path):
    from safetensors.numpy import load as load_safetensors

    X, y = make_single_label(60, 2, seed=5)
    clf = TextClassifier(**FAST).fit(X, y)
    clf.save(tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:
        assert sorted(archive.namelist()) == ["sktext.json", "weights.safetensors"]
        config = json.loads(archive.read("sktext.json"))
        weights = load_safetensors(archive.read("weights.safetensors"))
    assert config["format"] == "sktext" and config["format_version"] == FORMAT_VERSION
    embedding = clf.model_.embedding.weight.detach().numpy()
    assert np.array_equal(weights["model.embedding.weight"], embedding)
    assert np.array_equal(weights["idf"], clf.weighting_.idf_)


class _Exploit:
    """Unpickling this would write a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_loading_a_pickle_payload_raises_and_executes_nothing(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(marker))
    bad = tmp_path / "bad.sktext"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("sktext.json", json.dumps({"format": "sktext", "format_version": 1}))
        archive.writestr("weights.safetensors", payload)
    with pytest.raises(ValueError):
        sktext.load(bad)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(payload)
    with pytest.raises(ValueError, match="not an sktext model"):
        sktext.load(raw)
    assert not marker.exists()


def test_corrupted_truncated_and_foreign_files_raise_clear_errors(tmp_path):
    X, y = make_single_label(60, 2, seed=6)
    clf = TextClassifier(**FAST).fit(X, y)
    good = tmp_path / "good"
    clf.save(good)
    data = good.read_bytes()

    truncated = tmp_path / "truncated"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupted or truncated"):
        sktext.load(truncated)

    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="not an sktext model"):
        sktext.load(empty)

    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not an sktext model"):
        sktext.load(foreign)

    def rewrite(name, transform):
        path = tmp_path / name
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
            for member in source.namelist():
                target.writestr(member, transform(member, source.read(member)))
        return path

    newer = rewrite(
        "newer",
        lambda m, b: (
            b.replace(b'"format_version": %d' % FORMAT_VERSION, b'"format_version": 99')
            if m == "sktext.json"
            else b
        ),
    )
    with pytest.raises(ValueError, match="version 99"):
        sktext.load(newer)

    cut_weights = rewrite("cut", lambda m, b: b[:-40] if m == "weights.safetensors" else b)
    with pytest.raises(ValueError, match="truncated"):
        sktext.load(cut_weights)

    bad_json = rewrite("badjson", lambda m, b: b[:10] if m == "sktext.json" else b)
    with pytest.raises(ValueError, match="not valid JSON"):
        sktext.load(bad_json)

    missing = rewrite(
        "missing",
        lambda m, b: b.replace(b'"vocabulary"', b'"vocabularyX"') if m == "sktext.json" else b,
    )
    with pytest.raises(ValueError, match="inconsistent"):
        sktext.load(missing)


def test_save_refuses_labels_json_cannot_hold(tmp_path):
    X, y = make_single_label(60, 2, seed=7)
    days = np.array([datetime.date(2020, 1, 1), datetime.date(2021, 1, 1)], dtype=object)
    clf = TextClassifier(**FAST).fit(X, days[y])  # any hashable labels train...
    with pytest.raises(ValueError, match="cannot be saved"):  # ...but JSON holds few
        clf.save(tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    with open(tmp_path / "bad.pkl", "wb") as file:  # pickle still works
        pickle.dump(clf, file)


def test_save_to_file_object_and_unfitted_error(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TextClassifier().save(tmp_path / "m")
    X, y = make_single_label(60, 2, seed=8)
    clf = TextClassifier(**FAST).fit(X, y)
    buffer = io.BytesIO()
    clf.save(buffer)
    buffer.seek(0)
    assert np.array_equal(sktext.load(buffer).predict(X), clf.predict(X))


def test_round_trip_of_hash_tokenizer(tmp_path):
    X, y = make_single_label(120, 3, seed=9)
    clf = TextClassifier(**{**FAST, "tokenizer": "hash", "n_buckets": 4096}).fit(X, y)
    clf.save(tmp_path / "m")
    loaded = sktext.load(tmp_path / "m")
    probe = X + ["words never seen in training", ""]
    assert np.array_equal(clf.predict_proba(probe), loaded.predict_proba(probe))
