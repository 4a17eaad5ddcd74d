"""Per-label F1 against the decision threshold on Reuters-21578, with the
thresholds ``threshold="auto"`` tuned on out-of-fold probabilities marked:
one label's best threshold is far from another's, and from 0.5."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from gallery_data import load
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from sktext import TextClassifier

N_LABELS = 6  # the most frequent labels of the training set


def main(output: Path, data: Path | None) -> None:
    texts, tags, test_texts, test_tags, source = load(
        data, "reuters21578_modapte", 3000, 1500, multilabel=True
    )
    clf = TextClassifier(threshold="auto", random_state=0).fit(texts, tags)
    proba = clf.predict_proba(test_texts)
    # Labels no training document has cannot be predicted: no column for them.
    known = set(clf.classes_)
    truth = MultiLabelBinarizer(classes=clf.classes_).fit_transform(
        [[label for label in labels if label in known] for labels in test_tags]
    )
    counts = Counter(label for labels in tags for label in labels)
    shown = [label for label, _ in counts.most_common(N_LABELS)]
    grid = np.linspace(0.02, 0.98, 49)

    fig, axis = plt.subplots(figsize=(8, 4.5), layout="constrained")
    for label in shown:
        column = list(clf.classes_).index(label)
        scores = [f1_score(truth[:, column], proba[:, column] >= t, zero_division=0) for t in grid]
        (line,) = axis.plot(grid, scores, label=label)
        tuned = clf.threshold_[column]
        tuned_f1 = f1_score(truth[:, column], proba[:, column] >= tuned, zero_division=0)
        axis.plot(tuned, tuned_f1, marker="o", markersize=8, color=line.get_color())
    axis.axvline(0.5, color="grey", linestyle=":", label="0.5 (the default)")
    axis.set(xlabel="threshold", ylabel="F1 on the test documents", ylim=(0, 1.02))
    axis.legend(title="label (dot: tuned threshold)", loc="lower center", ncols=4, fontsize=8)
    axis.set_title(f"{source}: per-label F1 against threshold", fontsize="medium")
    fig.savefig(output / "thresholds.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
