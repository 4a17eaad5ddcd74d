"""Batches and epochs: the training loop and batched inference.

Documents arrive as a weighted sparse matrix (one row a document, see
:mod:`sktext.weighting`) and stay in that layout as three flat tensors
(:class:`Bags`) on the training device, or in pinned host memory when they do
not fit there. Each epoch permutes the rows once; a mini-batch is then a
contiguous slice, so building it costs no per-sample Python work and, on a
GPU, no host synchronisation.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
import torch.distributed as dist

from .loss import LossFunction
from .model import AttentionModel, BagModel

__all__ = [
    "Bags",
    "Sequences",
    "TrainingConfig",
    "TrainingHistory",
    "train",
    "predict_logits",
    "shared_seed",
    "torch_threads",
]


@contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run torch's CPU kernels on ``n_threads`` threads, then restore the setting.

    Small sparse steps gain little from more threads, and torch's spinning
    thread pool slows down severalfold when other processes (a parallel grid
    search) compete for the cores, so the estimator bounds it explicitly.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


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


@dataclass
class Bags:
    """Rows of a CSR matrix as flat tensors: token ids, row pointers, weights.

    The tensors live on their storage device (``indices.device``): the compute
    ``device`` itself, or, when the data do not fit there, the host, and then
    :meth:`batch` moves each batch to ``device``. ``host_indptr`` mirrors
    ``indptr`` on the CPU so that slicing a batch never reads device memory.
    ``categories`` holds each row's categorical side-feature codes, if any.
    """

    indices: torch.Tensor
    indptr: torch.Tensor
    weights: torch.Tensor
    host_indptr: np.ndarray
    device: torch.device
    categories: torch.Tensor | None = None

    @classmethod
    def from_csr(
        cls,
        matrix: sp.csr_matrix,
        device: torch.device,
        resident: bool | None = None,
        categories: np.ndarray | None = None,
    ) -> Bags:
        """Bags of ``matrix`` (and side-feature codes ``categories``, one row
        a document) for computing on ``device``, stored there if ``resident``
        (None: on a GPU, if they fit in its free memory), else on the host."""
        indptr = matrix.indptr.astype(np.int64)
        if resident is None:
            resident = device.type != "cuda" or _fits(matrix, device)
        # Staged data stay pinned on a GPU's host: copies from pinned memory
        # run asynchronously (non_blocking) and at full bus speed.
        pin = not resident and device.type == "cuda"
        storage = device if resident else torch.device("cpu")

        def stage(array: np.ndarray, dtype: type[np.generic]) -> torch.Tensor:
            tensor = torch.from_numpy(array.astype(dtype, copy=False))
            return tensor.pin_memory() if pin else tensor.to(storage)

        return cls(
            stage(matrix.indices, np.int64),
            stage(indptr, np.int64),
            stage(matrix.data, np.float32),
            indptr,
            device,
            None if categories is None else stage(categories, np.int64),
        )

    @property
    def storage_device(self) -> torch.device:
        return self.indices.device

    def __len__(self) -> int:
        return len(self.host_indptr) - 1

    def take(self, rows: torch.Tensor) -> Bags:
        """The rows ``rows`` (a tensor on the storage device), in that order,
        as new Bags."""
        starts = self.indptr[:-1][rows]
        lengths = self.indptr[1:][rows] - starts
        # Pinned like staged sources, so that batches of the copy move asynchronously.
        pin = self.storage_device.type == "cpu" and self.device.type == "cuda"
        indptr = torch.zeros(len(rows) + 1, dtype=torch.int64, device=rows.device, pin_memory=pin)
        torch.cumsum(lengths, 0, out=indptr[1:])
        total = int(self.host_indptr[-1])  # same total length, known on the host
        position = torch.repeat_interleave(
            starts - indptr[:-1], lengths, output_size=total
        ) + torch.arange(total, device=rows.device)

        def gather(source: torch.Tensor) -> torch.Tensor:
            out = torch.empty(total, dtype=source.dtype, device=rows.device, pin_memory=pin)
            return torch.index_select(source, 0, position, out=out)

        return Bags(
            gather(self.indices),
            indptr,
            gather(self.weights),
            indptr.cpu().numpy(),
            self.device,
            None if self.categories is None else self.categories[rows],
        )

    def batch(self, start: int, stop: int) -> tuple[torch.Tensor, ...]:
        """The model's inputs for rows ``start:stop``, on the compute device:
        (indices, offsets, weights) for ``EmbeddingBag``, then the side-feature
        codes if there are any."""
        first, last = int(self.host_indptr[start]), int(self.host_indptr[stop])

        def move(tensor: torch.Tensor) -> torch.Tensor:
            # A no-op when resident; from pinned memory, an asynchronous copy.
            return tensor.to(self.device, non_blocking=True)

        offsets = move(self.indptr[start:stop]) - first
        inputs = (move(self.indices[first:last]), offsets, move(self.weights[first:last]))
        if self.categories is None:
            return inputs
        return (*inputs, move(self.categories[start:stop]))


@dataclass
class Sequences:
    """Token-id sequences for the attention encoder: an (n, longest) matrix,
    0-padded, on the compute device; a batch is a slice of rows cut to its
    longest sequence. The same interface as :class:`Bags` for :func:`train`."""

    ids: torch.Tensor
    lengths: np.ndarray  # on the host, so that cutting a batch reads no device memory
    device: torch.device
    categories: torch.Tensor | None = None

    @classmethod
    def from_ids(
        cls,
        ids: np.ndarray,
        lengths: np.ndarray,
        device: torch.device,
        categories: np.ndarray | None = None,
    ) -> Sequences:
        """Sequences from flat ids and per-text lengths (every length >= 1)."""
        matrix = np.zeros((len(lengths), int(lengths.max(initial=1))), dtype=np.int64)
        rows = np.repeat(np.arange(len(lengths)), lengths)
        columns = np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        matrix[rows, columns] = ids
        return cls(
            torch.from_numpy(matrix).to(device),
            lengths,
            device,
            None if categories is None else torch.from_numpy(categories).to(device),
        )

    @property
    def storage_device(self) -> torch.device:
        return self.ids.device

    def __len__(self) -> int:
        return len(self.lengths)

    def take(self, rows: torch.Tensor) -> Sequences:
        """The rows ``rows`` (a device tensor), in that order."""
        return Sequences(
            self.ids[rows],
            self.lengths[rows.cpu().numpy()],
            self.device,
            None if self.categories is None else self.categories[rows],
        )

    def batch(self, start: int, stop: int) -> tuple[torch.Tensor, ...]:
        """The model's inputs for rows ``start:stop``: ids cut to the longest
        sequence of the batch, then the side-feature codes if any."""
        longest = int(self.lengths[start:stop].max(initial=1))
        ids = self.ids[start:stop, :longest]
        return (ids,) if self.categories is None else (ids, self.categories[start:stop])


def _fits(matrix: sp.csr_matrix, device: torch.device) -> bool:
    """Whether ``matrix`` as Bags, twice over (each epoch's shuffled copy), takes
    less than half of ``device``'s free memory; the other half leaves room for
    the model, its gradients and the temporaries of :meth:`Bags.take`."""
    # An int64 id and a float32 weight a token, an int64 pointer a row.
    needed = 2 * (12 * matrix.nnz + 8 * (matrix.shape[0] + 1))
    return needed < torch.cuda.mem_get_info(device)[0] / 2


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


@dataclass
class TrainingHistory:
    """What :func:`train` observed, epoch by epoch."""

    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_validation_score: float | None = None
    n_iter: int = 0
    seconds: float = 0.0
    shuffle_seconds: float = 0.0


def train(
    model: BagModel | AttentionModel,
    bags: Bags | Sequences,
    targets: torch.Tensor,
    sample_weight: torch.Tensor,
    loss_function: LossFunction,
    config: TrainingConfig,
    rng: np.random.Generator,
    validation: tuple[Bags, Callable[[np.ndarray], float]] | None = None,
) -> TrainingHistory:
    """Train ``model`` in place with SGD and a linearly decaying learning rate.

    Plain SGD is what suits sparse embedding gradients: a step updates only
    the rows in the batch, with no per-row optimizer state (the cost that makes
    dense Adam slow over large tables). With ``validation`` (documents and a
    score function of their logits), training stops once the score has not
    improved by ``tol`` for ``n_iter_no_change`` epochs and the best weights
    are restored. A KeyboardInterrupt stops training the same way, with a
    warning. A loss that becomes NaN or infinite raises FloatingPointError.

    Under an initialised ``torch.distributed`` process group (``torchrun``),
    every rank holds the same data and draws the same permutation; each step
    splits the batch across the ranks and sums their gradients, so all ranks
    apply the same update and end with identical weights.
    """
    device = targets.device
    n_samples = len(bags)
    batch_size = min(config.batch_size, n_samples)
    steps_per_epoch = -(-n_samples // batch_size)
    total_steps = config.max_iter * steps_per_epoch
    parameters = list(model.parameters())
    history = TrainingHistory()
    best_state = None
    stalled = 0
    started = time.perf_counter()
    epochs = range(config.max_iter)
    progress = None
    rank, world = _process_group()
    if config.verbose and rank == 0:
        from tqdm.auto import tqdm

        progress = tqdm(epochs, desc="fit", unit="epoch")
        epochs = progress

    optimizer = (
        torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=0.01)
        if config.optimizer == "adamw"
        else None
    )
    step = 0
    try:
        for _ in epochs:
            model.train()
            order = torch.from_numpy(rng.permutation(n_samples))
            rows = order.to(device)
            shuffle_started = time.perf_counter()
            shuffled = bags.take(order.to(bags.storage_device))
            epoch_targets = targets[rows]
            epoch_weights = sample_weight[rows]
            running = torch.zeros((), device=device)
            history.shuffle_seconds += time.perf_counter() - shuffle_started
            for start in range(0, n_samples, batch_size):
                stop = min(start + batch_size, n_samples)
                learning_rate = config.learning_rate * (
                    1.0 - step / total_steps if config.decay else 1.0
                )
                # Each rank takes its share of the batch (all of it, alone).
                low = start + (stop - start) * rank // world
                high = start + (stop - start) * (rank + 1) // world
                with torch.autocast(device.type, torch.bfloat16, enabled=config.autocast):
                    logits = model(*shuffled.batch(low, high))
                losses = loss_function(logits.float(), epoch_targets[low:high])
                # Divided by the whole batch: summed over ranks, the batch mean.
                loss = (losses * epoch_weights[low:high]).sum() / (stop - start)
                loss.backward()
                if world > 1:
                    _all_reduce_gradients(parameters)
                if optimizer is None:
                    _sgd_step(parameters, learning_rate)
                else:
                    torch.nn.utils.clip_grad_norm_(parameters, 1.0)
                    for group in optimizer.param_groups:
                        group["lr"] = learning_rate
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                running += loss.detach() * (stop - start)
                step += 1
            if world > 1:
                dist.all_reduce(running)
            # One host synchronisation an epoch, not one a step.
            epoch_loss = running.item() / n_samples
            if not np.isfinite(epoch_loss):
                raise FloatingPointError(
                    f"the training loss became {epoch_loss} at epoch {history.n_iter + 1}; "
                    "lower learning_rate (or check sample_weight and class_weight)."
                )
            history.loss_curve.append(epoch_loss)
            history.n_iter += 1
            postfix = {"loss": f"{epoch_loss:.4f}"}
            if validation is not None:
                score = validation[1](
                    predict_logits(model, validation[0], batch_size=config.predict_batch_size)
                )
                history.validation_scores.append(score)
                postfix["val"] = f"{score:.4f}"
                if (
                    history.best_validation_score is None
                    or score > history.best_validation_score + config.tol
                ):
                    history.best_validation_score = score
                    best_state = copy.deepcopy(model.state_dict())
                    stalled = 0
                else:
                    stalled += 1
            if progress is not None:
                progress.set_postfix(postfix)
            if validation is not None and stalled >= config.n_iter_no_change:
                break
    except KeyboardInterrupt:
        # Ctrl-C ends training, not the fit: the model keeps the best weights
        # seen (with validation) or the weights reached so far.
        warnings.warn(
            f"fit interrupted during epoch {history.n_iter + 1}; keeping the "
            + ("best weights so far." if best_state is not None else "weights reached so far."),
            RuntimeWarning,
            stacklevel=3,
        )
    finally:
        if progress is not None:
            progress.close()
    model.eval()
    if best_state is not None:
        model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - started
    return history


@torch.no_grad()
def _sgd_step(parameters: list[torch.Tensor], learning_rate: float) -> None:
    """``p -= lr * grad`` for every parameter, then drop the gradients.

    Written out rather than ``torch.optim.SGD``: that class imports
    ``torch._dynamo`` on first use (about a second per process) and wraps every
    step in bookkeeping this loop does not need. Sparse embedding gradients
    are added in place, touching only the rows in the batch.
    """
    for parameter in parameters:
        parameter.add_(parameter.grad, alpha=-learning_rate)
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
