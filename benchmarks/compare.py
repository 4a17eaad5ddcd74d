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
import datetime
import gzip
import importlib.metadata
import json
import os
import platform
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASETS = ["reuters21578_modapte", "20newsgroups", "trec", "sst2"]
SYSTEMS = {
    "sktext": "sktext (defaults)",
    "fasttext": "fastText",
    "tfidf_lr": "TF-IDF + LR",
    "tfidf_svc": "TF-IDF + LinearSVC",
}
BEGIN_MARKER = "<!-- compare.py:begin -->"
END_MARKER = "<!-- compare.py:end -->"
RESULT_PREFIX = "COMPARE_RESULT "
FASTTEXT_LR, FASTTEXT_RETRY_LR = 0.5, 0.1

Label = str
LabelSet = tuple[str, ...]
Target = list[Label] | list[LabelSet]


# --------------------------------------------------------------------------- data


def load_split(path: Path, max_docs: int | None) -> tuple[list[str], Target]:
    """Read one gzipped JSON-lines split: texts and labels (str or tuple of str).

    With ``max_docs``, keep that many documents evenly spaced over the file (the
    files may be sorted by label, so the first N could hold a single class).
    """
    with gzip.open(path, "rt", encoding="utf-8") as file:
        lines = file.readlines()
    if max_docs is not None and max_docs < len(lines):
        lines = [lines[i * len(lines) // max_docs] for i in range(max_docs)]
    texts: list[str] = []
    labels: list[Any] = []
    for line in lines:
        record = json.loads(line)
        texts.append(record["text"])
        labels.append(tuple(record["labels"]) if "labels" in record else record["label"])
    return texts, labels


def is_multilabel(y: Target) -> bool:
    return bool(y) and isinstance(y[0], tuple)


# ------------------------------------------------------------------------ systems


class Model(Protocol):
    note: str | None

    def fit(self, texts: list[str], y: Target) -> None: ...

    def predict(self, texts: list[str]) -> Target: ...


class SktextModel:
    """sktext's TextClassifier, fed plain lists (ragged lists for multilabel)."""

    def __init__(self, params: dict[str, Any]) -> None:
        sys.path.insert(0, str(REPO_ROOT))
        from sktext import TextClassifier

        self.clf = TextClassifier(random_state=0, **params)
        self.note: str | None = None

    def fit(self, texts: list[str], y: Target) -> None:
        self.clf.fit(texts, [list(labels) for labels in y] if is_multilabel(y) else y)

    def predict(self, texts: list[str]) -> Target:
        return list(self.clf.predict(texts))


class FastTextModel:
    """fastText supervised training on a shuffled temporary file, per the protocol."""

    def __init__(self, multilabel: bool, epoch: int = 25) -> None:
        import fasttext

        self.train_supervised = fasttext.train_supervised
        self.multilabel = multilabel
        self.epoch = epoch
        self.model: Any = None
        self.to_label: dict[str, str] = {}
        self.note: str | None = None

    def fit(self, texts: list[str], y: Target) -> None:
        label_sets = y if self.multilabel else [(label,) for label in y]
        names = {label for labels in label_sets for label in labels}
        self.to_label = {"__label__" + name.replace(" ", "_"): name for name in names}
        if len(self.to_label) != len(names):
            raise ValueError("label names collide once spaces become '_'")
        to_token = {name: token for token, name in self.to_label.items()}
        lines = [
            " ".join([*(to_token[label] for label in labels), one_line(text)])
            for text, labels in zip(texts, label_sets, strict=True)
        ]
        random.Random(0).shuffle(lines)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "train.txt"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            try:
                self.model = self._train(path, FASTTEXT_LR)
            except RuntimeError as err:
                if "NaN" not in str(err):
                    raise
                self.model = self._train(path, FASTTEXT_RETRY_LR)
                self.note = f"lr {FASTTEXT_RETRY_LR}: NaN at lr {FASTTEXT_LR}"

    def _train(self, path: Path, lr: float) -> Any:
        loss = "ova" if self.multilabel else "softmax"
        return self.train_supervised(
            str(path),
            dim=100,
            epoch=self.epoch,
            lr=lr,
            wordNgrams=2,
            minCount=1,
            thread=2,
            seed=0,
            loss=loss,
            verbose=0,
        )

    def predict(self, texts: list[str]) -> Target:
        lines = [one_line(text) for text in texts]
        if self.multilabel:
            predicted, _ = self.model.predict(lines, k=-1, threshold=0.5)
            return [tuple(self.to_label[token] for token in tokens) for tokens in predicted]
        predicted, _ = self.model.predict(lines)
        return [self.to_label[tokens[0]] for tokens in predicted]


def one_line(text: str) -> str:
    return text.replace("\n", " ")


class TfidfModel:
    """TF-IDF 1-2 grams + a linear classifier (one-vs-rest for multilabel)."""

    def __init__(self, classifier: str, multilabel: bool) -> None:
        if classifier == "svc":
            head: Any = LinearSVC(C=1)
        elif multilabel:
            head = LogisticRegression(C=10, solver="liblinear")
        else:
            head = LogisticRegression(C=10)
        if multilabel:
            head = OneVsRestClassifier(head)
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        self.pipeline = Pipeline([("tfidf", vectorizer), ("clf", head)])
        self.binarizer = MultiLabelBinarizer() if multilabel else None
        self.note: str | None = None

    def fit(self, texts: list[str], y: Target) -> None:
        if self.binarizer is not None:
            self.pipeline.fit(texts, self.binarizer.fit_transform(y))
        else:
            self.pipeline.fit(texts, y)

    def predict(self, texts: list[str]) -> Target:
        predicted = self.pipeline.predict(texts)
        if self.binarizer is not None:
            return self.binarizer.inverse_transform(predicted)
        return list(predicted)


def build_model(system: str, params: dict[str, Any], multilabel: bool) -> Model:
    """Construct a system, imports included, so that fit times exclude them."""
    if system == "sktext":
        return SktextModel(params)
    if system == "fasttext":
        return FastTextModel(multilabel)
    return TfidfModel(system.removeprefix("tfidf_"), multilabel)


def system_versions(system: str) -> dict[str, str]:
    """Versions of the libraries a worker used (read after the model ran)."""
    if system == "sktext":
        import torch

        import sktext

        return {
            "sktext": getattr(sktext, "__version__", "unknown"),
            "torch": torch.__version__,
        }
    if system == "fasttext":
        return {"fasttext": dist_version("fasttext-numpy2", "fasttext")}
    return {
        "scikit-learn": sklearn.__version__,
        "scipy": dist_version("scipy"),
        "numpy": dist_version("numpy"),
    }


def dist_version(*names: str) -> str:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not installed"


# ------------------------------------------------------------------------ metrics


def score(y_train: Target, y_test: Target, y_pred: Target) -> dict[str, float]:
    if not is_multilabel(y_test):
        return {
            "accuracy": accuracy_score(y_test, y_pred),
            "macro-F1": f1_score(y_test, y_pred, average="macro", zero_division=0),
        }
    binarizer = MultiLabelBinarizer().fit([*y_train, *y_test, *y_pred])
    true, pred = binarizer.transform(y_test), binarizer.transform(y_pred)
    return {
        "micro-F1": f1_score(true, pred, average="micro", zero_division=0),
        "macro-F1": f1_score(true, pred, average="macro", zero_division=0),
        "subset acc": accuracy_score(true, pred),
    }


def check_predictions(y_pred: Target, n_test: int, multilabel: bool) -> None:
    """Fail loudly when a system returns predictions in an unexpected shape."""
    if len(y_pred) != n_test:
        raise ValueError(f"predict returned {len(y_pred)} rows for {n_test} documents")
    if multilabel and any(isinstance(labels, str) for labels in y_pred):
        raise ValueError("multilabel predict must return a collection of labels per document")


# ------------------------------------------------------------------------- worker


def run_worker(argv: Sequence[str]) -> None:
    """Fit and predict one system on one data set; print one JSON result line."""
    parser = argparse.ArgumentParser(prog="compare.py --worker")
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--max-docs", type=int)
    parser.add_argument("--params", type=json.loads, default={})
    args = parser.parse_args(argv)

    train_texts, y_train = load_split(args.data_dir / "train.jsonl.gz", args.max_docs)
    test_texts, y_test = load_split(args.data_dir / "test.jsonl.gz", args.max_docs)
    multilabel = is_multilabel(y_train)
    model = build_model(args.system, args.params, multilabel)

    start = time.perf_counter()
    model.fit(train_texts, y_train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    y_pred = model.predict(test_texts)
    predict_s = time.perf_counter() - start

    check_predictions(y_pred, len(test_texts), multilabel)
    y_pred = [tuple(labels) for labels in y_pred] if multilabel else list(y_pred)
    result = {
        "task": "multilabel" if multilabel else "multiclass",
        "n_train": len(train_texts),
        "n_test": len(test_texts),
        "n_labels": len({label for labels in y_train for label in labels})
        if multilabel
        else len(set(y_train)),
        "fit_s": fit_s,
        "predict_s": predict_s,
        "metrics": score(y_train, y_test, y_pred),
        "note": model.note,
        "versions": system_versions(args.system),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# ------------------------------------------------------------------------- driver


@dataclass
class Row:
    """One table row: a system (with its parameters) on one data set."""

    system: str
    params: dict[str, Any] | None
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def title(self) -> str:
        if self.params is None:
            return SYSTEMS[self.system]
        return "sktext " + ", ".join(f"{key}={value!r}" for key, value in self.params.items())


def launch_worker(row: Row, data_dir: Path, max_docs: int | None) -> dict[str, Any]:
    """Run one worker process and return its parsed result (RuntimeError on failure)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        row.system,
        str(data_dir),
    ]
    if max_docs is not None:
        command += ["--max-docs", str(max_docs)]
    if row.params is not None:
        command += ["--params", json.dumps(row.params)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in reversed(done.stdout.splitlines()):
        if done.returncode == 0 and line.startswith(RESULT_PREFIX):
            return json.loads(line.removeprefix(RESULT_PREFIX))
    tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    raise RuntimeError(f"exit status {done.returncode}: {tail}")


def run_row(row: Row, data_dir: Path, max_docs: int | None, repeats: int) -> Row:
    for repeat in range(repeats):
        print(f"  {row.title}: run {repeat + 1}/{repeats}", file=sys.stderr, flush=True)
        try:
            row.results.append(launch_worker(row, data_dir, max_docs))
        except RuntimeError as err:
            row.error = str(err)
            break
    return row


def format_metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.3f}" for name, value in metrics.items())


def format_row(row: Row) -> str:
    if row.error is not None:
        return f"| {row.title} | failed: {row.error.replace('|', '/')} | | | |"
    first = row.results[0]
    fit_s = statistics.median(result["fit_s"] for result in row.results)
    predict_s = statistics.median(result["predict_s"] for result in row.results)
    peak_mb = max(result["peak_mb"] for result in row.results)
    title = row.title + (f" ({first['note']})" if first["note"] else "")
    return (
        f"| {title} | {fit_s:.2f} | {first['n_test'] / predict_s:,.0f} | {peak_mb:,.0f} "
        f"| {format_metrics(first['metrics'])} |"
    )


def format_table(dataset: str, rows: list[Row]) -> str:
    done = next((row.results[0] for row in rows if row.results), None)
    heading = f"### {dataset}"
    if done is not None:
        heading += (
            f" ({done['task']}, {done['n_labels']} labels in train, "
            f"{done['n_train']:,} train / {done['n_test']:,} test documents)"
        )
    lines = [
        heading,
        "",
        "| system | fit s | predict docs/s | peak MB | metrics |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(lines + [format_row(row) for row in rows])


def machine_description() -> str:
    cpu = "unknown CPU"
    memory = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024**2:.0f} GB RAM"
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores ({cpu}){memory}; load average before the run {load}"


def section_header(
    title: str, machine: str, notes: Sequence[str], max_docs: int | None
) -> list[str]:
    """The opening lines of a benchmark section of an sktext-only script:
    title, machine, versions, date, command, ``notes``, and whether it was a
    smoke run on ``max_docs`` documents."""
    import torch

    import sktext

    versions = (
        f"python {platform.python_version()}, sktext {sktext.__version__}, "
        f"scikit-learn {sklearn.__version__}, torch {torch.__version__}"
    )
    lines = [
        f"## {title}",
        "",
        f"- Machine: {machine}",
        f"- Versions: {versions}",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Command: `{shlex.join(['python', *sys.argv])}`",
        *notes,
    ]
    if max_docs is not None:
        lines.append(f"- Smoke run: {max_docs} train and test documents only.")
    return [*lines, ""]


def versions_line(rows: list[Row]) -> str:
    versions = {"python": platform.python_version()}
    for row in rows:
        for result in row.results:
            versions.update(result["versions"])
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def format_section(
    tables: list[str], rows: list[Row], args: argparse.Namespace, machine: str
) -> str:
    header = [
        "## Side-by-side comparison (benchmarks/compare.py)",
        "",
        f"- Machine: {machine}",
        f"- Versions: {versions_line(rows)}",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Command: `{shlex.join(['python', *sys.argv])}`",
        (
            f"- Timings: median of {args.repeats} run(s), each system in its own process; "
            "peak MB = max RSS of that process; metrics on the test split."
        ),
    ]
    if args.max_docs is not None:
        header.append(f"- Smoke run: {args.max_docs} train and test documents only.")
    return "\n\n".join(["\n".join(header), *tables])


def write_section(
    path: Path, section: str, begin_marker: str = BEGIN_MARKER, end_marker: str = END_MARKER
) -> None:
    """Replace the section of ``path`` between the markers (or append one),
    keeping the rest: each benchmark script owns its own markers."""
    block = f"{begin_marker}\n{section}\n{end_marker}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    begin, end = old.find(begin_marker), old.find(end_marker)
    if 0 <= begin < end:
        new = old[:begin] + block + old[end + len(end_marker) :]
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)


def sktext_params(text: str) -> dict[str, Any]:
    params = json.loads(text)
    if not isinstance(params, dict):
        raise argparse.ArgumentTypeError("--sktext-params takes a JSON object")
    return params


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="folder with one sub-folder per data set")
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS)
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument(
        "--max-docs", type=int, help="keep N evenly spaced train and test documents"
    )
    parser.add_argument("--repeats", type=int, default=1, help="timing runs per system")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "RESULTS.md",
        help="Markdown file whose compare.py section is (re)written",
    )
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
    for dataset in args.datasets:
        for split in ("train", "test"):
            if not (args.data_dir / dataset / f"{split}.jsonl.gz").is_file():
                parser.error(f"missing {args.data_dir / dataset / split}.jsonl.gz")
    return args


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--worker"]:
        run_worker(argv[1:])
        return 0
    args = parse_args(argv)
    machine = machine_description()
    runs = [(system, None) for system in args.systems]
    runs += [("sktext", params) for params in args.sktext_params]
    tables: list[str] = []
    all_rows: list[Row] = []
    for dataset in args.datasets:
        print(f"{dataset}:", file=sys.stderr, flush=True)
        rows = [
            run_row(
                Row(system, params),
                args.data_dir / dataset,
                args.max_docs,
                args.repeats,
            )
            for system, params in runs
        ]
        tables.append(format_table(dataset, rows))
        all_rows += rows
    section = format_section(tables, all_rows, args, machine)
    print(section)
    write_section(args.output, section)
    return 1 if any(row.error is not None for row in all_rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
