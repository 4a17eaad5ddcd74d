"""Probability calibration: TextClassifier before and after CalibratedClassifierCV.

Usage (from the repository root)::

    python benchmarks/calibration.py DATA_DIR [--dataset 20newsgroups]
                                     [--max-docs N] [--output benchmarks/RESULTS.md]

DATA_DIR holds one folder per data set with ``train.jsonl.gz`` and
``test.jsonl.gz`` (read by ``compare.py``'s loader; single-label data sets
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

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from compare import REPO_ROOT, load_split, machine_description, section_header, write_section
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import accuracy_score, log_loss

BEGIN = "<!-- calibration.py:begin -->"
END = "<!-- calibration.py:end -->"
METHODS = ("sigmoid", "isotonic", "temperature")


def brier_score(y: Sequence[Any], proba: np.ndarray, classes: np.ndarray) -> float:
    """Mean over samples of the squared distance between ``proba`` and one-hot ``y``."""
    onehot = np.asarray(y)[:, None] == classes[None, :]
    return float(((proba - onehot) ** 2).sum(axis=1).mean())


def evaluate(model: Any, train: tuple, test: tuple) -> dict[str, float]:
    started = time.perf_counter()
    model.fit(*train)
    seconds = time.perf_counter() - started
    texts, y = test
    proba = model.predict_proba(texts)
    return {
        "accuracy": accuracy_score(y, model.classes_[proba.argmax(axis=1)]),
        "log loss": log_loss(y, proba, labels=model.classes_),
        "Brier": brier_score(y, proba, model.classes_),
        "fit s": seconds,
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="folder with one sub-folder per data set")
    parser.add_argument("--dataset", default="20newsgroups")
    parser.add_argument("--max-docs", type=int, help="keep N evenly spaced documents a split")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).with_name("RESULTS.md"),
        help="Markdown file whose calibration.py section is (re)written",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    import sktext

    machine = machine_description()
    folder = args.data_dir / args.dataset
    train = load_split(folder / "train.jsonl.gz", args.max_docs)
    test = load_split(folder / "test.jsonl.gz", args.max_docs)
    if any(isinstance(label, tuple) for label in train[1]):
        parser.error(f"{args.dataset} is multilabel; calibration needs one class a document")

    models = {"TextClassifier (raw)": sktext.TextClassifier(random_state=0)}
    for method in METHODS:
        models[f"CalibratedClassifierCV({method}, cv=3)"] = CalibratedClassifierCV(
            sktext.TextClassifier(random_state=0), cv=3, method=method
        )
    rows = []
    for name, model in models.items():
        print(f"{name}...", file=sys.stderr, flush=True)
        metrics = evaluate(model, train, test)
        rows.append(
            f"| {name} | {metrics['accuracy']:.4f} | {metrics['log loss']:.4f} | "
            f"{metrics['Brier']:.4f} | {metrics['fit s']:.1f} |"
        )

    lines = section_header(
        "Probability calibration (benchmarks/calibration.py)",
        machine,
        [
            f"- Data: {args.dataset}, {len(train[0])} train / {len(test[0])} test documents; "
            "metrics on the test split. Brier: mean over documents of sum_k (p_k - y_k)^2."
        ],
        args.max_docs,
    )
    lines += [
        "| model | accuracy | log loss | Brier score | fit s |",
        "|---|---|---|---|---|",
        *rows,
    ]
    section = "\n".join(lines)
    print(section)
    write_section(args.output, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
