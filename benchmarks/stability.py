"""SGD stability at the default learning rate: streams and character n-grams.

Usage (from the repository root)::

    python benchmarks/stability.py [--before DIR [--before-label TEXT]] [--seed 0]
                                   [--output benchmarks/RESULTS.md]

The scenarios of the reliability issue, at full size, on
``make_text_classification(4000, 3, random_state=seed)`` (seed 0 reproduces
the issue's stream figures): the first 3,000 documents train, the last 1,000
test, every model ``TextClassifier(random_state=0)`` with default parameters:

- ``fit`` on the 3,000 (the reference);
- streams: the 3,000 as ``partial_fit`` batches of 50, 200 and 1,000
  (``classes`` given), a fresh model each;
- ``partial_fit`` of 100 new documents (the first 100 test ones) after the
  ``fit``, scored on the 900 others, before and after;
- ``fit`` with ``char_ngrams`` (1, 3), (1, 6), (2, 4), (2, 5), (3, 5), (3, 6).

Each cell gives the test accuracy, the largest epoch loss over the first
epoch's (over the first call's for streams), and whether a ConvergenceWarning
was raised; or the error. ``--before DIR`` measures the sktext package in DIR
too (e.g. ``git archive <commit> sktext | tar -x -C DIR``) and tables both,
headed ``--before-label``; each checkout runs in its own process, this script
re-invoked with ``--worker``.
Writes a section between ``<!-- stability.py:begin -->`` and
``<!-- stability.py:end -->`` of ``--output``.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _common import REPO_ROOT, Section

CHAR_NGRAMS = [(1, 3), (1, 6), (2, 4), (2, 5), (3, 5), (3, 6)]
STREAM_BATCHES = [50, 200, 1000]


def _measure(run: Callable[..., tuple[Any, float]], *args: Any, **params: Any) -> dict[str, Any]:
    """Accuracy, loss growth and warnings of ``run(*args, **params)`` (which
    returns the model and its accuracy), or the error it raised."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model, accuracy = run(*args, **params)
        except FloatingPointError as error:
            return {"error": f"FloatingPointError ({str(error).split(';')[0]})"}
    curve = model.loss_curve_
    return {
        "accuracy": accuracy,
        "growth": max(curve) / curve[0],
        "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
    }


def worker(seed: int) -> dict[str, dict[str, Any]]:
    """Every scenario's measurement with the importable sktext."""
    import numpy as np

    from sktext import TextClassifier
    from sktext.datasets import make_text_classification

    texts, labels = make_text_classification(4000, 3, random_state=seed)
    train_x, train_y, test_x, test_y = texts[:3000], labels[:3000], texts[3000:], labels[3000:]
    classes = np.unique(labels)
    results: dict[str, dict[str, Any]] = {}

    def fit(**params: Any) -> tuple[Any, float]:
        model = TextClassifier(random_state=0, **params).fit(train_x, train_y)
        return model, model.score(test_x, test_y)

    def stream(size: int) -> tuple[Any, float]:
        model = TextClassifier(random_state=0)
        for start in range(0, len(train_x), size):
            stop = start + size
            model.partial_fit(train_x[start:stop], train_y[start:stop], classes=classes)
        return model, model.score(test_x, test_y)

    results["fit"] = _measure(fit)
    for size in STREAM_BATCHES:
        results[f"stream of {len(train_x) // size} x {size}"] = _measure(stream, size)

    fitted, _ = fit()
    before = fitted.score(test_x[100:], test_y[100:])

    def continued() -> tuple[Any, float]:
        model = copy.deepcopy(fitted).partial_fit(test_x[:100], test_y[:100])
        return model, model.score(test_x[100:], test_y[100:])

    results["partial_fit of 100 after fit"] = {**_measure(continued), "fit_accuracy": before}
    for char_ngrams in CHAR_NGRAMS:
        results[f"fit, char_ngrams={char_ngrams}"] = _measure(fit, char_ngrams=char_ngrams)
    return results


def _cell(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    text = f"{result['accuracy']:.3f}"
    if "fit_accuracy" in result:  # the loss curve is mostly the fit's: not shown
        text = f"{result['fit_accuracy']:.3f} -> {text}"
    else:
        text += f", max loss {result['growth']:.3g}x first"
    return text + (", ConvergenceWarning" if result["warned"] else "")


def _run_worker(checkout: Path, seed: int) -> dict[str, dict[str, Any]]:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", str(checkout), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="a checkout to measure as 'before'")
    parser.add_argument("--before-label", default="before", help="its column's heading")
    parser.add_argument("--seed", type=int, default=0, help="make_text_classification's seed")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).with_name("RESULTS.md"),
        help="Markdown file whose stability.py section is (re)written",
    )
    args = parser.parse_args(argv)
    if args.worker is not None:
        sys.path.insert(0, str(args.worker))
        print(json.dumps(worker(args.seed)))
        return 0

    section = Section(__file__, "Stability at the default learning rate")
    columns = {"after": _run_worker(REPO_ROOT, args.seed)}
    if args.before is not None:
        columns = {args.before_label: _run_worker(args.before, args.seed), **columns}
    sys.path.insert(0, str(REPO_ROOT))
    notes = [
        f"- Data: make_text_classification(4000, 3, random_state={args.seed}): 3,000 "
        "train, 1,000 test; TextClassifier(random_state=0) with defaults. Cells: test "
        "accuracy (after fit: before -> after the call, on the 900 test documents it "
        "did not see), the largest epoch (stream: call) loss over the first one's, "
        "ConvergenceWarning if raised."
    ]
    lines = [
        "| scenario | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
        *(
            f"| {name} | " + " | ".join(_cell(column[name]) for column in columns.values()) + " |"
            for name in columns["after"]
        ),
    ]
    section.publish(lines, args.output, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
