"""An explanation as highlighted text: each word shaded by what it adds to
the predicted class's logit (green) or takes away from it (red), from
``TextClassifier.explain`` on SST-2 movie reviews."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from gallery_data import load

from sktext import TextClassifier

REVIEWS = [
    "a gorgeous , witty and moving film , though the ending drags a little .",
    "the plot is dull and the jokes are tired , but the lead actress is wonderful .",
]
WIDTH = 0.95  # of the figure, where a line wraps


def main(output: Path, data: Path | None) -> None:
    texts, labels, _, _, source = load(data, "sst2", 6000, 0, n_classes=2)
    clf = TextClassifier(random_state=0).fit(texts, labels)
    fig = plt.figure(figsize=(9, 2.6))
    renderer = fig.canvas.get_renderer()
    y = 0.88
    for explanation, label in zip(clf.explain(REVIEWS), clf.predict(REVIEWS), strict=True):
        fig.text(0.02, y, f"predicted: {label}", fontsize=10, weight="bold")
        y -= 0.15
        scores = explanation.attributions[0]
        scale = np.abs(scores).max() or 1.0
        x = 0.02
        for token, score in zip(explanation.tokens, scores, strict=True):
            colour = (0.1, 0.6, 0.2) if score > 0 else (0.85, 0.15, 0.1)
            box = {"facecolor": colour, "alpha": abs(score) / scale * 0.8, "pad": 2, "lw": 0}
            word = fig.text(x, y, token, fontsize=12, bbox=box)
            extent = word.get_window_extent(renderer).transformed(fig.transFigure.inverted())
            if extent.x1 > WIDTH:  # wrap: move the word to the next line
                x, y = 0.02, y - 0.15
                word.set_position((x, y))
            x += extent.width + 0.012
        y -= 0.22
    fig.text(
        0.02,
        0.03,
        f"green: the word adds to the predicted class's logit, red: it takes away "
        f"(stronger: more); trained on {source}",
        fontsize=8,
        color="grey",
    )
    fig.savefig(output / "explanation.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
