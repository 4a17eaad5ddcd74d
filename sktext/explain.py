"""Token attributions: how much each token of a text adds to a class's logit.

The bag model's logit for class ``c`` is ``b_c + sum_f w_f (W_c . e_f)``
over the document's features ``f`` (tokens and n-grams) with pooling weights
``w_f``: linear in every ``w_f``. Gradient x input with respect to the
weights, ``w_f * dlogit/dw_f = w_f (W_c . e_f)``, is then exact, equal to
integrated gradients from an empty document, and complete: the attributions
sum to the logit minus the bias. A feature's attribution is spread over the
tokens that make it (an n-gram's over its n words), so token attributions
keep that sum.

The attention encoder is not linear: there, attributions are integrated
gradients with respect to the token vectors, from a baseline of zero vectors
(positions and side features kept), by the midpoint rule over 128 steps, so
they sum to the logit minus the baseline's logit (the ``bias``) up to the
quadrature error.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from .features import TextFeatures
from .model import AttentionModel, BagModel
from .tokenizer import Tokenizer

__all__ = ["Explanation", "sequence_attributions", "token_attributions"]

_IG_STEPS = 128


@dataclass
class Explanation:
    """Token attributions of one text.

    Attributes
    ----------
    text : str
        The text the spans index (after ``preprocessor``, Unicode
        normalisation and ``strip_accents``).
    tokens : list of str
        Its base tokens, in order.
    spans : list of (start, end)
        Character offsets of each token in ``text``.
    classes : ndarray
        The explained classes.
    attributions : ndarray of shape (n_classes_explained, n_tokens)
        What each token adds to each explained class's logit.
    logits : ndarray of shape (n_classes_explained,)
        The logits: ``bias + attributions.sum(axis=1)``.
    bias : ndarray of shape (n_classes_explained,)
        The logit of an empty text (with the same side features, if any);
        for the attention encoder, of the integrated-gradients baseline.
    """

    text: str
    tokens: list[str]
    spans: list[tuple[int, int]]
    classes: np.ndarray
    attributions: np.ndarray
    logits: np.ndarray
    bias: np.ndarray

    def top(self, label: Any = None, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` tokens that add most to ``label``'s logit (default: the
        first explained class), as (token, attribution) pairs."""
        scores = self.attributions[self._row(label)]
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.tokens[i], float(scores[i])) for i in order]

    def to_html(self, label: Any = None) -> str:
        """The text as HTML, each token shaded by its attribution to
        ``label`` (default: the first explained class): green adds to the
        logit, red takes away, stronger for larger values."""
        scores = self.attributions[self._row(label)]
        scale = float(np.abs(scores).max(initial=0.0)) or 1.0
        parts, last = [], 0
        for (start, end), score in zip(self.spans, scores, strict=True):
            parts.append(html.escape(self.text[last:start]))
            alpha = min(abs(score) / scale, 1.0)
            colour = "0,160,0" if score >= 0 else "220,0,0"
            parts.append(
                f'<span title="{score:+.4f}" style="background:rgba({colour},{alpha:.2f})">'
                f"{html.escape(self.text[start:end])}</span>"
            )
            last = end
        parts.append(html.escape(self.text[last:]))
        return f'<div class="sktext-explanation">{"".join(parts)}</div>'

    def _repr_html_(self) -> str:  # Jupyter shows explanations highlighted
        return self.to_html()

    def _row(self, label: Any) -> int:
        if label is None:
            return 0
        found = np.flatnonzero(self.classes == label)
        if not len(found):
            raise ValueError(f"{label!r} is not among the explained classes {self.classes!r}.")
        return int(found[0])


@torch.inference_mode()
def token_attributions(
    model: BagModel,
    tokenizer: Tokenizer,
    bags: sp.csr_matrix,
    texts: Sequence[str],
    columns: Sequence[np.ndarray],
    classes: np.ndarray,
    categories: np.ndarray | None = None,
) -> list[Explanation]:
    """Explanations of ``texts`` (whose weighted feature rows are ``bags``,
    side-feature codes ``categories``), each for the logit columns
    ``columns[i]``, named ``classes[columns[i]]``. Side features are part of
    the bias: the logit of an empty text with the same side features."""
    table = model.embedding.weight
    device = table.device
    dim = table.shape[1]
    head_weight = model.head.weight.double()
    out = []
    for i, text in enumerate(texts):
        row = bags[i]
        wanted = torch.from_numpy(np.asarray(columns[i], dtype=np.int64)).to(device)
        # The side features' vector: that of an empty text with them.
        empty = (
            torch.empty(0, dtype=torch.int64, device=device),
            torch.zeros(1, dtype=torch.int64, device=device),
            torch.empty(0, device=device),
        )
        side = () if categories is None else (torch.from_numpy(categories[i : i + 1]).to(device),)
        bias = model.exact_logits(*empty, *side)[0, wanted].cpu().numpy()
        # Each feature's contribution to each wanted logit: w_f (W_c . e_f);
        # the text's part of the head is its first ``dim`` columns.
        vectors = table[torch.from_numpy(row.indices.astype(np.int64)).to(device)]
        products = vectors.double() @ head_weight[wanted, :dim].T
        per_feature = products.cpu().numpy() * row.data[:, None]
        found = tokenizer.token_features(text)
        # Where each (token, feature) pair's feature sits in the row (sorted
        # indices); a feature absent from the row has weight 0 and no share.
        position = np.minimum(np.searchsorted(row.indices, found.feature), max(row.nnz - 1, 0))
        hit = row.indices[position] == found.feature if row.nnz else np.zeros(0, bool)
        token, feature, position = found.token[hit], found.feature[hit], position[hit]
        # Occurrences split their feature's attribution: shares sum to 1 a feature.
        totals = np.bincount(feature, weights=found.share[hit], minlength=row.shape[1])
        share = found.share[hit] / totals[feature]
        attributions = np.zeros((len(wanted), len(found.tokens)))
        for k in range(len(wanted)):
            np.add.at(attributions[k], token, share * per_feature[position, k])
        out.append(
            Explanation(
                text=found.text,
                tokens=found.tokens,
                spans=found.spans,
                classes=classes[wanted.cpu().numpy()],
                attributions=attributions,
                logits=bias + per_feature.sum(axis=0),
                bias=bias,
            )
        )
    return out


def sequence_attributions(
    model: AttentionModel,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    columns: Sequence[np.ndarray],
    classes: np.ndarray,
    categories: np.ndarray | None = None,
) -> list[Explanation]:
    """Integrated-gradients explanations of ``texts`` by the attention
    encoder, each for the logit columns ``columns[i]``. Tokens past the
    model's ``max_length`` were not read: they get 0."""
    device = model.embedding.weight.device
    max_length = model.position.num_embeddings
    alphas = (torch.arange(_IG_STEPS, dtype=torch.float32, device=device) + 0.5) / _IG_STEPS
    out = []
    model.eval()
    for i, text in enumerate(texts):
        found = tokenizer.token_features(text)
        ids, _ = tokenizer.sequences([text], max_length)
        ids = torch.from_numpy(ids).to(device).unsqueeze(0)
        wanted = np.asarray(columns[i], dtype=np.int64)
        side = None
        if categories is not None:
            side = torch.from_numpy(categories[i : i + 1]).to(device)
        with torch.no_grad():
            vectors = model.embedding(ids)  # (1, length, dim)
            padding = torch.zeros(ids.shape, dtype=torch.bool, device=device)
            logits = model.from_vectors(vectors, padding, side, exact=True)[0, wanted]
            baseline = model.from_vectors(torch.zeros_like(vectors), padding, side, exact=True)
            bias = baseline[0, wanted]
        with torch.enable_grad():
            path = (alphas[:, None, None] * vectors[0]).requires_grad_(True)
            steps_side = None if side is None else side.expand(_IG_STEPS, -1)
            path_logits = model.from_vectors(path, padding.expand(_IG_STEPS, -1), steps_side)
            attributions = np.zeros((len(wanted), len(found.tokens)))
            for k, column in enumerate(wanted):
                (gradient,) = torch.autograd.grad(
                    path_logits[:, column].sum(), path, retain_graph=k + 1 < len(wanted)
                )
                # Midpoint rule: the mean gradient along the path, times the input.
                per_token = (gradient.mean(dim=0) * vectors[0]).sum(dim=-1)
                read = min(len(found.tokens), per_token.shape[0])
                attributions[k, :read] = per_token[:read].double().cpu().numpy()
        out.append(
            Explanation(
                text=found.text,
                tokens=found.tokens,
                spans=found.spans,
                classes=classes[wanted],
                attributions=attributions,
                logits=logits.cpu().numpy(),
                bias=bias.cpu().numpy(),
            )
        )
    return out


def explain_texts(
    model: BagModel | AttentionModel,
    features: TextFeatures,
    texts: list[str],
    side: list[np.ndarray] | None,
    columns: list[np.ndarray],
    classes: np.ndarray,
) -> list[Explanation]:
    """Explanations of ``texts`` (and side columns ``side``) for the classes
    at ``columns`` (one array of class indices a text): exact token
    attributions for the bag model, integrated gradients for sequences."""
    documents = features.transform(texts, side)
    if features.reads == "sequences":
        return sequence_attributions(
            model, features.tokenizer, texts, columns, classes, documents.codes
        )
    return token_attributions(
        model, features.tokenizer, documents.weighted, texts, columns, classes, documents.codes
    )


def explained_columns(
    multilabel: bool,
    logits: np.ndarray,
    decisions: np.ndarray | None,
    classes: np.ndarray,
    wanted: Any,
) -> list[np.ndarray]:
    """The columns to explain for each text: those of ``wanted`` (see
    :func:`class_columns`), or with ``wanted=None`` the predicted ones
    (:func:`predicted_columns` of the ``decisions``)."""
    if wanted is None:
        return predicted_columns(multilabel, logits, decisions)
    return [class_columns(classes, wanted)] * len(logits)


def predicted_columns(
    multilabel: bool, logits: np.ndarray, decisions: np.ndarray
) -> list[np.ndarray]:
    """The classes to explain by default: the predicted class (single label)
    or the predicted labels (multilabel; the most probable one for a text
    with none)."""
    if not multilabel:
        return [np.array([c]) for c in decisions]
    return [
        np.flatnonzero(row) if row.any() else logits[i].argmax(keepdims=True)
        for i, row in enumerate(decisions)
    ]


def class_columns(classes: np.ndarray, wanted: Any) -> np.ndarray:
    """Indices into ``classes`` of ``wanted``: "all", a label or a list of them."""
    if isinstance(wanted, str) and wanted == "all":
        return np.arange(len(classes))
    if isinstance(wanted, (str, bytes)) or not np.iterable(wanted):
        wanted = [wanted]
    index = {label: j for j, label in enumerate(classes.tolist())}
    unknown = [label for label in wanted if label not in index]
    if unknown:
        raise ValueError(f"classes {unknown!r} are not among classes_ {classes!r}.")
    return np.asarray([index[label] for label in wanted], dtype=np.int64)
