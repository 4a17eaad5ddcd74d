"""Grid search wall time with n_jobs=1 and n_jobs=2: does sktext oversubscribe?

Usage (from the repository root)::

    python benchmarks/threads.py [--n-docs 30000] [--output benchmarks/RESULTS.md]

Runs ``GridSearchCV(TextClassifier(random_state=0), {"dim": [25, 50]}, cv=3)``
(2 candidates x 3 folds) on short synthetic documents, once with
``n_jobs=1`` and once with ``n_jobs=2``, and, for contrast, once more with
``n_jobs=2`` while each fit asks torch for every core (``n_jobs=-1`` on the
estimator, so two processes each run two threads on a 2-core machine).
Writes a section between ``<!-- threads.py:begin -->`` and
``<!-- threads.py:end -->``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from compare import machine_description, write_section
from sklearn.model_selection import GridSearchCV

from sktext import TextClassifier
from sktext.datasets import make_text_classification

BEGIN = "<!-- threads.py:begin -->"
END = "<!-- threads.py:end -->"


def search_seconds(texts: list[str], labels, search_jobs: int, fit_jobs: int | None) -> float:
    search = GridSearchCV(
        TextClassifier(random_state=0, n_jobs=fit_jobs),
        {"dim": [25, 50]},
        cv=3,
        n_jobs=search_jobs,
    )
    started = time.perf_counter()
    search.fit(texts, labels)
    return time.perf_counter() - started


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-docs", type=int, default=30_000)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    texts, labels = make_text_classification(args.n_docs, 20, random_state=0)
    runs = [
        ("GridSearchCV(n_jobs=1), TextClassifier(n_jobs=None: 1 thread)", 1, None),
        ("GridSearchCV(n_jobs=2), TextClassifier(n_jobs=None: 1 thread)", 2, None),
        ("GridSearchCV(n_jobs=2), TextClassifier(n_jobs=-1: all cores each)", 2, -1),
    ]
    rows = [(name, search_seconds(texts, labels, jobs, fit_jobs)) for name, jobs, fit_jobs in runs]
    command = "python benchmarks/threads.py " + " ".join(argv)
    lines = [
        "## Threads: a 2-candidate x 3-fold grid search (benchmarks/threads.py)",
        "",
        f"- Machine: {machine_description()}, {os.cpu_count()} logical CPUs",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Data: {args.n_docs:,} short synthetic documents, 20 classes",
        f"- Command: `{command.strip()}`",
        "",
        "| configuration | wall s |",
        "|---|---|",
        *[f"| {name} | {seconds:.1f} |" for name, seconds in rows],
    ]
    section = "\n".join(lines)
    print(section)
    write_section(args.output, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
