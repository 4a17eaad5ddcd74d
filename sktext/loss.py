"""Losses, one per kind of target: the label format decides, never the user."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

__all__ = ["make_loss"]

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

        return softmax_loss

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

        return multioutput_loss

    def sigmoid_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        losses = F.binary_cross_entropy_with_logits(
            logits, targets, pos_weight=class_weight, reduction="none"
        )
        if class_weight is not None:
            # A negative weighs 1, a positive pos_weight (soft targets: between).
            losses = losses * _normaliser(1.0 + (class_weight - 1.0) * targets)
        return losses.sum(dim=1)

    return sigmoid_loss


def _weights(class_weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each sample's class weight: of its class, or averaged over its soft row."""
    if targets.dtype.is_floating_point:  # class probabilities
        return targets @ class_weight
    return class_weight[targets]


def _normaliser(weights: torch.Tensor) -> torch.Tensor:
    """Batch size over the batch's total weight (per column for 2-D weights):
    the caller's mean over the batch becomes a weighted mean."""
    return len(weights) / weights.sum(dim=0).clamp_min(1e-12)
