"""Synthetic labelled text, for tests, the demo and the speed benchmarks.

Documents mix Zipf-distributed filler words with a share of class-specific
words, some of which leak into other classes, so the task is learnable but
not trivial. Everything is drawn from one seeded generator.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["make_text_classification"]

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def _words(n: int, rng: np.random.Generator, prefix: str = "") -> np.ndarray:
    """``n`` distinct pronounceable pseudo-words."""
    words: list[str] = []
    seen: set[str] = set()
    n_syllables = 2
    while len(words) < n:
        draw = rng.integers(len(_SYLLABLES), size=(n, n_syllables))
        for row in draw:
            word = prefix + "".join(_SYLLABLES[i] for i in row)
            if word not in seen:
                seen.add(word)
                words.append(word)
                if len(words) == n:
                    break
        n_syllables += 1
    return np.array(words, dtype=object)


def make_text_classification(
    n_samples: int = 1000,
    n_classes: int = 4,
    *,
    multilabel: bool = False,
    max_labels: int = 3,
    length: tuple[int, int] = (10, 40),
    vocab_size: int = 5000,
    words_per_class: int = 30,
    signal: float = 0.15,
    leak: float = 0.2,
    hierarchy: tuple[int, ...] | None = None,
    random_state: int | None = None,
) -> tuple[list[str], np.ndarray | list[tuple[str, ...]]]:
    """Generate texts and labels.

    Parameters
    ----------
    n_samples : int
        Number of documents.
    n_classes : int
        Number of classes (labels, when ``multilabel``).
    multilabel : bool
        Give each document 1 to ``max_labels`` labels (returned as ragged
        tuples) instead of one class.
    max_labels : int
        Most labels a document can have, when ``multilabel``.
    length : (int, int)
        Smallest and largest number of words per document.
    vocab_size : int
        Number of filler words (Zipf-distributed).
    words_per_class : int
        Number of signature words per class.
    signal : float
        Share of a document's words drawn from its classes' signature words.
    leak : float
        Probability that a signature word comes from another class instead.
    hierarchy : tuple of int or None
        Class counts of nested levels, coarsest first, ending with
        ``n_classes``; each must divide the next, as in
        ``(10, 50, 200, 1000)``. Classes are then the leaves of a balanced
        tree: leaf ``c``'s ancestor at a level of ``m`` classes is
        ``c * m // n_classes``. Every node has its own ``words_per_class``
        signature words, and each signature word of a document comes from
        one of its path's nodes, at a level drawn uniformly: siblings share
        their parents' words, as codes of a classification (NACE, ISCO)
        share their division's vocabulary. ``y`` then has one column a
        level. Single-label only.
    random_state : int or None
        Seed.

    Returns
    -------
    texts : list of str
        The documents, words separated by spaces.
    y : ndarray of str, or list of tuples of str if ``multilabel``
        The labels, ``"class_0"`` to ``"class_{n_classes - 1}"``; with
        ``hierarchy``, shape (n_samples, n_levels): ``"L{level}_{code}"``,
        the leaf's ancestors then the leaf.

    Examples
    --------
    >>> texts, y = make_text_classification(4, 2, random_state=0)
    >>> len(texts), sorted(set(y)) <= ["class_0", "class_1"]
    (4, True)
    >>> texts, y = make_text_classification(6, 4, hierarchy=(2, 4), random_state=0)
    >>> y.shape, y[0].tolist()
    ((6, 2), ['L0_0', 'L1_0'])
    """
    levels = _check_hierarchy(hierarchy, n_classes, multilabel)
    rng = np.random.default_rng(random_state)
    filler = _words(vocab_size, rng)
    # One row of signature words a class, or with a hierarchy a node.
    n_nodes = n_classes if levels is None else sum(levels)
    signature = _words(n_nodes * words_per_class, rng, prefix="x").reshape(n_nodes, words_per_class)
    zipf = 1.0 / np.arange(1, vocab_size + 1) ** 1.1
    zipf /= zipf.sum()
    names = np.array([f"class_{i}" for i in range(n_classes)], dtype=object)

    if multilabel:
        n_labels = rng.integers(1, min(max_labels, n_classes) + 1, size=n_samples)
        label_sets = [np.sort(rng.choice(n_classes, k, replace=False)) for k in n_labels]
    else:
        owner = rng.integers(n_classes, size=n_samples)

    lengths = rng.integers(length[0], length[1] + 1, size=n_samples)
    total = int(lengths.sum())
    doc = np.repeat(np.arange(n_samples), lengths)
    tokens = filler[rng.choice(vocab_size, size=total, p=zipf)]
    is_signal = rng.random(total) < signal
    n_signal = int(is_signal.sum())
    if multilabel:
        # Signal words spread over all of a document's labels.
        padded = np.zeros((n_samples, max(n_labels)), dtype=np.int64)
        for i, labels in enumerate(label_sets):
            padded[i, : len(labels)] = labels
        signal_doc = doc[is_signal]
        slot = (rng.random(n_signal) * n_labels[signal_doc]).astype(np.int64)
        classes = padded[signal_doc, slot]
    else:
        classes = owner[doc[is_signal]]
    leaked = rng.random(n_signal) < leak
    classes[leaked] = rng.integers(n_classes, size=int(leaked.sum()))
    rows = classes if levels is None else _path_nodes(levels, classes, n_classes, rng)
    tokens[is_signal] = signature[rows, rng.integers(words_per_class, size=n_signal)]

    bounds = np.concatenate([[0], np.cumsum(lengths)])
    texts = [" ".join(tokens[bounds[i] : bounds[i + 1]]) for i in range(n_samples)]
    if multilabel:
        return texts, [tuple(names[s]) for s in label_sets]
    if levels is not None:
        codes = [owner * size // n_classes for size in levels]
        return texts, np.stack(
            [np.char.add(f"L{k}_", code.astype(str)) for k, code in enumerate(codes)], axis=1
        )
    return texts, names[owner].astype(str)


def _check_hierarchy(
    hierarchy: tuple[int, ...] | None, n_classes: int, multilabel: bool
) -> tuple[int, ...] | None:
    if hierarchy is None:
        return None
    levels = tuple(int(size) for size in hierarchy)
    if multilabel:
        raise ValueError("hierarchy applies to single-label data, not multilabel=True.")
    if not levels or levels[-1] != n_classes:
        raise ValueError(
            f"hierarchy must end with n_classes={n_classes} (the leaves); got {hierarchy!r}."
        )
    if levels[0] < 1 or any(fine % coarse for coarse, fine in itertools.pairwise(levels)):
        raise ValueError(
            f"each level of hierarchy must divide the next (a balanced tree); got {hierarchy!r}."
        )
    return levels


def _path_nodes(
    levels: tuple[int, ...], leaves: np.ndarray, n_classes: int, rng: np.random.Generator
) -> np.ndarray:
    """For each of ``leaves``, the signature row of its path's node at a
    level drawn uniformly (nodes numbered level after level)."""
    level = rng.integers(len(levels), size=len(leaves))
    first_node = np.concatenate([[0], np.cumsum(levels)[:-1]])
    return first_node[level] + leaves * np.asarray(levels)[level] // n_classes
