"""Peak memory of predicting many short documents with one fitted model.

Usage (from the repository root)::

    python benchmarks/memory.py [--n-predict 1000000] [--n-train 100000]
                                [--output benchmarks/RESULTS.md]

Generates short synthetic documents (10-40 words, 20 classes), fits the default
``TextClassifier`` on ``--n-train`` of them, then predicts ``--n-predict``
others in one call. ``predict`` tokenizes and scores texts in chunks, so its
memory should not grow with the number of documents beyond the texts and the
answers themselves. Reported: peak RSS of the process (``ru_maxrss``) after
fitting and after predicting, the RSS of the texts alone, and throughput.
Writes a section between ``<!-- memory.py:begin -->`` and ``<!-- memory.py:end -->``.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from compare import machine_description, write_section

from sktext import TextClassifier
from sktext.datasets import make_text_classification

BEGIN = "<!-- memory.py:begin -->"
END = "<!-- memory.py:end -->"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-predict", type=int, default=1_000_000)
    parser.add_argument("--n-train", type=int, default=100_000)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)

    baseline = peak_mb()
    texts, labels = make_text_classification(args.n_train + args.n_predict, 20, random_state=0)
    train_texts, train_labels = texts[: args.n_train], labels[: args.n_train]
    test_texts, test_labels = texts[args.n_train :], labels[args.n_train :]
    with_texts = peak_mb()

    clf = TextClassifier(random_state=0).fit(train_texts, train_labels)
    after_fit = peak_mb()
    started = time.perf_counter()
    predicted = clf.predict(test_texts)
    seconds = time.perf_counter() - started
    after_predict = peak_mb()
    accuracy = float((predicted == test_labels).mean())

    command = "python benchmarks/memory.py " + " ".join(argv)
    lines = [
        "## Memory: predicting many short documents (benchmarks/memory.py)",
        "",
        f"- Machine: {machine_description()}",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Command: `{command.strip()}`",
        "",
        "| measure | value |",
        "|---|---|",
        f"| documents predicted in one call | {args.n_predict:,} |",
        f"| peak RSS after imports | {baseline:,.0f} MB |",
        f"| peak RSS with all texts generated | {with_texts:,.0f} MB |",
        f"| peak RSS after fit ({args.n_train:,} docs) | {after_fit:,.0f} MB |",
        f"| peak RSS after predict | {after_predict:,.0f} MB |",
        f"| predict growth over fit | {after_predict - after_fit:,.0f} MB |",
        f"| predict throughput | {args.n_predict / seconds:,.0f} docs/s |",
        f"| accuracy | {accuracy:.3f} |",
    ]
    section = "\n".join(lines)
    print(section)
    write_section(args.output, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
