"""Speed of sktext against fastText on synthetic text, at matched settings.

Usage (from the repository root)::

    python benchmarks/speed.py [--configs 100000:short:multiclass ...] [--epochs 5]
                               [--repeats N] [--smoke] [--output benchmarks/RESULTS.md]
                               [--sktext-params JSON]

Each configuration ``SIZE:KIND:TASK`` generates ``SIZE`` training documents
and ``SIZE // 10`` (at least 1,000) test documents with
:func:`sktext.datasets.make_text_classification` (seed 0, 20 classes):
``short`` texts have 10-40 words, ``long`` ones 200-1,000; ``multiclass``
gives one class a document, ``multilabel`` 1-3 labels. Three systems run one
after another, each in its own process (peak RSS is that process's):

- ``sktext``: ``TextClassifier(random_state=0)`` with its defaults
  (plus ``--sktext-params``);
- ``sktext matched``: the same with fastText's settings: ``dim=100``,
  ``max_iter=EPOCHS``, ``n_jobs=2``;
- ``fastText``: ``train_supervised(dim=100, epoch=EPOCHS, lr=0.5,
  wordNgrams=2, minCount=1, thread=2, seed=0)`` (``loss="ova"`` and a 0.5
  threshold for multilabel), on a training file shuffled once.

Reported per row: fit seconds, training docs/s and tokens/s (documents and
whitespace tokens times epochs over fit seconds), predict docs/s, peak RSS,
accuracy or micro-F1, the ratios to fastText, and for sktext how its fit
time splits between tokenizing, weighting, shuffling batches and training
steps (``fit_timings_``). Data generation is not timed. The tables go between
``<!-- speed.py:begin -->`` and ``<!-- speed.py:end -->`` in ``--output``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compare import (
    REPO_ROOT,
    FastTextModel,
    SktextModel,
    machine_description,
    score,
    write_section,
)

BEGIN = "<!-- speed.py:begin -->"
END = "<!-- speed.py:end -->"
RESULT = "SPEED_RESULT "
LENGTHS = {"short": (10, 40), "long": (200, 1000)}
DEFAULT_CONFIGS = [
    "10000:short:multiclass",
    "100000:short:multiclass",
    "100000:short:multilabel",
    "10000:long:multiclass",
]
SMOKE_CONFIGS = ["500:short:multiclass", "500:short:multilabel", "200:long:multiclass"]


def generate(size: int, kind: str, task: str):
    sys.path.insert(0, str(REPO_ROOT))
    from sktext.datasets import make_text_classification

    n_test = max(size // 10, 1000)
    texts, y = make_text_classification(
        size + n_test, 20, multilabel=task == "multilabel", length=LENGTHS[kind], random_state=0
    )
    return texts[:size], list(y[:size]), texts[size:], list(y[size:])


def run_worker(argv: Sequence[str]) -> None:
    """Fit and predict one system on one configuration; print one JSON line."""
    system, config, epochs, params = argv[0], argv[1], int(argv[2]), json.loads(argv[3])
    size, kind, task = config.split(":")
    X_train, y_train, X_test, y_test = generate(int(size), kind, task)
    multilabel = task == "multilabel"
    if system == "fastText":
        model: Any = FastTextModel(multilabel, epoch=epochs)
    elif system == "sktext matched":
        model = SktextModel({**params, "dim": 100, "max_iter": epochs, "n_jobs": 2})
    else:
        model = SktextModel(params)
    started = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = model.predict(X_test)
    predict_seconds = time.perf_counter() - started
    result = {
        "fit": fit_seconds,
        "predict": len(X_test) / predict_seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "metrics": score(y_train, y_test, predicted),
        "epochs": epochs,
        "tokens": sum(len(text.split()) for text in X_train),
        "n_train": len(X_train),
    }
    if system != "fastText":
        result["epochs"] = model.clf.n_iter_
        result["split"] = model.clf.fit_timings_
    print(RESULT + json.dumps(result), flush=True)


def launch(system: str, config: str, epochs: int, params: dict, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        command = [sys.executable, __file__, "--worker", system, config, str(epochs)]
        done = subprocess.run(
            [*command, json.dumps(params)], capture_output=True, text=True, check=False
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
        if done.returncode or not lines:
            raise RuntimeError(f"{system} on {config} failed:\n{done.stderr[-2000:]}")
        runs.append(json.loads(lines[-1][len(RESULT) :]))
    first = dict(runs[0])
    for key in ("fit", "predict"):
        first[key] = statistics.median(run[key] for run in runs)
    first["peak_mb"] = max(run["peak_mb"] for run in runs)
    return first


def format_rows(config: str, results: dict[str, dict]) -> list[str]:
    peer = results["fastText"]
    rows = []
    for system, r in results.items():
        metric = r["metrics"].get("accuracy", r["metrics"].get("micro-F1"))
        ratio = (
            f"{r['fit'] / peer['fit']:.2f} / {r['predict'] / peer['predict']:.2f} / "
            f"{r['peak_mb'] / peer['peak_mb']:.2f}"
        )
        split = r.get("split")
        split_text = (
            " / ".join(f"{name} {seconds:.2f}" for name, seconds in split.items()) if split else "-"
        )
        rows.append(
            f"| {config} | {system} | {r['epochs']} | {r['fit']:.2f} | "
            f"{r['n_train'] * r['epochs'] / r['fit']:,.0f} | "
            f"{r['tokens'] * r['epochs'] / r['fit']:,.0f} | {r['predict']:,.0f} | "
            f"{r['peak_mb']:,.0f} | {metric:.4f} | {ratio} | {split_text} |"
        )
    return rows


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=None, metavar="SIZE:KIND:TASK")
    parser.add_argument("--epochs", type=int, default=5, help="fastText's (and matched) epochs")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--sktext-params", type=json.loads, default={})
    args = parser.parse_args(argv)
    if args.configs is None:
        args.configs = SMOKE_CONFIGS if args.smoke else DEFAULT_CONFIGS
    for config in args.configs:
        parts = config.split(":")
        if (
            len(parts) != 3
            or not parts[0].isdigit()
            or parts[1] not in LENGTHS
            or parts[2]
            not in (
                "multiclass",
                "multilabel",
            )
        ):
            parser.error(
                f"bad configuration {config!r}: expected SIZE:short|long:multiclass|multilabel"
            )
    return args


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] == "--worker":
        run_worker(argv[1:])
        return 0
    args = parse_args(argv)
    epochs = 2 if args.smoke else args.epochs
    table = [
        "| configuration | system | epochs | fit s | train docs/s | train tokens/s | "
        "predict docs/s | peak MB | accuracy / micro-F1 | vs fastText: fit / predict / RSS | "
        "sktext fit split (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for config in args.configs:
        print(f"{config}:", flush=True)
        results = {}
        for system in ("sktext", "sktext matched", "fastText"):
            print(f"  {system}", flush=True)
            results[system] = launch(system, config, epochs, args.sktext_params, args.repeats)
        table += format_rows(config, results)
    command = "python benchmarks/speed.py " + " ".join(argv)
    section = "\n".join(
        [
            "## Speed against fastText on synthetic text (benchmarks/speed.py)",
            "",
            f"- Machine: {machine_description()}",
            f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
            f"- Command: `{command.strip()}`; timings: median of {args.repeats} run(s)",
            f"- fastText and 'sktext matched': dim 100, {epochs} epochs, word bigrams, 2 threads; "
            "'sktext': defaults (1 thread, dim 50, epochs 'auto')",
            "",
            *table,
        ]
    )
    print(section)
    write_section(args.output, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
