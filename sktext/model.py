"""The network: a bag of token embeddings, pooled by weighted sum, then a linear head."""

from __future__ import annotations

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
    """

    def __init__(self, n_features: int, dim: int, n_outputs: int, dropout: float) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(max(n_features, 1), dim, mode="sum", sparse=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, n_outputs)

    def reset_parameters(self, output_bias: torch.Tensor) -> None:
        """fastText's small uniform embedding init; the head's bias starts at
        the log class priors, so the first steps need not learn the base rates."""
        dim = self.embedding.embedding_dim
        nn.init.uniform_(self.embedding.weight, -1.0 / dim, 1.0 / dim)
        self.head.reset_parameters()
        with torch.no_grad():
            self.head.bias.copy_(output_bias)

    def embed(
        self, indices: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """Pooled document vectors, shape (n_documents, dim)."""
        return self.embedding(indices, offsets, per_sample_weights=weights)

    def forward(
        self, indices: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """Logits, shape (n_documents, n_outputs)."""
        return self.head(self.dropout(self.embed(indices, offsets, weights)))

    def exact_logits(
        self, indices: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """Logits at inference, the head computed in float64: float32 matrix
        products round differently for one row and for many, so results would
        otherwise depend (by ~1e-7) on how documents are batched."""
        pooled = self.embed(indices, offsets, weights).double()
        return nn.functional.linear(pooled, self.head.weight.double(), self.head.bias.double())
