"""Punctuation tokens: which marks the word rules keep, on the seven shared sets.

Usage (from the repository root)::

    python benchmarks/punctuation.py DATA_DIR [--datasets NAME ...] [--seeds 0 1 2]
                                     [--folds 10] [--max-docs N] [--output benchmarks/RESULTS.md]

Fits ``TextClassifier(random_state=seed)`` with the words of the default
rules (version 3: words, and each question or exclamation mark a token,
``sktext.splitting.TOKEN_MARKS``) and three other choices, made with a
``preprocessor`` in front of those rules:

- no marks (the rules of version 2): every mark of ``TOKEN_MARKS`` becomes a
  space;
- sentence punctuation: ``. , ; : " ( )`` too become tokens;
- all punctuation: every character that is neither a word character nor
  white space becomes a token.

A mark is made a token by a placeholder word of its own (``zzpunct63zz`` for
"?"), which the rules keep as one word, so that word n-grams pair it with
its neighbours as they do a token. Reports the primary metric (accuracy;
Reuters micro-F1) of each choice: on train / test sets the mean over
``--seeds``, on the sets with a ``fold`` field (SUBJ, MPQA, CR) the mean over
the first ``--folds`` folds at the first seed. Writes a section between
``<!-- punctuation.py:begin -->`` and ``<!-- punctuation.py:end -->`` of
``--output``; ``--max-docs N`` keeps N evenly spaced train and test documents
(a smoke run; send its output elsewhere).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    DATA_DIR_HELP,
    Section,
    add_max_docs_argument,
    add_output_argument,
    is_multilabel,
    load_split,
    make_parser,
    score,
    sktext_versions,
    table,
)
from compare import DEFAULT_DATASETS, is_cross_validated, load_fold

from sktext import TextClassifier
from sktext.splitting import TOKEN_MARKS


class _Marks:
    """A preprocessor: each character of ``pattern`` a placeholder word, or a
    space with ``drop``."""

    def __init__(self, pattern: str, drop: bool = False) -> None:
        self.pattern = re.compile(pattern)
        self.drop = drop

    def __call__(self, text: str) -> str:
        return self.pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        return " " if self.drop else f" zzpunct{ord(match.group())}zz "


CHOICES: dict[str, dict[str, Any]] = {
    "no marks (rules 2)": {"preprocessor": _Marks(f"[{re.escape(TOKEN_MARKS)}]", drop=True)},
    "? and ! (rules 3, the default)": {},
    'sentence punctuation: ? ! . , ; : " ( )': {"preprocessor": _Marks(r'[.,;:"()]')},
    "all punctuation and symbols": {"preprocessor": _Marks(r"[^\w\s]")},
}


def _runs(folder: Path, args: Any) -> list[tuple[int, tuple[Any, Any]]]:
    """``(seed, (train, test))`` of each fit on ``folder``."""
    if is_cross_validated(folder):
        seed = args.seeds[0]
        return [(seed, load_fold(folder, fold, args.max_docs)) for fold in range(args.folds)]
    splits = tuple(
        load_split(folder / f"{name}.jsonl.gz", args.max_docs) for name in ("train", "test")
    )
    return [(seed, splits) for seed in args.seeds]


def _primary(params: dict[str, Any], seed: int, train: Any, test: Any) -> float:
    model = TextClassifier(random_state=seed, **params).fit(*train)
    predicted = model.predict(test[0])
    if is_multilabel(test[1]):
        return score(train[1], test[1], [tuple(p) for p in predicted])["micro-F1"]
    return score(train[1], test[1], list(predicted))["accuracy"]


def main(argv: Sequence[str]) -> int:
    parser = make_parser(__doc__, DATA_DIR_HELP)
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=10, help="folds run on the CV sets")
    add_max_docs_argument(parser)
    add_output_argument(parser, __file__)
    args = parser.parse_args(argv)
    section = Section(__file__, "Punctuation tokens")
    rows = []
    for dataset in args.datasets:
        runs = _runs(args.data_dir / dataset, args)
        scores = []
        for name, params in CHOICES.items():
            print(f"{dataset}: {name}...", file=sys.stderr, flush=True)
            scores.append(np.mean([_primary(params, seed, *splits) for seed, splits in runs]))
        best = max(scores)
        rows.append([dataset, *(f"**{s:.4f}**" if s == best else f"{s:.4f}" for s in scores)])
    section.publish(
        table(["data set", *CHOICES], rows),
        args.output,
        [
            f"- Seeds {args.seeds} on train / test sets; {args.folds} folds at seed "
            f"{args.seeds[0]} on SUBJ, MPQA and CR. Accuracy; Reuters micro-F1. Best in bold.",
        ],
        versions=sktext_versions(),
        max_docs=args.max_docs,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
