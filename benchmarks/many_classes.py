"""Thousands of classes: sktext's defaults against fastText's softmax and
hierarchical softmax, flat and on a 4-level hierarchy.

Usage (from the repository root)::

    flock /tmp/sktext-timing.lock python benchmarks/many_classes.py \\
        [--n-train 100000] [--n-large 1000000] [--output benchmarks/RESULTS.md]
    python benchmarks/many_classes.py --smoke

Data: ``make_text_classification(n_train + 10_000, n_classes=1000,
words_per_class=10, signal=0.3, random_state=0)``, the first ``n_train``
documents to train, the last 10,000 to test (100 training documents a
class at 100,000); the hierarchy adds ``hierarchy=(10, 50, 200, 1000)``,
whose leaf words are a quarter of the signal (harder than the flat set).
Systems: ``TextClassifier(random_state=0)`` (all defaults; one thread),
fastText ``dim=100, epoch=5, lr=0.5, wordNgrams=2, thread=2`` with
``loss="softmax"`` and ``loss="hs"``. On the hierarchy, sktext is trained
flat on the leaf and as multi-output on the 4 levels (``y`` of shape
(n, 4)), fastText hs on the leaf. Fit seconds: ``fit`` for sktext
(tokenizing included), ``train_supervised`` for fastText (its training file
written before). Top-5 accuracy: ``predict_top_k`` (sktext) and
``predict(k=5)`` (fastText). Consistency: the share of test documents whose
predicted codes (one a level) form a path of the tree; a flat model's
ancestors follow from its leaf, so it is consistent by construction. The
1M run trains fastText hs only (its softmax took 38.8 s at 100k). Writes a
section between ``<!-- many_classes.py:begin -->`` and
``<!-- many_classes.py:end -->``.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import Section, add_output_argument, make_parser, peak_rss_mb, table, timed

from sktext import TextClassifier
from sktext.datasets import make_text_classification

N_TEST = 10_000
HIERARCHY = (10, 50, 200, 1000)
FASTTEXT = {"dim": 100, "epoch": 5, "lr": 0.5, "wordNgrams": 2, "thread": 2, "verbose": 0}


def generate(n_train: int, n_test: int, levels: tuple[int, ...] | None = None):
    texts, y = make_text_classification(
        n_train + n_test,
        n_classes=levels[-1] if levels else 1000,
        words_per_class=10,
        signal=0.3,
        hierarchy=levels,
        random_state=0,
    )
    return texts[:n_train], y[:n_train], texts[n_train:], y[n_train:]


def top5(labels: np.ndarray, y: np.ndarray) -> float:
    return float((labels == np.asarray(y)[:, None]).any(axis=1).mean())


def sktext_flat(train, y_train, test, y_test) -> tuple[list, np.ndarray]:
    clf = TextClassifier(random_state=0)
    _, seconds = timed(clf.fit, train, y_train)
    accuracy = float((clf.predict(test) == y_test).mean())
    labels, _ = clf.predict_top_k(test, k=5)
    return [f"{accuracy:.3f}", f"{top5(labels, y_test):.3f}", f"{seconds:.1f}"], clf.predict(test)


def fasttext_flat(train, y_train, test, y_test, loss: str) -> tuple[list, np.ndarray]:
    import fasttext

    lines = [f"__label__{label} {text}" for text, label in zip(train, y_train, strict=True)]
    random.Random(0).shuffle(lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        del lines
        model, seconds = timed(
            lambda: fasttext.train_supervised(str(path), loss=loss, seed=0, **FASTTEXT)
        )
    predicted, _ = model.predict(list(test), k=5)
    # hs may return fewer than k labels (it prunes improbable branches).
    labels = np.full((len(test), 5), "", dtype=object)
    for i, row in enumerate(predicted):
        labels[i, : len(row)] = [token[len("__label__") :] for token in row]
    accuracy = float((labels[:, 0] == y_test).mean())
    return [f"{accuracy:.3f}", f"{top5(labels, y_test):.3f}", f"{seconds:.1f}"], labels[:, 0]


def flat_rows(n_train: int, n_test: int, softmax: bool) -> list[list[str]]:
    train, y_train, test, y_test = generate(n_train, n_test)
    systems = [("sktext defaults", lambda: sktext_flat(train, y_train, test, y_test))]
    if softmax:
        systems.append(
            ("fastText softmax", lambda: fasttext_flat(train, y_train, test, y_test, "softmax"))
        )
    systems.append(("fastText hs", lambda: fasttext_flat(train, y_train, test, y_test, "hs")))
    rows = []
    for name, run in systems:
        rows.append([f"{n_train:,}", name, *run()[0]])
        print(" | ".join(rows[-1]), flush=True)  # progress: the 1M run is long
    return rows


def ancestors(leaves: np.ndarray, levels: tuple[int, ...]) -> np.ndarray:
    """The path of each leaf label (``"L3_417"``), as the generator builds it."""
    codes = np.array([int(label.rsplit("_", 1)[1]) for label in leaves])
    return np.stack(
        [
            np.char.add(f"L{k}_", (codes * size // levels[-1]).astype(str))
            for k, size in enumerate(levels)
        ],
        axis=1,
    )


def path_rows(name: str, predicted: np.ndarray, y_test: np.ndarray, fit: list[str]) -> list[str]:
    """A hierarchy table row; a prediction is consistent when its codes are
    its leaf's path."""
    consistent = (predicted == ancestors(predicted[:, -1], HIERARCHY)).all(axis=1).mean()
    levels = " / ".join(f"{(predicted[:, k] == y_test[:, k]).mean():.3f}" for k in range(4))
    return [name, fit[0], fit[1], levels, f"{consistent:.3f}", fit[2]]


def hierarchy_rows(n_train: int, n_test: int) -> list[list[str]]:
    train, y_train, test, y_test = generate(n_train, n_test, HIERARCHY)
    leaf, leaf_test = y_train[:, -1], y_test[:, -1]
    rows = []
    cells, predicted = sktext_flat(train, leaf, test, leaf_test)
    rows.append(path_rows("sktext flat (leaf)", ancestors(predicted, HIERARCHY), y_test, cells))

    clf = TextClassifier(random_state=0)
    _, seconds = timed(clf.fit, train, y_train)
    predicted = clf.predict(test)
    proba = clf.predict_proba(test)
    labels = np.asarray(clf.classes_[-1])[np.argsort(-proba[-1], axis=1, kind="stable")[:, :5]]
    accuracy = float((predicted[:, -1] == leaf_test).mean())
    cells = [f"{accuracy:.3f}", f"{top5(labels, leaf_test):.3f}", f"{seconds:.1f}"]
    rows.append(path_rows("sktext multi-output (4 levels)", predicted, y_test, cells))
    independent = np.stack(
        [
            np.asarray(classes)[p.argmax(axis=1)]
            for classes, p in zip(clf.classes_, proba, strict=True)
        ],
        axis=1,
    )
    cells[0] = f"{(independent[:, -1] == leaf_test).mean():.3f}"
    rows.append(path_rows("  same, each level's argmax", independent, y_test, cells))

    cells, predicted = fasttext_flat(train, leaf, test, leaf_test, "hs")
    rows.append(path_rows("fastText hs (leaf)", ancestors(predicted, HIERARCHY), y_test, cells))
    return rows


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__)
    parser.add_argument("--n-train", type=int, default=100_000)
    parser.add_argument("--n-large", type=int, default=1_000_000, help="0: no large run")
    parser.add_argument("--smoke", action="store_true", help="a few thousand documents")
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Thousands of classes: 1,000 classes, and a 4-level hierarchy")
    section.machine += f", {os.cpu_count()} logical CPUs"
    n_test = 200 if args.smoke else N_TEST
    n_train = 1000 if args.smoke else args.n_train
    rows = flat_rows(n_train, n_test, softmax=True)
    hierarchy = hierarchy_rows(n_train, n_test)
    large = bool(args.n_large) and not args.smoke
    # Published before the long 1M run too, so that its results are kept if it is stopped.
    for last in (False, True) if large else (True,):
        if last and large:
            rows += flat_rows(args.n_large, n_test, softmax=False)
        body = table(["train docs", "system", "accuracy", "top-5", "fit s"], rows)
        body += [""]
        body += table(
            [
                f"hierarchy, {n_train // 1000:,} docs a leaf",
                "leaf accuracy",
                "leaf top-5",
                "accuracy by level (10 / 50 / 200 / 1000)",
                "consistent",
                "fit s",
            ],
            hierarchy,
        )
        notes = [
            f"- Data: {n_train:,} training and {n_test:,} test documents (see the docstring)",
            f"- Peak RSS of the process: {peak_rss_mb():,.0f} MB",
            *([] if last else [f"- The {args.n_large:,}-document run had not finished."]),
        ]
        section.publish(body, args.output, notes, max_docs=n_train if args.smoke else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
