"""Texts to the network's inputs: the one owner of the pipeline's order.

texts -> :mod:`~sktext.tokenizer` (token counts, or token sequences) ->
:mod:`~sktext.weighting` (pooling weights) -> :mod:`~sktext.categorical`
(side-feature codes) -> :mod:`~sktext.batches` (:class:`~sktext.batches.Bags`
or :class:`~sktext.batches.Sequences` on the compute device).

:class:`TextFeatures` holds the three fitted parts; the estimator, the ONNX
predictor and the explanations all ask it, so the order is written once.
Texts are tokenized once per fit; predictions go :data:`PREDICT_CHUNK` texts at
a time, which bounds memory whatever the number of documents.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from .batches import Bags, Sequences
from .categorical import CategoricalEncoder
from .tokenizer import TOKENIZER_OPTIONS, Tokenizer, resolve_tokenizer
from .vectors import WordVectors
from .weighting import TokenWeighting

__all__ = ["PREDICT_CHUNK", "Documents", "TextFeatures"]

#: Texts tokenized and scored at a time at predict time.
PREDICT_CHUNK = 16384


@dataclass
class Documents:
    """Documents encoded on the host, before they become tensors: pooling
    weights (bags) or token ids (sequences), and side-feature codes."""

    weighted: sp.csr_matrix | None
    sequences: tuple[np.ndarray, np.ndarray] | None
    codes: np.ndarray | None
    max_length: int | None = None
    # From fit with pretrained vectors: (rows, vectors) to start the
    # network's token table from; None otherwise.
    pretrained: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        if self.weighted is not None:
            return self.weighted.shape[0]
        return len(self.sequences[1])

    def to(self, device: torch.device, rows: np.ndarray | None = None) -> Bags | Sequences:
        """The rows ``rows`` (all if None), in that order, as tensors for ``device``."""
        if self.weighted is not None:
            if rows is None:
                return Bags.from_csr(self.weighted, device, categories=self.codes)
            codes = None if self.codes is None else self.codes[rows]
            return Bags.from_csr(self.weighted[rows], device, categories=codes)
        sequences = Sequences.from_ids(*self.sequences, device, categories=self.codes)
        return sequences if rows is None else sequences.take(torch.from_numpy(rows).to(device))


@dataclass
class TextFeatures:
    """Tokenizer, pooling weights and side-feature codes, fitted together.

    Parameters
    ----------
    tokenizer : Tokenizer
    weighting : TokenWeighting
    categorical : CategoricalEncoder or None
        Codes of the side columns, if the model has any.
    reads : {"bags", "sequences"}
        What the network reads: pooled bags of tokens and n-grams, or the
        first ``max_length`` base tokens in order.
    max_length : int or None
        Tokens a sequence keeps (``reads="sequences"``).
    pretrained : path, mapping or None
        The source of pretrained word vectors (see :mod:`sktext.vectors`),
        read by :meth:`fit` and then dropped: the fitted features keep no
        reference to it.
    """

    tokenizer: Tokenizer
    weighting: TokenWeighting
    categorical: CategoricalEncoder | None = None
    reads: str = "bags"
    max_length: int | None = None
    # Seconds the last call spent tokenizing and weighting (fit_timings_).
    timings: dict[str, float] = field(default_factory=dict)
    pretrained: Any = field(default=None, repr=False)

    @classmethod
    def from_params(cls, params: dict[str, Any], reads: str) -> TextFeatures:
        """Unfitted features for an estimator's parameters (``get_params()``).

        Raises ValueError for a ``tokenizer`` that is neither a built-in kind,
        a ``tokenizers.Tokenizer`` nor the path of its JSON file.
        """
        kind, pretrained = resolve_tokenizer(params["tokenizer"])
        options = {name: params[name] for name in TOKENIZER_OPTIONS}
        if reads == "sequences":  # the attention encoder reads base tokens in order
            options["word_ngrams"] = 1
        tokenizer = Tokenizer(kind=kind, pretrained=pretrained, **options)
        weighting = TokenWeighting(params["pooling"])
        return cls(
            tokenizer,
            weighting,
            None,
            reads,
            params["max_length"],
            pretrained=params.get("pretrained_vectors"),
        )

    # -- what the network reads --------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Rows of the network's token table: features (bags) or base tokens."""
        if self.reads == "bags":
            return self.tokenizer.n_features_
        return self.tokenizer.n_base_tokens

    @property
    def categorical_sizes(self) -> list[int]:
        return [] if self.categorical is None else self.categorical.sizes

    def fit(
        self,
        texts: Sequence[str],
        side: list[np.ndarray] | None,
        n_jobs: int = 1,
        classes: np.ndarray | None = None,
    ) -> Documents:
        """Learn the vocabulary, the document frequencies and the categories;
        the training documents, tokenized once on ``n_jobs`` threads (with the rows pretrained
        vectors give, if any: words with a vector are kept whatever
        ``min_count`` says). ``classes``: the documents' single-label classes
        (codes or probability rows) for supervised pooling, else None."""
        started = time.perf_counter()
        vectors = None
        if self.pretrained is not None:
            vectors = WordVectors.for_tokenizer(self.pretrained, self.tokenizer)
            self.pretrained = None
        keep = None if vectors is None else vectors.select
        counts = self.tokenizer.fit_transform(texts, keep, n_jobs=n_jobs)
        if self.n_inputs == 0:
            warnings.warn(
                "no token was kept from the training texts (they are empty, or min_count="
                f"{self.tokenizer.min_count} is above every token's count): the model can "
                "only learn the class priors"
                + (" and the side features." if side is not None else "."),
                UserWarning,
                stacklevel=6,  # the caller of fit / partial_fit
            )
        self.weighting.fit(counts, classes)
        self.categorical = None if side is None else CategoricalEncoder().fit(side)
        documents = self._documents(texts, counts, side, started)
        if vectors is not None:
            documents.pretrained = vectors.rows(self._word_rows())
        return documents

    def _word_rows(self) -> dict[str, int]:
        """The row of each vocabulary word in the network's table (-1: none)."""
        vocabulary = self.tokenizer.vocabulary_
        if self.reads == "sequences":  # rows 0 and 1: padding and unknown
            return {word: i + 2 for word, i in vocabulary.items()}
        # Bags: words are the first features, unless max_features dropped some.
        column_map = self.tokenizer.column_map_
        if column_map is None:
            return dict(vocabulary)
        return {word: int(column_map[i]) for word, i in vocabulary.items()}

    def partial_fit(
        self, texts: Sequence[str], side: list[np.ndarray] | None, n_jobs: int = 1
    ) -> Documents:
        """Keep counting document frequencies (streams); the vocabulary and
        categories stay those of the first fit."""
        started = time.perf_counter()
        counts = self.tokenizer.transform(texts, n_jobs=n_jobs)
        self.weighting.partial_fit(counts)
        return self._documents(texts, counts, side, started)

    def transform(
        self, texts: Sequence[str], side: list[np.ndarray] | None, n_jobs: int = 1
    ) -> Documents:
        """Documents of ``texts`` with everything fitted as it is, tokenized
        on ``n_jobs`` threads."""
        counts = self.tokenizer.transform(texts, n_jobs=n_jobs) if self.reads == "bags" else None
        return self._documents(texts, counts, side, time.perf_counter())

    def chunks(
        self,
        texts: Sequence[str],
        side: list[np.ndarray] | None,
        device: torch.device,
        n_jobs: int = 1,
    ) -> Iterator[Bags | Sequences]:
        """The inputs of ``texts``, :data:`PREDICT_CHUNK` documents at a time,
        each tokenized on ``n_jobs`` threads (the compiled tokenizer's: no
        Python work a document) when the caller asks for it, so that a chunk
        is scored as soon as it is ready."""
        for start in range(0, len(texts), PREDICT_CHUNK):
            rows = slice(start, start + PREDICT_CHUNK)
            columns = None if side is None else [column[rows] for column in side]
            yield self.transform(texts[rows], columns, n_jobs).to(device)

    def _documents(
        self,
        texts: Sequence[str],
        counts: sp.csr_matrix | None,
        side: list[np.ndarray] | None,
        started: float,
    ) -> Documents:
        codes = None if self.categorical is None else self.categorical.transform(side)
        tokenized = time.perf_counter()
        if self.reads == "bags":
            documents = Documents(self.weighting.transform(counts), None, codes)
        else:
            ids = self.tokenizer.sequences(texts, self.max_length)
            documents = Documents(None, ids, codes, self.max_length)
        self.timings = {"tokenize": tokenized - started, "weight": time.perf_counter() - tokenized}
        return documents

    # -- saving ------------------------------------------------------------
    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able configuration and arrays, for :mod:`sktext.persistence`."""
        tokenizer_config, arrays = self.tokenizer.get_state()
        weighting_config, weighting_arrays = self.weighting.get_state()
        config = {
            "tokenizer": tokenizer_config,
            "weighting": weighting_config,
            "categorical": None if self.categorical is None else self.categorical.get_state(),
            "reads": self.reads,
            "max_length": self.max_length,
        }
        return config, {**arrays, **weighting_arrays}

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> TextFeatures:
        """Features as :meth:`get_state` described them."""
        tokenizer = Tokenizer.from_state(config["tokenizer"], arrays)
        weighting = TokenWeighting.from_state(config["weighting"], arrays)
        if weighting.idf_.shape != (tokenizer.n_features_,):
            raise ValueError("the idf weights do not match the tokenizer's features.")
        categorical = config["categorical"]
        if categorical is not None:
            categorical = CategoricalEncoder.from_state(categorical)
        reads = config["reads"]
        if reads not in ("bags", "sequences"):
            raise ValueError(f"features read {reads!r}; expected 'bags' or 'sequences'.")
        max_length = config["max_length"]
        return cls(
            tokenizer,
            weighting,
            categorical,
            reads,
            None if max_length is None else int(max_length),
        )
