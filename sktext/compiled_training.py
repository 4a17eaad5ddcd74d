"""The compiled training steps of the bag model: which fits take them, and their epochs.

:mod:`sktext._train` (Cython and C++, built with the tokenizer by ``pip
install``) runs the minibatch SGD steps of :func:`sktext.training.train` for
:class:`~sktext.model.BagModel` on the CPU: the same update as the torch
path (``EmbeddingBag`` sum, linear head, the loss of
:func:`sktext.loss.make_loss` with its class weights, ``head_scale``, the
decoupled weight decay of the rows a batch touches, the linearly decaying
rate), without the GIL, on ``n_jobs`` threads, with results that do not
depend on the thread count. An epoch walks its permutation of the
documents directly, with no copy of them, and a step makes no torch calls:
its time is that of fetching the batch's embedding rows, which it
prefetches a few tokens ahead.

The torch path stays for everything else: CUDA, the attention encoder,
AdamW, a torch.distributed group, dropout, categorical side features, and
a checkout without the extension built. :func:`sktext.compiled.disabled`
forces it too, so that tests and benchmarks compare both paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from . import compiled
from .batches import Bags
from .model import BagModel

try:
    from . import _train
except ImportError:  # a checkout whose extension is not built: the torch path
    _train = None

__all__ = ["AVAILABLE", "CompiledEpochs", "refusal"]

#: Whether the extension is built and importable.
AVAILABLE = _train is not None

# Steps a call into the extension: between calls, Python runs its signal
# handlers, so that Ctrl-C stops training within a block, not an epoch.
_BLOCK = 32


def refusal(
    model: torch.nn.Module,
    documents: Any,
    loss_function: Any,
    config: Any,
    world: int = 1,
) -> str | None:
    """Why a fit of ``model`` on ``documents`` takes the torch path, or
    None if the compiled steps run it; ``config`` is its
    :class:`~sktext.training.TrainingConfig`, ``world`` the
    torch.distributed group's size.

    Examples
    --------
    >>> refusal(BagModel(10, 8, 2, dropout=0.5), None, None, None)
    'dropout or categorical side features'
    """
    if not isinstance(model, BagModel):
        return "not the bag model"
    if model.dropout.p > 0 or len(model.categorical):
        return "dropout or categorical side features"
    if config.optimizer != "sgd" or config.autocast:
        return "not plain SGD"
    if world > 1:
        return "a torch.distributed group"
    if not isinstance(documents, Bags) or documents.categories is not None:
        return "not bags of tokens"
    if documents.device.type != "cpu" or documents.storage_device.type != "cpu":
        return "not on the CPU"
    parameters = [model.embedding.weight, model.head.weight, model.head.bias]
    if any(p.device.type != "cpu" or p.dtype != torch.float32 for p in parameters):
        return "parameters not float32 on the CPU"
    if getattr(loss_function, "kind", None) is None:
        return "a loss not made by sktext.loss.make_loss"
    if not (AVAILABLE and compiled.AVAILABLE):
        return "compiled code disabled or not built"
    return None


def _numpy(tensor: torch.Tensor | None, dtype: type[np.generic]) -> np.ndarray | None:
    """A C-contiguous numpy array of ``tensor`` (its memory where it can)."""
    if tensor is None:
        return None
    return np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype=dtype)


class CompiledEpochs:
    """The epochs of one fit in the extension; what :func:`sktext.training.train`
    runs instead of its torch steps when :func:`refusal` finds no reason not to.

    Parameters
    ----------
    model : BagModel
        Trained in place: the extension writes into its parameters' memory.
    documents : Bags
    targets, sample_weight : torch.Tensor
        The training targets (as the loss reads them) and samples' weights.
    loss_function : callable
        Made by :func:`sktext.loss.make_loss`.
    config : TrainingConfig
    n_steps : int
        Steps of the whole fit, over which the rate decays to zero.
    head_scale : torch.Tensor or None
        Per-class multipliers of the head's step.
    n_threads : int
        Threads a step; the results do not depend on it.
    """

    def __init__(
        self,
        model: BagModel,
        documents: Bags,
        targets: torch.Tensor,
        sample_weight: torch.Tensor,
        loss_function: Any,
        config: Any,
        n_steps: int,
        head_scale: torch.Tensor | None,
        n_threads: int,
    ) -> None:
        kind = loss_function.kind
        if kind == "softmax":
            kind = "softmax_soft" if targets.dtype.is_floating_point else "softmax_codes"
        codes = kind in ("softmax_codes", "multioutput")
        sizes = loss_function.output_sizes
        indices = _numpy(documents.indices, np.int64)
        # The extension indexes the table unchecked: an id outside would write outside it.
        if indices.min(initial=0) < 0 or indices.max(initial=-1) >= model.embedding.num_embeddings:
            raise ValueError("token ids outside the embedding table")
        bounds = np.cumsum([0, *sizes]) if kind == "multioutput" else [0, model.head.out_features]
        self.n_docs = len(documents)
        self.batch_size = min(config.batch_size, self.n_docs)
        self.step = 0
        self.steps = _train.Steps(
            (_numpy(documents.indptr, np.int64), indices, _numpy(documents.weights, np.float32)),
            kind,
            _numpy(targets, np.int64 if codes else np.float32),
            _numpy(sample_weight, np.float32),
            _numpy(loss_function.class_weight, np.float32),
            _numpy(head_scale, np.float32),
            list(bounds),
            tuple(
                p.detach().numpy()
                for p in (model.embedding.weight, model.head.weight, model.head.bias)
            ),
            config.learning_rate,
            config.weight_decay,
            config.decay,
            n_steps,
            self.batch_size,
            n_threads,
        )

    def epoch(self, order: np.ndarray) -> float:
        """Train on every document once, in ``order`` (a permutation), one
        batch a step; the summed weighted loss (the torch path's ``running``)."""
        order = np.ascontiguousarray(order, dtype=np.int64)
        total = 0.0
        for start in range(0, self.n_docs, _BLOCK * self.batch_size):
            n_batches = min(_BLOCK, -(-(self.n_docs - start) // self.batch_size))
            total += self._run(order, start, n_batches)
        return total

    def _run(self, order: np.ndarray, start: int, n_batches: int) -> float:
        """``n_batches`` steps from document ``start`` of ``order``; their summed loss."""
        total = self.steps.run(order, start, n_batches, self.step)
        self.step += n_batches
        return total

    @classmethod
    def for_fit(
        cls,
        stepper: Any,
        documents: Any,
        targets: torch.Tensor,
        sample_weight: torch.Tensor,
    ) -> CompiledEpochs | None:
        """The compiled epochs of the fit that ``stepper`` (a
        :class:`sktext.training._Stepper`: model, loss, configuration, steps,
        head scale, process group) would step, or None where it takes the
        torch path (:func:`refusal`). They run on torch's thread count, which
        the estimator sets to its ``n_jobs`` for the fit
        (:func:`sktext.training.torch_threads`)."""
        model, loss_function, config = stepper.model, stepper.loss_function, stepper.config
        if refusal(model, documents, loss_function, config, stepper.world) is not None:
            return None
        return cls(
            model,
            documents,
            targets,
            sample_weight,
            loss_function,
            config,
            stepper.n_steps,
            stepper.head_scale,
            torch.get_num_threads(),
        )
