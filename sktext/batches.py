"""Batches: documents as the tensors a network reads, and slices of them.

A bag-of-tokens document set stays in CSR layout as three flat tensors
(:class:`Bags`) on the training device, or in pinned host memory when it does
not fit there; token sequences for the attention encoder are one padded matrix
(:class:`Sequences`). Both take rows (an epoch's permutation) and cut batches
(contiguous slices) without per-sample Python work and, on a GPU, without
host synchronisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

__all__ = ["Bags", "Sequences"]


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
