"""The networks: a bag of token embeddings pooled by weighted sum (the
default), or transformer layers over the token sequence; either then a
linear head. Both join categorical side-feature embeddings the same way.

:data:`NETWORKS` maps the estimator's ``encoder`` to a network class. Each
class says what it reads (``reads``: weighted bags of tokens or token
sequences), how it is trained (:class:`Training`: optimizer, default learning
rate, predict batch size, autocast), which estimator options it refuses
(``check_params``), how it is built from the estimator's parameters
(``from_params``) and how it saves itself (``get_config`` / ``from_config``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from .vectors import vector_width

__all__ = ["NETWORKS", "AttentionModel", "BagModel", "Training"]


@dataclass(frozen=True)
class Training:
    """How the estimator trains and runs a network."""

    # "sgd": written-out sparse SGD; "adamw": AdamW with gradients clipped to norm 1.
    optimizer: str
    # What learning_rate="auto" means.
    learning_rate: float
    # Documents a forward pass at inference.
    predict_batch_size: int
    # bf16 autocast of the forward pass on a CUDA device.
    autocast_on_cuda: bool
    # "auto" falls below learning_rate, as 1 / sqrt(overlap), once the
    # documents' overlap (training.document_overlap) passes this; None: never.
    overlap_reference: float | None = None
    # L2 penalty of SGD (decoupled: a step shrinks the embedding rows the
    # batch touches, and the head, by learning rate * weight_decay); for
    # single-label targets only (TrainingConfig.from_params says why).
    weight_decay: float = 0.0

    def auto_learning_rate(self, overlap: float) -> float:
        """What learning_rate="auto" means for documents of ``overlap``.

        The largest stable SGD rate falls as 1/sqrt(overlap), not 1/overlap:
        the embedding and the head in series reach a logit margin F with
        balanced weights w = v = sqrt(F / s) on inputs of scale s =
        sqrt(overlap), so the curvature s**2 * (w**2 + v**2) = 2 * s * F grows
        as sqrt(overlap). Measured on a sqrt(2) grid of rates (synthetic data
        of 300-3,000 documents: words and six char_ngrams ranges; TREC, SST-2:
        words, (1, 3), (2, 4)), rate * sqrt(overlap) was stable up to 1.6-2.3
        and diverged from 2.2-3.2. With reference 0.04 the bag model gets at
        most 8 * sqrt(0.04) = 1.6 there; words (overlap 0.010-0.033 on the
        benchmark sets) keep 8.0, while char_ngrams (1, 3), (2, 4) and (2, 5)
        at 8.0 gave 2.6-3.6 and diverged.
        """
        reference = self.overlap_reference
        if reference is None or overlap <= reference:
            return self.learning_rate
        return self.learning_rate * (reference / overlap) ** 0.5


# Heads of at least this many outputs train through _WideLinear. Narrower
# ones keep torch's linear, whose gradients (rounded alike) fitted models
# were pinned with.
WIDE_HEAD = 256


class _WideLinear(torch.autograd.Function):
    """``F.linear`` whose weight gradient is computed as ``(x.T @ g).T``.

    torch computes it as ``g.T @ x``: for a batch of 500 documents, 1,000
    classes and width 50, that product took 1.6 ms on one thread against
    0.6 ms for the transposed one (MKL), the most of a step's head cost
    (forward and backward 6.6 ms, against 2.6 ms this way).
    """

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
    ) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return nn.functional.linear(x, weight, bias)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x, weight = ctx.saved_tensors
        # Contiguous, as torch.distributed's all-reduce wants gradients.
        return grad @ weight, (x.T @ grad).T.contiguous(), grad.sum(dim=0)


class SeededDropout(nn.Dropout):
    """Dropout whose masks come from ``generator`` when one is set (during
    training), so that fits in threads draw from streams of their own."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or self.generator is None:
            return super().forward(x)
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)


class _Network(nn.Module):
    """What both networks share after the text vector: the categorical side
    features' embeddings, their join with the text vector, dropout and the
    linear head."""

    kind: ClassVar[str]
    reads: ClassVar[str]  # "bags" or "sequences": what sktext.features makes for it
    training: ClassVar[Training]
    # What dim="auto" means.
    default_dim: ClassVar[int]
    # Why partial_fit cannot continue this network, if it cannot.
    partial_fit_refusal: ClassVar[str | None] = None

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Refuse estimator options this network cannot honour (ValueError)."""

    @classmethod
    def from_params(
        cls, params: dict[str, Any], n_inputs: int, n_outputs: int, categories: Sequence[int]
    ) -> _Network:
        """The network for an estimator's parameters (``get_params()``) over
        ``n_inputs`` token rows (features for bags, base tokens for sequences)."""
        dim = _dim(cls, params)
        return cls(
            n_inputs,
            dim,
            n_outputs,
            params["dropout"],
            categories=categories,
            merge=params["categorical_merge"],
            **cls._own_params(params, dim),
        )

    @classmethod
    def _own_params(cls, params: dict[str, Any], dim: int) -> dict[str, Any]:
        """The constructor's arguments particular to this network."""
        return {}

    @property
    def trains_with_global_rng(self) -> bool:
        """Whether training draws from torch's default generator (which
        concurrent fits must then take turns on)."""
        return False

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments: what :meth:`from_config` rebuilds it from."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> _Network:
        """A new, untrained network of the shape ``config`` describes."""
        return cls(**config)

    def _output_config(self) -> dict[str, Any]:
        return {
            "n_outputs": self.head.out_features,
            "dropout": self.dropout.p,
            "categories": [table.num_embeddings for table in self.categorical],
            "merge": self.merge,
        }

    def _add_output(
        self, dim: int, n_outputs: int, dropout: float, categories: Sequence[int], merge: str
    ) -> None:
        # One embedding per side feature. The unknown row (padding_idx) stays
        # zero and gets no gradient. A category recurs in much of a batch, so
        # its summed gradient made SGD at the words' learning rate diverge;
        # scale_grad_by_freq averages it over its occurrences instead (dense
        # gradients: the tables are small).
        self.categorical = nn.ModuleList(
            nn.Embedding(size, dim, padding_idx=0, scale_grad_by_freq=True) for size in categories
        )
        self.merge = merge
        self.dropout = SeededDropout(dropout)
        width = dim * (1 + len(self.categorical)) if merge == "concat" else dim
        self.head = nn.Linear(width, n_outputs)

    def _start_from_vectors(self, pretrained: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Set the token table's rows ``pretrained[0]`` to the pretrained
        vectors ``pretrained[1]``, all scaled by one factor to the mean row
        norm of the default init (the whole table's): their directions are
        the prior knowledge, while the scale stays the one the learning rate
        was tuned for. Unscaled, vectors trained by fastText diverged on TREC;
        at 3x and 10x this scale they gained less, or lost
        (``benchmarks/pretrained_vectors.py``, SST-2 and TREC).
        """
        if pretrained is None or not len(pretrained[0]):
            return
        rows, vectors = torch.from_numpy(pretrained[0]), torch.from_numpy(pretrained[1])
        weight = self.embedding.weight
        with torch.no_grad():
            vectors = vectors.to(weight.dtype)
            norm = vectors.norm(dim=1).mean()
            scale = weight.norm(dim=1).mean() / norm if norm > 0 else 0.0
            weight[rows] = vectors * scale

    def _reset_output(self, output_bias: torch.Tensor, side_scale: float) -> None:
        """Side tables uniform in [-side_scale, side_scale] (unknown rows at
        zero); the head's bias at the log class priors, so the first steps
        need not learn the base rates."""
        for table in self.categorical:
            nn.init.uniform_(table.weight, -side_scale, side_scale)
            with torch.no_grad():
                table.weight[0].zero_()
        self.head.reset_parameters()
        with torch.no_grad():
            self.head.bias.copy_(output_bias)

    def _join(self, pooled: torch.Tensor, categories: torch.Tensor | None) -> torch.Tensor:
        """The document vectors ``pooled`` (..., dim) joined by the side
        features' vectors: added, or concatenated on the last axis (broadcast
        over any middle axis, such as label attention's one vector a class)."""
        if not len(self.categorical):
            return pooled
        side = [table(categories[:, k]) for k, table in enumerate(self.categorical)]
        shape = (-1,) + (1,) * (pooled.dim() - 2) + (side[0].shape[-1],)
        side = [vector.reshape(shape) for vector in side]
        if self.merge == "concat":
            expanded = [vector.expand(*pooled.shape[:-1], -1) for vector in side]
            return torch.cat([pooled, *expanded], dim=-1)
        return pooled + torch.stack(torch.broadcast_tensors(*side)).sum(dim=0)


class BagModel(_Network):
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

    kind = "bag"
    reads = "bags"
    default_dim = 50
    # Pooled tf-idf vectors have unit norm, hence a large SGD step. Without
    # a penalty, ten epochs at that step overfitted small sets (fewer epochs
    # or a lower rate did better); weight decay 1e-3 regularises instead,
    # whatever the number of epochs (benchmarks/RESULTS.md, "Default training").
    training = Training(
        "sgd",
        8.0,
        predict_batch_size=4096,
        autocast_on_cuda=False,
        overlap_reference=0.04,
        weight_decay=1e-3,
    )

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
        self.n_features = n_features
        self.embedding = nn.EmbeddingBag(max(n_features, 1), dim, mode="sum", sparse=True)
        self._add_output(dim, n_outputs, dropout, categories, merge)

    def get_config(self) -> dict[str, Any]:
        return {
            # Pickles from before n_features was kept: the table's rows (at least 1).
            "n_features": getattr(self, "n_features", self.embedding.num_embeddings),
            "dim": self.embedding.embedding_dim,
            **self._output_config(),
        }

    def reset_parameters(
        self, output_bias: torch.Tensor, pretrained: tuple[np.ndarray, np.ndarray] | None = None
    ) -> None:
        """fastText's small uniform embedding init, for side features too;
        ``pretrained``: ``(rows, vectors)`` that start from pretrained word
        vectors instead (scaled, see :meth:`_start_from_vectors`)."""
        dim = self.embedding.embedding_dim
        nn.init.uniform_(self.embedding.weight, -1.0 / dim, 1.0 / dim)
        self._start_from_vectors(pretrained)
        self._reset_output(output_bias, 1.0 / dim)

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
        return self._join(pooled, categories)

    def forward(self, *batch: torch.Tensor | None) -> torch.Tensor:
        """Logits, shape (n_documents, n_outputs), of a batch as :meth:`embed`
        reads it (``Bags.batch`` gives it in that order)."""
        vectors = self.dropout(self.embed(*batch))
        if self.head.out_features >= WIDE_HEAD and torch.is_grad_enabled():
            return _WideLinear.apply(vectors, self.head.weight, self.head.bias)
        return self.head(vectors)

    def exact_logits(self, *batch: torch.Tensor | None) -> torch.Tensor:
        """Logits at inference, the head computed in float64: float32 matrix
        products round differently for one row and for many, so results would
        otherwise depend (by ~1e-7) on how documents are batched."""
        return _exact_linear(self.embed(*batch), self.head.weight, self.head.bias)


class AttentionModel(_Network):
    """Transformer layers over token embeddings -> pooling -> dropout -> linear.

    Tokens come as a (batch, length) matrix of ids, 0 for padding (masked
    out of attention and pooling) and 1 for tokens outside the vocabulary.
    Learned positional embeddings give word order. Pooling is the mean of the
    encoded tokens, an attention-weighted sum (one learned query), or label
    attention: one learned query, hence one pooled vector, per class, each
    scored by its own row of the head.

    Parameters
    ----------
    n_tokens : int
        Vocabulary size; the table has two more rows (padding, unknown).
    dim, n_outputs, dropout, categories, merge
        As for :class:`BagModel`; ``dropout`` also applies inside the layers.
    n_heads : int
        Attention heads per layer (``dim`` must be a multiple).
    n_layers : int
        Transformer encoder layers.
    max_length : int
        Longest token sequence (longer texts are truncated before).
    pooling : {"mean", "attention", "label"}
    """

    kind = "attention"
    reads = "sequences"
    # Four heads of 16: the width the attention benchmarks measured.
    default_dim = 64
    # 1e-3 and 3e-3 underfitted 10 epochs on 20 Newsgroups and on small data.
    # Attention holds a (heads, length, length) score matrix a document,
    # hence the small predict batches.
    training = Training("adamw", 1e-2, predict_batch_size=128, autocast_on_cuda=True)
    partial_fit_refusal = (
        "partial_fit supports encoder='bag' only: the attention encoder's AdamW "
        "state would restart at every call."
    )

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        if params["char_ngrams"] is not None:
            raise ValueError("char_ngrams applies to encoder='bag' only.")
        if params["max_features"] is not None:
            raise ValueError(
                "max_features applies to encoder='bag' only (the attention encoder's "
                "vocabulary is limited by min_count)."
            )
        dim = _dim(cls, params)
        if params["n_heads"] != "auto" and dim % params["n_heads"]:
            raise ValueError(
                f"encoder='attention' needs dim divisible by n_heads; got dim={dim}, "
                f"n_heads={params['n_heads']}."
            )

    @classmethod
    def _own_params(cls, params: dict[str, Any], dim: int) -> dict[str, Any]:
        n_heads = params["n_heads"]
        if n_heads == "auto":  # four heads, or the most of 2 and 1 that divide dim
            n_heads = next(n for n in (4, 2, 1) if dim % n == 0)
        return {
            "n_heads": n_heads,
            "n_layers": params["n_layers"],
            "max_length": params["max_length"],
            "pooling": params["attention_pooling"],
        }

    @property
    def trains_with_global_rng(self) -> bool:
        # The transformer layers' own dropout takes no generator.
        return self.dropout.p > 0

    def get_config(self) -> dict[str, Any]:
        return {
            "n_tokens": self.embedding.num_embeddings - 2,
            "dim": self.embedding.embedding_dim,
            "n_heads": getattr(self, "n_heads", self.encoder.layers[0].self_attn.num_heads),
            "n_layers": len(self.encoder.layers),
            "max_length": self.position.num_embeddings,
            "pooling": self.pooling,
            **self._output_config(),
        }

    def __init__(
        self,
        n_tokens: int,
        dim: int,
        n_outputs: int,
        dropout: float,
        n_heads: int,
        n_layers: int,
        max_length: int,
        pooling: str,
        categories: Sequence[int] = (),
        merge: str = "sum",
    ) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.embedding = nn.Embedding(n_tokens + 2, dim, padding_idx=0)
        self.position = nn.Embedding(max_length, dim)
        layer = nn.TransformerEncoderLayer(
            dim,
            n_heads,
            dim_feedforward=4 * dim,
            dropout=dropout,
            batch_first=True,
            norm_first=True,
        )
        # Nested tensors would skip padding faster, but only at inference and
        # not deterministically; padded batches are the same in both modes.
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.pooling = pooling
        n_queries = {"mean": 0, "attention": 1, "label": n_outputs}[pooling]
        self.query = nn.Parameter(torch.zeros(n_queries, dim))
        self._add_output(dim, n_outputs, dropout, categories, merge)

    def reset_parameters(
        self, output_bias: torch.Tensor, pretrained: tuple[np.ndarray, np.ndarray] | None = None
    ) -> None:
        """Embeddings at the scale of unit-variance features after a 1/sqrt(dim)
        dot product; queries at zero (uniform attention at first);
        ``pretrained``: as for :class:`BagModel` (rows of words, never 0 or 1)."""
        dim = self.embedding.embedding_dim
        nn.init.normal_(self.embedding.weight, std=dim**-0.5)
        nn.init.normal_(self.position.weight, std=dim**-0.5)
        self._start_from_vectors(pretrained)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
            self.query.zero_()
        # Side features at the scale of the layer-normalised text vector (unit
        # variance a coordinate): smaller, they were drowned by it, left unused.
        self._reset_output(output_bias, 3.0**0.5)

    def encode(self, vectors: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        """Encoded tokens from token vectors (batch, length, dim)."""
        positions = self.position.weight[: vectors.shape[1]]
        return self.norm(self.encoder(vectors + positions, src_key_padding_mask=padding))

    def _pool(self, encoded: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        if self.pooling == "mean":
            keep = (~padding).unsqueeze(-1).to(encoded.dtype)
            return (encoded * keep).sum(dim=1) / keep.sum(dim=1).clamp_min(1.0)
        # (batch, queries, length) scores; padding never gets weight.
        scores = torch.einsum("bld,qd->bql", encoded, self.query) / encoded.shape[-1] ** 0.5
        weights = scores.masked_fill(padding.unsqueeze(1), float("-inf")).softmax(dim=-1)
        pooled = torch.einsum("bql,bld->bqd", weights, encoded)
        return pooled[:, 0] if self.pooling == "attention" else pooled

    def _logits(self, joined: torch.Tensor, exact: bool) -> torch.Tensor:
        weight, bias = self.head.weight, self.head.bias
        if self.pooling == "label":  # class c reads its own vector with row c
            if exact:
                joined, weight, bias = joined.double(), weight.double(), bias.double()
            return (joined * weight).sum(dim=-1) + bias
        if exact:
            return _exact_linear(joined, weight, bias)
        return nn.functional.linear(joined, weight, bias)

    def from_vectors(
        self,
        vectors: torch.Tensor,
        padding: torch.Tensor,
        categories: torch.Tensor | None = None,
        exact: bool = False,
    ) -> torch.Tensor:
        """Logits from token vectors: the forward pass after the embedding
        lookup, which explanations differentiate with respect to."""
        pooled = self._pool(self.encode(vectors, padding), padding)
        return self._logits(self.dropout(self._join(pooled, categories)), exact)

    def embed(self, ids: torch.Tensor, categories: torch.Tensor | None = None) -> torch.Tensor:
        """Document vectors: the mean of the encoded tokens (label attention
        has one vector a class; this is their common ground), then side features."""
        padding = ids == 0
        encoded = self.encode(self.embedding(ids), padding)
        keep = (~padding).unsqueeze(-1).to(encoded.dtype)
        pooled = (encoded * keep).sum(dim=1) / keep.sum(dim=1).clamp_min(1.0)
        return self._join(pooled, categories)

    def forward(self, ids: torch.Tensor, categories: torch.Tensor | None = None) -> torch.Tensor:
        """Logits, shape (n_documents, n_outputs)."""
        return self.from_vectors(self.embedding(ids), ids == 0, categories)

    def exact_logits(
        self, ids: torch.Tensor, categories: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits at inference with the head in float64, as :class:`BagModel`'s."""
        return self.from_vectors(self.embedding(ids), ids == 0, categories, exact=True)


def _exact_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``linear`` in float64, the same for a row whatever its batch. A lone
    row takes BLAS's matrix-vector path, which sums in another order (logits
    1e-16 apart on an AMD EPYC), so it goes through as two rows."""
    x, weight, bias = x.double(), weight.double(), bias.double()
    if len(x) == 1:
        return nn.functional.linear(x.repeat(2, 1), weight, bias)[:1]
    return nn.functional.linear(x, weight, bias)


def _dim(network: type[_Network], params: dict[str, Any]) -> int:
    """The embedding width: ``dim``, or for "auto" the pretrained vectors'
    width, else the network's default."""
    if params["dim"] != "auto":
        return params["dim"]
    width = vector_width(params.get("pretrained_vectors"))
    return network.default_dim if width is None else width


#: The estimator's ``encoder`` -> its network class.
NETWORKS: dict[str, type[BagModel] | type[AttentionModel]] = {
    network.kind: network for network in (BagModel, AttentionModel)
}
