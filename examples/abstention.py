"""Coverage against accuracy on TREC: the share of test questions coded
automatically at each confidence threshold, and their accuracy, with the
thresholds chosen on the training questions alone for 90 % and 95 %."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from gallery_data import load

from sktext import TextClassifier
from sktext.abstention import abstention_threshold, confidence, coverage_curve

TARGETS = (0.9, 0.95)


def main(output: Path, data: Path | None) -> None:
    texts, labels, test_texts, test_labels, source = load(data, "trec", 3000, 500)
    model = TextClassifier(random_state=0)
    # Out-of-fold on the training questions: the test labels choose nothing.
    thresholds = [abstention_threshold(model, texts, labels, t, cv=5) for t in TARGETS]
    model.fit(texts, labels)
    proba = model.predict_proba(test_texts)
    fig, axis = plt.subplots(figsize=(7, 4.5), layout="constrained")
    for on in ("probability", "margin"):
        coverage, accuracy, _ = coverage_curve(test_labels, proba, model.classes_, on=on)
        axis.plot(coverage, accuracy, label=f"confidence: top {on}")
    scores = confidence(proba)
    correct = model.classes_[proba.argmax(axis=1)] == np.asarray(test_labels)
    for target, threshold in zip(TARGETS, thresholds, strict=True):
        kept = scores >= threshold
        axis.plot(kept.mean(), correct[kept].mean(), "o", color="black")
        axis.annotate(
            f"target {target:.0%}, threshold {threshold:.2f}",
            (kept.mean(), correct[kept].mean()),
            textcoords="offset points",
            xytext=(8, 6),
            fontsize=8,
        )
    axis.set(xlabel="coverage (share coded automatically)", ylabel="accuracy of those coded")
    axis.set(xlim=(0, 1.02), ylim=(max(0.0, correct.mean() - 0.1), 1.005))
    axis.legend(title="dots: thresholds chosen on training data", fontsize=8, loc="lower left")
    axis.set_title(f"{source}: coverage against accuracy", fontsize="medium")
    fig.savefig(output / "abstention.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
