"""The gallery's parts agree: every example has a script, a picture on the
page and its code under it. Running the examples is CI's job (``.ci/run``),
not the unit tests'."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PAGE = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"gallery_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(EXAMPLES))  # the examples import gallery_data beside them
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


def test_each_example_has_its_picture_and_code_on_the_page():
    names = _module("run_gallery").EXAMPLES
    assert sorted(names) == sorted(
        p.stem for p in EXAMPLES.glob("*.py") if p.stem not in ("run_gallery", "gallery_data")
    )
    assert re.findall(r'<img src="(\w+)\.png"', PAGE) == names
    assert re.findall(r'--8<-- "examples/(\w+)\.py"', PAGE) == names


def test_benchmark_charts_read_the_side_by_side_tables():
    pytest.importorskip("matplotlib")
    charts = _module("benchmark_charts")
    tables = charts.read_tables(charts.RESULTS.read_text(encoding="utf-8"))
    assert "20newsgroups" in tables
    for rows in tables.values():
        assert {"system", "fit s", "metrics"} <= set(rows[0])
        assert all(0 <= charts._metric(row)[1] <= 1 for row in rows)
    with pytest.raises(ValueError, match="no compare.py tables"):
        charts.read_tables("# results, reformatted\n")
