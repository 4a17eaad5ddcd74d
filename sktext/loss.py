"""Losses, one per kind of target: the label format decides, never the user."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .targets import Target

__all__ = ["class_weight_vector", "head_rate_scale", "make_loss", "prior_logits"]

# Classes a softmax output holds before its rare classes' head rows get a
# larger step (head_rate_scale): at most this many, every row keeps the
# plain rate, so data sets of up to 100 classes train as before.
HEAD_REFERENCE_CLASSES = 100

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def make_loss(
    kind: str,
    class_weight: torch.Tensor | None = None,
    output_sizes: Sequence[int] = (),
) -> LossFunction:
    """A function of (logits, targets) giving one loss value per sample.

    Parameters
    ----------
    kind : {"softmax", "sigmoid", "multioutput"}
        ``"softmax"``: cross-entropy over classes; targets are class codes
        (int64) or class probabilities (float rows summing to 1).
        ``"sigmoid"``: binary cross-entropy per label, summed over labels, as
        fastText's one-vs-all loss; targets are 0/1 or soft values in [0, 1].
        ``"multioutput"``: one softmax cross-entropy per output over its own
        block of the logits, summed over outputs; targets are class codes of
        shape (n_samples, n_outputs).
    class_weight : tensor of shape (n_outputs,), optional
        Softmax: the weight of each class. Sigmoid: the weight of each label's
        positive examples (``pos_weight``). Multi-output: the weight of each
        class of each output, block after block. Weighted losses are
        normalised by the batch's total weight (per label for sigmoid), as
        torch's weighted mean cross-entropy is: a rare class's weight (in the
        thousands for "balanced" on Reuters) then shifts the balance within a
        batch instead of multiplying the SGD step, which made it diverge.
    output_sizes : sequence of int
        Multi-output only: the number of classes (logits) of each output.
    """
    if kind == "softmax":

        def softmax_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            losses = F.cross_entropy(logits, targets, weight=class_weight, reduction="none")
            if class_weight is None:
                return losses
            return losses * _normaliser(_weights(class_weight, targets))

        return _described(softmax_loss, kind, class_weight, ())

    if kind == "multioutput":
        sizes = list(output_sizes)
        weights = [None] * len(sizes) if class_weight is None else class_weight.split(sizes)

        def multioutput_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            losses = [
                F.cross_entropy(block, targets[:, k], weight=weight, reduction="none")
                * (1.0 if weight is None else _normaliser(_weights(weight, targets[:, k])))
                for k, (block, weight) in enumerate(
                    zip(logits.split(sizes, dim=1), weights, strict=True)
                )
            ]
            return torch.stack(losses).sum(dim=0)

        return _described(multioutput_loss, kind, class_weight, sizes)

    def sigmoid_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        losses = F.binary_cross_entropy_with_logits(
            logits, targets, pos_weight=class_weight, reduction="none"
        )
        if class_weight is not None:
            # A negative weighs 1, a positive pos_weight (soft targets: between).
            losses = losses * _normaliser(1.0 + (class_weight - 1.0) * targets)
        return losses.sum(dim=1)

    return _described(sigmoid_loss, kind, class_weight, ())


def _described(
    loss: LossFunction,
    kind: str,
    class_weight: torch.Tensor | None,
    output_sizes: Sequence[int],
) -> LossFunction:
    """``loss`` carrying what it computes (``kind``, ``class_weight``,
    ``output_sizes``): the compiled training steps
    (:mod:`sktext.compiled_training`) read it to compute the same loss."""
    loss.kind, loss.class_weight, loss.output_sizes = kind, class_weight, tuple(output_sizes)
    return loss


def _weights(class_weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each sample's class weight: of its class, or averaged over its soft row."""
    if targets.dtype.is_floating_point:  # class probabilities
        return targets @ class_weight
    return class_weight[targets]


def _normaliser(weights: torch.Tensor) -> torch.Tensor:
    """Batch size over the batch's total weight (per column for 2-D weights):
    the caller's mean over the batch becomes a weighted mean."""
    return len(weights) / weights.sum(dim=0).clamp_min(1e-12)


def class_weight_vector(
    class_weight: dict | str | None, target: Target, encoded: np.ndarray, weights: np.ndarray
) -> np.ndarray | None:
    """The loss's class weights (see :func:`make_loss`) from the estimator's
    ``class_weight`` and the encoded training targets (``weights``: the
    samples' weights); None without class weights."""
    if class_weight is None:
        return None
    sizes = target.output_sizes
    if class_weight == "balanced":
        positives = target.class_counts(encoded, weights)
        if target.multilabel:
            negatives = weights.sum() - positives
            vector = negatives / np.maximum(positives, 1e-12)
        else:  # n_samples / (n_classes * count), per output
            vector = weights.sum() / (np.repeat(sizes, sizes) * np.maximum(positives, 1e-12))
    elif len(sizes) > 1:
        raise ValueError(
            "class_weight as a dict is ambiguous for multi-output y (a label may "
            "belong to several outputs); use class_weight='balanced', which "
            "balances each output, or sample_weight."
        )
    else:
        unknown = set(class_weight) - set(target.classes_.tolist())
        if unknown:
            raise ValueError(
                f"class_weight names labels not in y: {sorted(map(repr, unknown))[:5]}."
            )
        bad = [
            (c, w)
            for c, w in class_weight.items()
            if not isinstance(w, numbers.Real) or not np.isfinite(w) or w < 0
        ]
        if bad:
            raise ValueError(
                "class_weight must map labels to finite non-negative numbers; "
                f"got {bad[0][0]!r}: {bad[0][1]!r}."
            )
        vector = np.array([float(class_weight.get(c, 1.0)) for c in target.classes_.tolist()])
    if not target.multilabel:
        # Scaled to a mean weight of 1 a sample (in each output), as
        # sample_weight is, so that the step size does not depend on the
        # scale of the weights (e.g. {0: 1000, 1: 1000} would otherwise diverge).
        counts = target.class_counts(encoded, weights)
        bounds = np.cumsum([0, *sizes])
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            mean = counts[start:stop] @ vector[start:stop] / weights.sum()
            if mean <= 0:  # the loss would be 0 at every step
                raise ValueError(
                    f"class_weight {class_weight!r} gives every training sample zero weight: "
                    "nothing would be learned."
                )
            vector[start:stop] /= mean
    elif not vector.any():
        raise ValueError(
            f"class_weight {class_weight!r} gives every label's positive samples zero "
            "weight: no label could be learned."
        )
    return vector.astype(np.float32)


def prior_logits(target: Target, encoded: np.ndarray, weights: np.ndarray) -> torch.Tensor:
    """Log class priors (softmax) or log prior odds (sigmoid) of the encoded
    targets: the head's initial bias, so the first steps need not learn the
    base rates."""
    prior = target.class_counts(encoded, weights) / weights.sum()
    prior = np.clip(prior, 1e-4, 1 - 1e-4)
    logits = np.log(prior / (1 - prior)) if target.multilabel else np.log(prior)
    return torch.from_numpy(logits.astype(np.float32))


def head_rate_scale(target: Target, encoded: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """Per-class multipliers of the head's SGD step (weight rows and bias),
    for single-label outputs of more than :data:`HEAD_REFERENCE_CLASSES`
    classes; None where every one would be 1.

    The row of class ``c`` is pulled towards its documents once a
    ``prior_c`` share of the batch, and pushed from the others by their
    probability of ``c`` (about ``prior_c`` too): its gradient, hence its
    learning speed, scales with ``prior_c``. The embeddings learn through the
    head and the head through the embeddings, both starting small, so 1,000
    classes of 100 documents sat on the starting plateau for 5 epochs (loss
    6.9 to 6.6, accuracy 0.39), and needed 20 to leave it. Row ``c``'s step
    is multiplied by ``1 / (100 * prior_c)``, between 1 and
    ``n_classes / 100``: balanced classes beyond 100 all get ``n_classes /
    100``, frequent ones (a prior of 1% or more) keep the plain rate, whose
    stability they need: their rows' curvature is the largest. The sigmoid's
    labels are left as they are (not measured).
    """
    if target.multilabel:
        return None
    sizes = np.asarray(target.output_sizes)
    prior = target.class_counts(encoded, weights) / weights.sum()
    cap = np.repeat(sizes / HEAD_REFERENCE_CLASSES, sizes)
    wanted = 1.0 / (HEAD_REFERENCE_CLASSES * np.maximum(prior, 1e-12))
    scale = np.maximum(1.0, np.minimum(wanted, cap))
    return None if (scale == 1.0).all() else scale.astype(np.float32)
