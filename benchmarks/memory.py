"""Peak memory of predicting many short documents with one fitted model.

Usage (from the repository root)::

    python benchmarks/memory.py [--n-predict 1000000] [--n-train 100000]
                                [--output benchmarks/RESULTS.md]

Generates short synthetic documents (10-40 words, 20 classes), fits the default
``TextClassifier`` on ``--n-train`` of them, then predicts ``--n-predict``
others in one call. ``predict`` tokenizes and scores texts in chunks, so its
memory should not grow with the number of documents beyond the texts and the
answers themselves. Reported: peak RSS of the process (``ru_maxrss``) after
fitting and after predicting, the RSS of the texts alone, and throughput.
Writes a section between ``<!-- memory.py:begin -->`` and ``<!-- memory.py:end -->``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from _common import Section, add_output_argument, make_parser, peak_rss_mb, table, timed

from sktext import TextClassifier
from sktext.datasets import make_text_classification


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__)
    parser.add_argument("--n-predict", type=int, default=1_000_000)
    parser.add_argument("--n-train", type=int, default=100_000)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Memory: predicting many short documents")

    baseline = peak_rss_mb()
    texts, labels = make_text_classification(args.n_train + args.n_predict, 20, random_state=0)
    train_texts, train_labels = texts[: args.n_train], labels[: args.n_train]
    test_texts, test_labels = texts[args.n_train :], labels[args.n_train :]
    with_texts = peak_rss_mb()

    clf = TextClassifier(random_state=0).fit(train_texts, train_labels)
    after_fit = peak_rss_mb()
    predicted, seconds = timed(clf.predict, test_texts)
    after_predict = peak_rss_mb()
    accuracy = float((predicted == test_labels).mean())

    rows = [
        ("documents predicted in one call", f"{args.n_predict:,}"),
        ("peak RSS after imports", f"{baseline:,.0f} MB"),
        ("peak RSS with all texts generated", f"{with_texts:,.0f} MB"),
        (f"peak RSS after fit ({args.n_train:,} docs)", f"{after_fit:,.0f} MB"),
        ("peak RSS after predict", f"{after_predict:,.0f} MB"),
        ("predict growth over fit", f"{after_predict - after_fit:,.0f} MB"),
        ("predict throughput", f"{args.n_predict / seconds:,.0f} docs/s"),
        ("accuracy", f"{accuracy:.3f}"),
    ]
    section.publish(table(["measure", "value"], rows), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
