"""The side-by-side benchmark tables as charts: for each data set, the main
metric and the fit time of sktext, fastText and the TF-IDF baselines, read
from ``benchmarks/RESULTS.md`` (the section ``benchmarks/compare.py`` writes)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "RESULTS.md"
SECTION = re.compile(r"<!-- compare.py:begin -->(.*?)<!-- compare.py:end -->", re.DOTALL)
TABLE = re.compile(r"^### (\S+) \((\w+)[^\n]*\n\n((?:\|.*\|\n)+)", re.MULTILINE)


def read_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """``{data set: [row, ...]}`` of the compare.py section, each row a dict
    of its columns; a clear error if the section has changed shape."""
    section = SECTION.search(text)
    found = TABLE.findall(section.group(1)) if section else []
    tables = {name: _rows(table) for name, _, table in found}
    if not tables:
        raise ValueError(f"{RESULTS} has no compare.py tables (### data set, then a table).")
    return tables


def _rows(table: str) -> list[dict[str, str]]:
    lines = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()]
    header, body = lines[0], lines[2:]  # lines[1] is the |---| rule
    return [dict(zip(header, cells, strict=True)) for cells in body]


def _metric(row: dict[str, str]) -> tuple[str, float]:
    """The first metric of a row's ``metrics`` cell: ``micro-F1 0.860, ...``."""
    name, value = row["metrics"].split(",")[0].rsplit(" ", 1)
    return name, float(value)


def main(output: Path, data: Path | None) -> None:
    tables = read_tables(RESULTS.read_text(encoding="utf-8"))
    fig, axes = plt.subplots(2, len(tables), figsize=(3.2 * len(tables), 6), layout="constrained")
    for column, (name, rows) in enumerate(tables.items()):
        systems = [
            row["system"].replace(" (defaults)", "").replace(" + ", "\n+ ").replace(", ", ",\n")
            for row in rows
        ]
        colours = ["tab:blue" if s.startswith("sktext") else "tab:grey" for s in systems]
        metric = [_metric(row) for row in rows]
        top, bottom = axes[0, column], axes[1, column]
        bars = top.barh(systems, [value for _, value in metric], color=colours)
        top.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
        top.set(title=name, xlabel=metric[0][0], xlim=(0, 1.15))
        bars = bottom.barh(systems, [float(row["fit s"]) for row in rows], color=colours)
        bottom.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
        bottom.set(xlabel="fit seconds (lower is better)")
        bottom.set_xlim(0, bottom.get_xlim()[1] * 1.15)
        for axis in (top, bottom):
            axis.invert_yaxis()
            axis.tick_params(axis="y", labelsize=7)
    fig.suptitle("benchmarks/compare.py: test-split metric (top) and fit time (bottom)")
    fig.savefig(output / "benchmark_charts.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
