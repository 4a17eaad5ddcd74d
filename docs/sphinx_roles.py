"""A griffe extension for the documentation build: Sphinx roles become links.

The docstrings cross-reference with Sphinx roles (``:class:`Explanation```,
``:meth:`save```, ``:func:`~sktext.onnx.export_onnx```), which read well in
``help()`` but which mkdocstrings would show literally. Once griffe has loaded
the package, each role becomes an mkdocs-autorefs reference: a link where the
target is on a page of the site, inline code where it is not (a module with
no page, a scikit-learn class). A relative target (``save`` in a method of
``TextClassifier``) is looked up as Sphinx does: in the object, its parents,
then its module.

Configured in ``mkdocs.yml`` (``extensions: - docs/sphinx_roles.py``); not
part of the package.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`(~?)([\w.]+)(?:\(\))?`")


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles of every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = ROLE.sub(
                    lambda match, obj=obj: _reference(match, obj, loader), obj.docstring.value
                )


def _objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    """``obj`` and every object defined in it (not the names it imports)."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _objects(member)


def _reference(match: re.Match, obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    short, target = match.group(1) == "~", match.group(2)
    title = f"<code>{html.escape(target.rsplit('.', 1)[-1] if short else target)}</code>"
    path = _resolve(target, obj, loader)
    if path is None:
        return title
    # optional: a target without a page on the site renders as its title.
    return f'<autoref identifier="{path}" optional>{title}</autoref>'


def _resolve(target: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str | None:
    """The full path of ``target`` seen from ``obj``, or None outside the package."""
    scope: griffe.Object | None = obj
    candidates = []
    while scope is not None:
        candidates.append(f"{scope.path}.{target}")
        scope = scope.parent
    candidates.append(target)
    for candidate in candidates:
        try:
            found = loader.modules_collection[candidate]
        except KeyError:
            continue
        # The defining path: the anchor mkdocstrings gives the object's heading.
        return found.canonical_path if found.is_alias else found.path
    return None
