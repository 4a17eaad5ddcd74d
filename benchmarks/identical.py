"""Before/after check that a change meant to change nothing changed nothing.

Fits ``TextClassifier(random_state=0)`` at its defaults on shared data sets
with the code of two checkouts, one process each, and says whether the test
probabilities are bit-identical::

    git worktree add /tmp/before <commit>
    python benchmarks/identical.py /tmp/before --data ../shared/data

The architecture change of 2026-12-01 was checked this way against df3b0b4
(before it): TREC and SST-2 at full size, bit-identical.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
_WORKER = """
import sys
import numpy as np
sys.path.insert(0, {benchmarks!r})
from _common import load_split
from sktext import TextClassifier
out = {{}}
for name in {datasets!r}:
    X, y = load_split(__import__("pathlib").Path({data!r}) / name / "train.jsonl.gz", None)
    X_test, _ = load_split(__import__("pathlib").Path({data!r}) / name / "test.jsonl.gz", None)
    out[name] = TextClassifier(random_state=0).fit(X, y).predict_proba(X_test)
np.savez({output!r}, **out)
"""


def _probabilities(checkout: Path, data: Path, datasets: list[str], output: Path) -> dict:
    code = _WORKER.format(
        benchmarks=str(REPO_ROOT / "benchmarks"),
        datasets=datasets,
        data=str(data),
        output=str(output),
    )
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=checkout, env=environment)
    return dict(np.load(output))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a checkout of the code before the change")
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--datasets", nargs="+", default=["trec", "sst2"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        before = _probabilities(args.before, args.data, args.datasets, Path(folder) / "a.npz")
        after = _probabilities(REPO_ROOT, args.data, args.datasets, Path(folder) / "b.npz")
    same = True
    for name in args.datasets:
        identical = np.array_equal(before[name], after[name])
        same &= identical
        difference = np.abs(before[name] - after[name]).max()
        print(f"{name}: {'bit-identical' if identical else f'max difference {difference:.3g}'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
