"""Speed of sktext against fastText, at matched settings, on synthetic and real text.

Usage (from the repository root)::

    python benchmarks/speed.py [--sizes 10000 100000 ...] [--kinds short long]
                               [--tasks multiclass multilabel] [--n-classes 20]
                               [--data DATA_DIR --datasets 20newsgroups ...]
                               [--epochs 5] [--repeats N] [--smoke]
                               [--output benchmarks/RESULTS.md] [--sktext-params JSON]

Synthetic data come from :func:`sktext.datasets.make_text_classification`
(seed 0): Zipf-distributed filler words plus class-specific words, ``short``
texts of 10-40 words or ``long`` ones of 200-1,000, ``multiclass`` (one of
``--n-classes`` classes a document) or ``multilabel`` (1-3 labels). Each
configuration trains on SIZE documents and tests on SIZE // 10 (at least
1,000) more from the same generator call. With no ``--sizes``, ``--kinds`` or
``--tasks`` the default run is 10k and 100k short multiclass, 100k short
multilabel and 10k long multiclass documents (about 10 minutes on 2 cores).
Otherwise every size x kind x task combination runs; sizes default to 10k
and 100k for short texts, 10k for long ones; kinds to short, tasks to
multiclass. ``--sizes 1000000`` is the GPU-scale configuration. ``--kinds``
given with no value runs no synthetic data (the real sets only).

``--data DATA_DIR`` adds the real data sets ``--datasets`` (default
20newsgroups) of DATA_DIR, in ``benchmarks/compare.py``'s format, trained on
their train split and scored on their test split.

Systems, one after another, each in its own worker process (this script
re-invoked with ``--worker``), so that peak RSS (``ru_maxrss``) is per system:

- ``sktext-default``: ``TextClassifier(random_state=0)`` with its defaults,
  plus the ``--sktext-params`` JSON dict if given;
- ``sktext-matched``: the same with fastText's settings on top: ``dim=100``,
  ``max_iter=EPOCHS``, ``n_jobs=2`` (word bigrams are sktext's default);
- ``fasttext``: ``train_supervised(dim=100, epoch=EPOCHS, lr=0.5,
  wordNgrams=2, minCount=1, thread=2, seed=0)`` on a training file shuffled
  once with seed 0 in a temporary folder (``loss="ova"`` and
  ``predict(k=-1, threshold=0.5)`` for multilabel; retried at lr 0.1 on NaN),
  as in ``benchmarks/compare.py`` (the same model wrappers, from
  ``benchmarks/_common.py``).

Reported per row: fit seconds (wall time of ``fit``; for fastText, writing
its training file included), training docs/s and tokens/s (documents and
whitespace tokens of the training texts, times the epochs actually run, over
fit seconds), predict docs/s (test documents over the wall time of
``predict`` on the whole test list), peak RSS, accuracy (multiclass) or
micro-F1 (multilabel), and the sktext/fastText ratios of fit time, predict
throughput and peak RSS. A second table splits sktext's fit time between
tokenizing, tf-idf weighting, batching (shuffling) and the training steps
(``fit_timings_``). Data generation and loading are not timed. With
``--repeats N`` every run is repeated in fresh processes: timings are
medians, peak MB the maximum, metrics from the first run.

``--smoke`` runs 500 short and 200 long documents, both tasks, 2 epochs (and
at most 500 train and test documents of each real set): a check for CI, whose
output should go elsewhere, e.g. ``--output /tmp/speed_smoke.md``.

The tables are printed and written into ``--output`` between the markers
``<!-- speed.py:begin -->`` and ``<!-- speed.py:end -->``; the rest of the
file is kept. A failed worker shows up as a row saying so and makes the exit
status 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    LENGTHS,
    MIN_TEST,
    FastTextModel,
    Model,
    Runs,
    Section,
    SktextModel,
    add_output_argument,
    check_splits,
    emit_result,
    fit_predict,
    is_multilabel,
    launch_worker,
    load_split,
    main_with_workers,
    make_parser,
    score,
    sktext_params,
    system_versions,
    table,
    table_row,
    test_size,
    versions_line,
    write_synthetic,
)

from sktext import compiled
from sktext.datasets import make_text_classification
from sktext.tokenizer import Tokenizer

SYSTEMS = ("sktext-default", "sktext-matched", "fasttext")
# fastText's settings in _common.FastTextModel, which sktext-matched copies.
FASTTEXT_DIM, THREADS = 100, 2
TASKS = ("multiclass", "multilabel")
DEFAULT_CONFIGS = [
    (10_000, "short", "multiclass"),
    (100_000, "short", "multiclass"),
    (100_000, "short", "multilabel"),
    (10_000, "long", "multiclass"),
]
DEFAULT_SIZES = {"short": [10_000, 100_000], "long": [10_000]}
SMOKE_SIZES = {"short": [500], "long": [200]}
SMOKE_EPOCHS, SMOKE_MAX_DOCS = 2, 500


@dataclass(frozen=True)
class Config:
    """One data set to train and test on: synthetic (``size``) or real (``folder``)."""

    data: str  # "short", "long" or the real data set's name
    task: str
    size: int | None = None
    folder: Path | None = None


# ------------------------------------------------------------------------- worker


def build_model(system: str, epochs: int, params: dict[str, Any], multilabel: bool) -> Model:
    if system == "fasttext":
        return FastTextModel(multilabel, epoch=epochs)
    if system == "sktext-matched":
        params = {**params, "dim": FASTTEXT_DIM, "max_iter": epochs, "n_jobs": THREADS}
    return SktextModel(params)


def settings(model: Model) -> tuple[int, dict[str, Any]]:
    """Epochs actually run and the settings that matter here, read from the
    fitted model (so the report shows what ran, not what was asked for)."""
    if isinstance(model, FastTextModel):
        ft = model.model
        names = ("dim", "epoch", "lr", "wordNgrams", "minCount", "thread")
        return ft.epoch, {**{name: getattr(ft, name) for name in names}, "loss": ft.loss.name}
    assert isinstance(model, SktextModel)
    clf = model.clf
    names = ("dim", "max_iter", "word_ngrams", "min_count", "n_jobs", "tokenizer", "pooling")
    found = {name: clf.get_params()[name] for name in names}
    found["dim"] = clf.model_.get_config()["dim"]  # "auto" resolved by the network
    found["device"] = str(next(clf.model_.parameters()).device)
    return clf.n_iter_, found


def run_worker(argv: Sequence[str]) -> None:
    """Fit and predict one system on one data set; print one JSON result line."""
    parser = argparse.ArgumentParser(prog="speed.py --worker")
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--params", type=sktext_params, default={})
    parser.add_argument("--max-docs", type=int)
    args = parser.parse_args(argv)

    build = partial(build_model, args.system, args.epochs, args.params)
    run = fit_predict(args.data_dir, args.max_docs, build)
    metrics = score(run.y_train, run.y_test, run.y_pred)
    epochs, used = settings(run.model)
    emit_result(
        run,
        tokens=sum(len(text.split()) for text in run.train_texts),
        epochs=epochs,
        settings=used,
        metric=metrics["micro-F1" if run.multilabel else "accuracy"],
        split=run.model.clf.fit_timings_ if isinstance(run.model, SktextModel) else None,
        versions=system_versions("fasttext" if args.system == "fasttext" else "sktext"),
    )


# ------------------------------------------------------------------------- driver


@dataclass
class Row(Runs):
    """One system on one configuration, over its repeats."""

    system: str
    config: Config

    @property
    def fit_split(self) -> dict[str, float]:
        return {
            name: statistics.median(result["split"][name] for result in self.results)
            for name in self.results[0]["split"]
        }


def run_config(config: Config, folder: Path, args: argparse.Namespace) -> list[Row]:
    """All systems on one configuration, one process a run."""
    max_docs = SMOKE_MAX_DOCS if args.smoke and config.size is None else None
    rows = [Row(system, config) for system in SYSTEMS]
    for row in rows:
        worker_args = [row.system, str(folder), "--epochs", str(args.epochs)]
        worker_args += ["--params", json.dumps(args.sktext_params)]
        if max_docs is not None:
            worker_args += ["--max-docs", str(max_docs)]
        row.repeat(row.system, args.repeats, partial(launch_worker, __file__, worker_args))
    return rows


def configurations(args: argparse.Namespace) -> list[Config]:
    if args.sizes is None and args.kinds is None and args.tasks is None and not args.smoke:
        combos = DEFAULT_CONFIGS
    else:
        kinds = args.kinds
        if kinds is None:
            kinds = list(LENGTHS) if args.smoke else ["short"]
        tasks = args.tasks or (list(TASKS) if args.smoke else ["multiclass"])
        by_kind = SMOKE_SIZES if args.smoke else DEFAULT_SIZES
        combos = [
            (size, kind, task)
            for kind in kinds
            for task in tasks
            for size in (args.sizes or by_kind[kind])
        ]
    configs = [Config(kind, task, size=size) for size, kind, task in combos]
    for name in args.datasets if args.data is not None else []:
        folder = args.data / name
        multilabel = is_multilabel(load_split(folder / "train.jsonl.gz", 1)[1])
        configs.append(Config(name, TASKS[multilabel], folder=folder))
    return configs


# ------------------------------------------------------------------- tokenization
TOKENIZER_THREADS = (1, 2)
TOKENIZE_REPEATS = 3


def tokenizer_texts(args: argparse.Namespace) -> tuple[str, list[str], list[str]]:
    """``(name, train, test)``: 20 Newsgroups where ``--data`` has it, else
    synthetic long texts."""
    folder = None if args.data is None else args.data / "20newsgroups"
    max_docs = SMOKE_MAX_DOCS if args.smoke else None
    if folder is not None and folder.is_dir():
        train = load_split(folder / "train.jsonl.gz", max_docs)[0]
        return "20newsgroups", train, load_split(folder / "test.jsonl.gz", max_docs)[0]
    n_train = 200 if args.smoke else 10_000
    texts, _ = make_text_classification(
        n_train + test_size(n_train), length=LENGTHS["long"], random_state=0
    )
    return "synthetic long", texts[:n_train], texts[n_train:]


def best_seconds(call: Callable[[], Any]) -> tuple[float, float]:
    """The shortest wall time of :data:`TOKENIZE_REPEATS` calls, and the
    shortest CPU time (all the process's threads) of one."""
    wall, cpu = [], []
    for _ in range(TOKENIZE_REPEATS):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(wall), min(cpu)


def tokenization_table(args: argparse.Namespace) -> list[str]:
    """MB/s of ``Tokenizer()`` (words + bigrams, vocabulary lookups) fitting
    on the train texts and transforming the test ones: the compiled path on
    1 and 2 threads, the Python path beside."""
    name, train, test = tokenizer_texts(args)
    train_mb, test_mb = (
        sum(len(t.encode("utf-8", "surrogatepass")) for t in p) / 1e6 for p in (train, test)
    )
    lines = table(
        ["data", "train / test MB", "path", "threads", "fit MB/s", "transform MB/s",
         "transform MB/s a thread", "transform MB per CPU s", "transform docs/s"],
        [],
    )  # fmt: skip
    paths = [("compiled", nullcontext(), TOKENIZER_THREADS), ("python", compiled.disabled(), (1,))]
    for path, context, threads in paths:
        if path == "compiled" and not compiled.AVAILABLE:
            lines.append(table_row([name, "-", path, "-", "not built"]))
            continue
        with context:
            for n in threads:
                tokenizer = Tokenizer()
                fit_s, _ = best_seconds(partial(tokenizer.fit_transform, train, n_jobs=n))
                transform_s, cpu_s = best_seconds(partial(tokenizer.transform, test, n_jobs=n))
                rate = test_mb / transform_s
                cells = [f"{train_mb / fit_s:.1f}", f"{rate:.1f}", f"{rate / n:.1f}"]
                cells += [f"{test_mb / cpu_s:.1f}", f"{len(test) / transform_s:,.0f}"]
                lines.append(
                    table_row([name, f"{train_mb:.1f} / {test_mb:.1f}", path, str(n), *cells])
                )
    return lines


# ------------------------------------------------------------------------- report


def ratio(value: float, peer: float | None) -> str:
    return "-" if peer is None else f"{value / peer:.2f}"


def format_rows(rows: list[Row]) -> tuple[list[str], list[str]]:
    """Lines of the main table and of the fit-split table for one configuration."""
    peer = next((row for row in rows if row.system == "fasttext" and row.results), None)
    peer_fit = peer_rate = peer_mb = None
    if peer is not None:
        peer_fit, peer_mb = peer.median("fit_s"), peer.peak_mb
        peer_rate = peer.results[0]["n_test"] / peer.median("predict_s")
    main, split = [], []
    for row in rows:
        lead = [row.config.data, row.config.task]
        if row.error is not None:
            failed = f"failed: {row.error.replace('|', '/')}"
            main.append(table_row([*lead, "-", row.system, failed]))
            continue
        first = row.results[0]
        lead += [f"{first['n_train']:,} / {first['n_test']:,}", row.system]
        fit_s = row.median("fit_s")
        rate = first["n_test"] / row.median("predict_s")
        note = f" ({first['note']})" if first["note"] else ""
        cells = [
            str(first["epochs"]),
            f"{fit_s:.2f}",
            f"{first['n_train'] * first['epochs'] / fit_s:,.0f}",
            f"{first['tokens'] * first['epochs'] / fit_s:,.0f}",
            f"{rate:,.0f}",
            f"{row.peak_mb:,.0f}",
            f"{first['metric']:.4f}{note}",
            ratio(fit_s, peer_fit),
            ratio(rate, peer_rate),
            ratio(row.peak_mb, peer_mb),
        ]
        main.append(table_row([*lead, *cells]))
        if first["split"] is not None:
            parts = row.fit_split
            parts["other"] = max(fit_s - sum(parts.values()), 0.0)
            shares = [f"{s:.2f} ({100 * s / fit_s:.0f}%)" for s in parts.values()]
            split.append(table_row([*lead, f"{fit_s:.2f}", *shares]))
    return main, split


def settings_lines(rows: list[Row]) -> list[str]:
    """What each system ran with, as read from its first fitted model."""
    lines = []
    for system in SYSTEMS:
        found = next((row.results[0] for row in rows if row.system == system and row.results), None)
        if found is not None:
            used = ", ".join(f"{name}={value!r}" for name, value in found["settings"].items())
            lines.append(f"- `{system}` ran with: {used}")
    return lines


def publish(
    section: Section, rows: list[Row], args: argparse.Namespace, tokenization: list[str]
) -> None:
    lead = ["data", "task", "train / test docs", "system"]
    main = table(
        [
            *lead,
            "epochs",
            "fit s",
            "train docs/s",
            "train tokens/s",
            "predict docs/s",
            "peak MB",
            "accuracy / micro-F1",
            "fit time / fastText",
            "predict docs/s / fastText",
            "peak MB / fastText",
        ],
        [],
    )
    split = table(
        [
            *lead,
            "fit s",
            "tokenize",
            "tf-idf weights",
            "batching (shuffle)",
            "training steps",
            "other",
        ],
        [],
    )
    for start in range(0, len(rows), len(SYSTEMS)):
        main_lines, split_lines = format_rows(rows[start : start + len(SYSTEMS)])
        main += main_lines
        split += split_lines
    notes = [
        (
            f"- Synthetic data: `make_text_classification(random_state=0)`, {args.n_classes} "
            "classes (multilabel: 1-3 labels), short = 10-40 words, long = 200-1,000; test = "
            f"train // 10 (at least {MIN_TEST:,}) more documents of the same call."
        ),
        *settings_lines(rows),
        (
            f"- Timings: median of {args.repeats} run(s), each system in its own process; peak "
            "MB = max RSS of that process (texts loaded included); training docs/s and tokens/s "
            "= train docs (whitespace tokens) x epochs / fit s. Ratios: sktext / fastText "
            "(fit time below 1 and predict rate above 1 favour sktext)."
        ),
    ]
    notes.append(
        f"- Tokenization: best of {TOKENIZE_REPEATS} calls in the driver process; MB = UTF-8 "
        "bytes of the texts; fit = learning the vocabulary and n-grams and counting the train "
        "texts, transform = counting the test texts; MB/s a thread = MB/s / threads; MB per CPU "
        "s = MB over the CPU time of all the process's threads (what a thread does while it "
        "runs, whatever else the machine runs). `compiled` is sktext._tokenize on `n_jobs` "
        "threads, `python` the Python path (`sktext.compiled.disabled()`, one thread)."
    )
    if args.smoke:
        notes.append("- Smoke run: tiny data, timings meaningless.")
    body = [
        *main,
        "",
        "Where sktext's fit time goes (`fit_timings_`; seconds and share of fit):",
        "",
        *split,
        "",
        "Tokenization alone (`Tokenizer()`'s defaults: words and word bigrams, looked up in "
        "the fitted vocabulary):",
        "",
        *tokenization,
    ]
    versions = versions_line(result["versions"] for row in rows for result in row.results)
    section.publish(body, args.output, notes, versions=versions)


# ---------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--sizes", nargs="+", type=int, help="training documents per run")
    parser.add_argument(
        "--kinds", nargs="*", choices=LENGTHS, help="short, long; none: real data only"
    )
    parser.add_argument("--tasks", nargs="+", choices=TASKS)
    parser.add_argument("--n-classes", type=int, default=20)
    parser.add_argument("--data", type=Path, help="folder of real data sets (compare.py format)")
    parser.add_argument("--datasets", nargs="+", default=["20newsgroups"])
    parser.add_argument("--epochs", type=int, help="fastText's and sktext-matched's (default 5)")
    parser.add_argument("--repeats", type=int, default=1, help="timing runs per system")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 2 epochs (for CI)")
    add_output_argument(parser, __file__)
    parser.add_argument(
        "--sktext-params",
        type=sktext_params,
        default={},
        help="JSON dict of TextClassifier parameters for both sktext systems",
    )
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = SMOKE_EPOCHS if args.smoke else 5
    if min(args.repeats, args.epochs, args.n_classes - 1, *(args.sizes or [1])) < 1:
        parser.error("--repeats, --epochs and --sizes must be at least 1, --n-classes at least 2")
    if args.data is not None:
        check_splits(parser, args.data, args.datasets)
    return args


def run_driver(argv: Sequence[str]) -> int:
    """Run every system on every configuration in its worker processes, then report."""
    args = parse_args(argv)
    section = Section(__file__, "Speed against fastText")
    rows: list[Row] = []
    for config in configurations(args):
        label = f"{config.size:,} {config.data}" if config.size is not None else config.data
        print(f"{label} {config.task}:", file=sys.stderr, flush=True)
        if config.folder is not None:
            rows += run_config(config, config.folder, args)
            continue
        assert config.size is not None
        with tempfile.TemporaryDirectory(prefix="sktext-speed-") as tmp:
            write_synthetic(
                Path(tmp),
                config.size,
                args.n_classes,
                kind=config.data,
                multilabel=config.task == "multilabel",
            )
            rows += run_config(config, Path(tmp), args)
    print("tokenization:", file=sys.stderr, flush=True)
    publish(section, rows, args, tokenization_table(args))
    return 1 if any(row.error is not None for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main_with_workers(sys.argv[1:], run_worker, run_driver))
