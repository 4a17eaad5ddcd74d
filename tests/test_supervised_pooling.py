"""pooling="auto" / "supervised" in the estimator: which label formats learn
class concentrations, which fall back to tf-idf, and that the learned weights
travel with the model (saving, quantizing, continued training)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST

from sktext import TextClassifier, load


def test_single_label_fit_is_supervised_by_default(single3):
    Xtr, ytr, Xte, yte = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    assert clf.weighting_.pooling_ == "supervised"
    assert clf.weighting_.relevance_.shape == (clf.n_features_,)
    assert ((clf.weighting_.relevance_ >= 0.5) & (clf.weighting_.relevance_ <= 1.5)).all()
    explicit = TextClassifier(pooling="supervised", **FAST).fit(Xtr, ytr)
    np.testing.assert_array_equal(clf.predict_proba(Xte), explicit.predict_proba(Xte))
    assert clf.score(Xte, yte) >= 0.9


def test_signature_words_weigh_more_than_filler(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    vocabulary, relevance = clf.tokenizer_.vocabulary_, clf.weighting_.relevance_
    # conftest's documents: class words "sig<class>x<j>", shared "filler<i>" words.
    signature = [relevance[i] for word, i in vocabulary.items() if word.startswith("sig")]
    filler = [relevance[i] for word, i in vocabulary.items() if word.startswith("filler")]
    assert signature and filler
    assert min(signature) > max(filler)


def test_probability_rows_of_one_class_a_sample_are_supervised(single3):
    Xtr, ytr, Xte, yte = single3
    rows = np.where(ytr[:, None] == np.arange(3), 0.8, 0.1)
    clf = TextClassifier(target_type="multiclass", **FAST).fit(Xtr, rows)
    assert clf.weighting_.pooling_ == "supervised"
    assert (clf.predict_proba(Xte).argmax(axis=1) == yte).mean() >= 0.9


def test_multilabel_targets_keep_tfidf(multi4):
    Xtr, Ytr, Xte, _ = multi4
    auto = TextClassifier(**FAST).fit(Xtr, Ytr)
    assert auto.weighting_.pooling_ == "tfidf"
    tfidf = TextClassifier(pooling="tfidf", **FAST).fit(Xtr, Ytr)
    np.testing.assert_array_equal(auto.predict_proba(Xte), tfidf.predict_proba(Xte))
    with pytest.raises(ValueError, match="pooling='supervised' learns token weights"):
        TextClassifier(pooling="supervised", **FAST).fit(Xtr, Ytr)


def test_multi_output_targets_keep_tfidf(single3):
    Xtr, ytr, _, _ = single3
    y = np.column_stack([ytr, (ytr + 1) % 3])
    assert TextClassifier(**FAST).fit(Xtr, y).weighting_.pooling_ == "tfidf"


def test_streams_keep_tfidf(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**FAST).partial_fit(Xtr[:100], ytr[:100], classes=[0, 1, 2])
    assert clf.weighting_.pooling_ == "tfidf"
    with pytest.raises(ValueError, match="nor in partial_fit"):
        TextClassifier(pooling="supervised", **FAST).partial_fit(
            Xtr[:100], ytr[:100], classes=[0, 1, 2]
        )


def test_partial_fit_after_fit_keeps_the_concentrations(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr[:200], ytr[:200])
    relevance = clf.weighting_.relevance_.copy()
    clf.partial_fit(Xtr[200:], ytr[200:])
    assert clf.weighting_.pooling_ == "supervised"
    np.testing.assert_array_equal(clf.weighting_.relevance_, relevance)
    assert clf.weighting_.n_documents_ == len(Xtr)


def test_saved_supervised_model_predicts_identically(single3, tmp_path):
    Xtr, ytr, Xte, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    clf.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.weighting_.pooling_ == "supervised"
    np.testing.assert_array_equal(loaded.weighting_.relevance_, clf.weighting_.relevance_)
    np.testing.assert_array_equal(loaded.predict_proba(Xte), clf.predict_proba(Xte))


def test_quantized_supervised_model_keeps_the_kept_features_weights(single3):
    Xtr, ytr, _, _ = single3
    clf = TextClassifier(**FAST).fit(Xtr, ytr)
    cutoff = clf.n_features_ // 2
    pruned = TextClassifier(**FAST).fit(Xtr, ytr).quantize(method="float32", cutoff=cutoff)
    assert pruned.weighting_.pooling_ == "supervised"
    assert pruned.weighting_.relevance_.shape == (cutoff,)
    assert set(pruned.weighting_.relevance_.tolist()) <= set(clf.weighting_.relevance_.tolist())
