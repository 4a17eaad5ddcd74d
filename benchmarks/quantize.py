"""Small models: file size against accuracy after ``TextClassifier.quantize``.

Usage (from the repository root)::

    python benchmarks/quantize.py DATA_DIR [--datasets 20newsgroups reuters21578_modapte]
                                  [--max-docs N] [--output benchmarks/RESULTS.md]

DATA_DIR holds one folder per data set with ``train.jsonl.gz`` and
``test.jsonl.gz`` (read by ``_common.py``'s loader). For each data set, fits
``TextClassifier(random_state=0)`` (every other parameter at its default, so
that a rerun measures today's defaults) on the train split, saves it, and
quantizes a fresh copy of the saved model with each setting of
:data:`SETTINGS`: pruning only, 8-bit rows, product quantization with
``dsub`` 2, 4 and 8, ``qnorm``, and retraining after pruning. A ``cutoff``
is a share of the fitted model's features (rounded down), so that one setting
suits data sets of any size.

Reports, per setting: the saved file's size in MB (10**6 bytes) and how many
times smaller it is than the unquantized file, and the test split's accuracy
(single-label) or micro-F1 (multilabel; labels never seen in training count
as misses), with its change in points against the unquantized model. No
timing is reported. Writes a section between ``<!-- quantize.py:begin -->``
and ``<!-- quantize.py:end -->`` of ``--output``. ``--max-docs N`` keeps N
evenly spaced train and test documents (a smoke run; send its output
elsewhere, e.g. ``--output /tmp/smoke.md``); ``--smoke`` runs only the
settings of :data:`SMOKE`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any

from _common import (
    DATA_DIR_HELP,
    Section,
    add_max_docs_argument,
    add_output_argument,
    check_splits,
    is_multilabel,
    load_split,
    make_parser,
    sktext_versions,
    table,
)

from sktext import TextClassifier, load

DATASETS = ("20newsgroups", "reuters21578_modapte")

#: Setting name -> (share of the features kept, or None for all; quantize's options).
SETTINGS: dict[str, tuple[float | None, dict[str, Any]]] = {
    "prune 1/4 (float32)": (1 / 4, {"method": "float32"}),
    "8-bit": (None, {"method": "int8"}),
    "prune 1/4, 8-bit": (1 / 4, {"method": "int8"}),
    "prune 1/4, PQ dsub=2": (1 / 4, {"method": "pq", "dsub": 2}),
    "prune 1/4, PQ dsub=4": (1 / 4, {"method": "pq", "dsub": 4}),
    "prune 1/4, PQ dsub=8": (1 / 4, {"method": "pq", "dsub": 8}),
    "prune 1/4, PQ dsub=2, qnorm": (1 / 4, {"method": "pq", "dsub": 2, "qnorm": True}),
    "prune 1/4, retrain, PQ dsub=4, qnorm": (
        1 / 4,
        {"method": "pq", "dsub": 4, "qnorm": True, "retrain": True},
    ),
    "prune 1/8, retrain, PQ dsub=2, qnorm": (
        1 / 8,
        {"method": "pq", "dsub": 2, "qnorm": True, "retrain": True},
    ),
}
#: What ``--smoke`` runs: one setting of each kind.
SMOKE = ("prune 1/4, 8-bit", "prune 1/4, PQ dsub=2, qnorm", "prune 1/8, retrain, PQ dsub=2, qnorm")


def saved(clf: TextClassifier) -> bytes:
    buffer = io.BytesIO()
    clf.save(buffer)
    return buffer.getvalue()


def measure(
    name: str, data_dir: Any, max_docs: int | None, settings: Sequence[str]
) -> list[list[object]]:
    """The table rows of one data set: the unquantized model, then each setting."""
    X, y = load_split(data_dir / name / "train.jsonl.gz", max_docs)
    X_test, y_test = load_split(data_dir / name / "test.jsonl.gz", max_docs)
    metric = "micro-F1" if is_multilabel(y) else "accuracy"
    if is_multilabel(y):  # ragged lists: score() is then micro-F1
        y, y_test = [list(labels) for labels in y], [list(labels) for labels in y_test]
    base = TextClassifier(random_state=0).fit(X, y)
    file = saved(base)
    base_score = base.score(X_test, y_test)
    rows = [[name, "none", f"{base.n_features_:,}", *_cells(file, file, base_score, base_score)]]
    rows[0][-1] = metric
    for setting in settings:
        share, options = SETTINGS[setting]
        clf = load(io.BytesIO(file))
        cutoff = None if share is None else max(int(base.n_features_ * share), 1)
        if options.get("retrain"):
            clf.quantize(X, y, cutoff=cutoff, **options)
        else:
            clf.quantize(cutoff=cutoff, **options)
        score = clf.score(X_test, y_test)
        rows.append(
            [name, setting, f"{clf.n_features_:,}", *_cells(saved(clf), file, score, base_score)]
        )
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def _cells(file: bytes, base: bytes, score: float, base_score: float) -> list[object]:
    return [
        f"{len(file) / 1e6:.2f}",
        f"{len(base) / len(file):.1f}x",
        f"{score:.4f}",
        f"{100 * (score - base_score):+.2f}",
    ]


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    add_max_docs_argument(parser)
    parser.add_argument(
        "--smoke", action="store_true", help=f"only the settings {list(SMOKE)} (for CI)"
    )
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    settings = SMOKE if args.smoke else tuple(SETTINGS)
    check_splits(parser, args.data_dir, args.datasets)
    section = Section(__file__, "Small models: quantize")
    rows = [
        row
        for name in args.datasets
        for row in measure(name, args.data_dir, args.max_docs, settings)
    ]
    columns = ["data set", "setting", "features", "file MB", "smaller", "score", "change (points)"]
    notes = [
        "- Model: `TextClassifier(random_state=0)` at its defaults, fitted on the train split; "
        "each setting quantizes a fresh copy of its saved file.",
        "- score: test accuracy (20 Newsgroups) or micro-F1 (Reuters); the first row of each "
        "data set is the unquantized model (its last column names the score).",
        "- Target (issue 16): files at least 20x smaller for at most 0.5 point lost.",
    ]
    section.publish(
        table(columns, rows), args.output, notes, versions=sktext_versions(), max_docs=args.max_docs
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
