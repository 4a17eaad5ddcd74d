"""What the benchmark scripts share: data, systems, measurement and reporting.

Not a script: the scripts next to it import it (``from _common import ...``;
Python puts a script's own folder first on ``sys.path``). Importing it also puts
the repository root first on ``sys.path``, so that every script measures the
checkout it stands in, whether sktext is installed or not.

- Data: the shared sets' gzipped JSON-lines splits (:func:`load_split`,
  :func:`read_records`) and the synthetic ones written in that format
  (:func:`write_synthetic`).
- Systems: sktext, fastText and TF-IDF baselines behind one interface
  (:class:`Model`: :class:`SktextModel`, :class:`FastTextModel`,
  :class:`TfidfModel`), as ``compare.py`` and ``speed.py`` run them, with the
  protocol's metrics (:func:`score`).
- Measurement: wall time (:func:`timed`), peak RSS (:func:`peak_rss_mb`), and
  worker processes that fit and predict one system each, so that peak RSS is
  per system (:func:`main_with_workers`, :func:`fit_predict`,
  :func:`emit_result`, :func:`launch_worker`, :class:`Runs`).
- Reporting: Markdown tables (:func:`table`), and a script's section of
  ``RESULTS.md`` (:class:`Section`): its opening lines and its publication
  between the script's own markers.
- Arguments: the options several scripts take (:func:`make_parser`,
  :func:`add_max_docs_argument`, :func:`add_output_argument`,
  :func:`sktext_params`, :func:`check_splits`).

sktext (and with it torch) is imported only inside the functions that need it:
fastText's worker processes import this module, and torch must not count in
their peak RSS.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

BENCHMARKS = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS.parent
RESULTS = BENCHMARKS / "RESULTS.md"
# First: the checkout these scripts stand in, not an installed sktext.
sys.path.insert(0, str(REPO_ROOT))

Label = str
LabelSet = tuple[str, ...]
Target = list[Label] | list[LabelSet]
T = TypeVar("T")


# --------------------------------------------------------------------------- data


def evenly_spaced(items: list[T], max_docs: int | None) -> list[T]:
    """``max_docs`` items evenly spaced over ``items`` (all of them if None or
    more than there are): split files may be sorted by label, so the first N
    could hold a single class."""
    if max_docs is None or max_docs >= len(items):
        return items
    return [items[i * len(items) // max_docs] for i in range(max_docs)]


def read_records(path: Path, max_docs: int | None) -> list[dict[str, Any]]:
    """The records of a gzipped JSON-lines split, ``max_docs`` evenly spaced ones
    with ``max_docs`` (only those are parsed)."""
    with gzip.open(path, "rt", encoding="utf-8") as file:
        lines = file.readlines()
    return [json.loads(line) for line in evenly_spaced(lines, max_docs)]


def load_split(path: Path, max_docs: int | None) -> tuple[list[str], Target]:
    """Read one split: texts and labels (``label``, a str, for multiclass data;
    ``labels`` as a tuple of str for multilabel data)."""
    texts: list[str] = []
    labels: list[Any] = []
    for record in read_records(path, max_docs):
        texts.append(record["text"])
        labels.append(tuple(record["labels"]) if "labels" in record else record["label"])
    return texts, labels


def is_multilabel(y: Target) -> bool:
    return bool(y) and isinstance(y[0], tuple)


# Synthetic documents: word counts of each kind, and the test share of a size.
LENGTHS = {"short": (10, 40), "long": (200, 1000)}
MIN_TEST = 1000


def test_size(n_train: int) -> int:
    """Test documents generated with ``n_train`` training ones: a tenth, at least
    :data:`MIN_TEST`."""
    return max(n_train // 10, MIN_TEST)


def write_synthetic(
    folder: Path, n_train: int, n_classes: int, *, kind: str, multilabel: bool
) -> None:
    """Write ``train.jsonl.gz`` (``n_train`` documents) and ``test.jsonl.gz``
    (:func:`test_size` more) of ``kind`` (a key of :data:`LENGTHS`) into
    ``folder``, in the shared sets' format, from one seeded generator call."""
    from sktext.datasets import make_text_classification

    texts, y = make_text_classification(
        n_train + test_size(n_train),
        n_classes,
        multilabel=multilabel,
        length=LENGTHS[kind],
        random_state=0,
    )
    key = "labels" if multilabel else "label"
    records = [
        json.dumps({"text": text, key: list(labels) if multilabel else str(labels)})
        for text, labels in zip(texts, y, strict=True)
    ]
    for name, part in (("train", records[:n_train]), ("test", records[n_train:])):
        with gzip.open(folder / f"{name}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as f:
            f.write("\n".join(part) + "\n")


# ------------------------------------------------------------------------ systems

FASTTEXT_LR, FASTTEXT_RETRY_LR = 0.5, 0.1


class Model(Protocol):
    note: str | None

    def fit(self, texts: list[str], y: Target) -> None: ...

    def predict(self, texts: list[str]) -> Target: ...


class SktextModel:
    """sktext's TextClassifier, fed plain lists (ragged lists for multilabel)."""

    def __init__(self, params: dict[str, Any]) -> None:
        from sktext import TextClassifier

        # random_state 0 unless ``params`` sets it.
        self.clf = TextClassifier(**{"random_state": 0, **params})
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


def system_versions(system: str) -> dict[str, str]:
    """Versions of the libraries a worker of ``system`` ("sktext", "fasttext",
    else TF-IDF) used, read after the model ran."""
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


def score(y_train: Target, y_test: Target, y_pred: Target) -> dict[str, float]:
    """Accuracy and macro-F1 (multiclass); micro-F1, macro-F1 and subset accuracy
    (multilabel, over the union of train, test and predicted labels, so that
    labels never seen in training count as misses)."""
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


# -------------------------------------------------------------------- measurement

RESULT_PREFIX = "BENCHMARK_RESULT "


def timed(call: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``call(*args)``'s result and its wall time in seconds."""
    started = time.perf_counter()
    result = call(*args)
    return result, time.perf_counter() - started


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class FitPredict:
    """One system fitted on a data set's train split and predicting its test split."""

    model: Model
    train_texts: list[str]
    y_train: Target
    test_texts: list[str]
    y_test: Target
    y_pred: Target
    fit_s: float
    predict_s: float

    @property
    def multilabel(self) -> bool:
        return is_multilabel(self.y_train)


def fit_predict(data_dir: Path, max_docs: int | None, build: Callable[[bool], Model]) -> FitPredict:
    """Load ``data_dir``'s splits, build a model (``build(multilabel)``, imports
    included, so that fit time excludes them), time its fit and predict, and
    check the predictions (label sets as tuples for multilabel)."""
    train = load_split(data_dir / "train.jsonl.gz", max_docs)
    test = load_split(data_dir / "test.jsonl.gz", max_docs)
    return fit_predict_splits(train, test, build)


def fit_predict_splits(
    train: tuple[list[str], Target], test: tuple[list[str], Target], build: Callable[[bool], Model]
) -> FitPredict:
    """:func:`fit_predict` on splits already loaded: (texts, labels) each."""
    (train_texts, y_train), (test_texts, y_test) = train, test
    multilabel = is_multilabel(y_train)
    model = build(multilabel)
    _, fit_s = timed(model.fit, train_texts, y_train)
    y_pred, predict_s = timed(model.predict, test_texts)
    check_predictions(y_pred, len(test_texts), multilabel)
    y_pred = [tuple(labels) for labels in y_pred] if multilabel else list(y_pred)
    return FitPredict(model, train_texts, y_train, test_texts, y_test, y_pred, fit_s, predict_s)


def emit_result(run: FitPredict, **fields: Any) -> None:
    """Print a worker's result line: the run's sizes, timings and note,
    ``fields``, and the process's peak RSS, read last."""
    result = {
        "n_train": len(run.train_texts),
        "n_test": len(run.test_texts),
        "fit_s": run.fit_s,
        "predict_s": run.predict_s,
        "note": run.model.note,
        **fields,
        "peak_mb": peak_rss_mb(),
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def main_with_workers(
    argv: Sequence[str],
    worker: Callable[[Sequence[str]], None],
    driver: Callable[[Sequence[str]], int],
) -> int:
    """A script's entry point and exit status: ``worker(args)`` when it runs as
    a worker (``--worker args``, see :func:`launch_worker`), else ``driver(argv)``."""
    if argv[:1] == ["--worker"]:
        worker(argv[1:])
        return 0
    return driver(argv)


def launch_worker(script: str, args: Sequence[str]) -> dict[str, Any]:
    """Run ``script --worker *args`` in a fresh process and return the result it
    printed with :func:`emit_result` (RuntimeError on failure)."""
    command = [sys.executable, str(Path(script).resolve()), "--worker", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in reversed(done.stdout.splitlines()):
        if done.returncode == 0 and line.startswith(RESULT_PREFIX):
            return json.loads(line.removeprefix(RESULT_PREFIX))
    tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    raise RuntimeError(f"exit status {done.returncode}: {tail}")


@dataclass(kw_only=True)
class Runs:
    """The results of one system's repeated worker runs, or the error that
    stopped them."""

    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def repeat(self, title: str, repeats: int, launch: Callable[[], dict[str, Any]]) -> None:
        """Run ``launch`` ``repeats`` times, reporting progress on stderr; the
        first failure ends the runs and is kept in ``error``."""
        for repeat in range(repeats):
            print(f"  {title}: run {repeat + 1}/{repeats}", file=sys.stderr, flush=True)
            try:
                self.results.append(launch())
            except RuntimeError as err:
                self.error = str(err)
                break

    def median(self, key: str) -> float:
        return statistics.median(result[key] for result in self.results)

    @property
    def peak_mb(self) -> float:
        return max(result["peak_mb"] for result in self.results)


# ---------------------------------------------------------------------- reporting


def table_row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table(columns: Sequence[str], rows: Iterable[Iterable[object]]) -> list[str]:
    """The lines of a Markdown table: header, separator, one line a row."""
    return [table_row(columns), "|" + "---|" * len(columns), *map(table_row, rows)]


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


def command_line() -> str:
    """This process's command, as run from the repository root."""
    return shlex.join(["python", *sys.argv])


def versions_line(versions: Iterable[dict[str, str]]) -> str:
    """Python's version, then each library's of ``versions`` (later ones win)."""
    merged = {"python": platform.python_version()}
    for found in versions:
        merged.update(found)
    return ", ".join(f"{name} {version}" for name, version in merged.items())


def sktext_versions() -> str:
    """The versions an sktext-only script runs with."""
    import torch

    import sktext

    return versions_line(
        [
            {
                "sktext": sktext.__version__,
                "scikit-learn": sklearn.__version__,
                "torch": torch.__version__,
            }
        ]
    )


class Section:
    """The section a script writes into ``RESULTS.md``, titled
    "``title`` (benchmarks/SCRIPT)" and kept between the script's own markers,
    e.g. ``<!-- compare.py:begin -->`` and ``<!-- compare.py:end -->``.

    Create it before the run: ``machine`` then notes the load average before
    the run.
    """

    def __init__(self, script: str, title: str) -> None:
        self.name = Path(script).name
        self.title = f"{title} (benchmarks/{self.name})"
        self.machine = machine_description()

    def header(
        self,
        notes: Sequence[str] = (),
        *,
        versions: str | None = None,
        max_docs: int | None = None,
    ) -> list[str]:
        """The opening lines: title, machine, versions if given, date, command,
        ``notes`` (bullet lines), and whether it was a smoke run on ``max_docs``
        documents; then a blank line."""
        lines = [
            f"## {self.title}",
            "",
            f"- Machine: {self.machine}",
            *([f"- Versions: {versions}"] if versions is not None else []),
            f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"- Command: `{command_line()}`",
            *notes,
        ]
        if max_docs is not None:
            lines.append(f"- Smoke run: {max_docs} train and test documents only.")
        return [*lines, ""]

    def publish(
        self,
        body: Sequence[str],
        output: Path,
        notes: Sequence[str] = (),
        *,
        versions: str | None = None,
        max_docs: int | None = None,
    ) -> None:
        """Print the section (:meth:`header`, then the lines of ``body``) and write
        it into ``output``, keeping the rest of that file."""
        header = self.header(notes, versions=versions, max_docs=max_docs)
        section = "\n".join([*header, *body])
        print(section)
        write_section(output, section, self.name)


def write_section(path: Path, section: str, name: str) -> None:
    """Replace the section of ``path`` between ``name``'s markers (or append one),
    keeping the rest: each benchmark script owns its own markers."""
    begin_marker, end_marker = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
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


# ---------------------------------------------------------------------- arguments


DATA_DIR_HELP = "folder with one sub-folder per data set"


def make_parser(doc: str, data_dir_help: str | None = None) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of a script's docstring, with
    the positional ``data_dir`` if ``data_dir_help`` describes it."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if data_dir_help is not None:
        parser.add_argument("data_dir", type=Path, help=data_dir_help)
    return parser


def add_max_docs_argument(
    parser: argparse.ArgumentParser, help: str = "keep N evenly spaced documents a split"
) -> None:
    """``--max-docs N``: a smoke run on N documents of each split (see :func:`load_split`)."""
    parser.add_argument("--max-docs", type=int, help=help)


def add_output_argument(parser: argparse.ArgumentParser, script: str) -> None:
    """``--output``: the Markdown file whose section of ``script`` is rewritten."""
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help=f"Markdown file whose {Path(script).name} section is (re)written",
    )


def sktext_params(text: str) -> dict[str, Any]:
    """An argument type: a JSON object of TextClassifier parameters."""
    params = json.loads(text)
    if not isinstance(params, dict):
        raise argparse.ArgumentTypeError("--sktext-params takes a JSON object")
    return params


def check_splits(parser: argparse.ArgumentParser, data_dir: Path, datasets: Iterable[str]) -> None:
    """Exit with a usage error unless each data set has its train and test split."""
    for dataset in datasets:
        for split in ("train", "test"):
            if not (data_dir / dataset / f"{split}.jsonl.gz").is_file():
                parser.error(f"missing {data_dir / dataset / split}.jsonl.gz")
