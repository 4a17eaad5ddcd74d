"""Train sktext, fastText and TF-IDF baselines side by side on real data sets.

Usage (from the repository root)::

    python benchmarks/compare.py DATA_DIR \
        [--datasets reuters21578_modapte 20newsgroups trec sst2] \
        [--systems sktext fasttext tfidf_lr tfidf_svc] \
        [--max-docs N] [--repeats N] [--output benchmarks/RESULTS.md] \
        [--sktext-params '{"dim": 100, "max_iter": 25}']

DATA_DIR holds one folder per data set with ``train.jsonl.gz`` and
``test.jsonl.gz`` (gzipped JSON lines with ``text`` and either ``label`` for
multiclass or ``labels`` for multilabel data); the data are read in place.

Systems, following the benchmark protocol of the project:

- ``sktext``: ``TextClassifier(random_state=0)`` with default parameters. Each
  ``--sktext-params`` JSON dict (the option may be repeated) adds one more row,
  ``TextClassifier(random_state=0, **params)``.
- ``fasttext``: ``train_supervised(dim=100, epoch=25, lr=0.5, wordNgrams=2,
  minCount=1, thread=2, seed=0)`` on a training file shuffled once with seed 0
  (``loss='ova'`` and ``predict(k=-1, threshold=0.5)`` for multilabel data). If
  training hits NaN, it is retried at lr 0.1 and the row says so; the fit time
  then includes the failed attempt. Writing the training file counts as fit.
- ``tfidf_lr`` / ``tfidf_svc``: ``TfidfVectorizer(ngram_range=(1, 2),
  sublinear_tf=True, min_df=2)`` followed by ``LogisticRegression(C=10)`` or
  ``LinearSVC(C=1)`` (one-vs-rest, liblinear for LR, on multilabel data).

Every (system, data set) pair runs in its own worker process (this script
re-invoked with ``--worker``) so that peak RSS is per system. Fit time is the
wall time of fitting, predict throughput is test documents / wall time of
predicting the whole test list (vectorizing included). With ``--repeats N``
each pair runs N times in fresh processes: timings are medians, peak MB the
maximum, metrics come from the first run.

Metrics: accuracy and macro-F1 (multiclass); micro-F1, macro-F1 and subset
accuracy (multilabel, over the union of train, test and predicted labels, so
labels never seen in training count as misses).

The tables are printed and written into ``--output`` between the markers
``<!-- compare.py:begin -->`` and ``<!-- compare.py:end -->``; the rest of the
file is kept. ``--max-docs N`` keeps N training and N test documents, evenly
spaced over each split (a smoke run; send its output elsewhere, e.g.
``--output /tmp/smoke.md``).
A failed worker shows up as a row saying so and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
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
    check_splits,
    emit_result,
    fit_predict,
    launch_worker,
    main_with_workers,
    make_parser,
    score,
    sktext_params,
    system_versions,
    table,
    versions_line,
)

DEFAULT_DATASETS = ["reuters21578_modapte", "20newsgroups", "trec", "sst2"]
SYSTEMS = {
    "sktext": "sktext (defaults)",
    "fasttext": "fastText",
    "tfidf_lr": "TF-IDF + LR",
    "tfidf_svc": "TF-IDF + LinearSVC",
}


def build_model(system: str, params: dict[str, Any], multilabel: bool) -> Model:
    """Construct a system, imports included, so that fit times exclude them."""
    if system == "sktext":
        return SktextModel(params)
    if system == "fasttext":
        return FastTextModel(multilabel)
    return TfidfModel(system.removeprefix("tfidf_"), multilabel)


def run_worker(argv: Sequence[str]) -> None:
    """Fit and predict one system on one data set; print one JSON result line."""
    parser = argparse.ArgumentParser(prog="compare.py --worker")
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--max-docs", type=int)
    parser.add_argument("--params", type=json.loads, default={})
    args = parser.parse_args(argv)

    run = fit_predict(args.data_dir, args.max_docs, partial(build_model, args.system, args.params))
    emit_result(
        run,
        task="multilabel" if run.multilabel else "multiclass",
        n_labels=len({label for labels in run.y_train for label in labels})
        if run.multilabel
        else len(set(run.y_train)),
        metrics=score(run.y_train, run.y_test, run.y_pred),
        versions=system_versions(args.system),
    )


# ------------------------------------------------------------------------- driver


@dataclass
class Row(Runs):
    """One table row: a system (with its parameters) on one data set."""

    system: str
    params: dict[str, Any] | None

    @property
    def title(self) -> str:
        if self.params is None:
            return SYSTEMS[self.system]
        return "sktext " + ", ".join(f"{key}={value!r}" for key, value in self.params.items())

    def worker_args(self, data_dir: Path, max_docs: int | None) -> list[str]:
        args = [self.system, str(data_dir)]
        if max_docs is not None:
            args += ["--max-docs", str(max_docs)]
        if self.params is not None:
            args += ["--params", json.dumps(self.params)]
        return args


def format_metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.3f}" for name, value in metrics.items())


def row_cells(row: Row) -> list[str]:
    if row.error is not None:
        return [row.title, f"failed: {row.error.replace('|', '/')}", "", "", ""]
    first = row.results[0]
    title = row.title + (f" ({first['note']})" if first["note"] else "")
    return [
        title,
        f"{row.median('fit_s'):.2f}",
        f"{first['n_test'] / row.median('predict_s'):,.0f}",
        f"{row.peak_mb:,.0f}",
        format_metrics(first["metrics"]),
    ]


def format_table(dataset: str, rows: list[Row]) -> str:
    done = next((row.results[0] for row in rows if row.results), None)
    heading = f"### {dataset}"
    if done is not None:
        heading += (
            f" ({done['task']}, {done['n_labels']} labels in train, "
            f"{done['n_train']:,} train / {done['n_test']:,} test documents)"
        )
    columns = ["system", "fit s", "predict docs/s", "peak MB", "metrics"]
    return "\n".join([heading, "", *table(columns, map(row_cells, rows))])


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS)
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    add_max_docs_argument(parser, "keep N evenly spaced train and test documents")
    parser.add_argument("--repeats", type=int, default=1, help="timing runs per system")
    add_output_argument(parser, __file__)
    parser.add_argument(
        "--sktext-params",
        type=sktext_params,
        action="append",
        default=[],
        help="JSON dict of TextClassifier parameters: one extra sktext row (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or (args.max_docs is not None and args.max_docs < 1):
        parser.error("--repeats and --max-docs must be at least 1")
    check_splits(parser, args.data_dir, args.datasets)
    return args


def run_driver(argv: Sequence[str]) -> int:
    """Run every (system, data set) pair in its worker processes, then report."""
    args = parse_args(argv)
    section = Section(__file__, "Side-by-side comparison")
    runs = [(system, None) for system in args.systems]
    runs += [("sktext", params) for params in args.sktext_params]
    tables: list[str] = []
    all_rows: list[Row] = []
    for dataset in args.datasets:
        print(f"{dataset}:", file=sys.stderr, flush=True)
        rows = [Row(system, params) for system, params in runs]
        for row in rows:
            worker_args = row.worker_args(args.data_dir / dataset, args.max_docs)
            row.repeat(row.title, args.repeats, partial(launch_worker, __file__, worker_args))
        tables.append(format_table(dataset, rows))
        all_rows += rows
    section.publish(
        ["\n\n".join(tables)],
        args.output,
        [
            f"- Timings: median of {args.repeats} run(s), each system in its own process; "
            "peak MB = max RSS of that process; metrics on the test split."
        ],
        versions=versions_line(result["versions"] for row in all_rows for result in row.results),
        max_docs=args.max_docs,
    )
    return 1 if any(row.error is not None for row in all_rows) else 0


if __name__ == "__main__":
    sys.exit(main_with_workers(sys.argv[1:], run_worker, run_driver))
