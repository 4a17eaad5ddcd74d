"""The compiled training steps (sktext._train) against the torch path they replace."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import FAST, make_multilabel, make_single_label
from hypothesis import given, settings
from hypothesis import strategies as st

import sktext.compiled_training as compiled_training
from sktext import TextClassifier, compiled
from sktext.batches import Bags
from sktext.compiled_training import CompiledEpochs, refusal
from sktext.loss import make_loss
from sktext.model import AttentionModel, BagModel
from sktext.training import TrainingConfig, _Stepper

pytestmark = pytest.mark.skipif(
    not compiled_training.AVAILABLE, reason="the extension sktext._train is not built"
)

KINDS = ["softmax_codes", "softmax_soft", "sigmoid_hard", "sigmoid_soft", "multioutput"]
SIZES = (2, 3)  # the multi-output blocks


def _problem(rng, kind, n_docs=12, n_rows=15, dim=6, n_out=4, max_length=6):
    """Random bags (repeated ids, zero-length documents and zero weights
    included), targets of ``kind`` and a model with weights far from zero."""
    lengths = rng.integers(0, max_length + 1, n_docs)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = rng.integers(0, n_rows, indptr[-1]).astype(np.int64)
    values = rng.random(indptr[-1]).astype(np.float32)
    values[rng.random(indptr[-1]) < 0.1] = 0.0
    bags = Bags(
        torch.from_numpy(indices),
        torch.from_numpy(indptr),
        torch.from_numpy(values),
        indptr,
        torch.device("cpu"),
    )
    if kind == "multioutput":
        n_out = sum(SIZES)
        targets = np.stack([rng.integers(0, size, n_docs) for size in SIZES], axis=1)
    elif kind == "softmax_codes":
        targets = rng.integers(0, n_out, n_docs)
    elif kind == "softmax_soft":
        targets = rng.dirichlet(np.ones(n_out), n_docs).astype(np.float32)
    elif kind == "sigmoid_hard":
        targets = (rng.random((n_docs, n_out)) < 0.4).astype(np.float32)
    else:
        targets = rng.random((n_docs, n_out)).astype(np.float32)
    model = BagModel(n_rows, dim, n_out, 0.0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.from_numpy(rng.normal(0, 0.5, parameter.shape)))
    return bags, torch.from_numpy(targets), model


def _loss(kind, class_weight):
    loss_kind = {"multioutput": "multioutput"}.get(kind, kind.split("_")[0])
    return make_loss(loss_kind, class_weight, SIZES if kind == "multioutput" else ())


def _config(rate, batch_size, decay, weight_decay):
    return TrainingConfig(
        max_iter=1,
        learning_rate=rate,
        batch_size=batch_size,
        n_iter_no_change=5,
        tol=1e-4,
        verbose=0,
        decay=decay,
        weight_decay=weight_decay,
    )


def _both_steps(bags, targets, model, loss, config, weights, head_scale, step, n_steps, rows):
    """The parameters after one torch step and one compiled step on the
    first batch (``config.batch_size``) of the permutation ``rows``."""
    torch_model, compiled_model = model, copy.deepcopy(model)
    stepper = _Stepper(torch_model, loss, config, n_steps, head_scale)
    stepper.step = step
    order = torch.from_numpy(rows)
    stepper(bags.take(order), targets[order], weights[order], 0, config.batch_size)
    fast = CompiledEpochs(
        compiled_model, bags, targets, weights, loss, config, n_steps, head_scale, 1
    )
    fast.step = step
    fast._run(rows, 0, 1)
    return [
        (a.detach().numpy(), b.detach().numpy())
        for a, b in zip(torch_model.parameters(), compiled_model.parameters(), strict=True)
    ]


def _assert_same_step(pairs):
    for torch_value, compiled_value in pairs:
        np.testing.assert_allclose(compiled_value, torch_value, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kind, class_weight, sample_weight, head_scale, weight_decay, decay",
    [(kind, *options) for kind in KINDS for options in itertools.product([False, True], repeat=5)],
)
def test_one_compiled_step_is_the_torch_step(
    kind, class_weight, sample_weight, head_scale, weight_decay, decay
):
    rng = np.random.default_rng(KINDS.index(kind))
    bags, targets, model = _problem(rng, kind)
    n_docs, n_out = len(bags), model.head.out_features
    weights = rng.uniform(0.2, 2.0, n_docs) if sample_weight else np.ones(n_docs)
    cw = torch.from_numpy(rng.uniform(0.3, 3.0, n_out).astype(np.float32)) if class_weight else None
    scale = torch.from_numpy(rng.uniform(1, 3, n_out).astype(np.float32)) if head_scale else None
    config = _config(0.7, n_docs - 2, decay, 0.05 if weight_decay else 0.0)
    pairs = _both_steps(
        bags,
        targets,
        model,
        _loss(kind, cw),
        config,
        torch.from_numpy(weights.astype(np.float32)),
        scale,
        step=3,
        n_steps=10,
        rows=rng.permutation(n_docs),
    )
    _assert_same_step(pairs)
    assert not np.array_equal(*pairs[1])  # the step moved the head


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(KINDS),
    n_docs=st.integers(1, 20),
    n_rows=st.integers(1, 8),
    dim=st.integers(1, 9),
    n_out=st.integers(2, 6),
    weighted=st.booleans(),
)
def test_property_random_batches_step_as_torch(seed, kind, n_docs, n_rows, dim, n_out, weighted):
    """Few rows (ids repeat within and across documents), random weights."""
    rng = np.random.default_rng(seed)
    bags, targets, model = _problem(rng, kind, n_docs, n_rows, dim, n_out, max_length=10)
    n_out = model.head.out_features
    cw = torch.from_numpy(rng.uniform(0.3, 3.0, n_out).astype(np.float32)) if weighted else None
    weights = torch.from_numpy(rng.uniform(0.0, 2.0, n_docs).astype(np.float32))
    pairs = _both_steps(
        bags,
        targets,
        model,
        _loss(kind, cw),
        _config(0.5, n_docs, True, 0.02),
        weights,
        None,
        step=0,
        n_steps=4,
        rows=rng.permutation(n_docs),
    )
    _assert_same_step(pairs)


def test_compiled_steps_do_not_depend_on_the_thread_count():
    order = np.random.default_rng(6).permutation(40)
    results = []
    for n_threads in (1, 2, 3):
        bags, targets, model = _problem(np.random.default_rng(5), "sigmoid_soft", n_docs=40)
        loss, config = _loss("sigmoid_soft", None), _config(0.5, 7, True, 0.01)
        fast = CompiledEpochs(
            model, bags, targets, torch.ones(40), loss, config, 30, None, n_threads
        )
        fast.epoch(order)
        results.append([p.detach().numpy().copy() for p in model.parameters()])
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def _fit(X, y, **params):
    return TextClassifier(**{**FAST, "random_state": 0, **params}).fit(X, y)


@pytest.mark.parametrize("task", ["multiclass", "multilabel"])
def test_a_compiled_fit_predicts_as_the_torch_fit(task):
    """Each step matches torch's to float32 rounding (~1e-7: the sums run in
    another order); over the fit's steps that grows, but stays far below
    anything a prediction could notice: 1e-4 here."""
    X, y = make_single_label(300, 3, seed=1) if task == "multiclass" else make_multilabel(300)
    fast = _fit(X, y, max_iter=5)
    with compiled.disabled():
        slow = _fit(X, y, max_iter=5)
    np.testing.assert_allclose(fast.predict_proba(X), slow.predict_proba(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-4)


@pytest.mark.parametrize("task", ["multiclass", "multilabel"])
def test_compiled_fits_are_identical_for_one_and_two_threads_and_repeatable(task):
    X, y = make_single_label(400, 4, seed=2) if task == "multiclass" else make_multilabel(400)
    one, two, again = (_fit(X, y, n_jobs=n) for n in (1, 2, 2))
    for other in (two, again):
        np.testing.assert_array_equal(one.predict_proba(X), other.predict_proba(X))
        np.testing.assert_array_equal(one.loss_curve_, other.loss_curve_)


def _spy(monkeypatch):
    calls = []
    real = CompiledEpochs.epoch

    def epoch(self, order):
        calls.append(len(order))
        return real(self, order)

    monkeypatch.setattr(CompiledEpochs, "epoch", epoch)
    return calls


def test_the_default_fit_takes_the_compiled_path(monkeypatch):
    calls = _spy(monkeypatch)
    X, y = make_single_label(100, 2, seed=3)
    _fit(X, y, max_iter=3)
    assert calls == [100, 100, 100]


@pytest.mark.parametrize(
    "params, table",
    [
        ({"dropout": 0.3}, False),
        ({"categorical_columns": ["side"]}, True),
        ({"encoder": "attention", "max_iter": 1}, False),
    ],
)
def test_other_fits_take_the_torch_path(monkeypatch, params, table):
    calls = _spy(monkeypatch)
    X, y = make_single_label(60, 2, seed=4)
    if table:
        X = pd.DataFrame({"text": X, "side": ["a", "b", "c"] * 20})
        params = {**params, "text_column": "text"}
    _fit(X, y, **params)
    assert calls == []


def test_disabled_and_missing_extension_take_the_torch_path(monkeypatch):
    calls = _spy(monkeypatch)
    X, y = make_single_label(60, 2, seed=4)
    with compiled.disabled():
        _fit(X, y)
    monkeypatch.setattr(compiled_training, "AVAILABLE", False)
    _fit(X, y)
    assert calls == []
    bags, _, model = _problem(np.random.default_rng(0), "softmax_codes")
    assert refusal(model, bags, _loss("softmax_codes", None), _config(1, 4, True, 0)) == (
        "compiled code disabled or not built"
    )


def test_refusals_name_their_reason():
    bags, _, model = _problem(np.random.default_rng(0), "softmax_codes")
    loss, config = _loss("softmax_codes", None), _config(1.0, 4, True, 0.0)
    assert refusal(model, bags, loss, config) is None
    attention = AttentionModel(10, 8, 2, 0.0, 2, 1, 4, "mean")
    assert refusal(attention, bags, loss, config) == "not the bag model"
    adamw = TrainingConfig(**{**vars(config), "optimizer": "adamw"})
    assert refusal(model, bags, loss, adamw) == "not plain SGD"
    assert refusal(model, bags, loss, config, world=2) == "a torch.distributed group"
    assert (
        refusal(model, bags, lambda z, t: z, config) == "a loss not made by sktext.loss.make_loss"
    )
    assert refusal(model.double(), bags, loss, config) == "parameters not float32 on the CPU"


def test_token_ids_outside_the_table_are_refused():
    bags, targets, model = _problem(np.random.default_rng(0), "softmax_codes", n_rows=15)
    small = BagModel(3, 6, 4, 0.0)
    with pytest.raises(ValueError, match="outside the embedding table"):
        CompiledEpochs(
            small,
            bags,
            targets,
            torch.ones(len(bags)),
            _loss("softmax_codes", None),
            _config(1.0, 4, True, 0.0),
            3,
            None,
            1,
        )


def test_the_extension_is_built():
    """``pip install -e .`` builds sktext._train; without it, fits take the
    torch path (this module's other tests are skipped then, this one fails)."""
    assert compiled_training.AVAILABLE
