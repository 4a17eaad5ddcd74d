"""A confusion matrix on 20 Newsgroups: which newsgroups the classifier
mixes up (the religion and politics groups, the computer hardware groups)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
from gallery_data import load
from sklearn.metrics import ConfusionMatrixDisplay

from sktext import TextClassifier


def main(output: Path, data: Path | None) -> None:
    texts, labels, test_texts, test_labels, source = load(data, "20newsgroups", 4000, 2000)
    clf = TextClassifier(random_state=0).fit(texts, labels)
    fig, axis = plt.subplots(figsize=(9, 8.5), layout="constrained")
    display = ConfusionMatrixDisplay.from_predictions(
        test_labels,
        clf.predict(test_texts),
        labels=clf.classes_,
        normalize="true",
        values_format=".1f",
        colorbar=False,
        ax=axis,
    )
    for text in display.text_.ravel():
        text.set_fontsize(6)
    axis.tick_params(axis="x", labelrotation=90, labelsize=8)
    axis.tick_params(axis="y", labelsize=8)
    accuracy = clf.score(test_texts, test_labels)
    axis.set_title(f"{source}\naccuracy {accuracy:.3f}; each row: where a group's documents went")
    fig.savefig(output / "confusion_matrix.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
