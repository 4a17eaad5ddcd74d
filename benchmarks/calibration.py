"""Probability calibration: TextClassifier before and after CalibratedClassifierCV.

Usage (from the repository root)::

    python benchmarks/calibration.py DATA_DIR [--dataset 20newsgroups]
                                     [--max-docs N] [--output benchmarks/RESULTS.md]

DATA_DIR holds one folder per data set with ``train.jsonl.gz`` and
``test.jsonl.gz`` (read by ``_common.py``'s loader; single-label data sets
only). Fits on the train split:

- ``TextClassifier(random_state=0)``;
- ``CalibratedClassifierCV(TextClassifier(random_state=0), cv=3, method=m)``
  for ``m`` in ``sigmoid``, ``isotonic`` (both one-vs-rest on the logits of
  ``decision_function``, then normalised) and ``temperature`` (one
  temperature for the softmax; scikit-learn >= 1.8): three fits on two thirds
  of the data each, one calibrator per fold, probabilities averaged.

Reports on the test split: accuracy, log loss, and the multiclass Brier score
(mean over documents of ``sum_k (p_k - y_k) ** 2``, ``y`` one-hot: 0 is
perfect, 2 the worst), with the fit time. Writes a section between
``<!-- calibration.py:begin -->`` and ``<!-- calibration.py:end -->`` of
``--output``. ``--max-docs N`` keeps N evenly spaced train and test documents
(a smoke run; send its output elsewhere, e.g. ``--output /tmp/smoke.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from _common import (
    DATA_DIR_HELP,
    Section,
    add_max_docs_argument,
    add_output_argument,
    load_split,
    make_parser,
    sktext_versions,
    table,
    timed,
)
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import accuracy_score, log_loss

from sktext import TextClassifier

METHODS = ("sigmoid", "isotonic", "temperature")


def brier_score(y: Sequence[Any], proba: np.ndarray, classes: np.ndarray) -> float:
    """Mean over samples of the squared distance between ``proba`` and one-hot ``y``."""
    onehot = np.asarray(y)[:, None] == classes[None, :]
    return float(((proba - onehot) ** 2).sum(axis=1).mean())


def evaluate(model: Any, train: tuple, test: tuple) -> list[str]:
    """Accuracy, log loss and Brier score on ``test``, and the fit seconds."""
    _, seconds = timed(model.fit, *train)
    texts, y = test
    proba = model.predict_proba(texts)
    return [
        f"{accuracy_score(y, model.classes_[proba.argmax(axis=1)]):.4f}",
        f"{log_loss(y, proba, labels=model.classes_):.4f}",
        f"{brier_score(y, proba, model.classes_):.4f}",
        f"{seconds:.1f}",
    ]


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--dataset", default="20newsgroups")
    add_max_docs_argument(parser)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Probability calibration")
    folder = args.data_dir / args.dataset
    train = load_split(folder / "train.jsonl.gz", args.max_docs)
    test = load_split(folder / "test.jsonl.gz", args.max_docs)
    if any(isinstance(label, tuple) for label in train[1]):
        parser.error(f"{args.dataset} is multilabel; calibration needs one class a document")

    models = {"TextClassifier (raw)": TextClassifier(random_state=0)}
    for method in METHODS:
        models[f"CalibratedClassifierCV({method}, cv=3)"] = CalibratedClassifierCV(
            TextClassifier(random_state=0), cv=3, method=method
        )
    rows = []
    for name, model in models.items():
        print(f"{name}...", file=sys.stderr, flush=True)
        rows.append([name, *evaluate(model, train, test)])

    section.publish(
        table(["model", "accuracy", "log loss", "Brier score", "fit s"], rows),
        args.output,
        [
            f"- Data: {args.dataset}, {len(train[0])} train / {len(test[0])} test documents; "
            "metrics on the test split. Brier: mean over documents of sum_k (p_k - y_k)^2."
        ],
        versions=sktext_versions(),
        max_docs=args.max_docs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
