"""Many classes: the generator's hierarchy, the head's per-class rate, the
batch rule, the wide head's gradient and nested multi-output decoding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sktext import TextClassifier, load
from sktext.datasets import make_text_classification
from sktext.formats import make_target
from sktext.loss import head_rate_scale
from sktext.model import WIDE_HEAD, BagModel
from sktext.targets import target_from_config
from sktext.training import auto_batch_size


def _codes(labels: np.ndarray) -> np.ndarray:
    return np.array([int(label.rsplit("_", 1)[1]) for label in labels])


def test_hierarchy_labels_nest_and_follow_the_leaf():
    levels = (2, 6, 12)
    texts, y = make_text_classification(600, 12, hierarchy=levels, random_state=0)
    assert len(texts) == 600 and y.shape == (600, 3)
    leaf = _codes(y[:, -1])
    for k, size in enumerate(levels):
        assert all(label.startswith(f"L{k}_") for label in y[:, k])
        np.testing.assert_array_equal(_codes(y[:, k]), leaf * size // 12)
    assert len(set(y[:, -1])) == 12


def test_hierarchy_shares_parent_words_between_siblings():
    # Leaves 0 and 1 share their parent's words, leaves 0 and 2 do not.
    texts, y = make_text_classification(
        3000, 4, hierarchy=(2, 4), signal=0.5, leak=0.0, random_state=0
    )
    words = {
        leaf: {w for t, c in zip(texts, y[:, -1], strict=True) if c == leaf for w in t.split()}
        for leaf in ("L1_0", "L1_1", "L1_2")
    }
    signature = {leaf: {w for w in ws if w.startswith("x")} for leaf, ws in words.items()}
    assert len(signature["L1_0"] & signature["L1_1"]) > len(signature["L1_0"] & signature["L1_2"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hierarchy": (2, 5)}, "must end with n_classes"),
        ({"hierarchy": (4, 6)}, "must divide the next"),
        ({"hierarchy": (3, 6), "multilabel": True}, "single-label"),
    ],
)
def test_bad_hierarchy_is_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_text_classification(10, 6, random_state=0, **kwargs)


def _labels(counts: list[int]) -> np.ndarray:
    return np.repeat([f"c{i:04d}" for i in range(len(counts))], counts)


def test_head_rate_scale_only_beyond_100_classes():
    for y in (_labels([5] * 100), _labels([1000, 1] + [3] * 98)):
        target = make_target(y)
        assert head_rate_scale(target, target.encode(y), np.ones(len(y))) is None


def test_head_rate_scale_lifts_rare_classes_up_to_a_cap():
    # 1000 classes: one of 10% of the samples, 99 of 50 samples, 900 of 5.
    y = _labels([1100] + [50] * 99 + [5] * 900)
    target = make_target(y)
    ones = np.ones(len(y))
    scale = head_rate_scale(target, target.encode(y), ones)
    assert scale[0] == 1.0  # frequent: the plain rate
    np.testing.assert_allclose(scale[1:100], len(y) / (100 * 50), rtol=1e-6)
    np.testing.assert_array_equal(scale[100:], 10.0)  # capped at 1000 / 100
    # Sample weights count: a class weighted down is rarer, so learns faster.
    weights = np.where(y == "c0001", 0.5, 1.0)
    scaled = head_rate_scale(target, target.encode(y), weights)
    assert scaled[1] == pytest.approx(2 * scaled[2], rel=1e-3)


def test_head_rate_scale_per_output_and_not_for_multilabel():
    leaf = np.arange(2000) % 500
    y = np.stack([leaf % 5, leaf], axis=1).astype(str)
    target = make_target(y)
    scale = head_rate_scale(target, target.encode(y), np.ones(len(y)))
    assert scale.shape == (505,)
    np.testing.assert_array_equal(scale[:5], 1.0)  # 5 classes: untouched
    np.testing.assert_allclose(scale[5:], 5.0)  # 500 balanced: 500 / 100
    ragged = [(f"l{i % 300}",) for i in range(900)]
    multilabel = make_target(ragged)
    assert head_rate_scale(multilabel, multilabel.encode(ragged), np.ones(900)) is None


def test_batch_size_takes_one_step_a_class_beyond_200():
    cpu = torch.device("cpu")
    assert auto_batch_size(100_000, cpu, n_outputs=20) == auto_batch_size(100_000, cpu) == 500
    assert auto_batch_size(100_000, cpu, n_outputs=200) == 500
    assert auto_batch_size(100_000, cpu, n_outputs=1000) == 100
    assert auto_batch_size(1_000_000, cpu, n_outputs=1000) == 1000
    assert auto_batch_size(5_000, cpu, n_outputs=1000) == 32


def test_wide_head_gradients_match_torch_linear():
    torch.manual_seed(0)
    model = BagModel(50, 8, WIDE_HEAD, dropout=0.0)
    batch = (torch.tensor([0, 3, 7, 1, 2]), torch.tensor([0, 3]), torch.rand(5))
    targets = torch.tensor([4, 200])
    grads = []
    for wide in (True, False):
        model.zero_grad()
        if wide:
            logits = model(*batch)
        else:
            logits = model.head(model.embed(*batch))
        assert logits.grad_fn.name().startswith("_WideLinear") == wide
        torch.nn.functional.cross_entropy(logits, targets).backward()
        grads.append([p.grad.to_dense().clone() for p in model.parameters()])
    for wide, plain in zip(*grads, strict=True):
        torch.testing.assert_close(wide, plain)


def test_many_classes_learn_in_the_default_epochs():
    # 600 classes of 10 documents (batches of 32 either way): without the
    # head's per-class rate, 5 epochs reached 0.896.
    texts, y = make_text_classification(
        7200, 600, words_per_class=3, signal=0.6, length=(5, 10), random_state=0
    )
    clf = TextClassifier(random_state=0, max_iter=5).fit(texts[:6000], y[:6000])
    assert clf.score(texts[6000:], y[6000:]) > 0.92


@pytest.fixture(scope="module")
def nested_fit():
    texts, y = make_text_classification(
        900, 30, hierarchy=(3, 30), words_per_class=5, signal=0.3, random_state=0
    )
    clf = TextClassifier(random_state=0, min_count=1, max_iter=3).fit(texts[:600], y[:600])
    return clf, texts[600:], y


def test_nested_outputs_predict_valid_paths(nested_fit, tmp_path):
    clf, test, y = nested_fit
    paths = {tuple(row) for row in y[:600]}
    assert clf.target_.paths is not None and len(clf.target_.paths) == 30
    predicted = clf.predict(test)
    assert all(tuple(row) in paths for row in predicted)
    # Each output's own argmax does not always agree with the path decoding.
    proba = clf.predict_proba(test)
    independent = np.stack(
        [np.asarray(c)[p.argmax(axis=1)] for c, p in zip(clf.classes_, proba, strict=True)], 1
    )
    assert not all(tuple(row) in paths for row in independent)
    clf.save(tmp_path / "model")
    np.testing.assert_array_equal(load(tmp_path / "model").predict(test), predicted)


def test_config_without_paths_decodes_each_output(nested_fit):
    clf, test, _ = nested_fit
    config = clf.target_.to_config()
    assert "paths" in config
    del config["paths"]  # a model saved before nested decoding
    old = target_from_config(config)
    logits = np.hstack(clf.decision_function(test))
    blocks = np.split(logits, np.cumsum(old.output_sizes)[:-1], axis=1)
    np.testing.assert_array_equal(
        old.argmax(logits), np.stack([b.argmax(axis=1) for b in blocks], axis=1)
    )


def test_outputs_that_do_not_nest_keep_no_paths():
    rng = np.random.default_rng(0)
    y = np.stack([rng.integers(3, size=200), rng.integers(4, size=200)], axis=1).astype(str)
    target = make_target(y)
    assert target.paths is None
