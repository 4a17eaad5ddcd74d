"""Saved models of every format version keep loading and predicting as they did.

``tests/fixtures/format_v<N>/`` holds small models written by the code of
format version N (``tests/fixtures/make_fixtures.py``), with the texts they
were asked about and the probabilities they gave then. A change to the
tokenizer, the network or the file format must leave these unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sktext
from sktext.persistence import FORMAT_VERSION

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(
    (directory.name, path.name[: -len(".sktext")])
    for directory in FIXTURES.glob("format_v*")
    for path in directory.glob("*.sktext")
)


def test_every_version_has_fixtures():
    versions = {f"format_v{n}" for n in range(1, FORMAT_VERSION + 1)}
    assert versions <= {version for version, _ in CASES}


@pytest.mark.parametrize(("version", "name"), CASES)
def test_old_files_load_and_predict_as_they_did(version, name):
    directory = FIXTURES / version
    entry = json.loads((directory / "inputs.json").read_text())[name]
    X = entry["texts"]
    if "region" in entry:
        X = pd.DataFrame({"text": X, "region": entry["region"]})
    model = sktext.load(directory / f"{name}.sktext")
    expected = np.load(directory / f"{name}.proba.npy")
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6, atol=1e-7)
