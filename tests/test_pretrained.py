"""Pretrained Hugging Face tokenizers, used as is."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import FAST, make_single_label
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

import sktext
from sktext import TextClassifier


@pytest.fixture(scope="module")
def pretrained():
    """A small WordPiece tokenizer trained on other text than the task's."""
    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = [f"sig{c}x{j} filler{i}" for c in range(3) for j in range(4) for i in range(40)]
    backend.train_from_iterator(
        corpus, trainers.WordPieceTrainer(vocab_size=120, special_tokens=["[UNK]"])
    )
    return backend


def test_object_and_path_are_used_as_is(pretrained, tmp_path):
    X, y = make_single_label(300, 3, seed=70)
    path = tmp_path / "tokenizer.json"
    pretrained.save(str(path))
    for spec in (pretrained, str(path), path):
        clf = TextClassifier(**FAST, tokenizer=spec).fit(X[:200], y[:200])
        # Not retrained: the vocabulary is the given one, ids included.
        assert clf.tokenizer_.vocabulary_ == pretrained.get_vocab()
        assert clf.score(X[200:], y[200:]) > 0.9
    before = pretrained.get_vocab_size()
    pretrained.add_tokens(["zzz-added-later"])  # the model keeps its own copy
    assert len(clf.tokenizer_.vocabulary_) == before


def test_pretrained_survives_pickle_clone_search_and_safe_save(pretrained, tmp_path):
    X, y = make_single_label(240, 3, seed=71)
    clf = TextClassifier(**FAST, tokenizer=pretrained).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
    clf.save(tmp_path / "m")
    loaded = sktext.load(tmp_path / "m")
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert isinstance(loaded.get_params()["tokenizer"], Tokenizer)
    assert isinstance(clone(clf).get_params()["tokenizer"], Tokenizer)
    search = GridSearchCV(TextClassifier(**FAST, tokenizer=pretrained), {"dim": [8, 16]}, cv=3)
    assert search.fit(X, y).best_score_ > 0.8


def test_bad_tokenizer_specs_are_clear_errors(tmp_path):
    X, y = make_single_label(60, 2, seed=72)
    with pytest.raises(ValueError, match="tokenizer must be one of"):
        TextClassifier(**FAST, tokenizer="bert").fit(X, y)
    with pytest.raises(ValueError, match="tokenizer must be one of"):
        TextClassifier(**FAST, tokenizer=42).fit(X, y)
    with pytest.raises(ValueError, match="cannot read the tokenizer file"):
        TextClassifier(**FAST, tokenizer=str(tmp_path / "missing.json")).fit(X, y)
