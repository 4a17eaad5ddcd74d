"""The networks on their own: the registry, building from parameters,
saving their shape, and the dropout that draws from a generator of its own."""

from __future__ import annotations

import pytest
import torch

from sktext import TextClassifier
from sktext.model import NETWORKS, AttentionModel, BagModel, SeededDropout


def _params(**changes):
    return {**TextClassifier().get_params(), **changes}


def test_registry_names_each_network_and_what_it_reads():
    assert NETWORKS == {"bag": BagModel, "attention": AttentionModel}
    assert (BagModel.reads, AttentionModel.reads) == ("bags", "sequences")
    assert BagModel.training.optimizer == "sgd" and AttentionModel.training.optimizer == "adamw"
    assert AttentionModel.partial_fit_refusal and BagModel.partial_fit_refusal is None


@pytest.mark.parametrize(
    ("encoder", "changes", "dim", "heads"),
    [
        ("bag", {}, 50, None),
        ("bag", {"dim": 12}, 12, None),
        ("attention", {}, 64, 4),
        ("attention", {"dim": 50}, 50, 2),
        ("attention", {"dim": 21}, 21, 1),
        ("attention", {"dim": 24, "n_heads": 3}, 24, 3),
    ],
)
def test_from_params_resolves_auto_dim_and_heads(encoder, changes, dim, heads):
    network = NETWORKS[encoder]
    params = _params(encoder=encoder, **changes)
    network.check_params(params)
    model = network.from_params(params, n_inputs=30, n_outputs=3, categories=[5])
    config = model.get_config()
    assert config["dim"] == dim and config["n_outputs"] == 3 and config["categories"] == [5]
    if heads is not None:
        assert config["n_heads"] == heads


@pytest.mark.parametrize("encoder", list(NETWORKS))
def test_config_rebuilds_the_same_shapes(encoder):
    network = NETWORKS[encoder]
    model = network.from_params(_params(encoder=encoder, dim=8, n_heads=2), 20, 4, [3, 6])
    rebuilt = network.from_config(model.get_config())
    rebuilt.load_state_dict(model.state_dict())  # raises if any shape differs
    assert rebuilt.get_config() == model.get_config()


def test_attention_refuses_options_it_cannot_honour():
    check = AttentionModel.check_params
    with pytest.raises(ValueError, match="char_ngrams"):
        check(_params(encoder="attention", char_ngrams=(2, 4)))
    with pytest.raises(ValueError, match="max_features"):
        check(_params(encoder="attention", max_features=10))
    with pytest.raises(ValueError, match="divisible"):
        check(_params(encoder="attention", dim=10, n_heads=4))
    BagModel.check_params(_params(char_ngrams=(2, 4), max_features=10))


def test_exact_logits_are_the_forward_pass_in_float64():
    torch.manual_seed(0)
    model = BagModel(10, 4, 3, 0.0)
    model.reset_parameters(torch.zeros(3))
    model.eval()
    inputs = (torch.tensor([1, 2, 3, 4]), torch.tensor([0, 2]), torch.rand(4))
    exact = model.exact_logits(*inputs)
    assert exact.dtype == torch.float64
    torch.testing.assert_close(exact.float(), model(*inputs), rtol=1e-5, atol=1e-6)


def test_seeded_dropout_draws_from_its_generator_only():
    dropout = SeededDropout(0.5).train()
    x = torch.ones(1000)
    dropout.generator = torch.Generator().manual_seed(3)
    first = dropout(x)
    dropout.generator = torch.Generator().manual_seed(3)
    state = torch.random.get_rng_state()
    assert torch.equal(dropout(x), first)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global stream untouched
    assert set(first.unique().tolist()) == {0.0, 2.0}  # kept values scaled by 1 / (1 - p)
    assert torch.equal(dropout.eval()(x), x)


def test_which_networks_train_with_the_global_generator():
    assert not BagModel(5, 4, 2, 0.5).trains_with_global_rng
    attention = {"n_heads": 2, "n_layers": 1, "max_length": 8, "pooling": "mean"}
    assert AttentionModel(5, 4, 2, 0.1, **attention).trains_with_global_rng
    assert not AttentionModel(5, 4, 2, 0.0, **attention).trains_with_global_rng
