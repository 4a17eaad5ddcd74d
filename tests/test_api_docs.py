"""The API reference as a reader meets it: the docstrings of every public
object describe each parameter, and the built page has a heading per public
object and no Sphinx role left literal. Needs the ``docs`` extra (mkdocs,
mkdocstrings), which CI installs; skipped without it."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The objects docs/api.md renders, by the paths it names them with.
PUBLIC = [
    "sktext.TextClassifier",
    "sktext.TextClassifierCV",
    "sktext.load",
    "sktext.datasets.make_text_classification",
    "sktext.onnx.export_onnx",
    "sktext.onnx.OnnxPredictor",
    "sktext.explain.Explanation",
    "sktext.abstention.top_k_labels",
    "sktext.abstention.confidence",
    "sktext.abstention.coverage_curve",
    "sktext.abstention.threshold_for_accuracy",
    "sktext.abstention.abstention_threshold",
    "sktext.abstention.predict_with_abstention",
]
ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`")


def test_api_page_names_the_public_objects():
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert re.findall(r"^::: (\S+)$", page, re.MULTILINE) == PUBLIC


def test_every_public_parameter_and_return_value_is_described():
    griffe = pytest.importorskip("griffe")
    package = griffe.load("sktext", search_paths=[str(ROOT)], docstring_parser="numpy")
    undescribed = []
    for path in PUBLIC:
        obj = package[path.removeprefix("sktext.")]
        obj = obj.final_target if obj.is_alias else obj
        members = [m for name, m in obj.members.items() if not name.startswith("_")]
        for item in [obj, *members]:
            sections = item.docstring.parsed if item.docstring else []
            for section in sections:
                if section.kind.value in ("parameters", "returns"):
                    undescribed += [
                        f"{item.path} {section.kind.value} {p.name or p.annotation}"
                        for p in section.value
                        if not p.description
                    ]
    assert undescribed == []


@pytest.fixture(scope="module")
def api_page(tmp_path_factory) -> str:
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return (site / "api" / "index.html").read_text(encoding="utf-8")


def test_built_page_has_a_heading_and_signature_per_public_object(api_page):
    headings = re.findall(r'<h2 id="([^"]+)" class="doc doc-heading"', api_page)
    assert headings == PUBLIC
    assert api_page.count('class="doc-signature') >= len(PUBLIC)


def test_built_page_has_links_not_roles_and_no_wide_tables(api_page):
    text = html.unescape(re.sub(r"<[^>]+>", "", api_page))
    assert not ROLE.findall(text)
    # :meth:`save`, :class:`Explanation`... became links to their headings.
    links = re.findall(r'class="autorefs autorefs-internal"[^>]*href="([^"]+)"', api_page)
    assert "#sktext.explain.Explanation" in links
    assert "#sktext.TextClassifier.save" in links
    # Parameters as lists: a four-column table overflowed the page at 1280 px.
    assert "<table" not in api_page
