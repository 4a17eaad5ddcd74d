"""The package's metadata: what pip and PyPI show about it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
PROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())[
    "project"
]


def test_license_is_an_spdx_expression():
    # A TOML table is deprecated (PEP 639): pip 26 warns at every install.
    assert PROJECT["license"] == "MIT"
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])


def test_the_python_running_the_tests_is_a_classifier():
    """The classifiers name the Python versions the tests run on: a CI on
    another version fails here until the version is added."""
    version = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert version in PROJECT["classifiers"]
    assert "Programming Language :: Python :: 3 :: Only" in PROJECT["classifiers"]
