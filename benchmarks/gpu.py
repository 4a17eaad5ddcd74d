"""Where the time goes when sktext trains on a GPU, with the data resident on it
or staged from pinned host memory.

Usage (from the repository root)::

    python benchmarks/gpu.py [--n-docs 1000000] [--epochs 5] [--device cuda]
                             [--batch-size N] [--n-jobs CORES]

The documents are ``benchmarks/speed.py``'s short multiclass ones (10-40
words, 20 classes, seed 0): ``--n-docs`` to train on and ``speed.py``'s test
share (a tenth, at least 1,000) to predict. Steps, each timed with
``torch.cuda.synchronize()`` on both sides on a GPU, after an untimed warm-up
fit:

- the whole ``TextClassifier.fit`` (``max_iter=--epochs``, ``--batch-size``,
  ``n_jobs=--n-jobs``), split by its ``fit_timings_`` into tokenizing, tf-idf
  weighting, the per-epoch shuffles and the training steps;
- ``predict`` on the test documents, end to end (tokenizing included);
- ``Bags.from_csr`` of the training matrix with the data resident on the
  device (the host-to-device transfer) and staged on the host (pinning), then
  :func:`sktext.training.train` on each for ``--epochs`` epochs with the same
  settings: training docs x epochs / s, and the largest difference between
  the weights the two reach (0 on the CPU; rounding on a GPU).

Peak GPU memory is ``torch.cuda.max_memory_allocated()`` over each step.
``--device cpu --n-docs 300`` is a smoke run (a few seconds).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import (
    command_line,
    load_split,
    machine_description,
    make_parser,
    table,
    write_synthetic,
)

from sktext import TextClassifier
from sktext.batches import Bags
from sktext.loss import make_loss
from sktext.model import BagModel
from sktext.training import TrainingConfig, auto_batch_size, torch_threads, train

N_CLASSES = 20  # speed.py's default


@dataclass
class Row:
    step: str
    seconds: float
    rate: str = "-"
    peak_mb: float | None = None
    note: str = ""


class Timer:
    """Wall time of steps on ``device``, synchronised on a GPU so that it
    counts the kernels a step queued, not only their launch."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cuda = device.type == "cuda"
        self.seconds = 0.0
        self.peak_mb: float | None = None

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if self.cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
        self.sync()
        started = time.perf_counter()
        yield
        self.sync()
        self.seconds = time.perf_counter() - started
        if self.cuda:
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20


def load_data(n_docs: int) -> tuple[list[str], list[Any], list[str], list[Any]]:
    """speed.py's short multiclass documents: ``n_docs`` to train, its test share."""
    with tempfile.TemporaryDirectory(prefix="sktext-gpu-") as tmp:
        write_synthetic(Path(tmp), n_docs, N_CLASSES, kind="short", multilabel=False)
        texts, y = load_split(Path(tmp) / "train.jsonl.gz", None)
        test_texts, y_test = load_split(Path(tmp) / "test.jsonl.gz", None)
    return texts, y, test_texts, y_test


def train_on(
    bags: Bags, codes: np.ndarray, clf: TextClassifier, args: argparse.Namespace
) -> tuple[BagModel, float]:
    """A fresh model like ``clf``'s trained on ``bags`` as ``fit`` does (the
    head's bias starts at zero: this measures speed), and the shuffle seconds."""
    device = bags.device
    torch.manual_seed(0)
    model = BagModel.from_config(clf.model_.get_config())
    model.reset_parameters(torch.zeros(len(clf.classes_)))
    model.to(device)
    config = TrainingConfig(
        max_iter=args.epochs,
        learning_rate=clf.learning_rate,
        batch_size=args.batch_size,
        n_iter_no_change=args.epochs,
        tol=0.0,
        verbose=0,
    )
    history = train(
        model,
        bags,
        torch.from_numpy(codes).to(device),
        torch.ones(len(codes), device=device),
        make_loss("softmax"),
        config,
        np.random.default_rng(0),
    )
    return model, history.shuffle_seconds


def run(args: argparse.Namespace) -> list[Row]:
    device = torch.device(args.device)
    timer = Timer(device)
    texts, y, test_texts, y_test = load_data(args.n_docs)
    n, n_test = len(texts), len(test_texts)

    def rate(count: float, seconds: float, unit: str = "docs/s") -> str:
        return f"{count / max(seconds, 1e-9):,.0f} {unit}"

    def classifier() -> TextClassifier:
        return TextClassifier(
            max_iter=args.epochs,
            # The bag model's "auto" rate, spelled out: train_on reuses it.
            learning_rate=8.0,
            batch_size=args.batch_size,
            device=args.device,
            n_jobs=args.n_jobs,
            random_state=0,
        )

    # Warm-up: CUDA context, kernels and allocator caches, untimed.
    classifier().fit(texts[:1000], y[:1000]).predict(test_texts[:1000])

    clf = classifier()
    with timer():
        clf.fit(texts, y)
    fit_s, split = timer.seconds, clf.fit_timings_
    rows = [
        Row("fit: tokenize", split["tokenize"], rate(n, split["tokenize"])),
        Row("fit: tf-idf weights", split["weight"], rate(n, split["weight"])),
        Row("fit: shuffles", split["shuffle"]),
        Row(
            "fit: training steps",
            split["steps"],
            rate(n * clf.n_iter_, split["steps"], "docs x epochs/s"),
        ),
        Row(
            "fit, whole",
            fit_s,
            rate(n * clf.n_iter_, fit_s, "docs x epochs/s"),
            timer.peak_mb,
            f"{clf.n_iter_} epochs, batch {args.batch_size}",
        ),
    ]
    with timer():
        predicted = clf.predict(test_texts)
    accuracy = float(np.mean(np.asarray(predicted) == np.asarray(y_test)))
    rows.append(
        Row(
            "predict, end to end",
            timer.seconds,
            rate(n_test, timer.seconds),
            timer.peak_mb,
            f"{n_test:,} docs, accuracy {accuracy:.4f}",
        )
    )

    matrix = clf.features_.transform(texts, None).weighted
    codes = np.searchsorted(clf.classes_, np.asarray(y))
    n_bytes = 12 * matrix.nnz + 8 * (n + 1)
    models = {}
    with torch_threads(args.n_jobs):
        for resident, label in ((True, "resident"), (False, "staged")):
            with timer():
                bags = Bags.from_csr(matrix, device, resident=resident)
            where = f"on {bags.storage_device}" + (", pinned" if bags.indices.is_pinned() else "")
            rows.append(
                Row(
                    f"{label}: Bags.from_csr",
                    timer.seconds,
                    rate(n_bytes / 1e9, timer.seconds, "GB/s"),
                    timer.peak_mb,
                    f"{n_bytes / 2**20:,.0f} MB {where}",
                )
            )
            with timer():
                models[label], shuffle_s = train_on(bags, codes, clf, args)
            rows.append(
                Row(
                    f"{label}: train",
                    timer.seconds,
                    rate(n * args.epochs, timer.seconds - shuffle_s, "docs x epochs/s"),
                    timer.peak_mb,
                    f"rate over the steps; shuffles {shuffle_s:.2f} s",
                )
            )
            del bags
    difference = max(
        (a - b).abs().max().item()
        for a, b in zip(
            models["resident"].state_dict().values(),
            models["staged"].state_dict().values(),
            strict=True,
        )
    )
    rows[-1].note += f"; max abs weight difference from resident {difference:.1e}"
    return rows


def megabytes(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def format_table(rows: list[Row], args: argparse.Namespace) -> str:
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    lines = [
        "## GPU training path (benchmarks/gpu.py)",
        "",
        f"- Device: {name}; host: {machine_description()}",
        f"- Versions: torch {torch.__version__}, python {sys.version.split()[0]}",
        f"- Command: `{command_line()}`",
        f"- Data: {args.n_docs:,} short synthetic documents (speed.py's), {N_CLASSES} classes",
        "",
    ]
    lines += table(
        ["step", "seconds", "throughput", "peak GPU MB", "note"],
        (
            [row.step, f"{row.seconds:.3f}", row.rate, megabytes(row.peak_mb), row.note]
            for row in rows
        ),
    )
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--n-docs", type=int, default=1_000_000, help="training documents")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--device", default="cuda", help="cuda (or cpu for a smoke run)")
    parser.add_argument(
        "--batch-size",
        type=int,
        help='documents a step (default: what batch_size="auto" gives on the device)',
    )
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1, help="CPU threads")
    args = parser.parse_args(argv)
    if args.batch_size is None:  # the estimator's "auto" rule on this device
        args.batch_size = auto_batch_size(args.n_docs, torch.device(args.device))
    if min(args.n_docs, args.epochs, args.batch_size, args.n_jobs) < 1:
        parser.error("--n-docs, --epochs, --batch-size and --n-jobs must be at least 1")
    if torch.device(args.device).type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but CUDA is not available here (try --device cpu)")
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    print(format_table(run(args), args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
