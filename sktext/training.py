"""Epochs and steps: the training loop and batched inference.

:func:`train` runs epochs (:func:`_run_epoch`: one permutation of the
documents, then contiguous batches) of steps (:class:`_Stepper`: forward,
weighted loss, gradients, update) and asks an :class:`_EarlyStopping` after
each epoch whether to go on. Documents come as :mod:`sktext.batches`
(:class:`~sktext.batches.Bags` or :class:`~sktext.batches.Sequences`), whose
batches cost no per-sample Python work and, on a GPU, no host
synchronisation.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import torch.distributed as dist
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from torch import nn
from tqdm.auto import tqdm

from .batches import Bags, Sequences
from .compiled_training import CompiledEpochs
from .loss import LossFunction
from .model import AttentionModel, BagModel, Training

__all__ = [
    "TrainingConfig",
    "auto_batch_size",
    "auto_epochs",
    "document_overlap",
    "stable_stream_rate",
    "TrainingHistory",
    "train",
    "validation_split",
    "predict_logits",
    "resolve_device",
    "seeded_global_rng",
    "shared_seed",
    "torch_threads",
]


# torch's thread count and its default generator are process-wide: fits and
# predictions running in threads share them, so they are handed out under locks.
_THREADS_LOCK = threading.Lock()
_threads_in_use = 0
_threads_before = 1
_GLOBAL_RNG_LOCK = threading.RLock()


@contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run torch's CPU kernels on ``n_threads`` threads, then restore the setting.

    Small sparse steps gain little from more threads, and torch's spinning
    thread pool slows down severalfold when other processes (a parallel grid
    search) compete for the cores, so the estimator bounds it explicitly.
    The setting is one for the whole process: the first of concurrent callers
    (fits or predictions in threads) sets it, the last one out restores the
    value found before, and a caller arriving meanwhile runs with the count in
    force, so that no call changes it under another one.
    """
    global _threads_in_use, _threads_before
    with _THREADS_LOCK:
        if _threads_in_use == 0:
            _threads_before = torch.get_num_threads()
            torch.set_num_threads(n_threads)
        _threads_in_use += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _threads_in_use -= 1
            if _threads_in_use == 0:
                torch.set_num_threads(_threads_before)


@contextmanager
def seeded_global_rng(seed: int, device: torch.device) -> Iterator[None]:
    """torch's default generator seeded with ``seed`` inside the block, and the
    caller's state restored after it; one thread at a time, so that concurrent
    fits do not draw from each other's stream. Module constructors (their
    default initialisation) and the transformer layers' dropout draw from it."""
    with (
        _GLOBAL_RNG_LOCK,
        torch.random.fork_rng(devices=[device] if device.type == "cuda" else []),
    ):
        torch.manual_seed(seed)
        yield


def _process_group() -> tuple[int, int]:
    """(rank, world size) of an initialised torch.distributed group, else (0, 1)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _collective_device() -> torch.device:
    # NCCL moves only CUDA tensors; gloo only CPU ones.
    return torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")


def shared_seed(seed: int) -> int:
    """Rank 0's seed on every rank of a process group (else ``seed``), so that
    all ranks initialise, split and shuffle alike."""
    _, world = _process_group()
    if world == 1:
        return seed
    tensor = torch.tensor([seed], dtype=torch.int64, device=_collective_device())
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


@torch.no_grad()
def _all_reduce_gradients(parameters: list[torch.Tensor]) -> None:
    """Sum every gradient over the ranks. Sparse embedding gradients travel as
    sparse tensors on gloo; NCCL has no sparse all-reduce, so there they are
    made dense first."""
    dense_only = dist.get_backend() == "nccl"
    for parameter in parameters:
        if parameter.grad.is_sparse and dense_only:
            parameter.grad = parameter.grad.to_dense()
        dist.all_reduce(parameter.grad)


# An epoch loss this many times the first epoch's, or a uniform guess's, means
# training diverged.
_DIVERGED = 10.0


def document_overlap(weights: sp.csr_matrix, ceiling: float | None = None) -> float:
    """Largest eigenvalue of the documents' second moment ``X.T @ X / n``
    (``X``: one row of pooling weights a document), by power iteration.

    It measures how much documents share their features: a batch's SGD step
    moves every document's logits by its weights' overlap with the batch's
    (``x_i @ x_j``), and this is the largest mean overlap. Unit-norm tf-idf
    rows of words overlap little (0.010-0.033 on the benchmark sets), character
    n-grams much more (letters and bigrams recur in every document). The
    iteration starts from the mean document, close to the top eigenvector of
    non-negative data, which makes it deterministic and quick to converge.
    With ``ceiling``, it stops once the eigenvalue is proven at most
    ``ceiling`` and returns the estimate then (below it too): all that a
    caller comparing the overlap with ``ceiling`` needs.
    """
    n = weights.shape[0]
    if n == 0 or weights.nnz == 0:
        return 0.0
    matrix = weights.astype(np.float64)
    vector = np.asarray(matrix.mean(axis=0)).ravel()
    value = float(np.linalg.norm(vector))
    bounded = ceiling is not None and weights.data.min() >= 0
    for _ in range(100):
        unit = vector / value
        vector = matrix.T @ (matrix @ unit) / n
        previous, value = value, float(np.linalg.norm(vector))
        if abs(value - previous) <= 1e-6 * value or bounded and _bound(vector, unit) <= ceiling:
            break
    return value


def _bound(product: np.ndarray, vector: np.ndarray) -> float:
    """Collatz-Wielandt: ``max_i (A v)_i / v_i`` bounds the top eigenvalue of
    a non-negative matrix ``A`` from above, for ``v > 0`` (``product``: ``A v``)."""
    positive = vector > 0
    if (product[~positive] > 0).any():
        return np.inf
    return float((product[positive] / vector[positive]).max(initial=0.0))


def stable_stream_rate(
    model: BagModel, bags: Bags, overlap: float, curvature: float, batch_size: int
) -> float:
    """The largest SGD step that is stable for ``model`` on ``bags`` however
    wrong its predictions: ``2 / (curvature * S)``.

    ``S`` bounds the batch's Gauss-Newton matrix with unit loss curvature:
    the step of the embeddings moves the logits by the documents' ``overlap``
    times the head's squared spectral norm, the step of the head by the top
    eigenvalue of the pooled vectors' second moment, the bias's by 1.
    ``curvature`` bounds the loss's second derivative in the logits (1/2 for
    softmax, 1/4 for sigmoid). Fit may exceed this bound early on: its
    training loss saturates as it fits, which shrinks the curvature, and the
    rate decays to zero. A stream keeps meeting new documents at a constant
    rate, so nothing saturates, and the head's norm (hence ``S``) grows with
    the margins learned: past the bound, the steps overshoot, the weights
    grow faster, and the loss explodes.
    """
    pooled = predict_logits(model, bags, batch_size=batch_size, embed=True).astype(np.float64)
    pooled_moment = np.linalg.eigvalsh(pooled.T @ pooled / max(len(pooled), 1))[-1]
    head = model.head.weight.detach().double().cpu().numpy()
    bound = overlap * np.linalg.norm(head, 2) ** 2 + pooled_moment + 1.0
    return float(2.0 / (curvature * bound))


@dataclass
class TrainingConfig:
    """How to train; see :class:`sktext.TextClassifier` for each field."""

    max_iter: int
    learning_rate: float
    batch_size: int
    n_iter_no_change: int
    tol: float
    verbose: int
    # Linear decay to zero over max_iter epochs; off for streams (partial_fit),
    # whose length is unknown.
    decay: bool = True
    # "sgd" for the bag model's sparse embeddings; "adamw" (with gradient
    # clipping) for the attention encoder, whose dense layers plain SGD at
    # the bag's rate would not train.
    optimizer: str = "sgd"
    # Documents a forward pass when scoring the validation split.
    predict_batch_size: int = 4096
    # Forward passes under bf16 autocast: for the attention encoder on a GPU,
    # whose matrix products bf16 tensor cores speed up. The bag model's step
    # is gathers and sparse updates, which bf16 would not speed up.
    autocast: bool = False
    # SGD's decoupled L2 penalty (see sktext.model.Training.weight_decay).
    weight_decay: float = 0.0

    @classmethod
    def from_params(
        cls,
        params: dict[str, Any],
        training: Training,
        n_samples: int,
        device: torch.device,
        stream: bool,
        overlap: float = 0.0,
        n_outputs: int = 1,
        multilabel: bool = False,
    ) -> TrainingConfig:
        """The configuration for an estimator's parameters (``get_params()``),
        a network's ``training`` defaults and ``n_samples`` training
        documents; ``stream`` is one constant-rate pass (``partial_fit``);
        ``overlap`` is the documents' :func:`document_overlap` (for a network
        whose "auto" rate follows it); ``n_outputs``: the head's logits.
        ``multilabel`` targets (independent sigmoids) get no weight decay:
        it shrank the head rows of rare labels, whose few positives must
        outweigh a strongly negative prior, to nothing (Reuters macro-F1
        0.40 -> 0.23), while softmax targets gained; nor do streams, whose
        constant rate :func:`stable_stream_rate` bounds without it (one
        partial_fit call after fit lost 3 points with it)."""
        max_iter, learning_rate = params["max_iter"], params["learning_rate"]
        batch_size = params["batch_size"]
        return cls(
            max_iter=1 if stream else auto_epochs(n_samples) if max_iter == "auto" else max_iter,
            learning_rate=(
                training.auto_learning_rate(overlap) if learning_rate == "auto" else learning_rate
            ),
            batch_size=(
                auto_batch_size(n_samples, device, n_outputs)
                if batch_size == "auto"
                else batch_size
            ),
            n_iter_no_change=params["n_iter_no_change"],
            tol=params["tol"],
            verbose=params["verbose"],
            decay=not stream,
            optimizer=training.optimizer,
            autocast=device.type == "cuda" and training.autocast_on_cuda,
            predict_batch_size=training.predict_batch_size,
            weight_decay=0.0 if multilabel or stream else training.weight_decay,
        )

    @classmethod
    def for_documents(
        cls,
        params: dict[str, Any],
        training: Training,
        documents: Bags | Sequences,
        weighted: sp.csr_matrix | None,
        device: torch.device,
        stream: bool,
        *,
        model: nn.Module,
        multilabel: bool,
    ) -> TrainingConfig:
        """:meth:`from_params` for the training ``documents`` (pooling weights
        ``weighted`` for bags) and the ``model`` about to be trained. A
        network's "auto" rate that follows how much the documents share their
        features (their :func:`document_overlap`) gets it; a stream's is also
        capped, each call, at the step that is stable for the model as it
        stands (:func:`stable_stream_rate`), which falls as the model grows
        confident: a constant 8.0 diverged on streams."""
        auto = params["learning_rate"] == "auto" and training.overlap_reference is not None
        # Below the reference, fit's rate does not depend on the overlap; a stream's does.
        ceiling = None if stream else training.overlap_reference
        overlap = document_overlap(weighted, ceiling) if auto else 0.0
        config = cls.from_params(
            params,
            training,
            len(documents),
            device,
            stream,
            overlap,
            model.head.out_features,
            multilabel,
        )
        if stream and auto:
            stable = stable_stream_rate(
                model,
                documents,
                overlap,
                curvature=0.25 if multilabel else 0.5,
                batch_size=training.predict_batch_size,
            )
            config = dataclasses.replace(config, learning_rate=min(config.learning_rate, stable))
        return config


def resolve_device(spec: str | torch.device) -> torch.device:
    """The torch device for the estimator's ``device``: "auto" is CUDA where
    available; an unavailable CUDA device is a clear error."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={spec!r} but CUDA is not available here.")
    return device


def validation_split(
    encoded: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation rows for early stopping, stratified by class
    when every class has two samples."""
    rows = np.arange(len(encoded))
    stratify = None
    if encoded.ndim == 1 and np.bincount(encoded).min(initial=0) >= 2:
        stratify = encoded
    try:
        return train_test_split(
            rows,
            test_size=fraction,
            random_state=seed,
            stratify=stratify,
        )
    except ValueError:  # too few samples of a class to stratify
        return train_test_split(rows, test_size=fraction, random_state=seed)


def auto_epochs(n_samples: int) -> int:
    """What ``max_iter="auto"`` means: small data sets get more passes than
    large ones, as fastText's advice goes (``500_000 // n_samples`` clipped
    to [5, 10])."""
    return int(np.clip(500_000 // max(n_samples, 1), 5, 10))


# Steps an epoch that batch_size="auto" aims at, at least: one an output
# (class) beyond it.
_STEPS_PER_EPOCH = 200


def auto_batch_size(n_samples: int, device: torch.device, n_outputs: int = 1) -> int:
    """What ``batch_size="auto"`` means: about 200 steps an epoch, or one an
    output when the head has more than 200 (classes, summed over the
    outputs of a multi-output target), between 32 and 1024 documents a step
    (8192 on a GPU, whose small steps cost their kernel launches more than
    their arithmetic).

    A class's head row learns in proportion to how many of its documents
    the steps meet: with 1,000 classes of 100 documents, 200 steps an epoch
    (batches of 500) meet each class 0.2 times a step. Batches of 100 (1,000
    steps) raised the accuracy after 5 epochs from 0.47 to 0.66 on the
    4-level hierarchy of ``benchmarks/many_classes.py``, for about a quarter
    more time an epoch: a step's cost is mostly per document.
    """
    cap = 8192 if device.type == "cuda" else 1024
    return int(np.clip(n_samples // max(_STEPS_PER_EPOCH, n_outputs), 32, cap))


@dataclass
class TrainingHistory:
    """What :func:`train` observed, epoch by epoch."""

    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_validation_score: float | None = None
    n_iter: int = 0
    seconds: float = 0.0
    shuffle_seconds: float = 0.0
    # Ctrl-C stopped training: the caller finishes the fit, then re-raises.
    interrupted: bool = False

    def attributes(
        self, previous: dict[str, Any], timings: dict[str, float], early_stopping: bool
    ) -> list[tuple[str, Any]]:
        """The estimator's training diagnostics (``loss_curve_``, ...), added
        to those of ``previous`` (a continued fit's attributes, else empty);
        ``timings``: the features' seconds for ``fit_timings_``."""
        validation = previous.get("validation_scores_") or []
        return [
            ("loss_curve_", previous.get("loss_curve_", []) + self.loss_curve),
            # None without early stopping, as MLPClassifier has it: no validation
            # ran, which an empty list (no epoch yet) would not say.
            ("validation_scores_", validation + self.validation_scores if early_stopping else None),
            ("best_validation_score_", self.best_validation_score),
            ("n_iter_", previous.get("n_iter_", 0) + self.n_iter),
            (
                "fit_timings_",
                {
                    **timings,
                    "shuffle": self.shuffle_seconds,
                    "steps": self.seconds - self.shuffle_seconds,
                },
            ),
        ]


class _EarlyStopping:
    """Scores the validation documents after each epoch, keeps the best
    weights, and says when ``n_iter_no_change`` epochs have not improved the
    best score by ``tol``."""

    def __init__(
        self,
        documents: Bags | Sequences,
        score: Callable[[np.ndarray], float],
        config: TrainingConfig,
    ) -> None:
        self.documents = documents
        self.score = score
        self.config = config
        self.best_state: dict | None = None
        self.stalled = 0

    def update(self, model: nn.Module, history: TrainingHistory) -> float:
        """Score ``model`` and record the score in ``history``."""
        logits = predict_logits(model, self.documents, batch_size=self.config.predict_batch_size)
        score = self.score(logits)
        history.validation_scores.append(score)
        if (
            history.best_validation_score is None
            or score > history.best_validation_score + self.config.tol
        ):
            history.best_validation_score = score
            self.best_state = copy.deepcopy(model.state_dict())
            self.stalled = 0
        else:
            self.stalled += 1
        return score

    @property
    def done(self) -> bool:
        return self.stalled >= self.config.n_iter_no_change


class _DivergenceCheck:
    """Warns, once, when an epoch's loss exceeds ``_DIVERGED`` times the first
    epoch's or a uniform guess's (log n_classes a document for softmax): a
    finite but exploding loss left a damaged model that looked fitted. The
    guess catches a first epoch that already blew up, and a stream's calls,
    which train one epoch each. Training goes on: the decay may recover."""

    def __init__(
        self,
        model: nn.Module,
        loss_function: LossFunction,
        targets: torch.Tensor,
        sample_weight: torch.Tensor,
        config: TrainingConfig,
    ) -> None:
        logits = torch.zeros(model.head.out_features, device=targets.device)
        self.guess_loss = _constant_loss(
            loss_function, logits, targets, sample_weight, config.predict_batch_size
        )
        self.learning_rate = config.learning_rate
        self.warned = False

    def __call__(self, history: TrainingHistory) -> None:
        reference = min(history.loss_curve[0], self.guess_loss)
        loss = history.loss_curve[-1]
        if self.warned or loss <= _DIVERGED * reference:
            return
        self.warned = True
        warnings.warn(
            f"the training loss reached {loss:.3g} at epoch {history.n_iter}, over "
            f"{_DIVERGED:g} times {reference:.3g} (the first epoch's loss or, if lower, a "
            f"uniform guess's): training diverged at learning_rate={self.learning_rate:.3g}; "
            "lower learning_rate.",
            ConvergenceWarning,
            stacklevel=5,
        )


class _Stepper:
    """One optimisation step on one batch: the forward pass (under autocast if
    asked), the weighted loss, the gradients (summed over the ranks of a
    process group), and the update at the step's learning rate."""

    def __init__(
        self,
        model: nn.Module,
        loss_function: LossFunction,
        config: TrainingConfig,
        n_steps: int,
        head_scale: torch.Tensor | None = None,
    ) -> None:
        self.model = model
        self.head_scale = head_scale
        self.loss_function = loss_function
        self.config = config
        self.n_steps = n_steps
        self.parameters = list(model.parameters())
        self.step = 0
        self.rank, self.world = _process_group()
        self.optimizer = (
            torch.optim.AdamW(self.parameters, lr=config.learning_rate, weight_decay=0.01)
            if config.optimizer == "adamw"
            else None
        )

    def learning_rate(self) -> float:
        config = self.config
        return config.learning_rate * (1.0 - self.step / self.n_steps if config.decay else 1.0)

    def __call__(
        self,
        shuffled: Bags | Sequences,
        targets: torch.Tensor,
        weights: torch.Tensor,
        start: int,
        stop: int,
    ) -> torch.Tensor:
        """Train on rows ``start:stop``; returns their summed weighted loss
        (a device scalar: reading it would synchronise)."""
        # Each rank takes its share of the batch (all of it, alone).
        low = start + (stop - start) * self.rank // self.world
        high = start + (stop - start) * (self.rank + 1) // self.world
        device = targets.device
        with torch.autocast(device.type, torch.bfloat16, enabled=self.config.autocast):
            logits = self.model(*shuffled.batch(low, high))
        losses = self.loss_function(logits.float(), targets[low:high])
        # Divided by the whole batch: summed over ranks, the batch mean.
        loss = (losses * weights[low:high]).sum() / (stop - start)
        loss.backward()
        if self.world > 1:
            _all_reduce_gradients(self.parameters)
        learning_rate = self.learning_rate()
        if self.head_scale is not None:
            head = self.model.head
            head.weight.grad.mul_(self.head_scale[:, None])
            head.bias.grad.mul_(self.head_scale)
        if self.optimizer is None:
            _sgd_step(self.parameters, learning_rate, self.config.weight_decay)
        else:
            torch.nn.utils.clip_grad_norm_(self.parameters, 1.0)
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return loss.detach() * (stop - start)


def _run_epoch(
    stepper: _Stepper,
    documents: Bags | Sequences,
    targets: torch.Tensor,
    sample_weight: torch.Tensor,
    batch_size: int,
    rng: np.random.Generator,
    history: TrainingHistory,
    fast: CompiledEpochs | None = None,
) -> float:
    """One pass over the documents in a fresh random order (through the
    compiled steps ``fast`` if given); the mean loss."""
    n_samples = len(documents)
    if fast is not None:
        return _finite(fast.epoch(rng.permutation(n_samples)) / n_samples, history)
    stepper.model.train()
    order = torch.from_numpy(rng.permutation(n_samples))
    rows = order.to(targets.device)
    shuffle_started = time.perf_counter()
    shuffled = documents.take(order.to(documents.storage_device))
    epoch_targets = targets[rows]
    epoch_weights = sample_weight[rows]
    running = torch.zeros((), device=targets.device)
    history.shuffle_seconds += time.perf_counter() - shuffle_started
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        running += stepper(shuffled, epoch_targets, epoch_weights, start, stop)
    if stepper.world > 1:
        dist.all_reduce(running)
    # One host synchronisation an epoch, not one a step.
    return _finite(running.item() / n_samples, history)


def _finite(epoch_loss: float, history: TrainingHistory) -> float:
    if not np.isfinite(epoch_loss):
        raise FloatingPointError(
            f"the training loss became {epoch_loss} at epoch {history.n_iter + 1}; "
            "lower learning_rate (or check sample_weight and class_weight)."
        )
    return epoch_loss


def train(
    model: BagModel | AttentionModel,
    documents: Bags | Sequences,
    targets: torch.Tensor,
    sample_weight: torch.Tensor,
    loss_function: LossFunction,
    config: TrainingConfig,
    rng: np.random.Generator,
    validation: tuple[Bags | Sequences, Callable[[np.ndarray], float]] | None = None,
    noise: torch.Generator | None = None,
    head_scale: np.ndarray | None = None,
) -> TrainingHistory:
    """Train ``model`` in place with SGD (or AdamW) and a linearly decaying
    learning rate.

    Plain SGD is what suits sparse embedding gradients: a step updates only
    the rows in the batch, with no per-row optimizer state (the cost that makes
    dense Adam slow over large tables). With ``validation`` (documents and a
    score function of their logits), training stops once the score has not
    improved by ``tol`` for ``n_iter_no_change`` epochs and the best weights
    are restored. A loss that explodes while staying finite warns
    (:class:`_DivergenceCheck`). A KeyboardInterrupt stops training the same way and sets
    ``interrupted`` in the history: the caller, once its model is in a usable
    state, raises it again. A loss that becomes NaN or infinite raises
    FloatingPointError. ``rng`` draws the epochs' orders, ``noise`` the
    dropout masks of the document vectors (None: torch's default generator).

    Under an initialised ``torch.distributed`` process group (``torchrun``),
    every rank holds the same data and draws the same permutation; each step
    splits the batch across the ranks and sums their gradients, so all ranks
    apply the same update and end with identical weights.

    ``head_scale`` (see :func:`sktext.loss.head_rate_scale`) multiplies the
    gradient of each head row (class) and its bias: with SGD, its step.
    AdamW's steps do not follow the gradient's scale, so it does not apply there.
    """
    batch_size = min(config.batch_size, len(documents))
    steps_per_epoch = -(-len(documents) // batch_size)
    if head_scale is not None and config.optimizer == "sgd":
        head_scale = torch.from_numpy(head_scale).to(targets.device)
        # The weight decay's shrink of the head works against its scaled
        # steps: 600 classes of 10 documents lost 2.5 points with it (0.926
        # -> 0.901, tests/test_many_classes.py).
        config = dataclasses.replace(config, weight_decay=0.0)
    else:
        head_scale = None
    stepper = _Stepper(model, loss_function, config, config.max_iter * steps_per_epoch, head_scale)
    fast = CompiledEpochs.for_fit(stepper, documents, targets, sample_weight)
    stopping = None if validation is None else _EarlyStopping(*validation, config)
    divergence = _DivergenceCheck(model, loss_function, targets, sample_weight, config)
    history = TrainingHistory()
    started = time.perf_counter()
    epochs = range(config.max_iter)
    progress = None
    if config.verbose and stepper.rank == 0:
        progress = tqdm(epochs, desc="fit", unit="epoch")
        epochs = progress
    model.dropout.generator = noise
    try:
        for _ in epochs:
            epoch_loss = _run_epoch(
                stepper, documents, targets, sample_weight, batch_size, rng, history, fast
            )
            history.loss_curve.append(epoch_loss)
            history.n_iter += 1
            divergence(history)
            postfix = {"loss": f"{epoch_loss:.4f}"}
            if stopping is not None:
                postfix["val"] = f"{stopping.update(model, history):.4f}"
            if progress is not None:
                progress.set_postfix(postfix)
            if stopping is not None and stopping.done:
                break
    except KeyboardInterrupt:
        # The model keeps the best weights seen (with validation) or the
        # weights reached so far; the caller re-raises once it is fitted.
        history.interrupted = True
    finally:
        model.dropout.generator = None
        if progress is not None:
            progress.close()
    model.eval()
    if stopping is not None and stopping.best_state is not None:
        model.load_state_dict(stopping.best_state)
    history.seconds = time.perf_counter() - started
    return history


@torch.no_grad()
def _constant_loss(
    loss_function: LossFunction,
    logits: torch.Tensor,
    targets: torch.Tensor,
    sample_weight: torch.Tensor,
    chunk: int,
) -> float:
    """The mean training loss of predicting ``logits`` for every document,
    ``chunk`` documents at a time (an (n, n_outputs) matrix may not fit)."""
    total = torch.zeros((), device=targets.device)
    for start in range(0, len(targets), chunk):
        part = targets[start : start + chunk]
        losses = loss_function(logits.expand(len(part), -1), part)
        total += (losses * sample_weight[start : start + chunk]).sum()
    return total.item() / max(len(targets), 1)


@torch.no_grad()
def _sgd_step(parameters: list[torch.Tensor], learning_rate: float, weight_decay: float) -> None:
    """``p -= lr * grad`` for every parameter, after shrinking it by
    ``1 - lr * weight_decay``, then drop the gradients.

    Written out rather than ``torch.optim.SGD``: that class imports
    ``torch._dynamo`` on first use (about a second per process) and wraps every
    step in bookkeeping this loop does not need. Sparse embedding gradients
    are added in place, touching only the rows in the batch, and the penalty
    shrinks only those rows (a dense decay of the whole table at every step
    would cost what the step itself saves): a row decays while its tokens are
    in use. Dense parameters (the head) decay at every step.
    """
    keep = 1.0 - learning_rate * weight_decay
    for parameter in parameters:
        grad = parameter.grad
        if keep != 1.0:
            if grad.is_sparse:
                rows = torch.unique(grad._indices()[0])
                parameter.index_copy_(0, rows, parameter.index_select(0, rows) * keep)
            else:
                parameter.mul_(keep)
        parameter.add_(grad, alpha=-learning_rate)
        parameter.grad = None


@torch.inference_mode()
def predict_logits(
    model: BagModel | AttentionModel, bags: Bags | Sequences, batch_size: int, embed: bool = False
) -> np.ndarray:
    """Logits (or, with ``embed``, pooled document vectors) of every row of
    ``bags``, computed ``batch_size`` rows at a time."""
    model.eval()
    forward = model.embed if embed else model.exact_logits
    out = [
        forward(*bags.batch(start, min(start + batch_size, len(bags)))).cpu()
        for start in range(0, len(bags), batch_size)
    ]
    if not out:
        width = model.head.in_features if embed else model.head.out_features
        return np.empty((0, width), dtype=np.float32 if embed else np.float64)
    return torch.cat(out).numpy()
