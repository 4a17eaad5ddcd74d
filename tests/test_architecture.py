"""The house rules, checked: layers without an import circle, no package
import hidden in a function, no oversized function or module.

Lines of code are counted without docstrings, comments and blank lines. For
the function limit, an ``__init__`` that only stores its parameters
(scikit-learn's convention: one line per parameter) is exempt; modules count
every line of code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sktext"
MODULES = sorted(p for p in PACKAGE.glob("*.py") if p.name != "__main__.py")
MAX_FUNCTION_LINES = 100
MAX_MODULE_LINES = 500


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _stores_parameters(node: ast.AST) -> bool:
    """An ``__init__`` whose body is ``self.name = name`` lines (after super())."""
    if not isinstance(node, ast.FunctionDef) or node.name != "__init__":
        return False
    assignments = [s for s in node.body if isinstance(s, ast.Assign)]
    return len(assignments) > 10 and all(
        isinstance(s.value, ast.Name)
        and isinstance(s.targets[0], ast.Attribute)
        and s.targets[0].attr == s.value.id
        for s in assignments
    )


def _code_lines(path: Path, node: ast.AST | None = None) -> int:
    """Lines holding code in ``node`` (the whole module if None)."""
    tree = _tree(path) if node is None else node
    docstrings: set[int] = set()
    for item in ast.walk(tree):
        body = getattr(item, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines = path.read_text().splitlines()
    first, last = (1, len(lines)) if node is None else (node.lineno, node.end_lineno)
    return sum(
        1
        for number in range(first, last + 1)
        if number not in docstrings
        and lines[number - 1].strip()
        and not lines[number - 1].strip().startswith("#")
    )


def _package_imports(path: Path, top_level: bool) -> set[str]:
    """Sibling modules ``path`` imports, at module level or inside functions."""
    tree = _tree(path)
    nested = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
    }
    found = set()
    for node in ast.walk(tree):
        inside = id(node) in nested
        if isinstance(node, ast.ImportFrom) and node.level == 1 and inside != top_level:
            found.add(node.module or "")
    return found


def test_no_import_circle():
    graph = {p.stem: _package_imports(p, top_level=True) for p in MODULES}
    order: list[str] = []
    visiting: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in order:
            return
        assert module not in visiting, f"import circle: {' -> '.join((*path, module))}"
        visiting.add(module)
        for imported in sorted(graph.get(module, ())):
            visit(imported, (*path, module))
        visiting.discard(module)
        order.append(module)

    for module in sorted(graph):
        visit(module, ())


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_function_level_import_of_the_package(path):
    assert _package_imports(path, top_level=False) == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_functions_and_modules_are_short(path):
    assert _code_lines(path) <= MAX_MODULE_LINES
    for node in ast.walk(_tree(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _stores_parameters(
            node
        ):
            assert _code_lines(path, node) <= MAX_FUNCTION_LINES, f"{node.name} is too long"
