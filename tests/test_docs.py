"""Every Python code block of the README and docs/ runs, in order, per file.

A block whose first line is ``# requires: name[, name...]`` needs optional
packages (e.g. matplotlib, which sktext does not depend on): it runs when they
are installed and is skipped otherwise, so later blocks must not depend on it.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Pages whose examples train many models or start a cluster (seconds to minutes each):
# the integration step runs them; the default run keeps the README's quick ones.
SLOW_PAGES = {"guide.md", "scaling.md", "tutorials.md"}
PAGES = [
    pytest.param(path, marks=[pytest.mark.integration] if path.name in SLOW_PAGES else [])
    for path in DOCUMENTS
]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
REQUIRES = re.compile(r"# requires: (.+)\n")


def missing_packages(block: str) -> list[str]:
    """The optional packages a block declares that are not installed."""
    declared = REQUIRES.match(block)
    names = declared.group(1).split(",") if declared else []
    return [name.strip() for name in names if importlib.util.find_spec(name.strip()) is None]


def test_the_guides_have_examples() -> None:
    for path in (ROOT / "README.md", ROOT / "docs" / "guide.md", ROOT / "docs" / "scaling.md"):
        assert BLOCK.findall(path.read_text(encoding="utf-8")), f"{path.name} has no example"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_code_blocks_run(path: Path) -> None:
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__docs__"}
    for number, block in enumerate(blocks, start=1):
        if missing_packages(block):
            continue
        try:
            exec(compile(block, f"{path.name}[block {number}]", "exec"), namespace)
        except Exception as error:  # pragma: no cover - the message is the point
            raise AssertionError(f"{path.name} block {number} failed: {error!r}") from error


def test_requires_marker() -> None:
    assert missing_packages("# requires: numpy, surely_not_installed_xyz\nimport numpy\n") == [
        "surely_not_installed_xyz"
    ]
    assert missing_packages("# requires: numpy\n") == []
    assert missing_packages("import numpy\n# requires: surely_not_installed_xyz\n") == []
