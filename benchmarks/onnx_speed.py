"""Predict throughput of the torch path against the ONNX Runtime path.

Usage (from the repository root)::

    python benchmarks/onnx_speed.py [--n-train 20000] [--n-predict 100000]
                                    [--data DATA_DIR] [--repeats 3] [--smoke]
                                    [--output benchmarks/RESULTS.md]

Trains ``TextClassifier(random_state=0)`` (one thread, the default) on
``--n-train`` short synthetic documents of 20 classes
(:func:`sktext.datasets.make_text_classification`, seed 0), exports it with
``to_onnx`` and times ``predict`` and ``predict_proba`` on ``--n-predict``
more documents of the same generator call, once through the estimator
(torch) and once through :class:`sktext.onnx.OnnxPredictor` (ONNX Runtime,
one intra-op thread). ``--data DATA_DIR`` adds 20 Newsgroups from DATA_DIR
(``benchmarks/compare.py``'s format): trained on its train split, timed on
its test split. Both paths tokenize in Python with the same tokenizer, so the
table also gives the throughput of tokenizing and weighting alone, the part
ONNX Runtime cannot speed up. Timings are the best of ``--repeats`` runs
(after one warm-up); the largest probability difference between the paths
is reported too.

``--smoke`` trains on 300 and predicts 500 documents (at most 300 of each
real split), once: a check for CI, whose output should go elsewhere. The
table is printed and written into ``--output`` between
``<!-- onnx_speed.py:begin -->`` and ``<!-- onnx_speed.py:end -->``.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import torch
from _common import (
    Section,
    add_output_argument,
    load_split,
    make_parser,
    table,
    timed,
    versions_line,
)

from sktext import TextClassifier
from sktext.datasets import make_text_classification
from sktext.onnx import OnnxPredictor

SMOKE_TRAIN, SMOKE_PREDICT = 300, 500


def best_seconds(call: Callable[[], Any], repeats: int) -> float:
    """Fastest of ``repeats`` timed calls, after an untimed warm-up call."""
    call()
    return min(timed(call)[1] for _ in range(repeats))


def measure(
    name: str, train: tuple[list[str], Any], texts: list[str], repeats: int, folder: Path
) -> list[list[str]]:
    """Table rows of one data set: docs/s of each path and operation."""
    clf = TextClassifier(random_state=0).fit(*train)
    clf.to_onnx(folder / f"{name}.onnx")
    predictor = OnnxPredictor(folder / f"{name}.onnx", clf)
    difference = np.abs(clf.predict_proba(texts) - predictor.predict_proba(texts)).max()
    tokenize = best_seconds(
        lambda: clf.features_.transform(texts, None).weighted, repeats
    )
    rows = []
    for operation in ("predict", "predict_proba"):
        torch_s = best_seconds(lambda op=operation: getattr(clf, op)(texts), repeats)
        onnx_s = best_seconds(lambda op=operation: getattr(predictor, op)(texts), repeats)
        rows.append(
            [
                name,
                f"{len(texts):,}",
                operation,
                f"{len(texts) / torch_s:,.0f}",
                f"{len(texts) / onnx_s:,.0f}",
                f"{torch_s / onnx_s:.2f}",
                f"{len(texts) / tokenize:,.0f}",
                f"{difference:.1e}",
            ]
        )
    return rows


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__)
    parser.add_argument("--n-train", type=int, default=20_000)
    parser.add_argument("--n-predict", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "ONNX Runtime against torch at predict time")
    n_train, n_predict, repeats, max_docs = args.n_train, args.n_predict, args.repeats, None
    if args.smoke:
        n_train, n_predict, repeats, max_docs = SMOKE_TRAIN, SMOKE_PREDICT, 1, 300

    texts, labels = make_text_classification(n_train + n_predict, 20, random_state=0)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows += measure(
            "synthetic short",
            (texts[:n_train], labels[:n_train]),
            texts[n_train:],
            repeats,
            Path(folder),
        )
        if args.data is not None:
            data = args.data / "20newsgroups"
            train = load_split(data / "train.jsonl.gz", max_docs)
            test_texts, _ = load_split(data / "test.jsonl.gz", max_docs)
            rows += measure("20newsgroups", train, test_texts, repeats, Path(folder))

    columns = [
        "data",
        "docs",
        "operation",
        "torch docs/s",
        "ONNX Runtime docs/s",
        "speed-up",
        "tokenize + weight alone docs/s",
        "max abs proba difference",
    ]
    section.publish(
        table(columns, rows),
        args.output,
        [
            f"- Model: `TextClassifier(random_state=0)` trained on {n_train:,} synthetic "
            "documents (20 classes) or the train split; one thread for torch and for ONNX "
            "Runtime",
            f"- Timings: docs/s are the best of {repeats} run(s)",
        ],
        versions=versions_line(
            [{"torch": torch.__version__, "onnxruntime": onnxruntime.__version__}]
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
