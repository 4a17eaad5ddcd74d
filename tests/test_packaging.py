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


BUILD = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_build_brings_what_compiles_the_tokenizer():
    """``pip install -e .`` on a fresh machine builds sktext._tokenize: the
    isolated build environment needs Cython and numpy's headers, and setup.py
    must declare the extension."""
    requires = " ".join(BUILD["build-system"]["requires"]).lower()
    assert "cython" in requires and "numpy" in requires
    setup = (Path(__file__).resolve().parents[1] / "setup.py").read_text()
    assert '"sktext._tokenize"' in setup and "sktext/_tokenize.pyx" in setup
    assert '"sktext._train"' in setup and "sktext/_train.pyx" in setup


def test_the_wheel_matrix_tests_the_compiled_tokenizer():
    wheels = BUILD["tool"]["cibuildwheel"]
    command = wheels["test-command"]
    assert "compiled.AVAILABLE" in command
    assert "compiled_training as t" in command and "t.AVAILABLE" in command
    assert {"linux", "macos", "windows"} <= set(wheels)
