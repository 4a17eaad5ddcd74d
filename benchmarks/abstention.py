"""Coding with abstention: the share of test documents coded automatically
at a target accuracy, the threshold chosen on the training documents alone.

Usage (from the repository root)::

    python benchmarks/abstention.py DATA_DIR [--dataset trec] [--max-docs N]
                                    [--output benchmarks/RESULTS.md]

DATA_DIR holds one folder per data set with ``train.jsonl.gz`` and
``test.jsonl.gz`` (read by ``_common.py``'s loader; single-label data sets
only). For each target accuracy and confidence (top probability, margin),
:func:`sktext.abstention.abstention_threshold` picks the threshold on
10-fold out-of-fold probabilities of the training split (one set of folds
serves every row); ``TextClassifier(random_state=0)`` fitted on the whole
training split then codes the test split. Reports the threshold, the share of
test documents coded (coverage) and their accuracy, against the accuracy
without abstention and the best coverage the test split itself would allow
(the threshold chosen on the test labels: an upper bound, not a method).
Writes a section between ``<!-- abstention.py:begin -->`` and
``<!-- abstention.py:end -->`` of ``--output``; ``--max-docs N`` keeps N
evenly spaced train and test documents (a smoke run; send its output
elsewhere).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

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
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from sktext import TextClassifier
from sktext.abstention import confidence, coverage_curve, threshold_for_accuracy

TARGETS = (0.95, 0.98)
CONFIDENCES = ("probability", "margin")


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--dataset", default="trec")
    add_max_docs_argument(parser)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Coding with abstention")
    folder = args.data_dir / args.dataset
    train_texts, train_labels = load_split(folder / "train.jsonl.gz", args.max_docs)
    test_texts, test_labels = load_split(folder / "test.jsonl.gz", args.max_docs)
    y_train, y_test = np.asarray(train_labels), np.asarray(test_labels)

    model = TextClassifier(random_state=0, n_jobs=2)
    # abstention_threshold's folds, computed once for the four rows.
    folds = StratifiedKFold(10, shuffle=True, random_state=0)
    texts = np.asarray(train_texts, dtype=object)
    out_of_fold, cv_seconds = timed(
        lambda: cross_val_predict(model, texts, y_train, cv=folds, method="predict_proba")
    )
    model.fit(train_texts, y_train)
    proba = model.predict_proba(test_texts)
    correct = model.classes_[proba.argmax(axis=1)] == y_test
    rows = []
    for target in TARGETS:
        for on in CONFIDENCES:
            threshold = threshold_for_accuracy(
                y_train, out_of_fold, np.unique(y_train), target, on=on
            )
            kept = confidence(proba, on) >= threshold
            coverage, accuracy, _ = coverage_curve(y_test, proba, model.classes_, on=on)
            best = coverage[accuracy >= target].max(initial=0.0)
            rows.append(
                [
                    f"{target:.0%}",
                    on,
                    f"{threshold:.3f}",
                    f"{kept.mean():.1%}",
                    f"{correct[kept].mean():.1%}" if kept.any() else "-",
                    f"{best:.1%}",
                ]
            )
    columns = ["target", "confidence", "threshold", "coverage", "accuracy", "oracle coverage"]
    section.publish(
        table(columns, rows),
        args.output,
        [
            f"- Data: {args.dataset}, {len(train_texts)} train / {len(test_texts)} test "
            f"documents; accuracy without abstention {correct.mean():.1%}. Thresholds "
            f"from 10-fold out-of-fold probabilities of the training split "
            f"({cv_seconds:.0f} s), alpha=0.05; oracle: the largest coverage at the "
            "target on the test labels themselves."
        ],
        versions=sktext_versions(),
        max_docs=args.max_docs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
