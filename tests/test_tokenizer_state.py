"""A Tokenizer's saved state and pickles: what loads, what is refused."""

from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np
import pytest
from conftest import FAST, make_single_label

import sktext
from sktext import TextClassifier
from sktext.tokenizer import Tokenizer

TEXTS = ["the cat sat", "the dog sat", "a cat and a dog", "the cat, the dog"] * 3


def _fitted(**options) -> Tokenizer:
    tokenizer = Tokenizer(min_count=1, **options)
    tokenizer.fit_transform(TEXTS)
    return tokenizer


@pytest.mark.parametrize("kind", ["bert", None, 3])
def test_from_state_refuses_an_unknown_kind_naming_the_field(kind):
    config, arrays = _fitted().get_state()
    with pytest.raises(ValueError, match="'kind'"):
        Tokenizer.from_state({**config, "kind": kind}, arrays)


@pytest.mark.parametrize("kind", ["pretrained", "wordpiece"])
def test_from_state_refuses_a_backend_kind_without_its_tokenizer_json(kind):
    config, arrays = _fitted().get_state()
    assert config["wordpiece"] is None
    with pytest.raises(ValueError, match="'wordpiece'"):
        Tokenizer.from_state({**config, "kind": kind}, arrays)


def test_a_model_file_edited_to_kind_pretrained_is_refused_at_load(tmp_path):
    """Such a file used to load, then fail in predict with AttributeError."""
    X, y = make_single_label(60, 2, seed=5)
    TextClassifier(**FAST).fit(X, y).save(tmp_path / "good")
    edited = tmp_path / "edited"
    with zipfile.ZipFile(tmp_path / "good") as source, zipfile.ZipFile(edited, "w") as target:
        for member in source.namelist():
            data = source.read(member)
            if member == "sktext.json":
                config = json.loads(data)
                config["features"]["tokenizer"]["kind"] = "pretrained"
                data = json.dumps(config).encode()
            target.writestr(member, data)
    with pytest.raises(ValueError, match="inconsistent.*'wordpiece'"):
        sktext.load(edited)


def test_an_unknown_kind_is_refused_at_construction():
    with pytest.raises(ValueError, match="kind must be one of"):
        Tokenizer(kind="bert")


@pytest.mark.parametrize(
    "options",
    [
        {"char_ngrams": (2, 3), "max_features": 12},
        {"kind": "hash", "n_buckets": 64},
        {"kind": "wordpiece", "vocab_size": 60},
    ],
)
def test_pickles_from_before_splitters_keep_transforming_as_they_did(options):
    """Pickles of the Tokenizer that held its own vocabulary and WordPiece
    backend (``vocabulary_``, ``_backend``) rebuild their splitter on load."""
    tokenizer = _fitted(**options)
    old = object.__new__(Tokenizer)
    old.__dict__.update(
        {name: value for name, value in vars(tokenizer).items() if name != "_splitter"}
    )
    old.__dict__["vocabulary_"] = tokenizer.vocabulary_
    if options.get("kind") == "wordpiece":
        old.__dict__["_backend"] = tokenizer._splitter._backend
    restored = pickle.loads(pickle.dumps(old))
    texts = [*TEXTS, "an unseen cat", ""]
    assert (restored.transform(texts) != tokenizer.transform(texts)).nnz == 0
    pairs = zip(restored.sequences(texts, 5), tokenizer.sequences(texts, 5), strict=True)
    for got, expected in pairs:
        np.testing.assert_array_equal(got, expected)
    assert restored.vocabulary_ == tokenizer.vocabulary_
