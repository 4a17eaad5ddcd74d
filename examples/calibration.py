"""A calibration diagram: how often a predicted probability comes true, for
the raw probabilities and for ``CalibratedClassifierCV`` around the
classifier (SST-2, a binary task)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
from gallery_data import load
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay

from sktext import TextClassifier


def main(output: Path, data: Path | None) -> None:
    texts, labels, test_texts, test_labels, source = load(data, "sst2", 5000, 1800, n_classes=2)
    positive = sorted(set(labels))[-1]
    raw = TextClassifier(random_state=0).fit(texts, labels)
    calibrated = CalibratedClassifierCV(TextClassifier(random_state=0), method="isotonic", cv=3)
    calibrated.fit(texts, labels)
    fig, axis = plt.subplots(figsize=(6, 5.5), layout="constrained")
    for name, model in (("sktext", raw), ("sktext + isotonic calibration", calibrated)):
        CalibrationDisplay.from_estimator(
            model, test_texts, test_labels, pos_label=positive, n_bins=10, name=name, ax=axis
        )
    axis.set_title(f"{source}: P({positive})", fontsize="medium")
    fig.savefig(output / "calibration.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
