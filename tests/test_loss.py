"""make_loss: each kind's per-sample losses against values computed by hand.

The references below are written out with numpy from the formulas (log-sum-exp,
binary cross-entropy), not with the torch functions the module calls, so that
a wrong reduction, weight or normalisation shows up as a different number.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sktext.loss import make_loss

LOGITS = np.array(
    [[2.0, 0.0, -1.0], [0.5, 1.5, 0.0], [-1.0, 0.0, 3.0], [0.0, 0.0, 0.0]], dtype=np.float32
)
CODES = np.array([0, 1, 2, 1])
WEIGHTS = np.array([1.0, 3.0, 0.5], dtype=np.float32)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.log1p(np.exp(-z.astype(np.float64)))


def evaluate(loss, logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    values = loss(torch.from_numpy(logits), torch.from_numpy(targets))
    assert values.shape == (len(logits),)  # one loss a sample, no reduction
    return values.double().numpy()


# ------------------------------------------------------------------------ softmax


def test_softmax_is_the_cross_entropy_of_each_sample():
    expected = -log_softmax(LOGITS)[np.arange(4), CODES]
    np.testing.assert_allclose(evaluate(make_loss("softmax"), LOGITS, CODES), expected, rtol=1e-6)


def test_softmax_by_hand_on_one_sample():
    # -log(e^2 / (e^2 + e^0 + e^-1)) = log(1 + e^-2 + e^-3)
    value = evaluate(make_loss("softmax"), LOGITS[:1], CODES[:1])[0]
    assert value == pytest.approx(np.log(1 + np.exp(-2) + np.exp(-3)), rel=1e-6)


def test_softmax_on_soft_labels_is_the_expected_cross_entropy():
    soft = np.array(
        [[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5], [1 / 3, 1 / 3, 1 / 3]],
        dtype=np.float32,
    )
    expected = -(soft * log_softmax(LOGITS)).sum(axis=1)
    np.testing.assert_allclose(evaluate(make_loss("softmax"), LOGITS, soft), expected, rtol=1e-6)


def test_one_hot_soft_labels_give_the_losses_of_hard_labels():
    one_hot = np.eye(3, dtype=np.float32)[CODES]
    np.testing.assert_allclose(
        evaluate(make_loss("softmax"), LOGITS, one_hot),
        evaluate(make_loss("softmax"), LOGITS, CODES),
        rtol=1e-6,
    )


def test_weighted_softmax_is_normalised_by_the_batch_weight():
    loss = make_loss("softmax", class_weight=torch.from_numpy(WEIGHTS))
    sample_weight = WEIGHTS[CODES]
    cross_entropy = -log_softmax(LOGITS)[np.arange(4), CODES]
    expected = sample_weight * cross_entropy * len(CODES) / sample_weight.sum()
    values = evaluate(loss, LOGITS, CODES)
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    # The caller's mean over the batch is then the weighted mean of the losses.
    assert values.mean() == pytest.approx(
        (sample_weight * cross_entropy).sum() / sample_weight.sum(), rel=1e-6
    )


def test_weighted_softmax_on_soft_labels_weights_each_class_of_the_row():
    soft = np.array(
        [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.2, 0.0, 0.8], [0.1, 0.6, 0.3]], dtype=np.float32
    )
    loss = make_loss("softmax", class_weight=torch.from_numpy(WEIGHTS))
    per_sample = -(soft * WEIGHTS * log_softmax(LOGITS)).sum(axis=1)
    expected = per_sample * len(soft) / (soft @ WEIGHTS).sum()
    np.testing.assert_allclose(evaluate(loss, LOGITS, soft), expected, rtol=1e-5)


def test_scaling_every_class_weight_changes_nothing():
    """Only the weights' ratios count: the normalisation removes their scale
    (the "balanced" weights of rare classes no longer multiply the step)."""
    base = make_loss("softmax", class_weight=torch.from_numpy(WEIGHTS))
    scaled = make_loss("softmax", class_weight=torch.from_numpy(1000 * WEIGHTS))
    np.testing.assert_allclose(
        evaluate(scaled, LOGITS, CODES), evaluate(base, LOGITS, CODES), rtol=1e-5
    )


def test_uniform_class_weights_give_the_unweighted_losses():
    uniform = make_loss("softmax", class_weight=torch.full((3,), 7.0))
    np.testing.assert_allclose(
        evaluate(uniform, LOGITS, CODES), evaluate(make_loss("softmax"), LOGITS, CODES), rtol=1e-5
    )


def test_a_batch_of_zero_weight_samples_gives_zero_losses_not_nan():
    loss = make_loss("softmax", class_weight=torch.tensor([0.0, 1.0, 1.0]))
    values = evaluate(loss, LOGITS, np.zeros(4, dtype=np.int64))
    np.testing.assert_array_equal(values, np.zeros(4))


# ------------------------------------------------------------------------ sigmoid

INDICATOR = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]], dtype=np.float32)


def binary_cross_entropy(logits: np.ndarray, targets: np.ndarray, pos_weight=1.0) -> np.ndarray:
    """Per sample and label: -(w y log s(z) + (1 - y) log(1 - s(z)))."""
    return -(pos_weight * targets * log_sigmoid(logits) + (1 - targets) * log_sigmoid(-logits))


def test_sigmoid_sums_binary_cross_entropy_over_labels():
    expected = binary_cross_entropy(LOGITS, INDICATOR).sum(axis=1)
    np.testing.assert_allclose(
        evaluate(make_loss("sigmoid"), LOGITS, INDICATOR), expected, rtol=1e-6
    )


def test_sigmoid_by_hand_at_zero_logits():
    # Every label at logit 0: log 2 each, whatever the target.
    assert evaluate(make_loss("sigmoid"), LOGITS[3:], INDICATOR[3:])[0] == pytest.approx(
        3 * np.log(2), rel=1e-6
    )


def test_sigmoid_on_soft_targets():
    soft = np.array(
        [[0.9, 0.1, 0.5], [0.0, 0.3, 1.0], [0.2, 0.2, 0.2], [1.0, 0.0, 0.75]], dtype=np.float32
    )
    expected = binary_cross_entropy(LOGITS, soft).sum(axis=1)
    np.testing.assert_allclose(evaluate(make_loss("sigmoid"), LOGITS, soft), expected, rtol=1e-6)


def test_weighted_sigmoid_weights_positives_and_normalises_each_label():
    pos_weight = np.array([4.0, 0.5, 2.0], dtype=np.float32)
    loss = make_loss("sigmoid", class_weight=torch.from_numpy(pos_weight))
    element_weight = 1 + (pos_weight - 1) * INDICATOR  # a negative weighs 1
    normaliser = len(INDICATOR) / element_weight.sum(axis=0)  # per label
    expected = (binary_cross_entropy(LOGITS, INDICATOR, pos_weight) * normaliser).sum(axis=1)
    np.testing.assert_allclose(evaluate(loss, LOGITS, INDICATOR), expected, rtol=1e-6)


def test_unit_positive_weights_give_the_unweighted_sigmoid_losses():
    loss = make_loss("sigmoid", class_weight=torch.ones(3))
    np.testing.assert_allclose(
        evaluate(loss, LOGITS, INDICATOR),
        evaluate(make_loss("sigmoid"), LOGITS, INDICATOR),
        rtol=1e-6,
    )


# -------------------------------------------------------------------- multioutput

SIZES = (3, 2)
WIDE = np.array(
    [[2.0, 0.0, -1.0, 0.3, -0.3], [0.5, 1.5, 0.0, 1.0, 2.0], [-1.0, 0.0, 3.0, 0.0, 0.0]],
    dtype=np.float32,
)
OUTPUT_CODES = np.array([[0, 1], [1, 1], [2, 0]])


def test_multioutput_sums_one_cross_entropy_per_output_block():
    first = -log_softmax(WIDE[:, :3])[np.arange(3), OUTPUT_CODES[:, 0]]
    second = -log_softmax(WIDE[:, 3:])[np.arange(3), OUTPUT_CODES[:, 1]]
    loss = make_loss("multioutput", output_sizes=SIZES)
    np.testing.assert_allclose(evaluate(loss, WIDE, OUTPUT_CODES), first + second, rtol=1e-6)


def test_weighted_multioutput_normalises_each_output_by_its_own_batch_weight():
    weights = np.array([1.0, 2.0, 4.0, 0.5, 3.0], dtype=np.float32)
    loss = make_loss("multioutput", class_weight=torch.from_numpy(weights), output_sizes=SIZES)
    expected = np.zeros(3)
    for block, block_weights, codes in (
        (WIDE[:, :3], weights[:3], OUTPUT_CODES[:, 0]),
        (WIDE[:, 3:], weights[3:], OUTPUT_CODES[:, 1]),
    ):
        sample_weight = block_weights[codes]
        cross_entropy = -log_softmax(block)[np.arange(3), codes]
        expected += sample_weight * cross_entropy * 3 / sample_weight.sum()
    np.testing.assert_allclose(evaluate(loss, WIDE, OUTPUT_CODES), expected, rtol=1e-6)


def test_losses_carry_gradients_to_the_logits():
    logits = torch.from_numpy(LOGITS).requires_grad_()
    make_loss("softmax")(logits, torch.from_numpy(CODES)).sum().backward()
    # d(cross-entropy)/d(logits) = softmax - one-hot
    expected = np.exp(log_softmax(LOGITS)) - np.eye(3)[CODES]
    np.testing.assert_allclose(logits.grad.numpy(), expected, rtol=1e-5, atol=1e-7)
