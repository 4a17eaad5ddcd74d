"""The CUDA path: run where a GPU is present, skipped cleanly elsewhere."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import FAST, make_multilabel, make_single_label

import sktext
import sktext.batches
from sktext import TextClassifier
from sktext.batches import Bags, Sequences
from sktext.loss import make_loss
from sktext.model import AttentionModel, BagModel
from sktext.training import TrainingConfig, predict_logits, train

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


@cuda
def test_gpu_attention_encoder_and_its_explanations(tmp_path):
    X, y = make_single_label(600, 3, seed=33)
    params = {"encoder": "attention", "dim": 16, "n_heads": 2, "min_count": 1, "random_state": 0}
    gpu = TextClassifier(**params, device="cuda").fit(X[:400], y[:400])
    assert next(gpu.model_.parameters()).device.type == "cuda"
    assert gpu.score(X[400:], y[400:]) > 0.9
    explanation = gpu.explain(X[400:401])[0]
    total = explanation.bias + explanation.attributions.sum(axis=1)
    np.testing.assert_allclose(total, explanation.logits, atol=0.1)
    gpu.save(tmp_path / "m")
    loaded = sktext.load(tmp_path / "m").set_params(device="cpu")
    np.testing.assert_allclose(
        loaded.predict_proba(X[400:]), gpu.predict_proba(X[400:]), rtol=1e-4, atol=1e-5
    )


def test_bf16_autocast_training_path_runs_on_cpu():
    """The attention encoder's GPU training path (bf16 autocast), exercised
    with CPU autocast: it learns, and the weights stay float32."""
    X, y = make_single_label(300, 3, seed=34)
    clf = TextClassifier(encoder="attention", dim=16, n_heads=2, min_count=1, random_state=0)
    clf.fit(X, y)
    ids, lengths = clf.tokenizer_.sequences(X, 256)
    sequences = Sequences.from_ids(ids, lengths, torch.device("cpu"))
    torch.manual_seed(0)
    model = AttentionModel(clf.tokenizer_.n_base_tokens, 16, 3, 0.0, 2, 1, 256, "mean")
    model.reset_parameters(torch.zeros(3))
    config = TrainingConfig(
        max_iter=10,
        learning_rate=1e-2,
        batch_size=32,
        n_iter_no_change=10,
        tol=0.0,
        verbose=0,
        optimizer="adamw",
        autocast=True,
    )
    targets = torch.from_numpy(np.asarray(y))
    history = train(
        model,
        sequences,
        targets,
        torch.ones(len(y)),
        make_loss("softmax"),
        config,
        np.random.default_rng(0),
    )
    assert history.loss_curve[-1] < 0.2 * history.loss_curve[0]
    assert all(p.dtype == torch.float32 for p in model.parameters())
    logits = predict_logits(model, sequences, batch_size=64)
    assert (logits.argmax(axis=1) == np.asarray(y)).mean() > 0.9


# -- host staging: the data on the host, each batch moved to the device -------


def _bag_matrix(n_rows: int = 70, n_features: int = 40, seed: int = 33) -> sp.csr_matrix:
    """Weighted rows of uneven length, an empty one among them."""
    rng = np.random.default_rng(seed)
    dense = rng.random((n_rows, n_features)) * (rng.random((n_rows, n_features)) < 0.15)
    dense[5] = 0
    return sp.csr_matrix(dense.astype(np.float32))


def _trained(bags: Bags, device: torch.device) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """Weights and logits of a small model trained on ``bags`` with a fixed seed."""
    torch.manual_seed(0)
    model = BagModel(40, 8, 3, dropout=0.0)
    model.reset_parameters(torch.zeros(3))
    model.to(device)
    targets = torch.from_numpy(np.arange(len(bags)) % 3).to(device)
    config = TrainingConfig(
        max_iter=3, learning_rate=0.5, batch_size=16, n_iter_no_change=5, tol=1e-4, verbose=0
    )
    weights = torch.ones(len(bags), device=device)
    train(model, bags, targets, weights, make_loss("softmax"), config, np.random.default_rng(0))
    state = {name: value.cpu() for name, value in model.state_dict().items()}
    return state, predict_logits(model, bags, batch_size=32)


def _assert_same_batches(resident: Bags, staged: Bags) -> None:
    """Equal batches, of the bags and of a shuffled copy (``take``), on the same device."""
    rows = torch.from_numpy(np.random.default_rng(1).permutation(len(resident)))
    pairs = [
        (resident, staged),
        (
            resident.take(rows.to(resident.storage_device)),
            staged.take(rows.to(staged.storage_device)),
        ),
    ]
    for left, right in pairs:
        assert len(right) == len(left)
        for start, stop in [(0, 16), (16, 70), (5, 6), (69, 70)]:
            for a, b in zip(left.batch(start, stop), right.batch(start, stop), strict=True):
                assert b.device == a.device
                torch.testing.assert_close(b.cpu(), a.cpu(), rtol=0, atol=0)


def test_staged_bags_batch_and_train_as_resident_ones():
    matrix = _bag_matrix()
    cpu = torch.device("cpu")
    resident = Bags.from_csr(matrix, cpu)
    staged = Bags.from_csr(matrix, cpu, resident=False)
    assert staged.storage_device.type == "cpu" and staged.device == cpu
    _assert_same_batches(resident, staged)
    (state, logits), (staged_state, staged_logits) = _trained(resident, cpu), _trained(staged, cpu)
    for name in state:
        torch.testing.assert_close(staged_state[name], state[name], rtol=0, atol=0)
    np.testing.assert_array_equal(staged_logits, logits)


def test_bags_stay_on_the_gpu_while_they_fit_in_half_its_free_memory(monkeypatch):
    matrix = _bag_matrix()
    needed = 2 * (12 * matrix.nnz + 8 * (matrix.shape[0] + 1))
    cuda = torch.device("cuda")
    for free, fits in ((2 * needed + 2, True), (2 * needed, False)):
        monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device, free=free: (free, 1 << 40))
        assert sktext.batches._fits(matrix, cuda) is fits


@cuda
def test_gpu_staged_bags_batch_train_and_predict_as_resident_ones(monkeypatch):
    matrix, device = _bag_matrix(), torch.device("cuda")
    resident = Bags.from_csr(matrix, device)
    staged = Bags.from_csr(matrix, device, resident=False)
    assert resident.storage_device.type == "cuda"
    assert staged.storage_device.type == "cpu" and staged.indices.is_pinned()
    assert staged.take(torch.arange(len(staged))).indices.is_pinned()
    _assert_same_batches(resident, staged)
    (state, logits), (staged_state, staged_logits) = (
        _trained(resident, device),
        _trained(staged, device),
    )
    # Sparse gradients are summed with atomics on a GPU: equal up to rounding.
    for name in state:
        torch.testing.assert_close(staged_state[name], state[name])
    np.testing.assert_allclose(staged_logits, logits, rtol=1e-4, atol=1e-5)

    # Through the estimator, staging decided by free memory, in fit and predict.
    X, y = make_single_label(400, 3, seed=34)
    fitted = TextClassifier(**FAST, device="cuda").fit(X[:300], y[:300])
    monkeypatch.setattr(sktext.batches, "_fits", lambda matrix, device: False)
    staged_fit = TextClassifier(**FAST, device="cuda").fit(X[:300], y[:300])
    np.testing.assert_allclose(
        staged_fit.predict_proba(X[300:]), fitted.predict_proba(X[300:]), rtol=1e-4, atol=1e-5
    )
    assert (staged_fit.predict(X[300:]) == fitted.predict(X[300:])).mean() > 0.99
