"""Categorical side features: a DataFrame (or 2-D array) with a text column
and categorical columns, each with its own embedding."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, make_multilabel, make_single_label
from sklearn.model_selection import GridSearchCV

from sktext import TextClassifier, load

REGIONS = ["north", "south", "east"]


def _table(n: int, seed: int, *, text_signal: bool):
    """Class = region when ``text_signal`` is off (texts are pure filler)."""
    rng = np.random.default_rng(seed)
    texts, y = make_single_label(n, 3, seed=seed, n_signal=2 if text_signal else 0)
    region = np.array(REGIONS)[y]
    noise = rng.random(n) < 0.1  # a tenth of the regions are wrong
    region[noise] = rng.choice(REGIONS, noise.sum())
    frame = pd.DataFrame({"text": texts, "region": region, "shop": rng.integers(0, 5, n)})
    return frame, y


@pytest.mark.parametrize("merge", ["sum", "concat"])
def test_side_feature_carries_the_class(merge):
    frame, y = _table(600, 0, text_signal=False)
    params = {**FAST, "text_column": "text", "categorical_merge": merge}
    with_side = TextClassifier(categorical_columns=["region", "shop"], **params)
    with_side.fit(frame[:400], y[:400])
    text_only = TextClassifier(**params).fit(frame[:400], y[:400])
    assert with_side.score(frame[400:], y[400:]) > 0.85
    assert text_only.score(frame[400:], y[400:]) < 0.5  # filler only: chance
    assert [t.num_embeddings for t in with_side.model_.categorical] == [5, 7]
    width = 3 * FAST["dim"] if merge == "concat" else FAST["dim"]
    assert with_side.model_.head.in_features == width


def test_text_and_side_features_together():
    frame, y = _table(600, 1, text_signal=True)
    both = TextClassifier(text_column="text", categorical_columns=["region"], **FAST)
    text_only = TextClassifier(text_column="text", **FAST)
    scores = [c.fit(frame[:400], y[:400]).score(frame[400:], y[400:]) for c in (both, text_only)]
    # The region is right 90% of the time, the text nearly always: the model
    # leans on the text, and a little on the region.
    assert scores[0] > 0.95 and scores[1] > 0.95, scores


def test_unseen_categories_add_nothing_and_never_raise():
    frame, y = _table(300, 2, text_signal=True)
    clf = TextClassifier(text_column="text", categorical_columns=["region"], **FAST)
    clf.fit(frame, y)
    probe = frame[:5].copy()
    probe["region"] = "atlantis"
    unseen = clf.decision_function(probe)
    probe["region"] = 42  # another type altogether
    np.testing.assert_array_equal(clf.decision_function(probe), unseen)
    # The unknown vector is zero and untrained: the text alone decides.
    assert clf.model_.categorical[0].weight[0].abs().sum() == 0
    assert (clf.predict(probe) == y[:5]).all()


def test_missing_values_share_one_learned_vector():
    frame, y = _table(300, 3, text_signal=True)
    frame["region"] = frame["region"].astype(object)
    frame.loc[::7, "region"] = None
    frame.loc[3::7, "region"] = np.nan
    clf = TextClassifier(text_column="text", categorical_columns=["region"], **FAST)
    clf.fit(frame, y)
    codes = clf.categorical_encoder_.transform([np.array([None, np.nan, pd.NA, "north"], object)])
    assert codes[:, 0].tolist() == [1, 1, 1, codes[3, 0]] and codes[3, 0] >= 2
    probe = pd.DataFrame({"text": ["filler1 filler2"] * 3, "region": [None, np.nan, pd.NA]})
    out = clf.decision_function(probe)
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])
    missing_row = clf.model_.categorical[0].weight[1].detach()
    assert missing_row.abs().sum() > 0  # trained, unlike the unknown row
    assert clf.model_.categorical[0].weight[0].abs().sum() == 0


def test_two_dimensional_array_input():
    frame, y = _table(300, 4, text_signal=False)
    X = frame[["region", "text", "shop"]].to_numpy(dtype=object)
    clf = TextClassifier(text_column=1, categorical_columns=[0, 2], **FAST).fit(X[:200], y[:200])
    assert clf.score(X[200:], y[200:]) > 0.85


@pytest.mark.parametrize(
    ("params", "X", "match"),
    [
        ({"text_column": "body"}, "frame", "no column 'body'"),
        ({"text_column": "text", "categorical_columns": ["nope"]}, "frame", "no column 'nope'"),
        ({"text_column": "text", "categorical_columns": ["text"]}, "frame", "also among"),
        ({"text_column": "text"}, "list", "must be a pandas DataFrame"),
        ({"categorical_columns": ["region"]}, "frame", "needs text_column"),
        ({"text_column": 5}, "array", "columns are numbers below 3"),
        ({"text_column": "text", "categorical_columns": ["bad"]}, "unhashable", "hashable"),
    ],
)
def test_bad_tables(params, X, match):
    frame, y = _table(30, 5, text_signal=True)
    inputs = {
        "frame": frame,
        "list": list(frame["text"]),
        "array": frame.to_numpy(dtype=object),
        "unhashable": frame.assign(bad=[[1]] * len(frame)),
    }
    with pytest.raises(ValueError, match=match):
        TextClassifier(**{**FAST, **params}).fit(inputs[X], y)


def test_saved_pickled_and_explained(tmp_path):
    frame, y = _table(300, 6, text_signal=True)
    clf = TextClassifier(text_column="text", categorical_columns=["region", "shop"], **FAST)
    clf.fit(frame, y)
    clf.save(tmp_path / "m.sktext")
    for again in (load(tmp_path / "m.sktext"), pickle.loads(pickle.dumps(clf))):
        np.testing.assert_array_equal(again.predict_proba(frame), clf.predict_proba(frame))
    explanation = clf.explain(frame[:1], classes="all")[0]
    total = explanation.bias + explanation.attributions.sum(axis=1)
    np.testing.assert_allclose(total, clf.decision_function(frame[:1])[0], atol=1e-5)
    with pytest.raises(ValueError, match="categorical side features"):
        clf.to_onnx(tmp_path / "m.onnx")


def test_model_selection_and_tuned_thresholds_on_tables():
    frame, y = _table(300, 7, text_signal=True)
    base = TextClassifier(text_column="text", categorical_columns=["region"], **FAST)
    search = GridSearchCV(base, {"categorical_merge": ["sum", "concat"]}, cv=3).fit(frame, y)
    assert search.best_score_ > 0.9
    texts, Y = make_multilabel(300, 3, seed=8)
    table = pd.DataFrame({"text": texts, "source": np.arange(300) % 4})
    tuned = TextClassifier(
        text_column="text", categorical_columns=["source"], threshold="auto", **FAST
    ).fit(table, Y)
    assert tuned.threshold_.shape == (3,)


def test_partial_fit_keeps_the_first_categories():
    frame, y = _table(300, 9, text_signal=True)
    clf = TextClassifier(text_column="text", categorical_columns=["region"], **FAST)
    clf.partial_fit(frame[:150], y[:150], classes=[0, 1, 2])
    first = [list(c) for c in clf.categorical_encoder_.categories_]
    later = frame[150:].assign(region="west")  # unseen in the first call: unknown
    clf.partial_fit(later, y[150:])
    assert clf.categorical_encoder_.categories_ == first
    assert sorted(first[0]) == sorted(REGIONS)
    assert clf.model_.categorical[0].weight[0].abs().sum() == 0  # "west" trained nothing
