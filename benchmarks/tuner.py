"""TextClassifierCV at a time budget against TextClassifier's defaults, on the shared sets.

Usage (from the repository root)::

    python benchmarks/tuner.py DATA_DIR [--datasets NAME ...] [--budget 60] \
        [--folds 10] [--max-docs N] [--lock /tmp/sktext-timing.lock] \
        [--output benchmarks/RESULTS.md]

For each data set: ``TextClassifier(random_state=0)`` and
``TextClassifierCV(TextClassifier(random_state=0), time_budget=BUDGET,
random_state=0)`` (its defaults: the built-in space, 3 inner folds, the
estimator's score; where the defaults win, it refits exactly the default
model) are fitted on the
training data and scored on the test data: accuracy, micro-F1 for Reuters.
SUBJ, MPQA and CR have no test split: the protocol is 10-fold
cross-validation on their ``fold`` field; ``--folds K`` runs the first K of
those folds (test on fold 0, ..., K - 1, train on the nine others) and
reports the mean. The tuner never sees the test documents.

The tuner's budget is in seconds, so its result depends on the machine's
load: ``--lock PATH`` takes an exclusive ``flock`` on PATH around each data
set's measurement (both fits), so that other timed runs holding the same lock
do not overlap it. Rerun the same command after a change of the defaults:
both columns move with them. ``--work E`` replaces the time budget by a work budget of E
epochs' worth of the training documents (``work_budget=E * n_train``):
the search is then the same at any load, only its fit time varies.
``--max-docs N`` keeps N evenly spaced training and test documents (a smoke
run; send its output elsewhere).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import (
    DATA_DIR_HELP,
    Section,
    add_max_docs_argument,
    add_output_argument,
    evenly_spaced,
    is_multilabel,
    load_split,
    make_parser,
    read_records,
    score,
    sktext_versions,
    table,
)

FOLD_SETS = ["subj", "mpqa", "cr"]
# Quick ones first: an interrupted run has published most sets.
DEFAULT_ORDER = ["trec", "sst2", "cr", "subj", "mpqa", "reuters21578_modapte", "20newsgroups"]
N_FOLDS = 10


@contextlib.contextmanager
def locked(path: Path | None) -> Iterator[None]:
    """An exclusive flock on ``path`` for the block (nothing if None)."""
    if path is None:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def splits(data_dir: Path, name: str, n_folds: int, max_docs: int | None) -> Iterator[tuple]:
    """(train texts, train labels, test texts, test labels) of each evaluation."""
    folder = data_dir / name
    if name not in FOLD_SETS:
        yield (
            *load_split(folder / "train.jsonl.gz", max_docs),
            *load_split(folder / "test.jsonl.gz", max_docs),
        )
        return
    records = read_records(folder / "all.jsonl.gz", None)
    for fold in range(n_folds):
        train = [r for r in records if r["fold"] != fold]
        test = [r for r in records if r["fold"] == fold]
        train, test = evenly_spaced(train, max_docs), evenly_spaced(test, max_docs)
        yield (
            [r["text"] for r in train],
            [r["label"] for r in train],
            [r["text"] for r in test],
            [r["label"] for r in test],
        )


def primary(y_train: Any, y_test: Any, y_pred: Any) -> float:
    """The protocol's metric: accuracy, or micro-F1 for multilabel data."""
    metrics = score(y_train, y_test, y_pred)
    return metrics["micro-F1" if is_multilabel(y_test) else "accuracy"]


def measure(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Both systems on every evaluation of one data set."""
    from sktext import TextClassifier, TextClassifierCV

    runs = []
    for X, y, X_test, y_test in splits(args.data_dir, name, args.folds, args.max_docs):
        started = time.perf_counter()
        default = TextClassifier(random_state=0).fit(X, y)
        default_seconds = time.perf_counter() - started
        started = time.perf_counter()
        budget = {"time_budget": args.budget}
        if args.work is not None:  # documents x epochs, per training document
            budget = {"work_budget": int(args.work * len(X))}
        search = TextClassifierCV(TextClassifier(random_state=0), random_state=0, **budget)
        tuned = search.fit(X, y)
        tuned_seconds = time.perf_counter() - started
        runs.append(
            {
                "default": primary(y, y_test, default.predict(X_test)),
                "tuned": primary(y, y_test, tuned.predict(X_test)),
                "default_s": default_seconds,
                "tuned_s": tuned_seconds,
                "candidates": tuned.n_candidates_,
                "resources": tuned.n_resources_,
                "best": tuned.best_params_,
            }
        )
    return {"name": name, "multilabel": is_multilabel(y_test), "runs": runs}


def compact(params: dict[str, Any]) -> str:
    """The parameters that differ from TextClassifier's defaults."""
    from sktext import TextClassifier

    defaults = TextClassifier().get_params()
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()) if v != defaults[k])


def row(result: dict[str, Any]) -> list[object]:
    runs = result["runs"]
    default = statistics.mean(r["default"] for r in runs)
    tuned = statistics.mean(r["tuned"] for r in runs)
    rounds = " / ".join(
        f"{c} x {n}" for c, n in zip(runs[0]["candidates"], runs[0]["resources"], strict=True)
    )
    return [
        result["name"] + (f" ({len(runs)} folds)" if len(runs) > 1 else ""),
        "micro-F1" if result["multilabel"] else "accuracy",
        f"{default:.4f}",
        f"{tuned:.4f}",
        f"{tuned - default:+.4f}",
        f"{statistics.mean(r['default_s'] for r in runs):.1f}",
        f"{statistics.mean(r['tuned_s'] for r in runs):.1f}",
        rounds,
        compact(runs[0]["best"]) or "the defaults",
    ]


def main() -> None:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_ORDER)
    parser.add_argument("--budget", type=float, default=60.0, help="time_budget, seconds")
    parser.add_argument(
        "--work",
        type=float,
        help="a work budget instead: this many epochs' worth of the training documents",
    )
    parser.add_argument("--folds", type=int, default=N_FOLDS, help="folds run of SUBJ/MPQA/CR")
    parser.add_argument("--lock", type=Path, help="flock this file around each data set")
    add_max_docs_argument(parser)
    add_output_argument(parser, __file__)
    args = parser.parse_args()
    if not 1 <= args.folds <= N_FOLDS:
        parser.error(f"--folds must be between 1 and {N_FOLDS}")
    budget = f"{args.budget:g} s" if args.work is None else f"a work budget of {args.work:g} epochs"
    section = Section(__file__, f"TextClassifierCV at {budget} against the defaults")
    notes = [
        "- Tuner: `TextClassifierCV(TextClassifier(random_state=0), "
        + (
            f"time_budget={args.budget:g}"
            if args.work is None
            else f"work_budget={args.work:g} * n_train_documents"
        )
        + ", random_state=0)`, its "
        "defaults (built-in space, 3 inner folds, the estimator's score), fitted on the "
        "training data only; default: `TextClassifier(random_state=0)`. One run each.",
        f"- SUBJ, MPQA, CR: folds 0-{args.folds - 1} of the 10 of the `fold` field "
        "(test on one, train on the nine others), mean; the protocol's 10 folds cost "
        "10 budgets each.",
        "- Rounds: candidates x training documents a fold, each round (the first "
        "evaluation's); best: its parameters that differ from the defaults.",
    ]
    results = []
    for name in args.datasets:
        with locked(args.lock):
            results.append(measure(name, args))
        # After each data set: an interrupted run keeps what it measured.
        section.publish(
            table(HEADER, [row(r) for r in results]),
            args.output,
            notes,
            versions=sktext_versions(),
            max_docs=args.max_docs,
        )


HEADER = [
    "data set",
    "metric",
    "default",
    "tuned",
    "gain",
    "default fit s",
    "tuned fit s",
    "rounds",
    "best parameters",
]

if __name__ == "__main__":
    main()
