"""The network: a bag of token embeddings, pooled by weighted sum, then a linear head."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["BagModel"]


class BagModel(nn.Module):
    """``EmbeddingBag(mode="sum")`` over weighted tokens -> dropout -> linear.

    The pooling weights come with the batch (see :mod:`sktext.weighting`), so
    the same module computes a mean or a tf-idf weighted sum. The embedding
    gradient is sparse: a step touches only the rows of the tokens in the batch.

    Parameters
    ----------
    n_features : int
        Rows of the embedding table (tokens and n-grams).
    dim : int
        Embedding width.
    n_outputs : int
        Logits per document.
    dropout : float
        Dropout on the pooled document vector.
    categories : sequence of int
        Rows of one embedding per categorical side feature (row 0: unknown).
    merge : {"sum", "concat"}
        How side-feature vectors join the text vector: added to it, or
        concatenated after it (the head then reads ``dim * (1 + n_side)``).
    """

    def __init__(
        self,
        n_features: int,
        dim: int,
        n_outputs: int,
        dropout: float,
        categories: Sequence[int] = (),
        merge: str = "sum",
    ) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(max(n_features, 1), dim, mode="sum", sparse=True)
        # The unknown row (padding_idx) stays zero and gets no gradient. A
        # category recurs in much of a batch, so its summed gradient made SGD
        # at the words' learning rate diverge; scale_grad_by_freq averages it
        # over its occurrences instead (dense gradients: the tables are small).
        self.categorical = nn.ModuleList(
            nn.Embedding(size, dim, padding_idx=0, scale_grad_by_freq=True) for size in categories
        )
        self.merge = merge
        self.dropout = nn.Dropout(dropout)
        width = dim * (1 + len(self.categorical)) if merge == "concat" else dim
        self.head = nn.Linear(width, n_outputs)

    def reset_parameters(self, output_bias: torch.Tensor) -> None:
        """fastText's small uniform embedding init; the head's bias starts at
        the log class priors, so the first steps need not learn the base rates."""
        dim = self.embedding.embedding_dim
        nn.init.uniform_(self.embedding.weight, -1.0 / dim, 1.0 / dim)
        for table in self.categorical:
            nn.init.uniform_(table.weight, -1.0 / dim, 1.0 / dim)
            with torch.no_grad():
                table.weight[0].zero_()
        self.head.reset_parameters()
        with torch.no_grad():
            self.head.bias.copy_(output_bias)

    def embed(
        self,
        indices: torch.Tensor,
        offsets: torch.Tensor,
        weights: torch.Tensor,
        categories: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Document vectors: pooled tokens, joined by the side features'
        vectors (``categories``: codes of shape (n_documents, n_side))."""
        pooled = self.embedding(indices, offsets, per_sample_weights=weights)
        if not len(self.categorical):
            return pooled
        side = [table(categories[:, k]) for k, table in enumerate(self.categorical)]
        if self.merge == "concat":
            return torch.cat([pooled, *side], dim=1)
        return pooled + torch.stack(side).sum(dim=0)

    def forward(
        self,
        indices: torch.Tensor,
        offsets: torch.Tensor,
        weights: torch.Tensor,
        categories: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits, shape (n_documents, n_outputs)."""
        return self.head(self.dropout(self.embed(indices, offsets, weights, categories)))

    def exact_logits(
        self,
        indices: torch.Tensor,
        offsets: torch.Tensor,
        weights: torch.Tensor,
        categories: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits at inference, the head computed in float64: float32 matrix
        products round differently for one row and for many, so results would
        otherwise depend (by ~1e-7) on how documents are batched."""
        pooled = self.embed(indices, offsets, weights, categories).double()
        return nn.functional.linear(pooled, self.head.weight.double(), self.head.bias.double())
