"""A grid search on 20 Newsgroups, with the compiled tokenizer and training steps and without.

Usage (from the repository root)::

    python benchmarks/grid_search.py DATA_DIR [--dataset 20newsgroups]
                                     [--variants after before] [--max-docs N]
                                     [--output benchmarks/RESULTS.md]

Runs ``GridSearchCV(TextClassifier(random_state=0), {"dim": [25, 50, 100],
"learning_rate": ["auto", 4.0]}, cv=3)`` (6 candidates x 3 folds, then the
refit of the best on the whole train split) on DATA_DIR/DATASET's train split,
in compare.py's format, and scores the refitted best model on the test split.
Variants, each in its own worker process (this script re-invoked with
``--worker``):

- ``after``: as sktext runs by default;
- ``before``: inside :func:`sktext.compiled.disabled`, the Python paths that
  the compiled code replaced (the tokenizer's and torch's training steps).

Both variants fit the same models (features bit for bit, the training steps
up to float32 rounding), hence the same scores: the table shows
the wall time of ``search.fit``, the mean fit and score time of a candidate on
a fold (``cv_results_``), the best candidate and its mean cross-validated
accuracy, the refitted model's test accuracy and the worker's peak RSS.

``--max-docs N`` keeps N training and N test documents, evenly spaced over
each split: a smoke run (for CI, a few seconds), whose output should go
elsewhere, e.g. ``--output /tmp/grid_smoke.md``. The section is written between
``<!-- grid_search.py:begin -->`` and ``<!-- grid_search.py:end -->``; a failed
worker shows up as a row saying so and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from _common import (
    RESULT_PREFIX,
    Runs,
    Section,
    add_max_docs_argument,
    add_output_argument,
    check_splits,
    launch_worker,
    load_split,
    main_with_workers,
    make_parser,
    peak_rss_mb,
    sktext_versions,
    table,
    table_row,
    timed,
)
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV

from sktext import TextClassifier, compiled

VARIANTS = ("after", "before")
GRID = {"dim": [25, 50, 100], "learning_rate": ["auto", 4.0]}
FOLDS = 3


def run_worker(argv: Sequence[str]) -> None:
    """One variant's grid search; prints one JSON result line."""
    parser = argparse.ArgumentParser(prog="grid_search.py --worker")
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("folder", type=Path)
    add_max_docs_argument(parser)
    args = parser.parse_args(argv)
    train_texts, y_train = load_split(args.folder / "train.jsonl.gz", args.max_docs)
    test_texts, y_test = load_split(args.folder / "test.jsonl.gz", args.max_docs)
    search = GridSearchCV(TextClassifier(random_state=0), GRID, cv=FOLDS)
    with compiled.disabled() if args.variant == "before" else nullcontext():
        _, search_s = timed(search.fit, train_texts, y_train)
        y_pred = search.predict(test_texts)
    results = search.cv_results_
    result = {
        "n_train": len(train_texts),
        "n_test": len(test_texts),
        "search_s": search_s,
        "fit_s": float(results["mean_fit_time"].mean()),
        "score_s": float(results["mean_score_time"].mean()),
        "best_params": search.best_params_,
        "best_score": float(search.best_score_),
        "test_accuracy": float(accuracy_score(y_test, y_pred)),
        "peak_mb": peak_rss_mb(),
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def rows(runs: dict[str, Runs]) -> list[str]:
    lines = []
    after = runs.get("after")
    for variant, run in runs.items():
        if run.error is not None:
            lines.append(table_row([variant, f"failed: {run.error.replace('|', '/')}"]))
            continue
        found = run.results[0]
        speedup = "-"
        if after is not None and after.results and variant != "after":
            speedup = f"{found['search_s'] / after.results[0]['search_s']:.2f}"
        best = ", ".join(f"{name}={value!r}" for name, value in found["best_params"].items())
        cells = [
            variant,
            f"{found['n_train']:,} / {found['n_test']:,}",
            f"{found['search_s']:.1f}",
            speedup,
            f"{found['fit_s']:.2f}",
            f"{found['score_s']:.2f}",
            best,
            f"{found['best_score']:.4f}",
            f"{found['test_accuracy']:.4f}",
            f"{found['peak_mb']:,.0f}",
        ]
        lines.append(table_row(cells))
    return lines


def run_driver(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, "folder with one sub-folder per data set")
    parser.add_argument("--dataset", default="20newsgroups")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    add_max_docs_argument(parser)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    check_splits(parser, args.data_dir, [args.dataset])
    section = Section(__file__, f"Grid search on {args.dataset}")
    folder = args.data_dir / args.dataset
    runs: dict[str, Runs] = {}
    for variant in args.variants:
        worker_args = [variant, str(folder)]
        if args.max_docs is not None:
            worker_args += ["--max-docs", str(args.max_docs)]
        runs[variant] = Runs()
        runs[variant].repeat(variant, 1, lambda a=worker_args: launch_worker(__file__, a))
    columns = [
        "variant", "train / test docs", "search s", "search s / after", "fit s a fold",
        "score s a fold", "best candidate", "best CV accuracy", "test accuracy", "peak MB",
    ]  # fmt: skip
    notes = [
        f"- `GridSearchCV(TextClassifier(random_state=0), {GRID}, cv={FOLDS})`: "
        f"{len(GRID['dim']) * len(GRID['learning_rate'])} candidates x {FOLDS} folds, then the "
        "refit of the best on the whole train split; search s = wall time of `search.fit`; "
        "fit s and score s a fold = means of `cv_results_`'s mean_fit_time and mean_score_time.",
        "- `after`: sktext as it runs by default; `before`: inside "
        "`sktext.compiled.disabled()` (the Python paths). Each in its own process, one after "
        "the other; peak MB = that process's max RSS.",
    ]
    section.publish(
        table(columns, []) + rows(runs),
        args.output,
        notes,
        versions=sktext_versions(),
        max_docs=args.max_docs,
    )
    return 1 if any(run.error is not None for run in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main_with_workers(sys.argv[1:], run_worker, run_driver))
