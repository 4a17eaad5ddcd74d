"""Every Python block of the README runs alone, in a fresh process, as a
newcomer pastes it, and prints what its comments say.

A line ending in ``# -> OUTPUT`` must print OUTPUT (doctest's ``...`` matches
anything): the comments the reader trusts are checked, in order.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# Five fresh interpreters: slow beside the unit tests (see conftest.py).
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
EXPECTED = re.compile(r"#\s*->\s*(.*)$", re.MULTILINE)
_CHECKER = doctest.OutputChecker()
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def expected_output(block: str) -> str:
    """The outputs the comments promise, one line each."""
    return "".join(line + "\n" for line in EXPECTED.findall(block))


def test_expected_output_reads_the_arrow_comments():
    assert expected_output("x = 1\nprint(x)  # -> 1\nprint([x])  # -> [1]\n") == "1\n[1]\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[subprocess.CompletedProcess]:
    """Each block in its own interpreter, started together (they are small
    and single-threaded), in an empty directory: a block writes nothing
    where the reader works."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = []
    for number, block in enumerate(BLOCKS, start=1):
        cwd = tmp_path_factory.mktemp(f"block{number}")
        started.append(
            subprocess.Popen(
                [sys.executable, "-c", block],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for process in started:
        out, err = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


@pytest.mark.parametrize("number", range(1, len(BLOCKS) + 1), ids=lambda n: f"block{n}")
def test_block_runs_alone_and_prints_what_it_says(number, runs):
    block, result = BLOCKS[number - 1], runs[number - 1]
    assert result.returncode == 0, f"README block {number} failed alone:\n{result.stderr[-3000:]}"
    want = expected_output(block)
    assert want, f"README block {number} shows no output (# -> ...)"
    assert _CHECKER.check_output(want, result.stdout, _FLAGS), (
        f"README block {number} printed\n{result.stdout}\nbut its comments say\n{want}"
    )
