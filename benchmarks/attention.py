"""The attention encoder against the bag model on 20 Newsgroups and Reuters.

Usage (from the repository root)::

    python benchmarks/attention.py DATA_DIR [--datasets 20newsgroups reuters21578_modapte]
                                   [--max-docs N] [--output benchmarks/RESULTS.md]

DATA_DIR holds one folder per data set with ``train.jsonl.gz`` and
``test.jsonl.gz`` (read by ``_common.py``'s loader). For each data set, fits
on the train split, one after another on the same machine:

- ``TextClassifier(random_state=0)``: the bag model, defaults;
- ``TextClassifier(encoder="attention", dim=64, random_state=0)`` with each
  ``attention_pooling`` ("mean", "attention", "label"): one transformer layer
  of 4 heads over the first 256 tokens, AdamW at its "auto" rate, the same
  epochs ("auto") as the bag model.

Reports accuracy (single-label) or micro- and macro-F1 (multilabel; test
labels never seen in training count as misses), fit seconds and predict
docs/s on the test split, with torch on both cores (``n_jobs=2``). Writes a
section between ``<!-- attention.py:begin -->`` and ``<!-- attention.py:end -->``
of ``--output``. ``--max-docs N`` keeps N evenly spaced train and test
documents (a smoke run; send its output elsewhere).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from _common import (
    DATA_DIR_HELP,
    Section,
    add_max_docs_argument,
    add_output_argument,
    is_multilabel,
    load_split,
    make_parser,
    sktext_versions,
    table,
    timed,
)
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from sktext import TextClassifier

MODELS = {
    "bag (defaults)": {},
    "attention, mean pooling": {"encoder": "attention", "dim": 64},
    "attention, attention pooling": {
        "encoder": "attention",
        "dim": 64,
        "attention_pooling": "attention",
    },
    "attention, label attention": {"encoder": "attention", "dim": 64, "attention_pooling": "label"},
}


def run(dataset: str, args: argparse.Namespace) -> list[list[str]]:
    folder = args.data_dir / dataset
    train_texts, train_y = load_split(folder / "train.jsonl.gz", args.max_docs)
    test_texts, test_y = load_split(folder / "test.jsonl.gz", args.max_docs)
    multilabel = is_multilabel(train_y)
    if multilabel:
        binarizer = MultiLabelBinarizer().fit(list(train_y) + list(test_y))
        truth = binarizer.transform(test_y)
        train_y = list(train_y)
    rows = []
    for name, params in MODELS.items():
        print(f"{dataset}: {name}...", file=sys.stderr, flush=True)
        model = TextClassifier(random_state=0, n_jobs=2, **params)
        _, fit_seconds = timed(model.fit, train_texts, train_y)
        predicted, predict_seconds = timed(model.predict, test_texts)
        if multilabel:
            guess = binarizer.transform(predicted)
            micro = f1_score(truth, guess, average="micro", zero_division=0)
            macro = f1_score(truth, guess, average="macro", zero_division=0)
            quality = f"micro-F1 {micro:.4f}, macro-F1 {macro:.4f}"
        else:
            quality = f"accuracy {accuracy_score(test_y, predicted):.4f}"
        rows.append(
            [
                dataset,
                name,
                quality,
                f"{fit_seconds:.1f} ({model.n_iter_} epochs)",
                f"{len(test_texts) / predict_seconds:,.0f}",
            ]
        )
    return rows


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--datasets", nargs="+", default=["20newsgroups", "reuters21578_modapte"])
    add_max_docs_argument(parser)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Attention encoder against the bag model")
    rows = [row for dataset in args.datasets for row in run(dataset, args)]
    section.publish(
        table(["data set", "model", "quality", "fit s", "predict docs/s"], rows),
        args.output,
        [
            "- Attention: 1 layer, 4 heads, dim 64, first 256 tokens, AdamW at 1e-2; epochs "
            'as the bag model\'s ("auto"). Predict docs/s on the test split, end to end.'
        ],
        versions=sktext_versions(),
        max_docs=args.max_docs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
