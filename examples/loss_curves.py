"""Loss and validation curves: what ``loss_curve_`` and ``validation_scores_``
hold after a fit with early stopping (20 Newsgroups)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
from gallery_data import load

from sktext import TextClassifier


def main(output: Path, data: Path | None) -> None:
    texts, labels, _, _, source = load(data, "20newsgroups", 3000, 0)
    clf = TextClassifier(early_stopping=True, max_iter=20, n_iter_no_change=4, random_state=0)
    clf.fit(texts, labels)
    epochs = range(1, clf.n_iter_ + 1)
    best = clf.validation_scores_.index(clf.best_validation_score_) + 1

    fig, loss_axis = plt.subplots(figsize=(7, 4), layout="constrained")
    loss_axis.plot(epochs, clf.loss_curve_, marker="o", label="training loss")
    loss_axis.set(xlabel="epoch", ylabel="training loss (cross-entropy)")
    score_axis = loss_axis.twinx()
    score_axis.plot(
        epochs, clf.validation_scores_, marker="s", color="tab:orange", label="validation accuracy"
    )
    score_axis.axvline(best, color="grey", linestyle=":", label=f"best epoch ({best}), kept")
    score_axis.set_ylabel("validation accuracy")
    loss_axis.set_title(f"Early stopping on {source}", fontsize="medium")
    fig.legend(loc="outside lower center", ncols=3)
    fig.savefig(output / "loss_curves.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
