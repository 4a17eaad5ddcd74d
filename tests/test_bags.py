"""Bags and Sequences (sktext.training): the layouts that batches are cut from.

Each batch is decoded back into rows and compared with the source matrix or
id lists, so a wrong offset, order or cut shows up as a wrong row.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sktext.batches import Bags, Sequences

CPU = torch.device("cpu")
# Five documents, the second empty; weights differ per token.
MATRIX = sp.csr_matrix(
    np.array(
        [
            [0.0, 1.5, 0.0, 2.0],
            [0.0, 0.0, 0.0, 0.0],
            [3.0, 0.0, 0.0, 0.0],
            [0.5, 0.25, 0.125, 1.0],
            [0.0, 0.0, 4.0, 0.0],
        ],
        dtype=np.float32,
    )
)
CATEGORIES = np.array([[0, 1], [1, 0], [2, 2], [0, 0], [1, 2]])


def source_rows(rows) -> list[list[tuple[int, float]]]:
    """The (token id, weight) pairs of MATRIX's rows ``rows``."""
    return [
        list(zip(MATRIX[row].indices.tolist(), MATRIX[row].data.tolist(), strict=True))
        for row in rows
    ]


def decode(inputs: tuple[torch.Tensor, ...]) -> list[list[tuple[int, float]]]:
    """A batch's (indices, offsets, weights), as EmbeddingBag reads them, as rows."""
    indices, offsets, weights = inputs[:3]
    bounds = [*offsets.tolist(), len(indices)]
    return [
        list(zip(indices[a:b].tolist(), weights[a:b].tolist(), strict=True))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


# --------------------------------------------------------------------------- Bags


def test_from_csr_keeps_the_rows_in_flat_tensors():
    bags = Bags.from_csr(MATRIX, CPU)
    assert len(bags) == 5
    assert bags.storage_device == CPU
    assert (bags.indices.dtype, bags.indptr.dtype, bags.weights.dtype) == (
        torch.int64,
        torch.int64,
        torch.float32,
    )
    np.testing.assert_array_equal(bags.host_indptr, MATRIX.indptr)
    np.testing.assert_array_equal(bags.indptr.numpy(), MATRIX.indptr)
    assert bags.categories is None


def test_batch_gives_embedding_bag_inputs_of_the_rows():
    bags = Bags.from_csr(MATRIX, CPU)
    assert decode(bags.batch(0, 5)) == source_rows(range(5))
    inputs = bags.batch(1, 4)
    assert len(inputs) == 3
    assert inputs[1][0] == 0  # offsets start at the batch's first token
    assert decode(inputs) == source_rows([1, 2, 3])
    assert decode(bags.batch(4, 5)) == source_rows([4])


def test_take_reorders_rows_empty_ones_included():
    bags = Bags.from_csr(MATRIX, CPU)
    order = [3, 1, 4, 0, 2]
    taken = bags.take(torch.tensor(order))
    assert len(taken) == 5
    assert decode(taken.batch(0, 5)) == source_rows(order)
    assert decode(taken.batch(1, 3)) == source_rows([1, 4])
    np.testing.assert_array_equal(taken.host_indptr, taken.indptr.numpy())
    assert decode(bags.batch(0, 5)) == source_rows(range(5))  # the source is unchanged


def test_categories_travel_with_their_rows():
    bags = Bags.from_csr(MATRIX, CPU, categories=CATEGORIES)
    *_, codes = bags.batch(1, 3)
    np.testing.assert_array_equal(codes.numpy(), CATEGORIES[1:3])
    order = [4, 2, 0, 1, 3]
    taken = bags.take(torch.tensor(order))
    inputs = taken.batch(0, 5)
    assert len(inputs) == 4
    assert decode(inputs) == source_rows(order)
    np.testing.assert_array_equal(inputs[3].numpy(), CATEGORIES[order])


@pytest.mark.parametrize("with_categories", [False, True])
def test_host_staged_bags_give_the_batches_of_resident_ones(with_categories):
    """On the CPU, resident=False stores on the host without pinning: every
    batch, before and after a shuffle, is the resident one."""
    categories = CATEGORIES if with_categories else None
    resident = Bags.from_csr(MATRIX, CPU, resident=True, categories=categories)
    staged = Bags.from_csr(MATRIX, CPU, resident=False, categories=categories)
    assert staged.storage_device == CPU and not staged.indices.is_pinned()
    order = torch.tensor([2, 0, 4, 1, 3])
    for a, b in ((resident, staged), (resident.take(order), staged.take(order))):
        for start, stop in ((0, 2), (2, 5), (0, 5)):
            for x, y in zip(a.batch(start, stop), b.batch(start, stop), strict=True):
                assert x.device == y.device == CPU
                torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_resident_by_default_on_the_cpu():
    bags = Bags.from_csr(MATRIX, CPU, resident=None)
    assert bags.storage_device == CPU and not bags.indices.is_pinned()


# ---------------------------------------------------------------------- Sequences

IDS = np.array([5, 6, 7, 8, 9, 3, 4, 4, 2, 1])
LENGTHS = np.array([2, 3, 1, 4])  # texts [5 6] [7 8 9] [3] [4 4 2 1]


def test_from_ids_pads_the_sequences_with_zeros():
    sequences = Sequences.from_ids(IDS, LENGTHS, CPU)
    assert len(sequences) == 4
    assert sequences.storage_device == CPU
    expected = [[5, 6, 0, 0], [7, 8, 9, 0], [3, 0, 0, 0], [4, 4, 2, 1]]
    np.testing.assert_array_equal(sequences.ids.numpy(), expected)


def test_a_batch_is_cut_to_its_longest_sequence():
    sequences = Sequences.from_ids(IDS, LENGTHS, CPU)
    (ids,) = sequences.batch(0, 2)
    np.testing.assert_array_equal(ids.numpy(), [[5, 6, 0], [7, 8, 9]])
    (ids,) = sequences.batch(2, 3)
    np.testing.assert_array_equal(ids.numpy(), [[3]])
    (ids,) = sequences.batch(0, 4)
    assert ids.shape == (4, 4)


def test_take_selects_and_reorders_sequences_with_their_categories():
    categories = np.array([[0], [1], [2], [3]])
    sequences = Sequences.from_ids(IDS, LENGTHS, CPU, categories=categories)
    taken = sequences.take(torch.tensor([2, 0]))
    assert len(taken) == 2
    np.testing.assert_array_equal(taken.lengths, [1, 2])
    ids, codes = taken.batch(0, 2)
    np.testing.assert_array_equal(ids.numpy(), [[3, 0], [5, 6]])
    np.testing.assert_array_equal(codes.numpy(), [[2], [0]])
