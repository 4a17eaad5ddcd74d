"""Dask: a grid search on a local cluster and partition-wise batch prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, make_single_label
from sklearn.model_selection import GridSearchCV

from sktext import TextClassifier

# A two-process cluster per module: seconds to start and stop.
pytestmark = pytest.mark.integration

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def client():
    """Two worker processes: the estimator really travels by pickle."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_grid_search_runs_on_the_cluster_and_matches_a_local_search(client):
    import joblib

    X, y = make_single_label(240, 3, seed=60)
    grid = {"dim": [8, 16], "word_ngrams": [1, 2]}
    assert len(client.run(lambda: True)) == 2  # both workers are up
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(TextClassifier(**FAST), grid, cv=3).fit(X, y)
    local = GridSearchCV(TextClassifier(**FAST), grid, cv=3).fit(X, y)
    executed = client.run(lambda dask_worker: len(dask_worker.state.log))
    assert all(count > 0 for count in executed.values())  # both workers ran tasks
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_


def test_partition_wise_prediction_equals_one_call(client):
    X, y = make_single_label(300, 3, seed=61)
    clf = TextClassifier(**FAST).fit(X, y)
    frame = dd.from_pandas(pd.DataFrame({"text": X}), npartitions=4)
    predicted = frame["text"].map_partitions(
        lambda part: pd.Series(clf.predict(part.tolist()), index=part.index),
        meta=("text", "int64"),
    )
    on_cluster = predicted.compute()  # the client makes this run on the workers
    np.testing.assert_array_equal(on_cluster.to_numpy(), clf.predict(X))
    threaded = predicted.compute(scheduler="threads")
    np.testing.assert_array_equal(threaded.to_numpy(), clf.predict(X))
