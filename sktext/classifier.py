"""The scikit-learn estimator: parameters, fit, predict, save and load.

``fit`` and ``partial_fit`` are thin entries into one ``_fit(incremental)``:
y is read by :mod:`~sktext.formats` into a label adapter
(:mod:`~sktext.targets`), texts become the network's inputs once through
:mod:`~sktext.features`, a network of the :data:`~sktext.model.NETWORKS`
registry is trained by :mod:`~sktext.training`, and :mod:`~sktext.decisions`
turns its logits into the user's format. Saving asks each part for its state
and hands it to :mod:`~sktext.persistence`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.utils import TransformerTags, check_random_state
from sklearn.utils._param_validation import (
    InvalidParameterError,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted

from .abstention import top_k_labels
from .categorical import CategoricalEncoder
from .centroids import blend, fit_centroids, load_centroids, store_centroids
from .decisions import (
    DecisionRule,
    ValidationScore,
    cross_fitted_thresholds,
    decide,
    probabilities,
    threshold_vector,
)
from .explain import Explanation, explain_texts, explained_columns
from .features import Documents, TextFeatures
from .formats import as_target_input, compatible_target, make_stream_target, make_target
from .inputs import check_sample_weight, check_texts, split_table
from .loss import class_weight_vector, head_rate_scale, make_loss, prior_logits
from .model import NETWORKS
from .onnx_graph import write_onnx
from .params import (
    FITTED,
    PARAMETER_CONSTRAINTS,
    check_combinations,
    params_from_json,
    params_to_json,
    upgrade,
)
from .persistence import read, write
from .quantize import check_trainable, network_from_state, quantize_classifier
from .state import pickle_state, unpickle_state
from .targets import Target, target_from_config
from .tokenizer import Tokenizer
from .training import (
    TrainingConfig,
    predict_logits,
    resolve_device,
    seeded_global_rng,
    shared_seed,
    torch_threads,
    train,
    validation_split,
)
from .weighting import TokenWeighting

__all__ = ["TextClassifier", "load"]

# threshold="auto": folds of the out-of-fold probabilities, and the fewest
# positive samples a label needs for its own threshold. On Reuters, labels
# with 1-3 positives got thresholds near 0 that flooded the test set with
# false positives (micro-F1 0.17); from 10 positives on, micro-F1 held (0.863
# against 0.860 at 0.5) and macro-F1 rose (0.434 against 0.398).
_THRESHOLD_FOLDS = 3
_THRESHOLD_MIN_POSITIVES = 10
# Parameters read at predict time (set_params needs no refit).
_PREDICT_TIME_PARAMS = ("threshold", "at_least_one", "top_k")


class TextClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Text classifier for raw texts and any common label format.

    A fastText-style model, trained with PyTorch: texts are split into words
    (or WordPiece subwords), word n-grams are added, each document becomes a
    tf-idf weighted sum (or mean) of its token embeddings, and a linear head
    gives one logit per class. The label format is detected from ``y``:

    - 1-D labels of any hashable type: binary or multiclass, softmax;
    - ragged lists / tuples / sets of labels: multilabel, sigmoid;
    - 2-D 0/1 indicator (numpy, scipy sparse, DataFrame): multilabel, sigmoid;
    - 2-D soft labels in [0, 1]: multilabel trained on the soft targets;
    - 2-D class labels, one column per output (numpy or DataFrame; anything
      but 0/1 or soft values, e.g. str or ints beyond {0, 1}): multi-output,
      scikit-learn's ``multiclass-multioutput``, trained jointly with one
      shared text encoder and one head (softmax) per output.

    ``predict`` answers in the format of ``y``; ``predict_proba`` gives an
    ``(n_samples, n_classes)`` array in ``classes_`` order (multi-output: a
    list of one such array per output, as ``MultiOutputClassifier`` does).
    For single-label targets the probabilities can be calibrated with
    ``sklearn.calibration.CalibratedClassifierCV`` (see ``docs/guide.md``).

    Parameters
    ----------
    text_column : str, int or None, default=None
        Set it when X is a table: the DataFrame column (or 2-D array column
        number) that holds the texts. None: X is a 1-D collection of texts.
    categorical_columns : list of str or int, or None, default=None
        Columns of X (with ``text_column``) holding categorical side features,
        e.g. a region or a product line. Each gets its own embedding of
        ``dim``, learned with the text's. A category never seen in training
        maps to an "unknown" vector fixed at zero (it adds nothing; never an
        error); missing values (None, NaN, pandas NA) share one learned
        "missing" vector.
    categorical_merge : {"sum", "concat"}, default="sum"
        How side-feature vectors join the text vector: added to it, or
        concatenated after it (the head then reads ``dim * (1 + n_side)``).
    encoder : {"bag", "attention"}, default="bag"
        The network. ``"bag"``: fastText's bag of token and n-gram embeddings,
        pooled as ``pooling`` says; sparse SGD, by far the fastest.
        ``"attention"``: ``n_layers`` transformer layers over the first
        ``max_length`` base tokens (``word_ngrams``, ``char_ngrams``,
        ``max_features`` and ``pooling`` do not apply), with learned
        positions, padding masks and ``attention_pooling``; trained with
        AdamW (under bf16 autocast on a CUDA device; predictions in
        float32). 25-40x slower to fit on CPU; more accurate on Reuters,
        less on 20 Newsgroups (``benchmarks/RESULTS.md``). Not for
        ``partial_fit`` or ONNX export.
    n_layers : int, default=1
        Transformer layers (``encoder="attention"``).
    n_heads : int or "auto", default="auto"
        Attention heads a layer; ``dim`` must be a multiple. "auto" is 4, or
        the most of 2 and 1 that divides ``dim``.
    max_length : int, default=256
        Tokens read from each text (the first ones) by the attention encoder.
    attention_pooling : {"mean", "attention", "label"}, default="mean"
        How the attention encoder makes one vector of the encoded tokens:
        their mean, an attention-weighted sum (one learned query), or label
        attention: one learned query, hence one vector, per class.
    tokenizer : "words", "wordpiece", "hash", tokenizers.Tokenizer or path, default="words"
        Base tokens. ``"words"``: runs of word characters and combining marks
        (CJK characters and emoji are tokens of their own) with a
        vocabulary of the words seen ``min_count`` times; deterministic and
        the best in the benchmarks (``benchmarks/RESULTS.md``).
        ``"wordpiece"``: a WordPiece subword vocabulary of ``vocab_size``
        tokens trained on the texts with the ``tokenizers`` library (its
        trainer breaks ties in hash order, so two fits may differ in a few
        rare subwords: not deterministic). ``"hash"``: the same words, hashed
        with their n-grams into ``n_buckets`` rows: no vocabulary to learn,
        so every word of a stream gets a row (collisions share one). A
        ``tokenizers.Tokenizer`` object, or the path of a ``tokenizer.json``
        saved by Hugging Face tokenizers, is used as is (not retrained); a copy
        is stored with the model, in pickles and in the safe format.
    lowercase : bool, default=True
        Lowercase texts before tokenizing.
    strip_accents : None, "ascii" or "unicode", default=None
        Remove accents before tokenizing, as ``TfidfVectorizer`` does:
        ``"ascii"`` is fast but only for characters with an ASCII mapping,
        ``"unicode"`` works on any character.
    normalize_unicode : {"NFC", "NFKC"} or None, default="NFC"
        Unicode normal form texts are put in before ``strip_accents`` and
        ``lowercase``, so that a character written precomposed or with
        combining marks is one token; ``"NFKC"`` also folds compatibility
        forms (the "ﬁ" ligature, full-width letters); None leaves texts as
        they are. Whatever the form, words keep their combining marks
        (accents, Devanagari vowel signs, Arabic harakat), and emoji and other
        symbols are tokens of their own, a sequence (skin tone, ZWJ family,
        flag) one token, and so is each question or exclamation mark ("?",
        "!", "¿", "؟", ...; other punctuation separates words). Models saved
        before these rules keep their own.
    preprocessor : callable or None, default=None
        A function ``str -> str`` applied to each text before
        ``strip_accents`` and ``lowercase`` (unlike ``TfidfVectorizer``,
        where it replaces them; turn them off to get that). It runs in
        ``fit`` and at every prediction. A model with a preprocessor pickles
        (if the function does) but cannot be written by :meth:`save`, whose
        format holds data, never code.
    word_ngrams : int or tuple (min_n, max_n), default=2
        Word n-gram lengths used as features: ``n`` means ``(1, n)`` (2 adds
        bigrams; 1 disables them); ``(2, 2)`` keeps bigrams without the
        words themselves, as ``ngram_range`` does.
    char_ngrams : tuple (min_n, max_n) or None, default=None
        Add character n-grams of each word (``tokenizer="words"`` only): they
        give misspelled or unseen words a representation, at some speed cost.
    min_count : int, default=1
        Words and n-grams seen fewer times in the training texts are ignored.
        1, as fastText's: words seen once carry much of short texts' signal
        (2 cost SUBJ, MPQA and SST-2 1-2 points of accuracy).
    max_features : int or None, default=None
        Keep only the ``max_features`` features (words, word and character
        n-grams, or hash buckets) most frequent in the training texts, as
        ``TfidfVectorizer`` does: it bounds the embedding table.
    vocab_size : int, default=30000
        WordPiece vocabulary size (``tokenizer="wordpiece"`` only).
    n_buckets : int, default=2**20
        Embedding rows shared by hashed words and n-grams
        (``tokenizer="hash"`` only). The other tokenizers keep exact n-gram
        dictionaries pruned by ``min_count`` instead of buckets, so their
        table grows with the data, not with a fixed bucket count.
    pretrained_vectors : str, path-like, mapping or None, default=None
        Pretrained word vectors to start the word rows from, as fastText's
        ``-pretrainedVectors``: the path of a ``.vec`` file (word2vec text
        format, fastText's ``n_words dim`` header line optional, gzipped if
        it ends in ``.gz``; e.g. fastText's ``wiki-news-300d-1M.vec``), or a
        mapping word -> vector (anything with ``in`` and ``[]``, so gensim's
        ``KeyedVectors`` work; its width is ``vector_size``, or its first
        value's). ``tokenizer="words"`` only. ``dim="auto"`` becomes the
        vectors' width; another ``dim`` is an error. Words of the training
        texts that have a vector are kept whatever ``min_count`` says; the
        others, and all n-gram rows, start and train as usual; vectors of
        words absent from the texts are never read into the table (a file
        is streamed). A file's words are prepared as the texts are
        (``preprocessor``, ``normalize_unicode``, ``strip_accents``,
        ``lowercase``), the first line of a word winning; a mapping is
        looked up with the texts' words as prepared. The vectors are scaled
        by one common factor to the norm of the default init. ``max_features``
        still bounds the table. Only the first ``fit`` (or ``partial_fit``)
        reads them; ``warm_start`` continues. :meth:`save` records a path as
        given and a mapping as a placeholder that :func:`load` makes None:
        the loaded model predicts without them.
    pooling : {"auto", "supervised", "tfidf", "mean"}, default="auto"
        How token embeddings make a document vector: a sum weighted by
        sublinear tf-idf with unit L2 norm (``"tfidf"``), fastText's plain
        mean (``"mean"``), or (``"supervised"``) a sum weighted by
        ``(1 + log count) * sqrt(idf) * (0.5 + concentration)`` with unit L2
        norm, where a token's concentration ``1 - H(class | token) /
        log(n_classes)`` is learned in ``fit`` from the single-label training
        targets (class labels, one-hot or probability rows; per-class
        document frequencies smoothed by two pseudo-documents a token, every
        class weighing the same): words
        that tell the classes apart weigh more, however frequent. ``"auto"``
        is ``"supervised"`` for single-label targets in ``fit`` and
        ``"tfidf"`` for multilabel and multi-output targets and in
        ``partial_fit``, where ``"supervised"`` is an error (``warm_start``
        keeps the weights of the first fit). Samples weigh alike in the
        concentrations, whatever ``sample_weight``; with ``early_stopping``
        they include the validation documents, as the idf does. See
        :mod:`sktext.weighting`.
    dim : int or "auto", default="auto"
        Embedding width. "auto" is 50 for the bag model and 64 for the
        attention encoder (four heads of 16).
    dropout : float, default=0.0
        Dropout on the document vector during training.
    max_iter : int or "auto", default="auto"
        Epochs (the most, with ``early_stopping``). "auto" gives small data
        sets more passes than large ones, as fastText's advice goes:
        ``500_000 // n_samples`` clipped to [5, 10] (10 up to 50,000
        documents, 5 from 100,000).
    learning_rate : float or "auto", default="auto"
        Initial step size, decayed linearly to zero over ``max_iter`` epochs.
        "auto" is 8.0 for the bag model's SGD (the tf-idf pooled vectors have
        unit norm, hence a large step) and 1e-2 for the attention encoder's
        AdamW, with gradients clipped to norm 1 (1e-3 and 3e-3 underfitted
        10 epochs on 20 Newsgroups and on small data). The bag model's "auto"
        is lower where documents share many features (character n-grams with
        ``min_n <= 2``, small training sets): ``8 * sqrt(0.04 / overlap)``
        when the top eigenvalue of their pooling weights' second moment
        exceeds 0.04 (words: 0.01-0.03 on the benchmark sets). In
        ``partial_fit`` it is also capped, each call, at the step that is
        stable for the current model whatever its errors, which falls as the
        model grows confident (a constant 8.0 diverged on streams). A loss
        that grows over 10 times the first epoch's (or a uniform guess's)
        raises a ConvergenceWarning; one that becomes NaN or infinite, a
        FloatingPointError. In single-label outputs of more than 100
        classes, ``fit`` multiplies the bag model's step for the head row of
        class ``c`` by ``1 / (100 * prior_c)``, between 1 and
        ``n_classes / 100``, as its gradient scales with the class's prior
        (``sktext.loss.head_rate_scale``). The bag model's SGD also decays
        its weights (L2, weight decay 1e-3: each step shrinks the embedding
        rows the batch touches, and the head, by ``1 - rate * 1e-3``) when
        fitting single-label targets, not multilabel ones (it starved rare
        labels), streams, nor heads whose steps are scaled (it worked
        against the scaling).
    batch_size : int or "auto", default="auto"
        Documents per SGD step. "auto" is ``n_samples // 200`` clipped to
        [32, 1024]: about 200 steps an epoch, so small data sets still get
        enough updates while large ones avoid the fixed cost of tiny steps.
        With more than 200 classes (logits, over all outputs) it takes one
        step a class instead (``n_samples // n_classes``), so that each step
        meets about one document of every class.
        On a CUDA device the cap is 8192: a small model's GPU step costs its
        kernel launches more than its arithmetic, so fewer, larger steps pay
        (on 1M short documents, batches of 5000 and 1024 reached the same
        accuracy, 0.8891 and 0.8884, measured on CPU).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its score (see :meth:`score`) stops improving; the best weights are
        kept.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=3
        Epochs without an improvement of at least ``tol`` before stopping.
    tol : float, default=1e-4
        Smallest validation score gain that counts as an improvement.
    target_type : {None, "multiclass", "multilabel"}, default=None
        Overrides the detection where it is ambiguous: ``"multiclass"`` reads
        a 2-D one-hot or probability matrix as one class a sample (softmax;
        ``predict`` then returns one-hot rows). ``None`` detects.
    threshold : float, array-like of shape (n_classes,) or "auto", default=0.5
        Multilabel only: a label is predicted when its probability reaches
        its threshold. ``"auto"`` tunes one threshold per label in ``fit`` to
        maximise that label's F1 on out-of-fold probabilities (3 extra fits,
        each on two thirds of the data, score the third they did not see; the
        final model still trains on everything). Labels with fewer than 10
        positive samples (F1 tuned on so few overfits) are cut at the rank of
        their positives instead, if that is below 0.5. The result is
        ``threshold_``. Read at predict time, so ``set_params`` needs no refit. For other rules,
        threshold ``predict_proba`` yourself. Single-label targets take the
        most probable class; for a tuned binary threshold, wrap the estimator
        in ``sklearn.model_selection.TunedThresholdClassifierCV``.
    at_least_one : bool or "auto", default="auto"
        Multilabel only: a sample with no label above threshold gets its most
        probable label. "auto" does so when every training sample has at least
        one label (then an empty answer is known to be wrong).
    top_k : int or None, default=None
        Multilabel only: at most the ``top_k`` most probable labels a sample,
        among those reaching their threshold (``threshold=0`` gives exactly
        ``top_k``). Read at predict time.
    class_weight : dict, "balanced" or None, default=None
        Weights of classes in the loss. For multilabel targets they weight each
        label's positive examples; "balanced" uses ``n_negative / n_positive``
        per label, or ``n_samples / (n_classes * count)`` for single labels
        (within each output for multi-output targets, which take no dict).
    centroid_weight : float in [0, 1] or "auto", default="auto"
        Multilabel targets of the bag model only: the share of a nearest-
        centroid score in each label's probability. A label's centroid is the
        normalised sum of its training documents' tf-idf rows, its score the
        cosine with a document's row (:mod:`sktext.centroids`); the
        probability is ``(1 - centroid_weight) * sigmoid(logit) +
        centroid_weight * cosine``, and ``decision_function`` its log odds.
        Labels with few positives, which the network barely learns, gain
        most (Reuters macro-F1 0.47 -> 0.56 with ``threshold="auto"``).
        "auto" is 0.3; 0 turns it off. Single-label and soft targets ignore it, and
        ``partial_fit`` keeps the centroids of the ``fit`` it continues (a
        stream started by ``partial_fit`` has none).
    device : str, default="auto"
        Torch device; "auto" is "cuda" when available, else "cpu".
    warm_start : bool, default=False
        Refitting continues training the fitted model on the new data for
        ``max_iter`` more epochs, with the first fit's vocabulary, idf weights
        and classes (new labels, or a different number of indicator columns,
        raise a ValueError). ``loss_curve_`` and ``n_iter_`` accumulate.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the validation split. With an int,
        two fits on CPU give identical predictions.
    n_jobs : int or None, default=None
        CPU threads for torch and for the compiled tokenizer (kinds "words"
        and "hash"; its output is the same whatever ``n_jobs``) during ``fit``
        and ``predict``; None means 1
        (unless in a ``joblib.parallel_config`` context), -1 all cores. The
        steps here are small, so a second thread gains little on a quiet
        machine, while torch's spinning thread pool slows down severalfold
        when other processes compete for the cores; one thread also never
        oversubscribes under ``GridSearchCV(n_jobs=...)``.
    verbose : int, default=0
        Show a progress bar with the loss and validation score per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels (multilabel: the labels; indicator input: column
        indices, or the DataFrame's column names; multi-output: one array of
        class labels per output).
    target_format_ : str
        Detected format of ``y``: "labels", "ragged", "indicator", "soft" or
        "multioutput".
    tokenizer_ : Tokenizer
        The fitted tokenizer.
    n_features_ : int
        Rows of the embedding table (tokens and n-grams).
    model_ : torch.nn.Module
        The trained network.
    centroids_ : sktext.centroids.LabelCentroids or None
        The label centroids blended into multilabel probabilities (see
        ``centroid_weight``); None where none are.
    loss_curve_ : list of float
        Mean training loss per epoch (weighted by ``sample_weight``).
    validation_scores_ : list of float or None
        Validation score (see :meth:`score`) per epoch; None when the last
        fit ran without early stopping, as for ``MLPClassifier``.
    best_validation_score_ : float or None
        Best validation score, whose weights were kept (None without early
        stopping).
    n_iter_ : int
        Epochs run: ``loss_curve_`` has one entry per epoch, and so has
        ``validation_scores_`` with early stopping. ``docs/guide.md`` shows
        how to plot them.
    fit_timings_ : dict
        Seconds ``fit`` spent tokenizing, computing pooling weights, shuffling
        batches and running training steps (validation scoring included).
    every_sample_labelled_ : bool
        Whether every training sample had at least one label (multilabel);
        what ``at_least_one="auto"`` follows.

    Examples
    --------
    >>> from sktext import TextClassifier
    >>> texts = ["good movie", "great film", "bad movie", "awful film"] * 10
    >>> labels = ["pos", "pos", "neg", "neg"] * 10
    >>> clf = TextClassifier(min_count=1, random_state=0).fit(texts, labels)
    >>> clf.predict(["a good film", "an awful movie"]).tolist()
    ['pos', 'neg']
    >>> clf.predict_proba(["a good film"]).shape
    (1, 2)
    """

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        *,
        text_column: str | int | None = None,
        categorical_columns: list[str | int] | None = None,
        categorical_merge: str = "sum",
        encoder: str = "bag",
        n_layers: int = 1,
        n_heads: int | str = "auto",
        max_length: int = 256,
        attention_pooling: str = "mean",
        tokenizer: str = "words",
        lowercase: bool = True,
        strip_accents: str | None = None,
        normalize_unicode: str | None = "NFC",
        preprocessor: Callable[[str], str] | None = None,
        word_ngrams: int | tuple[int, int] = 2,
        char_ngrams: tuple[int, int] | None = None,
        min_count: int = 1,
        max_features: int | None = None,
        vocab_size: int = 30000,
        n_buckets: int = 2**20,
        pretrained_vectors: Any = None,
        pooling: str = "auto",
        dim: int | str = "auto",
        dropout: float = 0.0,
        max_iter: int | str = "auto",
        learning_rate: float | str = "auto",
        batch_size: int | str = "auto",
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 3,
        tol: float = 1e-4,
        target_type: str | None = None,
        threshold: float | Any = 0.5,
        at_least_one: bool | str = "auto",
        top_k: int | None = None,
        class_weight: dict | str | None = None,
        centroid_weight: float | str = "auto",
        device: str = "auto",
        n_jobs: int | None = None,
        warm_start: bool = False,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        self.text_column = text_column
        self.categorical_columns = categorical_columns
        self.categorical_merge = categorical_merge
        self.encoder = encoder
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.max_length = max_length
        self.attention_pooling = attention_pooling
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.normalize_unicode = normalize_unicode
        self.preprocessor = preprocessor
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_count = min_count
        self.max_features = max_features
        self.vocab_size = vocab_size
        self.n_buckets = n_buckets
        self.pretrained_vectors = pretrained_vectors
        self.pooling = pooling
        self.dim = dim
        self.dropout = dropout
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.target_type = target_type
        self.threshold = threshold
        self.at_least_one = at_least_one
        self.top_k = top_k
        self.class_weight = class_weight
        self.centroid_weight = centroid_weight
        self.device = device
        self.n_jobs = n_jobs
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting -------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TextClassifier:
        """Learn the vocabulary and train the model.

        Parameters
        ----------
        X : 1-D collection of str
            Training texts (list, tuple, numpy array or pandas Series; a
            DataFrame or 2-D array of one column is its texts), or with
            ``text_column`` a table.
        y : array-like, sparse matrix or DataFrame
            Targets in any supported format (see the class docstring).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample loss weights.

        Returns
        -------
        self : TextClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> TextClassifier:
        """Train on one batch of a stream: one pass at a constant learning rate
        (``learning_rate="auto"``: one that is stable for the current model).

        The first call learns the vocabulary from its texts and freezes it
        (later words unknown to it are ignored, so make the first batch a
        representative sample); document frequencies, hence idf weights, keep
        counting over all batches. Later calls continue training the same
        model. Every label format works; labels and ragged targets need the
        full label set on the first call, as scikit-learn's ``partial_fit``
        does. ``early_stopping`` does not apply to streams.

        Parameters
        ----------
        X : 1-D collection of str
            The batch's texts (or table, with ``text_column``).
        y : targets in any supported format (the same format on every call)
            The batch's targets.
        classes : array-like, default=None
            Every label the stream may hold; required on the first call for
            1-D labels and ragged targets, optional later (it must not change).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample loss weights (None: equal weights).

        Returns
        -------
        self : TextClassifier
            The estimator, trained one batch further.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(
        self, X: Any, y: Any, sample_weight: Any, incremental: bool, classes: Any = None
    ) -> TextClassifier:
        """``fit`` (a new model, or with ``warm_start`` more epochs of the
        fitted one) and ``partial_fit`` (``incremental``: one constant-rate
        pass, continuing the fitted model after the first call)."""
        fitted = hasattr(self, "model_")
        if not (incremental and fitted):
            self._validate_params()
            self._check_options()
        if incremental:
            self._check_stream_options()
        texts, side = self._split_input(X)
        if not texts:
            needs = "at least one text" if incremental else "at least one text per class"
            raise ValueError(
                f"X is empty; {'partial_fit' if incremental else 'fit'} needs {needs}."
            )
        y = as_target_input(y)
        continued = fitted and (incremental or self.warm_start)
        if continued:
            check_trainable(self.model_)
        target = self._target(y, classes, incremental, continued)
        auto_threshold = isinstance(self.threshold, str) and target.multilabel
        if incremental and auto_threshold:
            raise ValueError(
                "threshold='auto' tunes thresholds on cross-validated fits in fit; "
                "partial_fit cannot refit its stream: give a number (or one per class)."
            )
        self._train(texts, side, y, target, sample_weight, continued, incremental)
        if auto_threshold:
            self.threshold_ = cross_fitted_thresholds(
                clone(self).set_params(threshold=0.5, verbose=0, warm_start=False),
                X,
                y,
                target.encode(y),
                target.classes_,
                sample_weight,
                n_folds=_THRESHOLD_FOLDS,
                min_positives=_THRESHOLD_MIN_POSITIVES,
                random_state=check_random_state(self.random_state).randint(np.iinfo(np.int32).max),
            )
        return self

    def _check_stream_options(self) -> None:
        if self.early_stopping:
            raise ValueError("early_stopping=True is not supported by partial_fit.")
        refusal = NETWORKS[self.encoder].partial_fit_refusal
        if refusal is not None:
            raise ValueError(refusal)

    def _target(self, y: Any, classes: Any, incremental: bool, continued: bool) -> Target:
        """The label adapter for ``y``: new, or the fitted one after checking
        that ``y`` (and ``classes``) agree with it."""
        if not continued:
            if incremental:
                return make_stream_target(y, classes, self.target_type)
            return make_target(y, self.target_type)
        if not incremental:
            return compatible_target(make_target(y, self.target_type), self.target_)
        if classes is not None and not make_stream_target(
            y, classes, self.target_type
        ).same_classes(self.target_):
            raise ValueError("classes differs from the classes of the first partial_fit call.")
        return self.target_

    def _split_input(self, X: Any) -> tuple[list[str], list[np.ndarray] | None]:
        """The checked texts of ``X`` and its categorical columns (or None)."""
        texts, side = split_table(X, self.text_column, self.categorical_columns)
        return check_texts(texts, "X" if self.text_column is None else "the text column"), side

    def _train(
        self,
        texts: list[str],
        side: list[np.ndarray] | None,
        y: Any,
        target: Target,
        sample_weight: Any,
        continued: bool,
        stream: bool,
    ) -> None:
        """Encode, tokenize and train: a new model, or (``continued``) the
        fitted one with its vocabulary and categories; ``stream`` is one
        constant-rate pass. ``side``: the categorical columns, if any."""
        encoded = target.encode(y)
        if len(encoded) != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {len(encoded)} samples.")
        weights = check_sample_weight(sample_weight, len(texts))
        threshold = (
            np.full(target.n_classes, 0.5)
            if isinstance(self.threshold, str)
            else threshold_vector(self.threshold, target.n_classes)
        )
        labelled = self._every_sample_labelled(target, encoded, continued and stream)
        seed = shared_seed(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        device = resolve_device(self.device)
        classes = encoded if target.loss == "softmax" and not stream else None
        features, documents = self._documents(texts, side, continued, stream, classes)

        train_rows, validation = np.arange(len(texts)), None
        if self.early_stopping:
            train_rows, validation_rows = validation_split(encoded, self.validation_fraction, seed)
            at_least_one = labelled if self.at_least_one == "auto" else self.at_least_one
            validation = (
                documents.to(device, validation_rows),
                ValidationScore(
                    target,
                    encoded[validation_rows],
                    weights[validation_rows],
                    DecisionRule(threshold, at_least_one),
                ),
            )
        train_documents = documents.to(device, None if validation is None else train_rows)
        train_y, train_w = encoded[train_rows], weights[train_rows]
        class_weight = class_weight_vector(self.class_weight, target, train_y, train_w)
        network = NETWORKS[self.encoder]
        if continued:
            model = self.model_
        else:
            # Seeded, and under the generator's lock: constructors' default
            # init draws from torch's process-wide generator.
            with seeded_global_rng(seed, device):
                model = network.from_params(
                    self.get_params(),
                    features.n_inputs,
                    target.n_classes,
                    features.categorical_sizes,
                )
                model.reset_parameters(prior_logits(target, train_y, train_w), documents.pretrained)
        model.to(device)
        weighted = None if documents.weighted is None else documents.weighted[train_rows]
        global_noise = seeded_global_rng(seed, device) if model.trains_with_global_rng else None
        with torch_threads(self._n_threads()), global_noise or contextlib.nullcontext():
            # Inside: a stream's stable rate scores the documents with torch.
            config = TrainingConfig.for_documents(
                self.get_params(),
                network.training,
                train_documents,
                weighted,
                device,
                stream,
                model=model,
                multilabel=target.multilabel,
            )
            history = train(
                model,
                train_documents,
                torch.from_numpy(train_y).to(device),
                torch.from_numpy(train_w).to(device),
                make_loss(
                    target.loss,
                    None if class_weight is None else torch.from_numpy(class_weight).to(device),
                    target.output_sizes,
                ),
                config,
                np.random.default_rng(seed),
                validation,
                noise=torch.Generator(device=device).manual_seed(seed),
                # Not for streams: their stable rate assumes the plain one.
                head_scale=None if stream else head_rate_scale(target, train_y, train_w),
            )
        # fit() replaces the thresholds when threshold="auto".
        self._set_fitted(target, features, model, threshold, every_sample_labelled_=labelled)
        self.centroids_ = fit_centroids(self, stream, target, train_documents, train_y, train_w)
        previous = vars(self) if continued else {}
        for name, value in history.attributes(previous, features.timings, self.early_stopping):
            setattr(self, name, value)
        if history.interrupted:
            # Ctrl-C reaches the caller (a cross-validation loop stops too);
            # the estimator stays fitted with the weights kept.
            raise KeyboardInterrupt(
                f"fit interrupted during epoch {history.n_iter + 1}; the model keeps the "
                + ("best weights so far." if self.early_stopping else "weights reached so far.")
            )

    def _every_sample_labelled(self, target: Target, encoded: np.ndarray, stream: bool) -> bool:
        """Whether every sample has a label (multilabel), over the whole
        stream for a continued ``partial_fit``: what ``at_least_one="auto"`` follows."""
        labelled = bool(
            target.multilabel and encoded.ndim == 2 and (encoded.max(axis=1) >= 0.5).all()
        )
        return labelled and self.every_sample_labelled_ if stream else labelled

    def _documents(
        self, texts: list[str], side: Any, continued: bool, stream: bool, classes: Any
    ) -> tuple[TextFeatures, Documents]:
        """The fitted features (new ones unless ``continued``; supervised
        pooling learns from ``classes``) and the training documents, tokenized once."""
        if not continued:
            try:
                features = TextFeatures.from_params(self.get_params(), NETWORKS[self.encoder].reads)
            except ValueError as error:
                raise InvalidParameterError(str(error)) from None
            return features, features.fit(texts, side, self._n_threads(), classes)
        features = self.features_
        if stream:
            return features, features.partial_fit(texts, side, self._n_threads())
        return features, features.transform(texts, side, self._n_threads())

    @property
    def tokenizer_(self) -> Tokenizer:
        """The fitted tokenizer."""
        return self.features_.tokenizer

    @property
    def weighting_(self) -> TokenWeighting:
        """The fitted pooling weights (idf, document frequencies)."""
        return self.features_.weighting

    @property
    def categorical_encoder_(self) -> CategoricalEncoder | None:
        """The fitted side-feature codes (None without categorical columns)."""
        return self.features_.categorical

    def _check_options(self) -> None:
        check_combinations(self.get_params())

    def _n_threads(self) -> int:
        return effective_n_jobs(self.n_jobs)

    # -- inference -----------------------------------------------------------
    def _outputs(self, X: Any, embed: bool = False) -> np.ndarray:
        """Logits, or pooled document vectors, of ``X``, scored a chunk of
        texts at a time (:data:`sktext.features.PREDICT_CHUNK`), which bounds memory."""
        check_is_fitted(self, "model_")
        texts, side = self._split_input(X)
        device = resolve_device(self.device)
        if next(self.model_.parameters()).device != device:
            self.model_.to(device)
        batch_size = NETWORKS[self.model_.kind].training.predict_batch_size
        chunks = []
        for inputs in self.features_.chunks(texts, side, device, self._n_threads()):
            with torch_threads(self._n_threads()):
                logits = predict_logits(self.model_, inputs, batch_size=batch_size, embed=embed)
            chunks.append(logits if embed else blend(self.centroids_, logits, inputs))
        if not chunks:
            width = self.model_.head.in_features if embed else self.target_.n_classes
            return np.empty((0, width), dtype=np.float32 if embed else np.float64)
        return np.concatenate(chunks)

    def _logits(self, X: Any) -> np.ndarray:
        return self._outputs(X)

    def explain(self, X: Any, classes: Any = None) -> list[Explanation]:
        """Token attributions: what each token of each text adds to a class's logit.

        For the bag model the logit is linear in each feature's pooling
        weight, so gradient x input is exact (it equals integrated gradients
        from an empty text): a text's attributions sum to its logit minus the
        bias. Word n-grams share their attribution among their words. For the
        attention encoder, attributions are integrated gradients on the token
        vectors from a zero baseline (128 steps), which sum to the logit minus
        the baseline's logit (``bias``) up to the quadrature error.

        Parameters
        ----------
        X : 1-D collection of str
            The texts to explain (or the table, with ``text_column``).
        classes : None, "all", a class label or a list of them, default=None
            Which classes to explain: None explains the predicted class
            (single-label) or the predicted labels (multilabel; the most
            probable one for a text with none).

        Returns
        -------
        list of :class:`sktext.explain.Explanation`
            One per text: tokens, character spans, attributions of shape
            (n_classes_explained, n_tokens), with ``top()`` and ``to_html()``.
        """
        logits = self._logits(X)  # first: it raises NotFittedError before fit
        target = self.target_
        if target.format == "multioutput":
            raise ValueError(
                "explain supports single-label and multilabel targets, not multi-output."
            )
        texts, side = self._split_input(X)
        decisions = decide(target, logits, self._decision_rule()) if classes is None else None
        columns = explained_columns(target.multilabel, logits, decisions, self.classes_, classes)
        return explain_texts(self.model_, self.features_, texts, side, columns, self.classes_)

    def transform(self, X: Any) -> np.ndarray:
        """Document embeddings: the pooled vector the classifier head reads.

        They let sktext feed other estimators (clustering, a different
        classifier, nearest neighbours) in a Pipeline. ``set_output(transform="pandas")``
        makes them a DataFrame whose columns are :meth:`get_feature_names_out`
        (and whose index is that of ``X``, if it has one).

        Parameters
        ----------
        X : 1-D collection of str
            The texts (or the table, with ``text_column``).

        Returns
        -------
        embeddings : ndarray of shape (n_samples, dim), float32
            One pooled document vector a text.

        Examples
        --------
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sktext import TextClassifier
        >>> texts = ["good movie", "great film", "bad movie", "awful film"] * 10
        >>> labels = ["pos", "pos", "neg", "neg"] * 10
        >>> pipe = make_pipeline(TextClassifier(dim=8, min_count=1, random_state=0),
        ...                      StandardScaler()).set_output(transform="pandas")
        >>> pipe.fit_transform(texts, labels).iloc[:2, :3].shape
        (2, 3)
        >>> list(pipe.get_feature_names_out()[:3])
        ['textclassifier0', 'textclassifier1', 'textclassifier2']
        """
        return self._outputs(X, embed=True)

    def fit_transform(self, X: Any, y: Any, sample_weight: Any = None) -> np.ndarray:
        """``fit(X, y)``, then :meth:`transform` of the same texts."""
        return self.fit(X, y, sample_weight=sample_weight).transform(X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the :meth:`transform` columns: ``textclassifier0`` ...

        Parameters
        ----------
        input_features : ignored
            Present for scikit-learn's API: the input is texts, not named
            features, so the names depend on the embedding width alone.

        Returns
        -------
        names : ndarray of str objects, shape (dim,)
            ``textclassifier0`` to ``textclassifier{dim - 1}``.

        Examples
        --------
        >>> from sktext import TextClassifier
        >>> clf = TextClassifier(dim=3, min_count=1).fit(["a b", "c d"] * 4, [0, 1] * 4)
        >>> clf.get_feature_names_out().tolist()
        ['textclassifier0', 'textclassifier1', 'textclassifier2']
        """
        check_is_fitted(self, "model_")
        dim = self.model_.head.in_features
        return np.asarray([f"textclassifier{i}" for i in range(dim)], dtype=object)

    def decision_function(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Logits: shape (n_samples,) for binary targets (positive class minus
        negative), else (n_samples, n_classes); for multi-output targets a
        list of one (n_samples, n_classes_k) array per output."""
        logits = self._logits(X)
        if not self.target_.multilabel and logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return self.target_.split_outputs(logits)

    def predict_proba(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Probability of each class, shape (n_samples, n_classes), in
        ``classes_`` order. Rows sum to 1 for single-label targets; for
        multilabel targets each column is an independent probability. For
        multi-output targets, a list of one (n_samples, n_classes_k) array per
        output, in ``classes_[k]`` order, as ``MultiOutputClassifier`` gives.

        Apply your own thresholds with, e.g.,
        ``clf.predict_proba(X) >= np.array([0.3, 0.5, ...])``.
        """
        logits = self._logits(X)  # first: it raises NotFittedError before fit
        return self.target_.split_outputs(probabilities(self.target_, logits))

    def _decision_rule(self) -> DecisionRule:
        """Thresholds, at-least-one and top-k, read from the parameters at
        predict time: ``set_params(threshold=...)`` needs no refit
        (``"auto"`` is the thresholds of the last fit). They are checked
        here as ``fit`` checks them, so a value set after fit fails clearly."""
        names = _PREDICT_TIME_PARAMS
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in names},
            {name: getattr(self, name) for name in names},
            caller_name=type(self).__name__,
        )
        at_least_one = self.at_least_one
        if at_least_one == "auto":
            at_least_one = self.every_sample_labelled_
        threshold = (
            self.threshold_
            if isinstance(self.threshold, str)
            else threshold_vector(self.threshold, self.target_.n_classes)
        )
        return DecisionRule(threshold, bool(at_least_one), self.top_k)

    def predict(self, X: Any) -> Any:
        """Predicted labels, in the format of the training ``y``.

        Returns
        -------
        labels : array, list of tuples, sparse matrix or DataFrame
            1-D array of labels, list of tuples (ragged), a 0/1 matrix of the
            kind given (numpy, scipy sparse CSR, DataFrame), or for multi-output
            targets an (n_samples, n_outputs) array of labels (a DataFrame with
            the training columns if ``y`` was one).
        """
        return self.predict_from_logits(self._logits(X))

    def predict_top_k(self, X: Any, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most probable labels of each sample and their
        probabilities, most probable first (``predict`` gives the first).

        Single-label targets only (multilabel ones rank with ``top_k``); see
        :func:`sktext.abstention.top_k_labels`, which this calls, for ties and
        ``k`` above ``n_classes``. Top-k accuracy is then
        ``(labels == np.asarray(y)[:, None]).any(axis=1).mean()``.

        Parameters
        ----------
        X : iterable of str
            The texts (or table, with categorical columns).
        k : int, default=5
            How many labels a sample.

        Returns
        -------
        labels : ndarray of shape (n_samples, min(k, n_classes))
            The labels, most probable first.
        probabilities : ndarray of shape (n_samples, min(k, n_classes))
            Their probabilities, decreasing along each row.

        Examples
        --------
        >>> from sktext import TextClassifier
        >>> clf = TextClassifier(min_count=1, max_iter=5, random_state=0)
        >>> clf = clf.fit(["good film", "bad film", "a film"] * 5, ["pos", "neg", "meh"] * 5)
        >>> labels, proba = clf.predict_top_k(["good film"], k=2)
        >>> labels.shape, labels[0].tolist()[0]
        ((1, 2), 'pos')
        """
        return top_k_labels(self.predict_proba(X), self.classes_, k)

    def predict_from_logits(self, logits: np.ndarray) -> Any:
        """Labels in the format of the training ``y``, from raw logits of
        shape (n_samples, n_classes) computed elsewhere (e.g. the ``logits``
        output of the ONNX graph), under the same decision rule as
        :meth:`predict` (``threshold``, ``at_least_one``, ``top_k``)."""
        check_is_fitted(self, "model_")
        return self.target_.decode(decide(self.target_, logits, self._decision_rule()))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy for single-label targets; micro-averaged F1 for multilabel
        ones (ragged lists included); subset accuracy for multi-output ones
        (a sample counts when every output is right, as
        ``MultiOutputClassifier.score``). Labels never seen in training count
        as misses.

        Parameters
        ----------
        X : 1-D collection of str
            The texts (or the table, with ``text_column``).
        y : targets in the training format
            The true targets, in the format ``fit`` was given.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the score (None: equal weights).

        Returns
        -------
        score : float
            Accuracy, micro-F1 or subset accuracy, as above.
        """
        logits = self._logits(X)
        decisions = decide(self.target_, logits, self._decision_rule())
        y = as_target_input(y)
        if len(decisions) != len(self.target_.true_matrix(y)[1]):
            raise ValueError("X and y have different numbers of samples.")
        return self.target_.score(y, decisions, sample_weight)

    # -- persistence -----------------------------------------------------------
    def save(self, path: Any) -> None:
        """Save the fitted model to ``path`` in sktext's safe format.

        Weights go in safetensors, everything else (parameters, labels,
        vocabularies) in JSON, inside one zip file; nothing is pickled, so
        :func:`sktext.load` never executes code from the file. Labels must be
        str, int, float or bool. Pickle and joblib work too, for trusted files.

        Parameters
        ----------
        path : str, path-like or writable binary file object
            Where to write. A file at that path is replaced only once the new
            one is completely written.
        """
        write(path, *self._get_state(self.get_params()))

    def _get_state(self, params: dict[str, Any]) -> tuple[dict, dict[str, np.ndarray]]:
        """The fitted model as JSON-able configuration and named arrays: each
        part (features, network, target) describes itself; ``params``: the
        parameters to record (``get_params()``, or a stand-in JSON can hold)."""
        check_is_fitted(self, "model_")
        features, arrays = self.features_.get_state()
        arrays["threshold"] = self.threshold_
        for name, tensor in self.model_.state_dict().items():
            arrays[f"model.{name}"] = tensor.detach().cpu().numpy()
        config = {
            "params": params_to_json(params),
            "target": self.target_.to_config(),
            "features": features,
            "network": {"kind": self.model_.kind, "config": self.model_.get_config()},
            "fitted": {name: getattr(self, name) for name in FITTED},
            "centroids": store_centroids(self.centroids_, arrays),
        }
        return config, arrays

    @classmethod
    def _from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> TextClassifier:
        """The fitted model :meth:`_get_state` described (any format version)."""
        try:
            config = upgrade(config)
            params = params_from_json(config["params"])
            target = target_from_config(config["target"])
            features = TextFeatures.from_state(config["features"], arrays)
            if isinstance(params.get("tokenizer"), dict):
                params["tokenizer"] = features.tokenizer.pretrained
            estimator = cls(**params)
            model = network_from_state(config["network"])
            prefix = "model."
            model.load_state_dict(
                {
                    name[len(prefix) :]: torch.from_numpy(array)
                    for name, array in arrays.items()
                    if name.startswith(prefix)
                }
            )
            fitted = {name: config["fitted"][name] for name in FITTED}
            fitted["centroids_"] = load_centroids(config.get("centroids"), arrays)
            threshold = arrays["threshold"]
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            raise ValueError(f"the model file is inconsistent: {error!r}") from None
        if target.n_classes != model.head.out_features or features.n_inputs > max(
            model.embedding.num_embeddings, 1
        ):
            raise ValueError("the model file is inconsistent: array sizes do not match.")
        estimator._set_fitted(target, features, model, threshold, **fitted)
        return estimator

    def _set_fitted(
        self,
        target: Target,
        features: TextFeatures,
        model: torch.nn.Module,
        threshold: np.ndarray,
        **fitted: Any,
    ) -> None:
        """The fitted state, from a fit or from a file; ``fitted``: plain
        attributes (``every_sample_labelled_``, the training history, the
        label centroids ``centroids_``)."""
        self.target_ = target
        self.classes_ = target.classes_
        self.target_format_ = target.format
        self.features_ = features
        self.n_features_ = features.tokenizer.n_features_
        self.model_ = model
        self.threshold_ = threshold
        for name, value in fitted.items():
            setattr(self, name, value)

    def quantize(
        self, X: Any = None, y: Any = None, sample_weight: Any = None, **options: Any
    ) -> TextClassifier:
        """Make the fitted model small, in place, as fastText's ``quantize``:
        prune its features, optionally retrain it, quantize its embedding table.

        See :mod:`sktext.quantize`. The quantized model predicts, explains,
        transforms, saves, loads, pickles and exports to ONNX (with the table
        dequantized) as any; it cannot be quantized again nor trained further
        (``warm_start``, ``partial_fit``): fit a new one. ``encoder="bag"`` only.

        Parameters
        ----------
        X : 1-D collection of str, default=None
            The training texts (or table), for ``retrain=True`` only.
        y : targets in the training format, default=None
            Their targets, for ``retrain=True`` only.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of ``X``'s samples when retraining.
        **options
            Keywords only, each optional: ``cutoff``, ``prune_by``,
            ``method``, ``dsub``, ``qnorm``, ``retrain`` (below).

        Other Parameters
        ----------------
        cutoff : int or None, default=None
            Features (embedding rows) to keep, the ``cutoff`` that matter
            most; the others are no longer counted. None keeps them all.
        prune_by : {"norm", "frequency"}, default="norm"
            What matters most: the L2 norm of a feature's row (fastText's
            criterion), or its training document frequency.
        method : {"pq", "int8", "float32"}, default="pq"
            Product quantization (one byte a sub-vector of ``dsub``
            coordinates), one byte a coordinate (with a float scale a row), or
            float32 rows (pruning only).
        dsub : int or None, default=None
            ``method="pq"``: coordinates a sub-vector (None: 2, as fastText).
        qnorm : bool, default=False
            ``method="pq"``: code rows as unit vectors and their norms apart.
        retrain : bool, default=False
            Train the pruned model further on ``X``, ``y`` before quantizing
            it (as ``warm_start`` does: its epochs and learning rate).

        Returns
        -------
        self : TextClassifier
            The estimator, quantized.

        Examples
        --------
        >>> from sktext import TextClassifier
        >>> texts = ["good movie", "great film", "bad movie", "awful film"] * 10
        >>> labels = ["pos", "pos", "neg", "neg"] * 10
        >>> clf = TextClassifier(min_count=1, random_state=0).fit(texts, labels)
        >>> clf = clf.quantize(cutoff=6, dsub=5, retrain=True, X=texts, y=labels)
        >>> clf.n_features_, clf.predict(["good film", "awful movie"]).tolist()
        (6, ['pos', 'neg'])
        """
        return quantize_classifier(self, X, y, sample_weight, **options)

    def to_onnx(self, path: Any) -> None:
        """Write the network to ``path`` as ONNX, for :class:`sktext.onnx.OnnxPredictor`
        (which tokenizes in Python); see :func:`sktext.onnx.export_onnx`."""
        check_is_fitted(self, "model_")
        write_onnx(self.model_, self.target_, path)

    # -- scikit-learn plumbing -------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.classifier_tags.multi_label = True
        # transform gives document embeddings; texts in, so no dtype to keep.
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        tags.target_tags.multi_output = True
        return tags

    def __getstate__(self) -> dict:
        # The model file's bytes, not torch tensors: skops can rebuild them,
        # and pickles load on machines without the training device.
        state = super().__getstate__()
        return pickle_state(self, state) if hasattr(self, "model_") else state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(unpickle_state(type(self), state))


def load(path: Any) -> TextClassifier:
    """Read a model written by :meth:`TextClassifier.save`.

    Files of every format version keep loading and predicting as they did
    when they were written (see :mod:`sktext.persistence`).

    Parameters
    ----------
    path : str, path-like or readable binary file object
        The file :meth:`TextClassifier.save` wrote, or a binary file object open on it.

    Returns
    -------
    TextClassifier
        The fitted classifier.

    Raises
    ------
    ValueError
        If the file is not an sktext model, is corrupted or truncated, holds
        an inconsistent or non-finite field, or was written by a newer format
        version.
    """
    return TextClassifier._from_state(*read(path))
