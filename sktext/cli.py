"""The ``sktext`` command: train, predict and evaluate on data files.

::

    sktext train DATA -m MODEL.sktext [--text-field text] [--label-field label]
                 [--params JSON]
    sktext predict MODEL.sktext DATA [-o OUT.jsonl|OUT.csv] [--proba]
    sktext evaluate MODEL.sktext DATA [--label-field label]

DATA is JSON Lines (``.jsonl``, ``.ndjson``, ``.json``), CSV (``.csv``) or
Parquet (``.parquet``, needs ``pyarrow``), optionally gzipped (``.jsonl.gz``,
``.csv.gz``; not Parquet); ``--format`` overrides the detection from the
extension. ``predict`` writes JSON Lines to stdout unless ``--output`` names a
file. In JSON
Lines and Parquet a label that is a list makes the task multilabel (a
document may have several labels, or none); in CSV, whose cells are text,
``--label-separator`` splits a cell into such a list. Models are written in
sktext's safe format (``TextClassifier.save``). Progress bars go to stderr:
the training epochs, and prediction over chunks of documents. Errors print a
message on stderr and exit with status 1 (2 for bad command lines).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import MultiLabelBinarizer
from tqdm.auto import tqdm

from .classifier import TextClassifier, load
from .features import PREDICT_CHUNK

__all__ = ["main"]

_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


_EPILOG = """\
data files: JSON Lines (.jsonl, .ndjson, .json), CSV (.csv) or Parquet (.parquet),
JSON Lines and CSV optionally gzipped (.jsonl.gz, .csv.gz).

examples:
  sktext train train.jsonl.gz -m model.sktext --label-field labels
  sktext predict model.sktext test.jsonl              # JSON Lines on stdout
  sktext predict model.sktext test.csv -o predictions.csv --proba
  sktext evaluate model.sktext test.jsonl --label-field labels

'sktext COMMAND --help' lists the options of a command.
"""


class CliError(Exception):
    """A problem with the user's files or options: reported without a traceback."""


def _file_format(path: Path, declared: str = "auto") -> str:
    if declared != "auto":
        return declared
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _FORMATS:
        return _FORMATS[suffixes[-1]]
    raise CliError(
        f"cannot tell the format of {str(path)!r} from its extension; name it .jsonl, "
        ".csv or .parquet (optionally .gz), or pass --format."
    )


@contextmanager
def _open_text(path: Path, mode: str) -> Iterator[IO[str]]:
    """A text file, gzipped when its name ends in .gz; newline="" as csv wants."""
    if path.suffix.lower() == ".gz":
        with gzip.open(path, mode + "t", encoding="utf-8", newline="") as file:
            yield file
    else:
        with open(path, mode, encoding="utf-8", newline="") as file:
            yield file


def _label(value: Any, where: str) -> Any:
    """A label as sktext takes it: lists (JSON, Parquet) become tuples."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(value.tolist() if isinstance(value, np.ndarray) else value)
    if value is None or isinstance(value, dict):
        raise CliError(f"{where}: the label is {value!r}; expected a label or a list of labels.")
    return value


def _read_jsonl(path: Path, fields: list[str]) -> list[dict]:
    records = []
    with _open_text(path, "r") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CliError(f"{path}:{number}: not valid JSON ({error}).") from None
            if not isinstance(record, dict):
                raise CliError(f"{path}:{number}: expected a JSON object a line.")
            missing = [f for f in fields if f not in record]
            if missing:
                raise CliError(
                    f"{path}:{number}: no field {missing[0]!r} (fields: {sorted(record)[:10]}); "
                    "choose the field with --text-field / --label-field."
                )
            records.append(record)
    return records


def _read_csv(path: Path, fields: list[str]) -> list[dict]:
    with _open_text(path, "r") as file:
        reader = csv.DictReader(file)
        missing = [f for f in fields if f not in (reader.fieldnames or [])]
        if missing:
            raise CliError(
                f"{path}: no column {missing[0]!r} (columns: {reader.fieldnames}); "
                "choose the column with --text-field / --label-field."
            )
        return list(reader)


def _read_parquet(path: Path, fields: list[str]) -> list[dict]:
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        raise CliError(
            "reading Parquet needs pyarrow: pip install pyarrow (or 'sktext[parquet]')."
        ) from None
    try:
        names = pq.read_schema(path).names
    except pyarrow.ArrowException as error:
        raise CliError(f"{path}: not a readable Parquet file ({error}).") from None
    missing = [f for f in fields if f not in names]
    if missing:
        raise CliError(
            f"{path}: no column {missing[0]!r} (columns: {names}); "
            "choose the column with --text-field / --label-field."
        )
    return pq.read_table(path, columns=fields).to_pylist()


def read_data(
    path: Path,
    text_field: str,
    label_field: str | None,
    file_format: str = "auto",
    label_separator: str | None = None,
) -> tuple[list[str], list | None]:
    """Texts (and labels, when ``label_field`` is given) of a data file.

    Raises
    ------
    CliError
        For a missing file or field, an unknown format or a malformed record.
    """
    path = Path(path)
    file_format = _file_format(path, file_format)
    if not path.is_file():
        raise CliError(f"no such file: {str(path)!r}.")
    fields = [text_field] + ([label_field] if label_field is not None else [])
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[file_format]
    records = reader(path, fields)
    texts = []
    for number, record in enumerate(records, 1):
        text = record[text_field]
        if not isinstance(text, str):
            raise CliError(
                f"{path}: record {number}: field {text_field!r} is {type(text).__name__} "
                f"({text!r:.40}), not text."
            )
        texts.append(text)
    if label_field is None:
        return texts, None
    labels = []
    for number, record in enumerate(records, 1):
        value = record[label_field]
        if label_separator is not None and isinstance(value, str):
            value = [part for part in value.split(label_separator) if part]
        labels.append(_label(value, f"{path}: record {number}"))
    return texts, labels


def _load_model(path: Path) -> Any:
    if not Path(path).is_file():
        raise CliError(f"no such model file: {str(path)!r}.")
    clf = load(path)
    if clf.target_format_ not in ("labels", "ragged"):
        raise CliError(
            f"the command line serves models trained on labels or lists of labels; this "
            f"one was trained on {clf.target_format_!r} targets: use it from Python."
        )
    return clf


def _chunks(texts: list[str], quiet: bool, desc: str) -> Iterator[list[str]]:
    with tqdm(total=len(texts), desc=desc, unit="doc", disable=quiet, file=sys.stderr) as bar:
        for start in range(0, len(texts), PREDICT_CHUNK):
            chunk = texts[start : start + PREDICT_CHUNK]
            yield chunk
            bar.update(len(chunk))


def _plain(value: Any) -> Any:
    """JSON-ready labels: numpy scalars to Python ones, tuples to lists."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _train(args: argparse.Namespace) -> int:
    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as error:
        raise CliError(f"--params is not valid JSON: {error}.") from None
    if not isinstance(params, dict):
        raise CliError("--params takes a JSON object, e.g. '{\"dim\": 100}'.")
    params.setdefault("verbose", 0 if args.quiet else 1)
    try:
        clf = TextClassifier(**params)
    except TypeError as error:
        raise CliError(f"--params: {error}.") from None
    texts, labels = read_data(
        args.data, args.text_field, args.label_field, args.format, args.label_separator
    )
    clf.fit(texts, labels)
    clf.save(args.model)
    # On stderr, as the progress bars: stdout stays free for data.
    print(
        f"trained on {len(texts)} documents ({len(clf.classes_)} classes, "
        f"{clf.target_format_} targets); model written to {Path(args.model).resolve()}",
        file=sys.stderr,
    )
    return 0


def _write_predictions(
    file: IO[str],
    output_format: str,
    classes: list,
    predictions: list,
    probabilities: np.ndarray | None,
    separator: str,
) -> None:
    if output_format == "jsonl":
        for row, prediction in enumerate(predictions):
            record = {"prediction": prediction}
            if probabilities is not None:
                record["probabilities"] = dict(
                    zip(map(str, classes), probabilities[row].tolist(), strict=True)
                )
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        writer = csv.writer(file)
        header = ["prediction"]
        if probabilities is not None:
            header += [f"proba_{c}" for c in classes]
        writer.writerow(header)
        for row, prediction in enumerate(predictions):
            if isinstance(prediction, list):
                prediction = separator.join(map(str, prediction))
            writer.writerow(
                [prediction] + ([] if probabilities is None else probabilities[row].tolist())
            )


def _predict(args: argparse.Namespace) -> int:
    # Checked first: a wrong extension should not cost a model load and a prediction.
    output_format = "jsonl" if args.output is None else _file_format(args.output)
    if output_format not in ("jsonl", "csv"):
        raise CliError(f"--output {str(args.output)!r}: predictions go to .jsonl or .csv files.")
    clf = _load_model(args.model)
    texts, _ = read_data(args.data, args.text_field, None, args.format)
    predictions: list = []
    probabilities = []
    for chunk in _chunks(texts, args.quiet, "predict"):
        predictions += [_plain(p) for p in clf.predict(chunk)]
        if args.proba:
            probabilities.append(clf.predict_proba(chunk))
    classes = [_plain(c) for c in clf.classes_]
    stacked = None
    if args.proba:
        stacked = np.concatenate(probabilities) if probabilities else np.empty((0, len(classes)))
    separator = args.label_separator or "|"
    if args.output is None:
        _write_predictions(sys.stdout, "jsonl", classes, predictions, stacked, separator)
        return 0
    with _open_text(args.output, "w") as file:
        _write_predictions(file, output_format, classes, predictions, stacked, separator)
    return 0


def _evaluate(args: argparse.Namespace) -> int:

    clf = _load_model(args.model)
    texts, truth = read_data(
        args.data, args.text_field, args.label_field, args.format, args.label_separator
    )
    multilabel = clf.target_format_ == "ragged"
    if multilabel:
        # A single label is a one-label list for a multilabel model.
        truth = [t if isinstance(t, tuple) else (t,) for t in truth]
    elif any(isinstance(t, tuple) for t in truth):
        raise CliError(
            f"the model predicts one label a document, but {str(args.data)!r} has lists of labels."
        )
    predicted: list = []
    for chunk in _chunks(texts, args.quiet, "evaluate"):
        predicted += list(clf.predict(chunk))
    metrics: dict[str, Any] = {"n_documents": len(texts)}
    if multilabel:
        # Unseen labels get columns too: they are false negatives.
        known = [_plain(c) for c in clf.classes_]
        unseen = {label for labels in truth for label in labels} - set(known)
        binarizer = MultiLabelBinarizer(classes=known + sorted(unseen, key=str))
        true, pred = binarizer.fit_transform(truth), binarizer.transform(predicted)
        metrics["micro_f1"] = f1_score(true, pred, average="micro", zero_division=0)
        metrics["macro_f1"] = f1_score(true, pred, average="macro", zero_division=0)
        metrics["subset_accuracy"] = accuracy_score(true, pred)
    else:
        truth, predicted = [_plain(t) for t in truth], [_plain(p) for p in predicted]
        metrics["accuracy"] = accuracy_score(truth, predicted)
        metrics["macro_f1"] = f1_score(truth, predicted, average="macro", zero_division=0)
    print(json.dumps({k: _plain(v) for k, v in metrics.items()}, indent=2))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sktext",
        description="Train, apply and evaluate sktext text classifiers on data files.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_options(sub: argparse.ArgumentParser, labels: bool) -> None:
        sub.add_argument(
            "data",
            type=Path,
            metavar="DATA",
            help=".jsonl, .jsonl.gz, .csv, .csv.gz or .parquet file",
        )
        sub.add_argument("--text-field", default="text", help="field of the texts (text)")
        if labels:
            sub.add_argument("--label-field", default="label", help="field of the labels (label)")
        sub.add_argument(
            "--format",
            choices=["auto", "jsonl", "csv", "parquet"],
            default="auto",
            help="format of DATA (auto: from the extension)",
        )
        sub.add_argument(
            "--label-separator",
            default=None,
            help="split text labels (CSV cells) on this string into lists: multilabel"
            if labels
            else "joins multilabel predictions in CSV output (default |)",
        )
        sub.add_argument("--quiet", action="store_true", help="no progress bars")

    train = commands.add_parser("train", help="fit a classifier and save it")
    data_options(train, labels=True)
    train.add_argument("-m", "--model", type=Path, required=True, help="model file to write")
    train.add_argument(
        "--params", default="{}", help="TextClassifier parameters as JSON, e.g. '{\"dim\": 100}'"
    )
    train.set_defaults(run=_train)

    predict = commands.add_parser("predict", help="write the predictions of a saved model")
    predict.add_argument("model", type=Path, metavar="MODEL", help="model file written by train")
    data_options(predict, labels=False)
    predict.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help=".jsonl, .jsonl.gz, .csv or .csv.gz file, one row a document "
        "(default: JSON Lines on stdout)",
    )
    predict.add_argument("--proba", action="store_true", help="add per-class probabilities")
    predict.set_defaults(run=_predict)

    evaluate = commands.add_parser("evaluate", help="print the metrics of a saved model as JSON")
    evaluate.add_argument("model", type=Path, metavar="MODEL", help="model file written by train")
    data_options(evaluate, labels=True)
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments (``sys.argv[1:]`` when None).
    """
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (CliError, OSError, ValueError) as error:
        message = str(error) if isinstance(error, CliError) else f"{type(error).__name__}: {error}"
        print(f"sktext {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
