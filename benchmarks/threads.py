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

import os
import sys
from collections.abc import Sequence

from _common import Section, add_output_argument, make_parser, table, timed
from sklearn.model_selection import GridSearchCV

from sktext import TextClassifier
from sktext.datasets import make_text_classification


def search_seconds(texts: list[str], labels, search_jobs: int, fit_jobs: int | None) -> float:
    search = GridSearchCV(
        TextClassifier(random_state=0, n_jobs=fit_jobs),
        {"dim": [25, 50]},
        cv=3,
        n_jobs=search_jobs,
    )
    return timed(search.fit, texts, labels)[1]


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__)
    parser.add_argument("--n-docs", type=int, default=30_000)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Threads: a 2-candidate x 3-fold grid search")
    section.machine += f", {os.cpu_count()} logical CPUs"
    texts, labels = make_text_classification(args.n_docs, 20, random_state=0)
    runs = [
        ("GridSearchCV(n_jobs=1), TextClassifier(n_jobs=None: 1 thread)", 1, None),
        ("GridSearchCV(n_jobs=2), TextClassifier(n_jobs=None: 1 thread)", 2, None),
        ("GridSearchCV(n_jobs=2), TextClassifier(n_jobs=-1: all cores each)", 2, -1),
    ]
    rows = [
        (name, f"{search_seconds(texts, labels, jobs, fit_jobs):.1f}")
        for name, jobs, fit_jobs in runs
    ]
    section.publish(
        table(["configuration", "wall s"], rows),
        args.output,
        [f"- Data: {args.n_docs:,} short synthetic documents, 20 classes"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
