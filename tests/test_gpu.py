"""The CUDA path: run where a GPU is present, skipped cleanly elsewhere."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from conftest import FAST, make_multilabel, make_single_label

import sktext
from sktext import TextClassifier

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_cuda_request_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    X, y = make_single_label(60, 2, seed=30)
    with pytest.raises(ValueError, match="CUDA is not available"):
        TextClassifier(**FAST, device="cuda").fit(X, y)
    # "auto" falls back to the CPU.
    clf = TextClassifier(**FAST, device="auto").fit(X, y)
    assert next(clf.model_.parameters()).device.type == "cpu"


@cuda
def test_gpu_fit_predict_matches_cpu_quality_and_loads_on_cpu(tmp_path):
    X, y = make_single_label(600, 3, seed=31)
    gpu = TextClassifier(**FAST, device="cuda").fit(X[:400], y[:400])
    assert next(gpu.model_.parameters()).device.type == "cuda"
    cpu = TextClassifier(**FAST, device="cpu").fit(X[:400], y[:400])
    assert abs(gpu.score(X[400:], y[400:]) - cpu.score(X[400:], y[400:])) < 0.05
    # A GPU-trained model predicts on the CPU after pickling or safe saving.
    restored = pickle.loads(pickle.dumps(gpu))
    assert next(restored.model_.parameters()).device.type == "cpu"
    gpu.save(tmp_path / "m")
    loaded = sktext.load(tmp_path / "m").set_params(device="cpu")
    np.testing.assert_allclose(
        loaded.predict_proba(X[400:]), gpu.predict_proba(X[400:]), rtol=1e-4, atol=1e-5
    )


@cuda
def test_gpu_multilabel():
    X, Y = make_multilabel(400, 4, seed=32)
    clf = TextClassifier(**{**FAST, "max_iter": 10}, device="cuda").fit(X[:300], Y[:300])
    assert clf.score(X[300:], Y[300:]) > 0.8
