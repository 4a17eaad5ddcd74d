"""Pretrained word vectors (``pretrained_vectors=``): generated vectors that
carry the class signal, as .vec files and as mappings; no downloads."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

import sktext
from sktext import TextClassifier
from sktext.model import BagModel
from sktext.params import params_from_json, params_to_json
from sktext.tokenizer import Tokenizer
from sktext.vectors import WordVectors

N_CLASSES, N_SIGNAL, N_FILLER, WIDTH = 3, 40, 200, 20


def make_task(seed: int, n_train: int = 60, n_test: int = 300):
    """Texts of 8 filler words and 3 of 40 class words: 60 training texts see
    most class words once or never, so min_count=2 drops them and the rest
    get little training. The vectors of a class's words lie around a class
    centroid (with noise), the fillers' are noise: a word the training texts
    barely show still points its class's way."""
    rng = np.random.default_rng(seed)

    def texts(n):
        y = rng.integers(0, N_CLASSES, n)
        out = []
        for c in y:
            words = [f"f{j}" for j in rng.integers(0, N_FILLER, 8)]
            words += [f"c{c}w{j}" for j in rng.integers(0, N_SIGNAL, 3)]
            rng.shuffle(words)
            out.append(" ".join(words))
        return out, y

    centroids = rng.normal(size=(N_CLASSES, WIDTH))
    vectors = {
        f"c{c}w{j}": centroids[c] + 0.7 * rng.normal(size=WIDTH)
        for c in range(N_CLASSES)
        for j in range(N_SIGNAL)
    }
    vectors.update({f"f{j}": rng.normal(size=WIDTH) for j in range(N_FILLER)})
    vectors["absent"] = rng.normal(size=WIDTH)  # in no text
    return texts(n_train), texts(n_test), vectors


def write_vec(path, vectors, header=True):
    lines = [f"{len(vectors)} {WIDTH}"] if header else []
    lines += [f"{w} " + " ".join(f"{v:.6f}" for v in vec) + " " for w, vec in vectors.items()]
    data = "\n".join(lines) + "\n"
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as file:
            file.write(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def task():
    return make_task(0)


@pytest.fixture
def vec_file(tmp_path, task):
    return write_vec(tmp_path / "vectors.vec", task[2])


def test_vectors_help_sixty_documents():
    gains = []
    for seed in range(5):
        (X, y), (X_test, y_test), vectors = make_task(seed)
        without = TextClassifier(dim=WIDTH, random_state=seed).fit(X, y).score(X_test, y_test)
        model = TextClassifier(pretrained_vectors=vectors, random_state=seed).fit(X, y)
        gains.append(model.score(X_test, y_test) - without)
    # Measured at min_count=1 (the default): a mean gain of 0.043 (0.027 to
    # 0.060 a seed) over 0.766; at min_count=2 it was 0.13 over 0.71.
    assert np.mean(gains) > 0.025
    assert min(gains) > 0


def test_dim_follows_the_vectors_and_a_different_dim_is_refused(task):
    (X, y), _, vectors = task
    model = TextClassifier(pretrained_vectors=vectors, random_state=0).fit(X, y)
    assert model.model_.embedding.embedding_dim == WIDTH
    TextClassifier(pretrained_vectors=vectors, dim=WIDTH, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match=r"dim=16 disagrees .* 20 dimensions"):
        TextClassifier(pretrained_vectors=vectors, dim=16).fit(X, y)


def test_words_with_a_vector_are_kept_whatever_min_count():
    X, y = ["alpha beta common", "gamma common delta"] * 3 + ["rare1 rare2"], [0, 1] * 3 + [0]
    vectors = {w: np.ones(4) for w in ("rare1", "alpha", "never")}
    model = TextClassifier(pretrained_vectors=vectors, min_count=2, max_iter=1).fit(X, y)
    vocabulary = model.tokenizer_.vocabulary_
    assert "rare1" in vocabulary  # once, with a vector
    assert "rare2" not in vocabulary  # once, without
    assert "never" not in vocabulary  # a vector, but in no text
    assert {"alpha", "beta", "common"} <= set(vocabulary)
    plain = TextClassifier(min_count=2, max_iter=1).fit(X, y).tokenizer_.vocabulary_
    assert set(vocabulary) == set(plain) | {"rare1"}


def test_file_with_or_without_header_or_gzipped_is_the_mapping(tmp_path, task):
    (X, y), (X_test, _), vectors = task
    reference = TextClassifier(pretrained_vectors=vectors, random_state=0).fit(X, y)
    expected = reference.predict_proba(X_test)
    for path in (
        write_vec(tmp_path / "a.vec", vectors),
        write_vec(tmp_path / "b.vec", vectors, header=False),
        write_vec(tmp_path / "c.vec.gz", vectors),
    ):
        model = TextClassifier(pretrained_vectors=path, random_state=0).fit(X, y)
        np.testing.assert_allclose(model.predict_proba(X_test), expected, atol=1e-5)
    model = TextClassifier(pretrained_vectors=str(tmp_path / "a.vec"), random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X_test), expected, atol=1e-5)


def test_a_file_is_matched_after_text_preparation_first_line_winning(tmp_path):
    path = tmp_path / "v.vec"
    path.write_text("5 2\nCafé 1 0\ncafe 0 1\nU.S. 3 3\nnever 4 4\nbad x y\n", encoding="utf-8")
    tokenizer = Tokenizer(strip_accents="unicode")
    vectors = WordVectors.for_tokenizer(path, tokenizer)
    # "Café" prepared is "cafe", first; "bad x y" is never parsed: no text has "bad".
    assert vectors.select({"cafe", "us", "u", "s"}) == {"cafe"}
    np.testing.assert_array_equal(vectors.vectors["cafe"], [1, 0])
    with pytest.raises(ValueError, match="vector of 'bad' is not numbers"):
        vectors.select({"bad"})


def test_rows_start_from_scaled_vectors_and_the_rest_from_the_default_init():
    torch.manual_seed(0)
    model = BagModel(1000, 8, 2, 0.0)
    rows = np.array([3, 10, 500])
    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32) * 5
    model.reset_parameters(torch.zeros(2), (rows, vectors))
    weight = model.embedding.weight.detach()
    started = weight[torch.from_numpy(rows)].numpy()
    scale = started[0] / vectors[0]
    np.testing.assert_allclose(started, vectors * scale[0], rtol=1e-5)
    others = np.delete(weight.numpy(), rows, axis=0)
    assert np.abs(others).max() <= 1 / 8
    # One common factor: to the mean row norm of the uniform(-1/dim, 1/dim) init.
    default_norm = np.linalg.norm(others, axis=1).mean()
    assert np.linalg.norm(started, axis=1).mean() == pytest.approx(default_norm, rel=0.02)


def test_ngram_and_char_ngram_rows_are_left_to_training(task):
    (X, y), _, vectors = task
    model = TextClassifier(pretrained_vectors=vectors, char_ngrams=(2, 3), random_state=0)
    features = sktext.features.TextFeatures.from_params(model.get_params(), "bags")
    rows, matrix = features.fit(X, None).pretrained
    assert rows.max() < len(features.tokenizer.vocabulary_) < features.n_inputs
    assert len(rows) == len(set(rows)) == len(matrix) == len(set(" ".join(X).split()))
    assert features.pretrained is None  # fit drops the source
    model.fit(X, y)


def test_max_features_still_bounds_the_table(task):
    (X, y), _, vectors = task
    model = TextClassifier(pretrained_vectors=vectors, max_features=50, random_state=0)
    features = sktext.features.TextFeatures.from_params(model.get_params(), "bags")
    rows, _ = features.fit(X, None).pretrained
    assert features.n_inputs == 50 and rows.max() < 50
    assert 0 < len(rows) < len(set(" ".join(X).split()))
    assert model.fit(X, y).n_features_ == 50


def test_attention_encoder_rows_skip_padding_and_unknown(task):
    (X, y), _, vectors = task
    model = TextClassifier(
        encoder="attention", pretrained_vectors=vectors, max_iter=1, random_state=0
    )
    features = sktext.features.TextFeatures.from_params(model.get_params(), "sequences")
    rows, _ = features.fit(X, None).pretrained
    assert rows.min() >= 2 and len(rows) == len(set(" ".join(X).split()))
    table = model.fit(X, y).model_.embedding
    assert table.embedding_dim == WIDTH and table.num_embeddings == len(rows) + 2


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"tokenizer": "hash"}, "requires tokenizer='words'"),
        ({"tokenizer": "wordpiece"}, "requires tokenizer='words'"),
        ({"word_ngrams": (2, 2)}, "needs the words themselves"),
    ],
)
def test_options_without_word_rows_are_refused(task, params, match):
    (X, y), _, vectors = task
    with pytest.raises(ValueError, match=match):
        TextClassifier(pretrained_vectors=vectors, **params).fit(X, y)


def test_bad_sources_are_refused_clearly(tmp_path, task):
    (X, y), _, _ = task
    junk = tmp_path / "model.bin"
    junk.write_bytes(b"\x00\x01\x02 binary")
    empty = tmp_path / "empty.vec"
    empty.write_text("")
    cases = [
        (tmp_path / "missing.vec", "cannot read the pretrained_vectors file"),
        (junk, "is not a word2vec text"),
        (empty, "is not a word2vec text"),
        ({"f1": np.ones(3), "f2": np.ones(4)}, r"'f2' has shape \(4,\)"),
        ({"f1": [np.nan] * 3}, "NaN or infinite"),
    ]
    for source, match in cases:
        with pytest.raises(ValueError, match=match):
            TextClassifier(pretrained_vectors=source, max_iter=1).fit(X, y)

    class NoWidth:  # __contains__ and __getitem__ only
        def __contains__(self, word):
            return False

        def __getitem__(self, word):
            raise KeyError(word)

    with pytest.raises(ValueError, match="cannot tell the width"):
        TextClassifier(pretrained_vectors=NoWidth()).fit(X, y)
    with pytest.raises(InvalidParameterError, match="pretrained_vectors"):
        TextClassifier(pretrained_vectors=5).fit(X, y)


def test_a_duck_typed_mapping_with_vector_size_works(task):
    (X, y), (X_test, _), vectors = task

    class KeyedVectorsLike:  # what gensim's KeyedVectors offers
        vector_size = WIDTH

        def __contains__(self, word):
            return word in vectors

        def __getitem__(self, word):
            return vectors[word]

    model = TextClassifier(pretrained_vectors=KeyedVectorsLike(), random_state=0).fit(X, y)
    reference = TextClassifier(pretrained_vectors=vectors, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X_test), reference.predict_proba(X_test))


def test_no_matching_word_warns(task):
    (X, y), _, _ = task
    with pytest.warns(UserWarning, match="no word of the training texts has a pretrained"):
        TextClassifier(pretrained_vectors={"F1": np.ones(4)}, max_iter=1).fit(X, y)


def test_saved_path_and_mapping_placeholder_predict_without_the_vectors(tmp_path, task):
    (X, y), (X_test, _), vectors = task
    path = write_vec(tmp_path / "gone.vec", vectors)
    for source, recorded in ((path, str(path)), (vectors, None)):
        model = TextClassifier(pretrained_vectors=source, random_state=0).fit(X, y)
        model.save(tmp_path / "model.sktext")
        path.unlink(missing_ok=True)
        loaded = sktext.load(tmp_path / "model.sktext")
        assert loaded.get_params()["pretrained_vectors"] == recorded
        np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    assert params_to_json({"pretrained_vectors": vectors}) == {
        "pretrained_vectors": {"mapping": True}
    }
    assert params_from_json({"pretrained_vectors": {"mapping": True}}) == {
        "pretrained_vectors": None
    }


def test_pickle_clone_and_get_params_keep_the_mapping(task):
    (X, y), (X_test, _), vectors = task
    model = TextClassifier(pretrained_vectors=vectors, random_state=0).fit(X, y)
    assert model.get_params()["pretrained_vectors"] is vectors
    restored = pickle.loads(pickle.dumps(model))
    assert restored.pretrained_vectors.keys() == vectors.keys()
    np.testing.assert_array_equal(restored.predict_proba(X_test), model.predict_proba(X_test))
    refit = clone(model).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X_test), model.predict_proba(X_test))


def test_warm_start_and_partial_fit_continue_the_first_fit(task):
    (X, y), _, vectors = task
    model = TextClassifier(
        pretrained_vectors=vectors, warm_start=True, max_iter=2, random_state=0
    ).fit(X, y)
    network, vocabulary = model.model_, dict(model.tokenizer_.vocabulary_)
    model.fit(X, y)
    assert model.model_ is network and model.tokenizer_.vocabulary_ == vocabulary
    assert model.n_iter_ == 4
    stream = TextClassifier(pretrained_vectors=vectors, min_count=2, random_state=0)
    stream.partial_fit(X[:30], y[:30], classes=np.arange(N_CLASSES))
    words = set(stream.tokenizer_.vocabulary_)
    assert words == set(" ".join(X[:30]).split())  # every word has a vector
    stream.partial_fit(X[30:], y[30:])
    assert set(stream.tokenizer_.vocabulary_) == words
