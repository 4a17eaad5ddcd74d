"""Multilabel decisions: thresholds tuned for F1 and balanced label weights
against the fixed 0.5, on Reuters-21578.

Usage (from the repository root)::

    python benchmarks/thresholds.py DATA_DIR [--dataset reuters21578_modapte] [--attention]
                                    [--max-docs N] [--output benchmarks/RESULTS.md]

DATA_DIR holds one folder per data set with ``train.jsonl.gz`` and
``test.jsonl.gz`` (read by ``_common.py``'s loader; multilabel data sets
only). Fits ``TextClassifier(random_state=0)`` with:

- ``threshold=0.5`` (the default);
- ``threshold="auto"``: one threshold per label tuned for that label's F1 on
  3-fold out-of-fold probabilities, labels with fewer than 10 positives cut at
  the rank of their positives;
- both again with ``centroid_weight=0``: the network alone, without the
  tf-idf label centroids that the default blends into multilabel
  probabilities (``sktext.centroids``), and with ``centroid_weight=0.5``;
- ``class_weight="balanced"`` (positives of label j weighted
  ``n_negative_j / n_positive_j``), with ``learning_rate=2``: at the default 8
  these weights make SGD diverge on Reuters' rare labels;
- both;
- with ``--attention``, also the attention encoder (``encoder="attention"``,
  ``dim=64``, attention pooling) at 0.5 and with ``threshold="auto"`` (the
  latter fits four attention models: about 40x the bag model's time).

Reports micro- and macro-F1 on the test split (labels of the test split never
seen in training count as misses in both) and fit seconds, against the
published kNN macro-F1 of 0.524 (Yang & Liu 1999; see ../shared/REFERENCE.md).
Writes a section between ``<!-- thresholds.py:begin -->`` and
``<!-- thresholds.py:end -->`` of ``--output``. ``--max-docs N`` keeps N
evenly spaced train and test documents (a smoke run; send its output
elsewhere, e.g. ``--output /tmp/smoke.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

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
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from sktext import TextClassifier

SETTINGS = {
    "threshold=0.5 (default)": {},
    'threshold="auto"': {"threshold": "auto"},
    "centroid_weight=0 (the network alone)": {"centroid_weight": 0},
    'centroid_weight=0, threshold="auto"': {"centroid_weight": 0, "threshold": "auto"},
    "centroid_weight=0.5": {"centroid_weight": 0.5},
    'centroid_weight=0.5, threshold="auto"': {"centroid_weight": 0.5, "threshold": "auto"},
    'class_weight="balanced", learning_rate=2': {"class_weight": "balanced", "learning_rate": 2},
    'class_weight="balanced", learning_rate=2, threshold="auto"': {
        "class_weight": "balanced",
        "learning_rate": 2,
        "threshold": "auto",
    },
}

ATTENTION_PARAMS = {"encoder": "attention", "dim": 64, "attention_pooling": "attention"}
ATTENTION = {
    'encoder="attention", dim=64, attention_pooling="attention"': ATTENTION_PARAMS,
    '... and threshold="auto"': {**ATTENTION_PARAMS, "threshold": "auto"},
}


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--dataset", default="reuters21578_modapte")
    parser.add_argument(
        "--attention", action="store_true", help="add the attention encoder's two rows"
    )
    add_max_docs_argument(parser)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Multilabel thresholds and label weights")
    folder = args.data_dir / args.dataset
    train_texts, train_labels = load_split(folder / "train.jsonl.gz", args.max_docs)
    test_texts, test_labels = load_split(folder / "test.jsonl.gz", args.max_docs)
    if not all(isinstance(labels, tuple) for labels in train_labels):
        parser.error(f"{args.dataset} is not multilabel")
    # Every label of either split is a column: unseen test labels are misses.
    binarizer = MultiLabelBinarizer().fit(list(train_labels) + list(test_labels))
    truth = binarizer.transform(test_labels)

    settings = dict(SETTINGS)
    if args.attention:
        settings.update(ATTENTION)
    rows = []
    for name, params in settings.items():
        print(f"{name}...", file=sys.stderr, flush=True)
        model = TextClassifier(random_state=0, n_jobs=2, **params)
        _, seconds = timed(model.fit, train_texts, list(train_labels))
        predicted = binarizer.transform(model.predict(test_texts))
        micro = f1_score(truth, predicted, average="micro", zero_division=0)
        macro = f1_score(truth, predicted, average="macro", zero_division=0)
        rows.append([name, f"{micro:.4f}", f"{macro:.4f}", f"{seconds:.1f}"])

    columns = ["TextClassifier(random_state=0, ...)", "micro-F1", "macro-F1", "fit s"]
    section.publish(
        table(columns, rows),
        args.output,
        [
            f"- Data: {args.dataset}, {len(train_texts)} train / {len(test_texts)} test "
            f"documents, {len(binarizer.classes_)} labels (train and test); F1 on the test "
            "split. Published kNN macro-F1 on ModApte: 0.524."
        ],
        versions=sktext_versions(),
        max_docs=args.max_docs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
