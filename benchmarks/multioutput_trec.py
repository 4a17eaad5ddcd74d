"""TREC's coarse and fine question types: one multi-output model against two.

Usage (from the repository root)::

    python benchmarks/multioutput_trec.py DATA_DIR [--max-docs N]

DATA_DIR holds ``trec/train.jsonl.gz`` and ``trec/test.jsonl.gz`` (gzipped
JSON lines with ``text``, ``label``, the coarse type, 6 classes, and
``label_fine``, the fine type, 50 classes). Trains on the train split:

- ``joint``: one ``TextClassifier(random_state=0)`` with ``y`` of two columns,
  ``[label, label_fine]`` (one shared encoder, one softmax head per output);
- ``separate``: two ``TextClassifier(random_state=0)``, one per column.

Prints, on the test split, each output's accuracy, the subset accuracy (both
outputs right: what ``score`` gives for multi-output targets), how often the
predicted fine type belongs to the predicted coarse type (``DESC:manner``
under ``DESC``) and the fit time. ``--max-docs N`` keeps N evenly spaced train
and test documents (a smoke run).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import (
    add_max_docs_argument,
    machine_description,
    make_parser,
    read_records,
    table,
    timed,
)

from sktext import TextClassifier

OUTPUTS = ("label", "label_fine")


def load(path: Path, max_docs: int | None) -> tuple[list[str], np.ndarray]:
    """Texts and an (n, 2) str array of the coarse and fine labels."""
    records = read_records(path, max_docs)
    texts = [record["text"] for record in records]
    return texts, np.array([[record[name] for name in OUTPUTS] for record in records])


def report(name: str, predicted: np.ndarray, truth: np.ndarray, seconds: float) -> list[str]:
    right = predicted == truth
    consistent = np.mean([fine.split(":")[0] == coarse for coarse, fine in predicted])
    return [
        name,
        f"{right[:, 0].mean():.4f}",
        f"{right[:, 1].mean():.4f}",
        f"{right.all(axis=1).mean():.4f}",
        f"{consistent:.4f}",
        f"{seconds:.1f}",
    ]


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, "folder holding trec/")
    add_max_docs_argument(parser)
    args = parser.parse_args(argv)
    machine = machine_description()
    train_texts, y_train = load(args.data_dir / "trec" / "train.jsonl.gz", args.max_docs)
    test_texts, y_test = load(args.data_dir / "trec" / "test.jsonl.gz", args.max_docs)

    joint, joint_seconds = timed(TextClassifier(random_state=0).fit, train_texts, y_train)
    joint_predicted = joint.predict(test_texts)
    assert joint.score(test_texts, y_test) == (joint_predicted == y_test).all(axis=1).mean()

    separate, separate_seconds = timed(
        lambda: [TextClassifier(random_state=0).fit(train_texts, y) for y in y_train.T]
    )
    separate_predicted = np.stack([clf.predict(test_texts) for clf in separate], axis=1)

    columns = [
        "model",
        "coarse accuracy",
        "fine accuracy",
        "subset accuracy",
        "fine in coarse",
        "fit s",
    ]
    lines = [
        f"TREC: {len(train_texts)} train / {len(test_texts)} test documents",
        f"Machine: {machine}",
        "",
        *table(
            columns,
            [
                report("joint (one multi-output model)", joint_predicted, y_test, joint_seconds),
                report("separate (two models)", separate_predicted, y_test, separate_seconds),
            ],
        ),
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
