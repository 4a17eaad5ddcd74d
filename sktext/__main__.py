"""``python -m sktext``: train and evaluate on generated data, print the metrics.

A self-contained demonstration (no data files, no network): one multiclass and
one multilabel task from :func:`sktext.datasets.make_text_classification`.
"""

from __future__ import annotations

import time

from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MultiLabelBinarizer

from . import TextClassifier
from .datasets import make_text_classification


def _run(name: str, multilabel: bool) -> None:
    texts, y = make_text_classification(6000, 8, multilabel=multilabel, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(texts, y, random_state=0)
    clf = TextClassifier(random_state=0)
    started = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = clf.predict(X_test)
    rate = len(X_test) / (time.perf_counter() - started)
    if multilabel:
        binarizer = MultiLabelBinarizer(classes=clf.classes_)
        truth, guess = binarizer.fit_transform(y_test), binarizer.transform(predicted)
        metrics = (
            f"micro-F1 {f1_score(truth, guess, average='micro'):.3f}  "
            f"macro-F1 {f1_score(truth, guess, average='macro'):.3f}  "
            f"subset accuracy {accuracy_score(truth, guess):.3f}"
        )
    else:
        metrics = (
            f"accuracy {accuracy_score(y_test, predicted):.3f}  "
            f"macro-F1 {f1_score(y_test, predicted, average='macro'):.3f}"
        )
    print(
        f"{name:<11} train {len(X_train)} / test {len(X_test)} docs  "
        f"fit {fit_seconds:.2f} s  predict {rate:,.0f} docs/s  {metrics}"
    )


def main() -> None:
    _run("multiclass", multilabel=False)
    _run("multilabel", multilabel=True)


if __name__ == "__main__":
    main()
