"""TextClassifier.quantize: pruning, quantized tables, the head's refit, and
the quantized model everywhere a fitted model goes (files, pickles, ONNX)."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_multilabel, make_single_label
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from torch import nn

from sktext import TextClassifier, load
from sktext.persistence import FORMAT_VERSION, read
from sktext.quantize import QuantizedBagModel, QuantizedEmbeddingBag, _kmeans
from sktext.weighting import TokenWeighting

X, Y = make_single_label(400, 3, seed=5)
TRAIN, TEST, Y_TRAIN, Y_TEST = X[:300], X[300:], Y[:300], Y[300:]
PROBES = ["", "unknownword", *TEST[:20]]


@pytest.fixture(scope="module")
def fitted():
    return TextClassifier(min_count=1, random_state=0).fit(TRAIN, Y_TRAIN)


def _copy(clf: TextClassifier) -> TextClassifier:
    return pickle.loads(pickle.dumps(clf))


def _saved(clf: TextClassifier) -> bytes:
    buffer = io.BytesIO()
    clf.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "options",
    [
        {"method": "int8"},
        {"method": "pq"},
        {"method": "pq", "dsub": 4, "qnorm": True},
        {"method": "float32", "cutoff": 60},
        {"method": "pq", "cutoff": 60, "dsub": 8, "prune_by": "frequency"},
    ],
)
def test_quantized_model_keeps_its_accuracy_and_shrinks(fitted, options):
    clf = _copy(fitted)
    assert clf.quantize(**options) is clf
    assert isinstance(clf.model_, QuantizedBagModel)
    assert clf.score(TEST, Y_TEST) >= fitted.score(TEST, Y_TEST) - 0.03
    assert len(_saved(clf)) < len(_saved(fitted))
    proba = clf.predict_proba(PROBES)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert clf.transform(PROBES).shape == (len(PROBES), fitted.model_.embedding.embedding_dim)
    assert clf.decision_function(PROBES).shape == (len(PROBES), 3)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"word_ngrams": 3, "char_ngrams": (3, 4), "max_features": 500},
        {"word_ngrams": (2, 3)},
        {"tokenizer": "hash", "n_buckets": 700},
        {"tokenizer": "wordpiece", "vocab_size": 120, "pooling": "mean"},
    ],
)
def test_pruning_is_as_if_dropped_features_were_never_counted(params):
    """Pruned (float32 rows), the model scores a text as the original network
    scores the text's counts without the dropped columns, weighted by the
    remaining idf."""
    original = TextClassifier(min_count=1, dim=16, max_iter=3, random_state=0, **params)
    original.fit(TRAIN, Y_TRAIN)
    cutoff = original.n_features_ // 3
    norms = original.model_.embedding.weight.detach()[: original.n_features_].norm(dim=1)
    keep = np.zeros(original.n_features_, bool)
    keep[np.argsort(-norms.numpy(), kind="stable")[:cutoff]] = True
    pruned = _copy(original).quantize(method="float32", cutoff=cutoff)
    assert pruned.n_features_ == cutoff

    counts = original.tokenizer_.transform(PROBES)[:, keep]
    weighting = TokenWeighting(original.weighting_.pooling)
    weighting.idf_ = original.weighting_.idf_[keep]
    bags = weighting.transform(counts)
    table = original.model_.embedding.weight.detach()[torch.from_numpy(np.flatnonzero(keep))]
    pooled = torch.stack(
        [
            (table[torch.from_numpy(row.indices)] * torch.from_numpy(row.data)[:, None]).sum(0)
            for row in bags
        ]
    )
    expected = original.model_.head(pooled).detach().numpy()
    np.testing.assert_allclose(pruned.decision_function(PROBES), expected, atol=1e-5)
    assert pruned.tokenizer_.transform(PROBES).shape == (len(PROBES), cutoff)


def test_a_cutoff_above_the_features_prunes_nothing(fitted):
    clf = _copy(fitted).quantize(cutoff=10**6, method="int8")
    assert clf.n_features_ == fitted.n_features_
    assert clf.model_.quantization["prune_by"] is None
    with pytest.raises(ValueError, match="nothing to do"):
        _copy(fitted).quantize(cutoff=10**6, method="float32")


def test_saved_and_pickled_quantized_models_predict_identically(fitted, tmp_path):
    clf = _copy(fitted).quantize(cutoff=80, dsub=3, qnorm=True)
    clf.save(tmp_path / "small.sktext")
    config, arrays = read(tmp_path / "small.sktext")
    assert config["format_version"] == FORMAT_VERSION >= 3
    assert config["network"]["config"]["quantization"]["method"] == "pq"
    assert arrays["model.embedding.codes"].dtype == np.uint8
    assert "model.embedding.weight" not in arrays
    expected = clf.predict_proba(PROBES)
    for copy in (load(tmp_path / "small.sktext"), _copy(clf)):
        assert isinstance(copy.model_, QuantizedBagModel)
        np.testing.assert_array_equal(copy.predict_proba(PROBES), expected)
        assert copy.n_features_ == 80


def test_explanations_sum_to_the_quantized_logits(fitted):
    clf = _copy(fitted).quantize(cutoff=70, method="int8")
    logits = clf.decision_function(TEST[:5])
    for explanation, row, label in zip(
        clf.explain(TEST[:5]), logits, clf.predict(TEST[:5]), strict=True
    ):
        column = list(clf.classes_).index(label)
        total = explanation.attributions.sum() + explanation.bias[0]
        assert total == pytest.approx(row[column], abs=1e-4)


def test_onnx_export_of_a_quantized_model_matches(fitted, tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from sktext.onnx import OnnxPredictor

    clf = _copy(fitted).quantize(cutoff=90)
    clf.to_onnx(tmp_path / "small.onnx")
    served = OnnxPredictor(tmp_path / "small.onnx", clf).predict_proba(PROBES)
    np.testing.assert_allclose(served, clf.predict_proba(PROBES), atol=1e-5)


def test_retraining_trains_the_pruned_model_further(fitted):
    plain = _copy(fitted).quantize(cutoff=30, method="float32")
    retrained = _copy(fitted).quantize(TRAIN, Y_TRAIN, cutoff=30, method="float32", retrain=True)
    assert retrained.model_.quantization["retrain"] is True
    assert retrained.n_features_ == 30
    assert len(retrained.loss_curve_) == 2 * len(fitted.loss_curve_)
    assert retrained.loss_curve_[-1] < plain.loss_curve_[-1]
    assert not np.array_equal(retrained.decision_function(TEST), plain.decision_function(TEST))
    assert retrained.score(TEST, Y_TEST) >= plain.score(TEST, Y_TEST) - 0.02


def test_multilabel_and_side_features_quantize():
    texts, labels = make_multilabel(300, 4, seed=6)
    clf = TextClassifier(min_count=1, random_state=0).fit(texts, labels)
    before = clf.score(texts, labels)
    clf.quantize(texts, labels, cutoff=100, retrain=True)
    assert clf.score(texts, labels) >= before - 0.05
    table = pd.DataFrame({"text": TRAIN, "region": np.array(["a", "b", "c"])[Y_TRAIN]})
    side = TextClassifier(
        text_column="text", categorical_columns=["region"], min_count=1, random_state=0
    ).fit(table, Y_TRAIN)
    categorical = side.model_.categorical[0].weight.detach().clone()
    side.quantize(method="int8")
    torch.testing.assert_close(side.model_.categorical[0].weight.detach(), categorical)
    assert side.score(table, Y_TRAIN) > 0.9


def test_quantizing_needs_a_fitted_bag_model_once(fitted):
    with pytest.raises(NotFittedError):
        TextClassifier().quantize()
    clf = _copy(fitted).quantize(method="int8")
    with pytest.raises(ValueError, match="already quantized"):
        clf.quantize(method="pq")
    attention = TextClassifier(
        encoder="attention", dim=8, n_layers=1, max_length=8, max_iter=1, min_count=1
    )
    attention.fit(TRAIN[:30], Y_TRAIN[:30])
    with pytest.raises(ValueError, match="encoder='bag' models only"):
        attention.quantize()


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"cutoff": 0}, ValueError, "'cutoff' parameter of quantize"),
        ({"method": "int4"}, ValueError, "'method' parameter of quantize"),
        ({"prune_by": "idf"}, ValueError, "'prune_by' parameter"),
        ({"method": "int8", "dsub": 2}, ValueError, "dsub applies to method='pq' only"),
        ({"method": "float32", "qnorm": True}, ValueError, "qnorm applies"),
        ({"dsub": 51}, ValueError, "more than the embedding's dim=50"),
        ({"retrain": True}, ValueError, "give X and y"),
        ({"X": TRAIN, "y": Y_TRAIN}, ValueError, "serve retrain=True only"),
        ({"sample_weight": np.ones(300)}, ValueError, "serve retrain=True only"),
        ({"bits": 8}, TypeError, "unexpected keyword arguments \\['bits'\\]"),
        ({"retrain": True, "X": TRAIN, "y": Y_TRAIN[:10]}, ValueError, "300 texts but y has 10"),
    ],
)
def test_bad_arguments_are_refused_and_leave_the_model_as_it_was(fitted, options, error, match):
    clf = _copy(fitted)
    with pytest.raises(error, match=match):
        clf.quantize(**options)
    assert not isinstance(clf.model_, QuantizedBagModel)
    assert clf.n_features_ == fitted.n_features_


def test_a_quantized_model_is_not_trained_further_but_can_be_refitted(fitted):
    clf = _copy(fitted).quantize(method="int8")
    with pytest.raises(ValueError, match="quantized.*warm_start and partial_fit"):
        clf.set_params(warm_start=True).fit(TRAIN, Y_TRAIN)
    with pytest.raises(ValueError, match="quantized"):
        clf.partial_fit(TRAIN, Y_TRAIN)
    clf.set_params(warm_start=False).fit(TRAIN, Y_TRAIN)
    assert not isinstance(clf.model_, QuantizedBagModel)


def test_int8_rows_are_within_half_a_step():
    table = torch.randn(300, 7)
    bag = QuantizedEmbeddingBag(300, 7, "int8")
    bag.set_table(table, np.random.default_rng(0))
    step = table.abs().amax(dim=1, keepdim=True) / 127
    assert ((bag.weight - table).abs() <= step / 2 + 1e-6).all()


def test_product_quantization_of_few_rows_is_exact():
    """With no more rows than centroids, every row is a centroid of its own."""
    table = torch.randn(200, 9)
    for qnorm in (False, True):
        bag = QuantizedEmbeddingBag(200, 9, "pq", dsub=4, qnorm=qnorm)
        bag.set_table(table, np.random.default_rng(0))
        # Up to the rounding of the distances that pick the centroids.
        torch.testing.assert_close(bag.weight, table, rtol=0, atol=1e-3)


@settings(max_examples=100, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
    method=st.sampled_from(["int8", "pq", "float32"]),
)
def test_lookups_equal_an_embedding_bag_over_the_dequantized_table(lengths, seed, method):
    generator = torch.Generator().manual_seed(seed)
    bag = QuantizedEmbeddingBag(300, 6, method, dsub=4 if method == "pq" else None)
    bag.set_table(torch.randn(300, 6, generator=generator), np.random.default_rng(seed))
    ids = torch.randint(0, 300, (sum(lengths),), generator=generator)
    offsets = torch.tensor([0, *np.cumsum(lengths)[:-1]], dtype=torch.int64)
    weights = torch.rand(len(ids), generator=generator)
    expected = nn.functional.embedding_bag(
        ids, bag.weight, offsets, mode="sum", per_sample_weights=weights
    )
    torch.testing.assert_close(bag(ids, offsets, per_sample_weights=weights), expected)


def test_k_means_learns_from_the_rows_documents_use_most():
    """Rows drawn in proportion to usage: the used cluster gets the centroids."""
    generator = torch.Generator().manual_seed(0)
    used = torch.randn(1000, 2, generator=generator) + 10
    unused = torch.randn(19000, 2, generator=generator) - 10
    table = torch.cat([used, unused])
    usage = np.r_[np.ones(1000), np.zeros(19000)]
    errors = []
    for weights in (None, usage):
        centroids, codes = _kmeans(table, 2, np.random.default_rng(0), weights)
        errors.append((centroids[codes.long()][:1000] - used).norm(dim=1).mean().item())
    assert errors[1] < 0.8 * errors[0]
