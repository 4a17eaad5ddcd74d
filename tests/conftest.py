"""Small generated text data sets for the sktext tests.

Every document is a bag of random "filler" words drawn from a fixed
vocabulary, with a few "signature" words of its class (or of each of its
labels) mixed in. Signature words are distinct per class, so a bag-of-words
model separates the classes easily; filler words carry no signal.
Everything is drawn from a seeded :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

try:  # the package is not necessarily installed: test the checkout
    import sktext  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Test modules import the helpers below with ``from conftest import ...``.
# Under ``--import-mode=importlib`` this file is loaded as ``tests.conftest``
# and ``tests/`` is not on sys.path, so register this very module as
# ``conftest`` (one module object, not a second import).
sys.modules.setdefault("conftest", sys.modules[__name__])

# One torch thread: the tiny models here gain nothing from more, and the tests
# should not compete for cores with whatever else runs on the machine.
torch.set_num_threads(1)



def pytest_configure(config: pytest.Config) -> None:
    # Slow tests (fresh interpreters, whole workflows): CI may run them in a
    # step of their own with -m integration.
    config.addinivalue_line("markers", "integration: slow end-to-end test")


FILLER = [f"filler{i}" for i in range(150)]
N_SIGNATURE = 4  # signature words per class
# Small, fast settings under which the model still learns the generated data.
FAST = {"min_count": 1, "dim": 16, "max_iter": 5, "random_state": 0}


def signature(label: int) -> list[str]:
    """The signature words of class (or label) number ``label``."""
    return [f"sig{label}x{j}" for j in range(N_SIGNATURE)]


def _document(rng: np.random.Generator, labels, n_filler: int, n_signal: int) -> str:
    words = list(rng.choice(FILLER, n_filler))
    for label in labels:
        words += list(rng.choice(signature(label), n_signal))
    rng.shuffle(words)
    return " ".join(words)


def make_single_label(
    n: int = 300, n_classes: int = 3, seed: int = 0, *, n_filler: int = 6, n_signal: int = 2
):
    """Texts and int class codes ``0..n_classes-1`` (every class present)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    X = [_document(rng, [c], n_filler, n_signal) for c in y]
    return X, y


def make_multilabel(
    n: int = 300,
    n_labels: int = 4,
    seed: int = 0,
    *,
    p: float = 0.35,
    n_filler: int = 6,
    n_signal: int = 2,
):
    """Texts and a 0/1 int indicator matrix of shape (n, n_labels).

    Each label is on with probability ``p``, so some rows are empty (no label);
    a row's text holds the signature words of each of its labels.
    """
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, n_labels)) < p).astype(np.int64)
    Y[0] = 0  # at least one empty row
    Y[1 : n_labels + 1] = np.eye(n_labels, dtype=np.int64)  # every label present
    X = [_document(rng, np.flatnonzero(row), n_filler, n_signal) for row in Y]
    return X, Y


def to_ragged(Y: np.ndarray, names) -> list[list]:
    """Indicator rows as lists of label names."""
    return [[names[j] for j in np.flatnonzero(row)] for row in Y]


def split(X, y, n_train: int):
    """First ``n_train`` samples for training, the rest held out."""
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


@pytest.fixture(scope="session")
def single3():
    """300 train + 150 test documents of 3 classes (int codes)."""
    X, y = make_single_label(450, 3, seed=1)
    return split(X, y, 300)


@pytest.fixture(scope="session")
def binary():
    """200 train + 100 test documents of 2 classes (int codes)."""
    X, y = make_single_label(300, 2, seed=2)
    return split(X, y, 200)


@pytest.fixture(scope="session")
def multi4():
    """300 train + 150 test documents with 4 labels (indicator, int64)."""
    X, Y = make_multilabel(450, 4, seed=3)
    return split(X, Y, 300)
