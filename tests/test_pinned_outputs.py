"""A fitted model's probabilities on a fixed seed, pinned to 1e-6.

What the tests elsewhere check loosely (it learns, it round-trips), this
checks exactly: a refactor that means to change nothing must leave these
numbers where they are. A change that means to move them (new defaults, a
new training rule) rewrites them with ``python tests/test_pinned_outputs.py``
and says why in its commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import make_multilabel, make_single_label  # noqa: E402

from sktext import TextClassifier  # noqa: E402

PINNED = HERE / "fixtures" / "pinned_probabilities.npz"
CASES = {
    "defaults": {},
    "mean_chars_dropout": {"pooling": "mean", "char_ngrams": (2, 4), "dropout": 0.2},
    "early_stopping_weights": {"early_stopping": True, "class_weight": "balanced"},
    "multilabel_auto_threshold": {"threshold": "auto"},
    "attention": {"encoder": "attention", "dim": 16, "n_heads": 2, "max_iter": 3},
}


def _outputs(name: str) -> np.ndarray:
    params = {"min_count": 1, "random_state": 0, **CASES[name]}
    if name.startswith("multilabel"):
        X, y = make_multilabel(240, 4, seed=21)
        clf = TextClassifier(**params).fit(X[:180], y[:180])
        return np.hstack([clf.predict_proba(X[180:]), clf.threshold_[None, :].repeat(60, 0)])
    X, y = make_single_label(240, 3, seed=20)
    clf = TextClassifier(**params).fit(X[:180], y[:180])
    return clf.predict_proba(X[180:])


@pytest.mark.parametrize("name", list(CASES))
def test_probabilities_are_pinned(name):
    expected = np.load(PINNED)[name]
    np.testing.assert_allclose(_outputs(name), expected, rtol=1e-6, atol=1e-7)


if __name__ == "__main__":
    np.savez(PINNED, **{name: _outputs(name) for name in CASES})
