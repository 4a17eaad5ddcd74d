"""The data of the gallery examples: small subsets of the benchmark data sets
when they are on disk (``DATA_DIR/<name>/{train,test}.jsonl.gz``, as
``benchmarks/compare.py`` reads them), generated texts otherwise, so that
every example runs anywhere in seconds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from sktext.datasets import make_text_classification


def load(
    data: Path | None,
    name: str,
    n_train: int,
    n_test: int,
    *,
    multilabel: bool = False,
    n_classes: int = 6,
) -> tuple[list[str], list[Any], list[str], list[Any], str]:
    """``(train texts, train labels, test texts, test labels, source)``:
    ``n_train`` / ``n_test`` documents of data set ``name``, evenly spaced over
    its files, or generated ones of ``n_classes`` classes (``source`` says which)."""
    if data is not None and (data / name / "train.jsonl.gz").is_file():
        train = _read(data / name / "train.jsonl.gz", n_train)
        test = _read(data / name / "test.jsonl.gz", n_test)
        return *train, *test, f"{name}, {n_train:,} training documents"
    texts, labels = make_text_classification(
        n_train + n_test, n_classes=n_classes, multilabel=multilabel, random_state=0
    )
    labels = list(labels)
    source = f"generated texts ({name} not found), {n_train:,} training documents"
    return texts[:n_train], labels[:n_train], texts[n_train:], labels[n_train:], source


def _read(path: Path, n: int) -> tuple[list[str], list[Any]]:
    # Evenly spaced: the files may be sorted by label.
    with gzip.open(path, "rt", encoding="utf-8") as file:
        lines = file.readlines()
    lines = [lines[i * len(lines) // n] for i in range(min(n, len(lines)))]
    records = [json.loads(line) for line in lines]
    labels = [tuple(r["labels"]) if "labels" in r else r["label"] for r in records]
    return [r["text"] for r in records], labels
