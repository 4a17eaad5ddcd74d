"""Train sktext, fastText and TF-IDF baselines side by side on real data sets.

Usage (from the repository root)::

    python benchmarks/compare.py DATA_DIR \
        [--datasets reuters21578_modapte 20newsgroups trec sst2 subj mpqa cr] \
        [--systems sktext fasttext tfidf_lr tfidf_svc] \
        [--seeds 0 1 2 3 4] [--folds 10] \
        [--max-docs N] [--repeats N] [--output benchmarks/RESULTS.md] \
        [--sktext-params '{"dim": 100, "max_iter": 25}']

DATA_DIR holds one folder per data set, with either ``train.jsonl.gz`` and
``test.jsonl.gz`` or a single ``all.jsonl.gz`` whose ``fold`` field (0-9)
fixes a 10-fold cross-validation (SUBJ, MPQA, CR): each fold in turn is the
test split, the nine others train. Records are gzipped JSON lines with
``text`` and either ``label`` (multiclass) or ``labels`` (multilabel); the
data are read in place.

Systems, following the benchmark protocol of the project:

- ``sktext``: ``TextClassifier(random_state=seed)`` with default parameters,
  once for each of ``--seeds`` (default 0-4): metrics are the mean over the
  seeds, and the row gives their spread (lowest and highest seed's mean).
  Each ``--sktext-params`` JSON dict (the option may be repeated) adds one
  more row, ``TextClassifier(random_state=seed, **params)``.
- ``fasttext``: ``train_supervised(dim=100, epoch=25, lr=0.5, wordNgrams=2,
  minCount=1, thread=2, seed=0)`` on a training file shuffled once with seed 0
  (``loss='ova'`` and ``predict(k=-1, threshold=0.5)`` for multilabel data). If
  training hits NaN, it is retried at lr 0.1 and the row says so; the fit time
  then includes the failed attempt. Writing the training file counts as fit.
- ``tfidf_lr`` / ``tfidf_svc``: ``TfidfVectorizer(ngram_range=(1, 2),
  sublinear_tf=True, min_df=2)`` followed by ``LogisticRegression(C=10)`` or
  ``LinearSVC(C=1)`` (one-vs-rest, liblinear for LR, on multilabel data).

Every fit (a system on one data set, fold and seed) runs in its own worker
process (this script re-invoked with ``--worker``) so that peak RSS is per
system. Fit time is the wall time of fitting, predict throughput is test
documents / wall time of predicting the whole test list (vectorizing
included); for cross-validated sets both are medians over the folds' fits.
With ``--repeats N`` each fit runs N times in fresh processes: timings are
medians, peak MB the maximum, metrics come from the first run. Cross-validated
metrics are means over the folds; ``--folds N`` runs only the first N folds.

Metrics: accuracy and macro-F1 (multiclass); micro-F1, macro-F1 and subset
accuracy (multilabel, over the union of train, test and predicted labels, so
labels never seen in training count as misses).

The tables are printed and written into ``--output`` between the markers
``<!-- compare.py:begin -->`` and ``<!-- compare.py:end -->``; the rest of the
file is kept. A summary table compares sktext's primary metric (accuracy;
micro-F1 for multilabel sets) and fit time with the best peer's.
``--max-docs N`` keeps N training and N test documents, evenly
spaced over each split (a smoke run; send its output elsewhere, e.g.
``--output /tmp/smoke.md``); it also defaults to 2 folds and one seed.
A failed worker shows up as a row saying so and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    DATA_DIR_HELP,
    FastTextModel,
    Model,
    Runs,
    Section,
    SktextModel,
    TfidfModel,
    add_max_docs_argument,
    add_output_argument,
    emit_result,
    evenly_spaced,
    fit_predict,
    fit_predict_splits,
    launch_worker,
    main_with_workers,
    make_parser,
    read_records,
    score,
    sktext_params,
    system_versions,
    table,
    versions_line,
)

DEFAULT_DATASETS = [
    "reuters21578_modapte",
    "20newsgroups",
    "trec",
    "sst2",
    "subj",
    "mpqa",
    "cr",
]
SYSTEMS = {
    "sktext": "sktext (defaults)",
    "fasttext": "fastText",
    "tfidf_lr": "TF-IDF + LR",
    "tfidf_svc": "TF-IDF + LinearSVC",
}
PEERS = ["fasttext", "tfidf_lr", "tfidf_svc"]
CV_FILE = "all.jsonl.gz"
N_FOLDS = 10


def is_cross_validated(folder: Path) -> bool:
    """Whether a data set is one file with a ``fold`` field (else train and test)."""
    return (folder / CV_FILE).is_file()


def load_fold(folder: Path, fold: int, max_docs: int | None) -> tuple[Any, Any]:
    """The (train, test) splits of ``fold``: its documents test, the others
    train, ``max_docs`` evenly spaced ones of each with ``max_docs``."""
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for record in read_records(folder / CV_FILE, None):
        (test if record["fold"] == fold else train).append(record)
    return tuple(
        (
            [record["text"] for record in part],
            [record["label"] for record in part],
        )
        for part in (evenly_spaced(train, max_docs), evenly_spaced(test, max_docs))
    )


def build_model(system: str, params: dict[str, Any], multilabel: bool) -> Model:
    """Construct a system, imports included, so that fit times exclude them."""
    if system == "sktext":
        return SktextModel(params)
    if system == "fasttext":
        return FastTextModel(multilabel)
    return TfidfModel(system.removeprefix("tfidf_"), multilabel)


def run_worker(argv: Sequence[str]) -> None:
    """Fit and predict one system on one data set (one fold of a
    cross-validated one); print one JSON result line."""
    parser = argparse.ArgumentParser(prog="compare.py --worker")
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--max-docs", type=int)
    parser.add_argument("--params", type=json.loads, default={})
    parser.add_argument("--fold", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    params = {**args.params, "random_state": args.seed} if args.system == "sktext" else {}
    build = partial(build_model, args.system, params)
    if args.fold is None:
        run = fit_predict(args.data_dir, args.max_docs, build)
    else:
        run = fit_predict_splits(*load_fold(args.data_dir, args.fold, args.max_docs), build)
    emit_result(
        run,
        task="multilabel" if run.multilabel else "multiclass",
        n_labels=len({label for labels in run.y_train for label in labels})
        if run.multilabel
        else len(set(run.y_train)),
        metrics=score(run.y_train, run.y_test, run.y_pred),
        versions=system_versions(args.system),
        fold=args.fold,
        seed=args.seed,
    )


# ------------------------------------------------------------------------- driver


@dataclass
class Row(Runs):
    """One table row: a system (with its parameters) on one data set, fitted
    once per (fold, seed) unit (fold None: the set's own train/test split)."""

    system: str
    params: dict[str, Any] | None
    units: list[tuple[int | None, int]]

    @property
    def title(self) -> str:
        if self.params is None:
            return SYSTEMS[self.system]
        return "sktext " + ", ".join(f"{key}={value!r}" for key, value in self.params.items())

    def worker_args(self, data_dir: Path, max_docs: int | None, fold: int | None, seed: int):
        args = [self.system, str(data_dir), "--seed", str(seed)]
        if fold is not None:
            args += ["--fold", str(fold)]
        if max_docs is not None:
            args += ["--max-docs", str(max_docs)]
        if self.params is not None:
            args += ["--params", json.dumps(self.params)]
        return args

    def first_results(self) -> list[dict[str, Any]]:
        """Each unit's first run: the ones metrics come from."""
        seen: set[tuple[int | None, int]] = set()
        firsts = []
        for result in self.results:
            unit = (result["fold"], result["seed"])
            if unit not in seen:
                seen.add(unit)
                firsts.append(result)
        return firsts

    def metrics(self) -> dict[str, float]:
        """Each metric's mean over the units (folds and seeds)."""
        firsts = self.first_results()
        return {
            name: statistics.fmean(result["metrics"][name] for result in firsts)
            for name in firsts[0]["metrics"]
        }

    def seed_means(self, metric: str) -> list[float]:
        """``metric``'s mean over the folds, one value a seed."""
        by_seed: dict[int, list[float]] = {}
        for result in self.first_results():
            by_seed.setdefault(result["seed"], []).append(result["metrics"][metric])
        return [statistics.fmean(values) for values in by_seed.values()]

    def throughput(self) -> float:
        return statistics.median(result["n_test"] / result["predict_s"] for result in self.results)


def primary_metric(metrics: dict[str, float]) -> str:
    return "accuracy" if "accuracy" in metrics else "micro-F1"


def format_metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.3f}" for name, value in metrics.items())


def spread(row: Row) -> str:
    """The lowest and highest seed's mean of the primary metric, if several seeds."""
    means = row.seed_means(primary_metric(row.results[0]["metrics"]))
    return f" (seeds {min(means):.3f}-{max(means):.3f})" if len(means) > 1 else ""


def row_cells(row: Row) -> list[str]:
    if row.error is not None:
        return [row.title, f"failed: {row.error.replace('|', '/')}", "", "", ""]
    notes = {result["note"] for result in row.results if result["note"]}
    title = row.title + "".join(f" ({note})" for note in sorted(notes))
    return [
        title,
        f"{row.median('fit_s'):.2f}",
        f"{row.throughput():,.0f}",
        f"{row.peak_mb:,.0f}",
        format_metrics(row.metrics()) + spread(row),
    ]


def format_table(dataset: str, rows: list[Row]) -> str:
    done = next((row.results[0] for row in rows if row.results), None)
    heading = f"### {dataset}"
    if done is not None:
        folds = {result["fold"] for row in rows for result in row.results} - {None}
        split = f", {len(folds)}-fold cross-validation" if folds else ""
        heading += (
            f" ({done['task']}, {done['n_labels']} labels in train, "
            f"{done['n_train']:,} train / {done['n_test']:,} test documents{split})"
        )
    columns = ["system", "fit s", "predict docs/s", "peak MB", "metrics"]
    return "\n".join([heading, "", *table(columns, map(row_cells, rows))])


def summary_cells(dataset: str, rows: list[Row]) -> list[str] | None:
    """One summary line: sktext's defaults against the best peer, or None
    when a system of the comparison is missing or failed."""
    by_system = {row.system: row for row in rows if row.params is None}
    if any(
        system not in by_system or by_system[system].error is not None
        for system in ["sktext", *PEERS]
    ):
        return None
    ours = by_system["sktext"]
    metric = primary_metric(ours.metrics())
    peers = {system: by_system[system].metrics()[metric] for system in PEERS}
    best = max(peers.values())
    value = ours.metrics()[metric]
    return [
        dataset,
        metric,
        f"{value:.3f}{spread(ours)}",
        *(
            f"**{peers[system]:.3f}**" if peers[system] == best else f"{peers[system]:.3f}"
            for system in PEERS
        ),
        f"{value - best:+.3f}",
        f"{ours.median('fit_s'):.2f} / {by_system['fasttext'].median('fit_s'):.2f}",
    ]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS)
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    add_max_docs_argument(parser, "keep N evenly spaced train and test documents")
    parser.add_argument("--repeats", type=int, default=1, help="timing runs per fit")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="sktext's random_state values (default 0-4; 0 with --max-docs)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        help="cross-validation folds run, the first N (default 10; 2 with --max-docs)",
    )
    add_output_argument(parser, __file__)
    parser.add_argument(
        "--sktext-params",
        type=sktext_params,
        action="append",
        default=[],
        help="JSON dict of TextClassifier parameters: one extra sktext row (repeatable)",
    )
    args = parser.parse_args(argv)
    smoke = args.max_docs is not None
    args.seeds = args.seeds or ([0] if smoke else list(range(5)))
    args.folds = args.folds or (2 if smoke else N_FOLDS)
    if args.repeats < 1 or (smoke and args.max_docs < 1) or not 1 <= args.folds <= N_FOLDS:
        parser.error(f"--repeats and --max-docs must be at least 1, --folds in 1-{N_FOLDS}")
    for dataset in args.datasets:
        folder = args.data_dir / dataset
        splits = [folder / "train.jsonl.gz", folder / "test.jsonl.gz"]
        if not is_cross_validated(folder) and not all(path.is_file() for path in splits):
            parser.error(f"{folder} has neither {CV_FILE} nor train.jsonl.gz and test.jsonl.gz")
    return args


def run_driver(argv: Sequence[str]) -> int:
    """Run every (system, data set, fold, seed) fit in its worker processes, then report."""
    args = parse_args(argv)
    section = Section(__file__, "Side-by-side comparison")
    runs = [(system, None) for system in args.systems]
    runs += [("sktext", params) for params in args.sktext_params]
    tables: list[str] = []
    summary: list[list[str]] = []
    all_rows: list[Row] = []
    for dataset in args.datasets:
        print(f"{dataset}:", file=sys.stderr, flush=True)
        folder = args.data_dir / dataset
        folds = list(range(args.folds)) if is_cross_validated(folder) else [None]
        rows = [
            Row(
                system,
                params,
                [
                    (fold, seed)
                    for fold in folds
                    for seed in (args.seeds if system == "sktext" else [0])
                ],
            )
            for system, params in runs
        ]
        for row in rows:
            for fold, seed in row.units:
                worker_args = row.worker_args(folder, args.max_docs, fold, seed)
                label = (
                    f"{row.title} fold {fold} seed {seed}"
                    if fold is not None
                    else f"{row.title} seed {seed}"
                )
                row.repeat(label, args.repeats, partial(launch_worker, __file__, worker_args))
                if row.error is not None:
                    break
        tables.append(format_table(dataset, rows))
        cells = summary_cells(dataset, rows)
        if cells is not None:
            summary.append(cells)
        all_rows += rows
    body = []
    if summary:
        columns = [
            "set",
            "metric",
            "sktext (defaults)",
            *(SYSTEMS[system] for system in PEERS),
            "sktext - best",
            "fit s: sktext / fastText",
        ]
        body += ["### Summary", "", *table(columns, summary), ""]
    section.publish(
        [*body, "\n\n".join(tables)],
        args.output,
        [
            f"- Timings: median of {args.repeats} run(s) of each fit (and over the folds), "
            "each system in its own process; peak MB = max RSS of those processes; metrics "
            "on the test split, or the mean over the folds' test parts.",
            f"- sktext: the mean over random_state {', '.join(map(str, args.seeds))}; "
            f"peers with their own seed 0. Cross-validated sets: folds 0-{args.folds - 1}.",
        ],
        versions=versions_line(result["versions"] for row in all_rows for result in row.results),
        max_docs=args.max_docs,
    )
    return 1 if any(row.error is not None for row in all_rows) else 0


if __name__ == "__main__":
    sys.exit(main_with_workers(sys.argv[1:], run_worker, run_driver))
