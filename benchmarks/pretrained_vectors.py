"""Pretrained word vectors: what they gain with few labelled documents.

Usage (from the repository root)::

    python benchmarks/pretrained_vectors.py DATA_DIR [--datasets sst2 trec]
        [--sizes 60 200 1000] [--seeds 5] [--dim 100] [--more-text] [--smoke]
        [--output benchmarks/RESULTS.md]

The semi-supervised setting pretrained vectors are for: a data set's whole
training split is available as unlabelled text, a few of its documents are
labelled. Word vectors are trained on the unlabelled texts (lowercased, one
a line) with fastText's unsupervised mode (``fasttext.train_unsupervised``,
skipgram, ``--dim`` dimensions, 10 epochs, one thread) and written as a
``.vec`` file. Then, for each size N and seed, N training documents are drawn
(seeded, without replacement) and fitted four ways, each scored on the whole
test split:

- ``TextClassifier(random_state=seed)``: the defaults (dim 50);
- the same with ``dim=--dim``: the width of the vectors, without them;
- the same with ``pretrained_vectors=`` the ``.vec`` file (dim follows it);
- fastText supervised (dim ``--dim``, 25 epochs, lr 0.5, wordNgrams 2,
  minCount 1, one thread), without and with ``-pretrainedVectors``.

Accuracy is the mean over seeds 0 to ``--seeds - 1`` (min-max in brackets).
``--more-text`` reruns SST-2 with vectors trained on more unlabelled text of
its domain too: the sentences of SUBJ, CR and MPQA (:data:`MORE_TEXT`).
``--smoke`` runs 60 documents, one seed, 300 unlabelled texts and 16
dimensions: a check that the script runs, not a measurement. Writes a section
between ``<!-- pretrained_vectors.py:begin -->`` and
``<!-- pretrained_vectors.py:end -->`` of ``--output``.
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import (
    Section,
    add_output_argument,
    check_splits,
    evenly_spaced,
    load_split,
    make_parser,
    one_line,
)

# Unlabelled texts of the same domain for --more-text (their labels unused):
# the movie and product review sentences of SUBJ, CR and MPQA for SST-2.
MORE_TEXT = {"sst2": ("subj", "cr", "mpqa")}
SYSTEMS = ("sktext defaults", "sktext dim", "sktext + vectors", "fastText", "fastText + vectors")


def train_vectors(texts: list[str], dim: int, folder: Path) -> Path:
    """A ``.vec`` file of skipgram vectors trained on ``texts``."""
    import fasttext

    corpus = folder / "unlabelled.txt"
    corpus.write_text("\n".join(one_line(t).lower() for t in texts) + "\n", encoding="utf-8")
    model = fasttext.train_unsupervised(
        str(corpus), model="skipgram", dim=dim, epoch=10, minCount=1, thread=1, verbose=0
    )
    path = folder / "vectors.vec"
    words = model.get_words()
    with path.open("w", encoding="utf-8") as file:
        file.write(f"{len(words)} {dim}\n")
        for word in words:
            numbers = " ".join(f"{v:.5f}" for v in model.get_word_vector(word))
            file.write(f"{word} {numbers}\n")
    return path


def fasttext_accuracy(
    X: list[str], y: list[str], X_test: list[str], y_test: list[str], dim: int, vectors: Path | None
) -> float:
    """Test accuracy of fastText supervised, with ``-pretrainedVectors`` if given."""
    import fasttext

    lines = [f"__label__{label} {one_line(text).lower()}" for text, label in zip(X, y, strict=True)]
    random.Random(0).shuffle(lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        extra = {} if vectors is None else {"pretrainedVectors": str(vectors)}
        model = fasttext.train_supervised(
            str(path),
            dim=dim,
            epoch=25,
            lr=0.5,
            wordNgrams=2,
            minCount=1,
            thread=1,
            seed=0,
            verbose=0,
            **extra,
        )
    predicted, _ = model.predict([one_line(t).lower() for t in X_test])
    return float(np.mean([p[0] == f"__label__{t}" for p, t in zip(predicted, y_test, strict=True)]))


def accuracies(
    data: tuple[list[str], list[str], list[str], list[str]],
    n: int,
    seed: int,
    dim: int,
    vectors: Path,
) -> list[float]:
    """The test accuracy of each of :data:`SYSTEMS` on ``n`` drawn training documents."""
    from sktext import TextClassifier

    X_all, y_all, X_test, y_test = data
    rows = np.random.default_rng(seed).choice(len(X_all), size=n, replace=False)
    X, y = [X_all[i] for i in rows], [y_all[i] for i in rows]
    scores = []
    for params in ({}, {"dim": dim}, {"pretrained_vectors": vectors}):
        model = TextClassifier(random_state=seed, **params).fit(X, y)
        scores.append(model.score(X_test, y_test))
    scores.append(fasttext_accuracy(X, y, X_test, y_test, dim, None))
    scores.append(fasttext_accuracy(X, y, X_test, y_test, dim, vectors))
    return scores


def cell(values: Sequence[float]) -> str:
    return f"{np.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def run_dataset(
    data_dir: Path,
    name: str,
    sizes: Sequence[int],
    seeds: int,
    dim: int,
    max_unlabelled: int | None,
    more_text: bool = False,
) -> tuple[list[str], str]:
    """The table rows of one data set, and a note on its vectors (trained on
    :data:`MORE_TEXT` too if ``more_text``)."""
    X_all, y_all = load_split(data_dir / name / "train.jsonl.gz", None)
    X_test, y_test = load_split(data_dir / name / "test.jsonl.gz", None)
    unlabelled = evenly_spaced(X_all, max_unlabelled)
    others = MORE_TEXT[name] if more_text else ()
    for other in others:
        unlabelled = unlabelled + load_split(data_dir / other / "all.jsonl.gz", None)[0]
    label = f"{name} + {', '.join(others)} texts" if others else name
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        vectors = train_vectors(unlabelled, dim, Path(tmp))
        for n in sizes:
            print(f"{name}, {n} documents...", file=sys.stderr, flush=True)
            runs = [
                accuracies((X_all, y_all, X_test, y_test), n, s, dim, vectors) for s in range(seeds)
            ]
            by_system = list(zip(*runs, strict=True))
            gain = np.mean(by_system[2]) - np.mean(by_system[0])
            cells = [cell(values) for values in by_system]
            rows.append(f"| {label} | {n} | {' | '.join(cells)} | {gain:+.3f} |")
    note = (
        f"- {label}: vectors trained on {len(unlabelled)} unlabelled texts; "
        f"{len(X_test)} test texts."
    )
    return rows, note


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, "folder of the shared data sets")
    parser.add_argument("--datasets", nargs="+", default=["sst2", "trec"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[60, 200, 1000])
    parser.add_argument("--seeds", type=int, default=5, help="random_state 0..N-1")
    parser.add_argument("--dim", type=int, default=100, help="width of the trained vectors")
    parser.add_argument("--smoke", action="store_true", help="a quick run that checks the script")
    parser.add_argument(
        "--more-text",
        action="store_true",
        help="also train vectors on more unlabelled texts (SST-2: SUBJ, CR, MPQA) and rerun",
    )
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    check_splits(parser, args.data_dir, args.datasets)
    if args.smoke:
        args.sizes, args.seeds, args.dim = [60], 1, 16
    section = Section(__file__, "Pretrained word vectors with few labelled documents")
    rows, notes = [], []
    for name in args.datasets:
        more, note = run_dataset(
            args.data_dir, name, args.sizes, args.seeds, args.dim, 300 if args.smoke else None
        )
        rows += more
        notes.append(note)
        if args.more_text and name in MORE_TEXT:
            more, note = run_dataset(
                args.data_dir, name, args.sizes, args.seeds, args.dim, None, more_text=True
            )
            rows += more
            notes.append(note)
    lines = [
        f"Test accuracy, mean (min-max) over random_state 0-{args.seeds - 1} (each seed also "
        f"draws the labelled documents); vectors of {args.dim} dimensions; gain: sktext + "
        "vectors minus sktext defaults.",
        "",
        f"| data set | labelled documents | {' | '.join(SYSTEMS)} | gain |",
        "|---|---|" + "---|" * (len(SYSTEMS) + 1),
        *rows,
    ]
    if args.smoke:
        notes.append("- Smoke run: 300 unlabelled texts, 16 dimensions, one seed.")
    section.publish(lines, args.output, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
