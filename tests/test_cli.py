"""The ``sktext`` command line: train, predict and evaluate on data files."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sktext import load
from sktext.cli import main
from sktext.datasets import make_text_classification

TEXTS, LABELS = make_text_classification(300, 3, random_state=0)
_, TAGS = make_text_classification(300, 3, multilabel=True, random_state=0)
# Ragged labels, some documents with none: lists in JSON.
TAGS = [list(t) if i % 10 else [] for i, t in enumerate(TAGS)]
PARAMS = json.dumps({"random_state": 0, "min_count": 1})


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row) + "\n")
    return path


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_multiclass_jsonl_gz(tmp_path, capsys):
    data = _write_jsonl(
        tmp_path / "data.jsonl.gz",
        [
            {"body": t, "topic": y, "id": i}
            for i, (t, y) in enumerate(zip(TEXTS, LABELS, strict=True))
        ],
    )
    model = tmp_path / "model.sktext"
    fields = ["--text-field", "body", "--label-field", "topic"]
    assert main(["train", str(data), *fields, "--model", str(model), "--params", PARAMS]) == 0
    clf = load(model)
    assert clf.classes_.tolist() == sorted(set(LABELS))
    assert clf.random_state == 0
    assert "fit" in capsys.readouterr().err  # the epoch progress bar

    out = tmp_path / "pred.jsonl"
    assert (
        main(
            [
                "predict",
                str(model),
                str(data),
                "--text-field",
                "body",
                "--output",
                str(out),
                "--proba",
                "--quiet",
            ]
        )
        == 0
    )
    rows = _read_jsonl(out)
    assert [r["prediction"] for r in rows] == clf.predict(TEXTS).tolist()
    proba = np.array([[r["probabilities"][c] for c in clf.classes_] for r in rows])
    np.testing.assert_allclose(proba, clf.predict_proba(TEXTS), atol=1e-6)

    capsys.readouterr()
    assert main(["evaluate", str(model), str(data), *fields, "--quiet"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_documents"] == len(TEXTS)
    assert metrics["accuracy"] == pytest.approx(clf.score(TEXTS, LABELS))
    assert 0 < metrics["macro_f1"] <= 1


def test_ragged_jsonl(tmp_path, capsys):
    data = _write_jsonl(
        tmp_path / "data.jsonl",
        [{"text": t, "labels": y} for t, y in zip(TEXTS, TAGS, strict=True)],
    )
    model = tmp_path / "model.sktext"
    assert (
        main(
            [
                "train",
                str(data),
                "--label-field",
                "labels",
                "--model",
                str(model),
                "--params",
                PARAMS,
                "--quiet",
            ]
        )
        == 0
    )
    clf = load(model)
    assert clf.target_format_ == "ragged"

    out = tmp_path / "pred.jsonl"
    assert main(["predict", str(model), str(data), "--output", str(out), "--quiet"]) == 0
    rows = _read_jsonl(out)
    assert [r["prediction"] for r in rows] == [list(p) for p in clf.predict(TEXTS)]
    assert "probabilities" not in rows[0]

    capsys.readouterr()
    assert main(["evaluate", str(model), str(data), "--label-field", "labels", "--quiet"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["micro_f1"] == pytest.approx(clf.score(TEXTS, [tuple(t) for t in TAGS]))
    assert set(metrics) == {"n_documents", "micro_f1", "macro_f1", "subset_accuracy"}


def test_csv_with_label_separator(tmp_path, capsys):
    data = tmp_path / "data.csv"
    with open(data, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        writer.writerows([t, ";".join(y)] for t, y in zip(TEXTS, TAGS, strict=True))
    model = tmp_path / "model.sktext"
    assert (
        main(
            [
                "train",
                str(data),
                "--label-separator",
                ";",
                "--model",
                str(model),
                "--params",
                PARAMS,
                "--quiet",
            ]
        )
        == 0
    )
    clf = load(model)
    assert sorted(clf.classes_) == sorted({label for tags in TAGS for label in tags})

    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), str(data), "--output", str(out), "--proba", "--quiet"]) == 0
    with open(out, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [r["prediction"] for r in rows] == ["|".join(p) for p in clf.predict(TEXTS)]
    np.testing.assert_allclose(
        [[float(r[f"proba_{c}"]) for c in clf.classes_] for r in rows],
        clf.predict_proba(TEXTS),
        atol=1e-6,
    )


def test_parquet(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    data = tmp_path / "data.parquet"
    pq.write_table(pa.table({"text": TEXTS, "label": TAGS}), data)
    model = tmp_path / "model.sktext"
    assert main(["train", str(data), "--model", str(model), "--params", PARAMS, "--quiet"]) == 0
    assert load(model).target_format_ == "ragged"
    capsys.readouterr()
    assert main(["evaluate", str(model), str(data), "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["micro_f1"] > 0.5


def test_short_options_and_predictions_on_stdout(tmp_path, capsys):
    data = _write_jsonl(
        tmp_path / "data.jsonl.gz",
        [{"text": t, "label": y} for t, y in zip(TEXTS, LABELS, strict=True)],
    )
    model = tmp_path / "model.sktext"
    assert main(["train", str(data), "-m", str(model), "--params", PARAMS, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout is for data
    assert f"model written to {model.resolve()}" in captured.err
    clf = load(model)

    assert main(["predict", str(model), str(data), "--proba", "--quiet"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["prediction"] for r in rows] == clf.predict(TEXTS).tolist()
    proba = np.array([[r["probabilities"][c] for c in clf.classes_] for r in rows])
    np.testing.assert_allclose(proba, clf.predict_proba(TEXTS), atol=1e-6)
    assert captured.err == ""

    out = tmp_path / "pred.jsonl.gz"
    assert main(["predict", str(model), str(data), "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    with gzip.open(out, "rt", encoding="utf-8") as file:
        assert [json.loads(line)["prediction"] for line in file] == clf.predict(TEXTS).tolist()


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d: ["train", str(d / "missing.jsonl"), "--model", str(d / "m")], "no such file"),
        (lambda d: ["train", str(d / "data.txt"), "--model", str(d / "m")], "--format"),
        (
            lambda d: [
                "train",
                str(d / "data.jsonl"),
                "--label-field",
                "tag",
                "--model",
                str(d / "m"),
            ],
            "no field 'tag'",
        ),
        (
            lambda d: [
                "train",
                str(d / "data.jsonl"),
                "--model",
                str(d / "m"),
                "--params",
                '{"dims": 3}',
            ],
            "dims",
        ),
        (
            lambda d: ["train", str(d / "data.jsonl"), "--model", str(d / "m"), "--params", "{"],
            "not valid JSON",
        ),
        (lambda d: ["evaluate", str(d / "data.jsonl"), str(d / "data.jsonl")], "sktext model"),
        (
            lambda d: [
                "predict",
                str(d / "m"),
                str(d / "data.jsonl"),
                "--output",
                str(d / "out.parquet"),
            ],
            ".jsonl or .csv",
        ),
    ],
)
def test_errors_are_messages_not_tracebacks(tmp_path, capsys, make_args, message):
    _write_jsonl(tmp_path / "data.jsonl", [{"text": "a b", "label": "x"}] * 4)
    (tmp_path / "data.txt").write_text("a b\n", encoding="utf-8")
    assert main(make_args(tmp_path)) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "m").exists()


@pytest.mark.integration  # two fresh interpreters importing torch: seconds each
def test_module_entry_point(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sktext.cli",
            "train",
            str(tmp_path / "missing.csv"),
            "--model",
            str(tmp_path / "m"),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 1
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "sktext.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert help_text.returncode == 0
    assert all(command in help_text.stdout for command in ("train", "predict", "evaluate"))
    assert ".jsonl.gz" in help_text.stdout


@pytest.mark.parametrize(("command", "options"), [("train", "-m MODEL"), ("predict", "-o OUTPUT")])
def test_command_help_names_short_options_and_gzip(command, options, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert options in help_text
    assert ".jsonl.gz" in help_text
