"""The training loop on its own: steps, schedules, early stopping, batching."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sktext.batches import Bags
from sktext.loss import make_loss
from sktext.model import BagModel
from sktext.training import (
    TrainingConfig,
    document_overlap,
    predict_logits,
    train,
    validation_split,
)


def _data(n: int = 200, seed: int = 0):
    """Two classes, each document one of its class's two tokens (weight 1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    tokens = 2 * y + rng.integers(0, 2, n)
    matrix = sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), tokens)), shape=(n, 4))
    return Bags.from_csr(matrix, torch.device("cpu")), torch.from_numpy(y)


def _model(seed: int = 0) -> BagModel:
    torch.manual_seed(seed)
    model = BagModel(4, 8, 2, 0.0)
    model.reset_parameters(torch.zeros(2))
    return model


def _config(**changes) -> TrainingConfig:
    base = {"max_iter": 5, "learning_rate": 2.0, "batch_size": 20, "n_iter_no_change": 2}
    return TrainingConfig(**{**base, "tol": 0.0, "verbose": 0, **changes})


def test_training_learns_and_the_loss_falls():
    bags, y = _data()
    model = _model()
    history = train(
        model,
        bags,
        y,
        torch.ones(len(y)),
        make_loss("softmax"),
        _config(),
        np.random.default_rng(0),
    )
    assert history.n_iter == 5 and len(history.loss_curve) == 5
    assert history.loss_curve[-1] < history.loss_curve[0] / 2
    logits = predict_logits(model, bags, batch_size=7)
    assert (logits.argmax(axis=1) == y.numpy()).all()


def test_same_generator_same_model_and_predictions_do_not_depend_on_batching():
    bags, y = _data()
    models = []
    for _ in range(2):
        model = _model()
        rng = np.random.default_rng(5)
        train(model, bags, y, torch.ones(len(y)), make_loss("softmax"), _config(), rng)
        models.append(model)
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(a, b)
    one = predict_logits(models[0], bags, batch_size=1)
    np.testing.assert_array_equal(one, predict_logits(models[0], bags, batch_size=len(y)))


def test_early_stopping_stops_after_n_iter_no_change_and_keeps_the_best_weights():
    bags, y = _data()
    model = _model()
    scores = iter([0.5, 0.9, 0.8, 0.7, 0.95, 0.99])
    kept = {}

    def score(logits: np.ndarray) -> float:
        value = next(scores)
        kept[value] = model.head.weight.detach().clone()
        return value

    history = train(
        model,
        bags,
        y,
        torch.ones(len(y)),
        make_loss("softmax"),
        _config(max_iter=6),
        np.random.default_rng(0),
        validation=(bags, score),
    )
    assert history.validation_scores == [0.5, 0.9, 0.8, 0.7]  # two epochs without gain
    assert history.best_validation_score == 0.9 and history.n_iter == 4
    assert torch.equal(model.head.weight, kept[0.9])


def test_a_constant_rate_without_decay_moves_the_weights_more():
    bags, y = _data()
    moved = {}
    for decay in (True, False):
        model = _model()
        before = model.head.weight.detach().clone()
        config = _config(max_iter=1, learning_rate=0.5, decay=decay)
        train(
            model,
            bags,
            y,
            torch.ones(len(y)),
            make_loss("softmax"),
            config,
            np.random.default_rng(0),
        )
        moved[decay] = float((model.head.weight.detach() - before).norm())
    assert moved[False] > moved[True] > 0


def test_a_diverging_loss_raises():
    bags, y = _data()
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        train(
            _model(),
            bags,
            y,
            torch.ones(len(y)),
            make_loss("softmax"),
            _config(learning_rate=1e38),
            np.random.default_rng(0),
        )


def test_validation_split_is_stratified_when_it_can_be():
    encoded = np.array([0] * 50 + [1] * 50)
    train_rows, held = validation_split(encoded, 0.2, seed=0)
    assert len(held) == 20 and np.bincount(encoded[held]).tolist() == [10, 10]
    assert sorted(np.concatenate([train_rows, held]).tolist()) == list(range(100))
    lonely = np.array([0] * 9 + [1])  # a class with one sample: no stratification
    assert len(validation_split(lonely, 0.2, seed=0)[1]) == 2


def test_document_overlap_stops_once_below_its_ceiling():
    rng = np.random.default_rng(7)
    weights = sp.random(300, 200, density=0.05, format="csr", random_state=rng, dtype=np.float32)
    exact = document_overlap(weights)
    above = document_overlap(weights, ceiling=2 * exact)
    assert above <= exact * (1 + 1e-9) and above == pytest.approx(exact, rel=0.2)
    # A ceiling below the overlap changes nothing, nor signed weights (no bound there).
    assert document_overlap(weights, ceiling=exact / 2) == exact
    signed = weights.copy()
    signed.data -= 0.5
    assert document_overlap(signed, ceiling=1e3) == document_overlap(signed)
