"""Unicode rules: what normalisation, combining marks and emoji tokens gain.

Usage (from the repository root)::

    python benchmarks/unicode_rules.py [--n-train N] [--output benchmarks/RESULTS.md]
                                       [--shared DATA_DIR [--seeds N]]

No shared data set holds emoji or decomposed accents, so the tasks are
generated (seeded), each with the label carried by what the rules change:

- ``emoji``: 3 classes, 8 filler words a text (the same vocabulary for every
  class) and one emoji of the class, some of them sequences (skin tone, ZWJ
  family, variation selector);
- ``emoji or word``: the same, with a class word in half of the texts;
- ``NFD copies``: 3 classes of French texts whose class words carry accents,
  trained on NFC texts and tested on NFD copies of the test texts;
- ``Devanagari vowel signs``: 2 classes whose words differ only by a final
  vowel sign ("कमी" / "कम", "पानी" / "पान", "नदी" / "नद").

Each task is fitted with ``TextClassifier(random_state=0)`` twice: with the
rules of new models, and with the rules of models saved before (no
normalisation, ``word_rules=1``), which this script gets by having the
estimator build its Tokenizer with them.

With ``--shared DATA_DIR`` (the folders of ``compare.py``), TREC, SST-2 and
20 Newsgroups are fitted the same two ways with ``random_state`` 0 to
``--seeds - 1``: the test accuracy under each rule, as the mean and range over
seeds, with the number of test texts whose words differ between the rules.
That is the check that the rules leave the shared data sets' figures where
they were. Writes a section between
``<!-- unicode_rules.py:begin -->`` and ``<!-- unicode_rules.py:end -->`` of
``--output``.
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from unittest import mock

import numpy as np
from _common import REPO_ROOT, Section, load_split

EMOJI = [["😀", "😍", "👍🏽"], ["😡", "🤬", "👎🏿"], ["😢", "💔", "👨\u200d👩\u200d👧"]]
CLASS_WORDS = [
    ["great", "lovely", "superb"],
    ["awful", "rude", "broken"],
    ["lonely", "lost", "gone"],
]
FRENCH = [["café", "crème", "thé"], ["élève", "école", "leçon"], ["forêt", "rivière", "île"]]
HINDI = [["कमी", "पानी", "नदी"], ["कम", "पान", "नद"]]
Task = tuple[list[str], np.ndarray, list[str], np.ndarray]


def _filler(rng: np.random.Generator, n_words: int) -> list[str]:
    letters = list("abcdefghijklmnopqrstuvwxyz")
    return ["".join(rng.choice(letters, rng.integers(3, 8))) for _ in range(n_words)]


def make_tasks(n_train: int, n_test: int, seed: int = 0) -> dict[str, Task]:
    """name -> (train texts, train labels, test texts, test labels)."""
    rng = np.random.default_rng(seed)
    filler = _filler(rng, 300)
    hindi_filler = ["".join(rng.choice(list("कखगघचजटडतदनपबमयरलवसह"), 3)) for _ in range(300)]

    def texts(
        n: int, n_classes: int, signal: Callable[[int, int], list[str]], words: list[str]
    ) -> tuple[list[str], np.ndarray]:
        y = rng.integers(0, n_classes, n)
        out = []
        for i, label in enumerate(y):
            parts = [*rng.choice(words, 8), *signal(int(label), i)]
            rng.shuffle(parts)
            out.append(" ".join(parts))
        return out, y

    def emoji(label: int, i: int) -> list[str]:
        return [str(rng.choice(EMOJI[label]))]

    def emoji_or_word(label: int, i: int) -> list[str]:
        word = [str(rng.choice(CLASS_WORDS[label]))] if i % 2 else []
        return [*emoji(label, i), *word]

    def french(label: int, i: int) -> list[str]:
        return list(rng.choice(FRENCH[label], 2))

    def hindi(label: int, i: int) -> list[str]:
        return list(rng.choice(HINDI[label], 2))

    tasks = {}
    for name, n_classes, signal, words in [
        ("emoji", 3, emoji, filler),
        ("emoji or word", 3, emoji_or_word, filler),
        ("NFD copies", 3, french, filler),
        ("Devanagari vowel signs", 2, hindi, hindi_filler),
    ]:
        train = texts(n_train, n_classes, signal, words)
        test = texts(n_test, n_classes, signal, words)
        tasks[name] = (*train, *test)
    X, y, X_test, y_test = tasks["NFD copies"]
    tasks["NFD copies"] = (X, y, [unicodedata.normalize("NFD", t) for t in X_test], y_test)
    return tasks


def fit_and_score(task: Task, legacy: bool, seed: int = 0) -> tuple[float, float]:
    """Test accuracy and fit seconds of ``TextClassifier(random_state=seed)``."""
    import sktext.features
    from sktext import TextClassifier
    from sktext.tokenizer import Tokenizer

    def legacy_tokenizer(**options: object) -> Tokenizer:
        return Tokenizer(**{**options, "normalize_unicode": None, "word_rules": 1})

    X, y, X_test, y_test = task
    factory = legacy_tokenizer if legacy else Tokenizer
    with mock.patch.object(sktext.features, "Tokenizer", factory):
        started = time.perf_counter()
        model = TextClassifier(random_state=seed).fit(X, y)
        seconds = time.perf_counter() - started
    return model.score(X_test, y_test), seconds


def shared_rows(data_dir: Path, seeds: int) -> list[str]:
    """One table row a shared data set: accuracy under each rule over seeds."""
    from sktext.splitting import _legacy_words, _words

    rows = []
    for name in ("trec", "sst2", "20newsgroups"):
        print(f"{name}...", file=sys.stderr, flush=True)
        X, y = load_split(data_dir / name / "train.jsonl.gz", None)
        X_test, y_test = load_split(data_dir / name / "test.jsonl.gz", None)
        task = (X, np.asarray(y), X_test, np.asarray(y_test))
        changed = sum(
            _words(unicodedata.normalize("NFC", text).lower()) != _legacy_words(text.lower())
            for text in X_test
        )
        cells = []
        for legacy in (True, False):
            scores = [fit_and_score(task, legacy, seed)[0] for seed in range(seeds)]
            cells.append(f"{np.mean(scores):.4f} ({min(scores):.4f}-{max(scores):.4f})")
        rows.append(f"| {name} | {changed} of {len(X_test)} | {cells[0]} | {cells[1]} |")
    return rows


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-train", type=int, default=3000, help="training texts a task")
    parser.add_argument("--n-test", type=int, default=1000, help="test texts a task")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).with_name("RESULTS.md"),
        help="Markdown file whose unicode_rules.py section is (re)written",
    )
    parser.add_argument("--shared", type=Path, help="also check the shared data sets there")
    parser.add_argument("--seeds", type=int, default=5, help="random_state 0..N-1 (--shared)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    section = Section(__file__, "Unicode rules on generated text")
    rows = []
    for name, task in make_tasks(args.n_train, args.n_test).items():
        print(f"{name}...", file=sys.stderr, flush=True)
        (old, old_s), (new, new_s) = fit_and_score(task, True), fit_and_score(task, False)
        rows.append(f"| {name} | {old:.3f} ({old_s:.1f} s) | {new:.3f} ({new_s:.1f} s) |")
    notes = [
        f"- Data: generated, {args.n_train} train / {args.n_test} test texts a task; "
        "test accuracy (fit time) of TextClassifier(random_state=0). Rules of models "
        "saved before: no normalisation, words are `\\w+` runs, emoji dropped; new rules: "
        "NFC, combining marks inside words, emoji tokens."
    ]
    lines = [
        "| task (label carried by) | rules of models saved before | new rules |",
        "|---|---|---|",
        *rows,
    ]
    if args.shared is not None:
        lines += [
            "",
            "Shared data sets, test accuracy: mean (min-max) over random_state "
            f"0-{args.seeds - 1}.",
            "",
            "| data set | test texts whose words differ | rules of models saved before "
            "| new rules |",
            "|---|---|---|---|",
            *shared_rows(args.shared, args.seeds),
        ]
    section.publish(lines, args.output, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
