# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled tokenizer of the kinds "words" and "hash" (see sktext/compiled.py).

Python work is limited to what has to touch str objects: normalising and
lowercasing each text with the str methods (C code), and turning the learned
vocabularies into str. Scanning, lookups and counting run in C++
(_tokenize.hpp) without the GIL, on ``n_jobs`` threads over chunks of texts.
"""

import unicodedata

import numpy as np

cimport numpy as cnp
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.string cimport memcpy
from libcpp cimport bool as cbool
from libcpp.string cimport string
from libcpp.utility cimport pair
from libcpp.vector cimport vector

cnp.import_array()

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object)
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)

cdef extern from "_tokenize.hpp" namespace "sk" nogil:
    ctypedef vector[pair[uint32_t, uint32_t]] Ranges

    cdef cppclass Classes:
        void build(const Ranges&, const Ranges&, const Ranges&, const Ranges&)
        void set_lower1(const unsigned char*)
        cbool has_lower1

    cdef cppclass StrTable:
        size_t size()
        const char* data(size_t)
        size_t length(size_t)
        int32_t intern(const char*, size_t, uint64_t)

    cdef cppclass Model:
        cbool hashed
        uint64_t n_buckets
        StrTable vocabulary
        cbool base_features
        int ngram_low, ngram_high
        int char_low, char_high
        StrTable char_vocabulary
        int64_t char_offset

    cdef cppclass Scanner:
        const Classes* classes
        int rules

    cdef struct Doc:
        int kind
        int lower
        const void* data
        Py_ssize_t length

    cdef cppclass Job:
        Scanner scanner
        vector[Doc] docs
        int n_threads
        const int64_t* column_map
        void plan()
        void scan()
        void count(const Model&)
        void transform(const Model&)
        size_t nnz()
        void write[I](I*, I*, float*)

    uint64_t hash_bytes(const char*, size_t)
    uint64_t blake2b_64(const char*, size_t)
    void learn_words(Job&, Model&, int64_t)
    void learn_all_ngrams(const Job&, const Model&, int64_t, vector[vector[uint64_t]]&)
    void set_ngram_columns(Model&, const vector[vector[uint64_t]]&, int64_t)

cdef Classes CLASSES
cdef bint CLASSES_SET = False


def set_classes(cjk, marks, symbols, token_marks, bytes lower1=None):
    """The character classes, as sorted ``(first, last)`` code-point ranges:
    CJK characters, combining marks, symbols, punctuation marks that are
    tokens (rules 3); and ``lower1``, ``str.lower()``
    of each Latin-1 character as 256 bytes, if each is one Latin-1 character
    (None otherwise: one-byte texts are then lowercased by Python)."""
    global CLASSES_SET
    cdef Ranges c = cjk, m = marks, s = symbols, t = token_marks
    with nogil:
        CLASSES.build(c, m, s, t)
    if lower1 is not None:
        if len(lower1) != 256:
            raise ValueError(f"lower1 has {len(lower1)} bytes; expected 256.")
        CLASSES.set_lower1(lower1)
    CLASSES_SET = True


def stable_hash(str word):
    """The 64-bit BLAKE2b word hash of the compiled path (for the tests)."""
    cdef bytes b = word.encode("utf-8", "surrogatepass")
    return blake2b_64(b, len(b))


cdef str _decode(const StrTable& table, size_t e):
    return PyUnicode_DecodeUTF8(table.data(e), table.length(e), "surrogatepass")


cdef void _fill(StrTable& table, words):
    cdef bytes b
    for word in words:
        b = word.encode("utf-8", "surrogatepass")
        table.intern(b, len(b), hash_bytes(b, len(b)))


cdef vector[uint64_t] _keys_vector(keys):
    cdef const uint64_t[::1] view = np.ascontiguousarray(keys, dtype=np.uint64)
    cdef vector[uint64_t] out
    out.resize(view.shape[0])
    if view.shape[0]:
        memcpy(out.data(), &view[0], view.shape[0] * sizeof(uint64_t))
    return out


cdef cnp.ndarray _keys_array(const vector[uint64_t]& keys):
    cdef cnp.ndarray out = np.empty(keys.size(), dtype=np.uint64)
    if keys.size():
        memcpy(cnp.PyArray_DATA(out), keys.data(), keys.size() * sizeof(uint64_t))
    return out


cdef class CompiledModel:
    """The fitted features of a tokenizer, in the tables transform reads."""

    cdef Model model
    cdef list keys  # the n-gram key arrays, kept alive with their tables

    def __init__(
        self,
        bint hashed,
        uint64_t n_buckets,
        vocabulary,
        bint base_features,
        tuple ngram_sizes,
        list ngram_keys,
        tuple char_ngrams,
        char_vocabulary,
    ):
        """``ngram_sizes`` is ``(low, high)`` of the n-gram lengths that are
        features, ``char_ngrams`` ``(low, high)`` or ``(0, -1)`` for none."""
        cdef vector[vector[uint64_t]] keys
        if hashed and n_buckets < 1:
            raise ValueError(f"n_buckets must be at least 1; got {n_buckets}.")
        self.model.hashed = hashed
        self.model.n_buckets = n_buckets
        self.model.base_features = base_features
        self.model.ngram_low, self.model.ngram_high = ngram_sizes
        self.model.char_low, self.model.char_high = char_ngrams
        if not hashed:
            _fill(self.model.vocabulary, vocabulary)
            if len(vocabulary) != self.model.vocabulary.size():
                raise ValueError("the vocabulary holds the same word twice.")
            for k in ngram_keys:
                keys.push_back(_keys_vector(k))
            set_ngram_columns(
                self.model, keys, self.model.vocabulary.size() if base_features else 0
            )
            if char_vocabulary is not None:
                _fill(self.model.char_vocabulary, char_vocabulary)

    @property
    def n_columns(self):
        """Columns before max_features: what a column map must cover."""
        if self.model.hashed:
            return self.model.n_buckets
        return self.model.char_offset + self.model.char_vocabulary.size()

    def vocabulary(self):
        """The vocabulary, in id order."""
        return [_decode(self.model.vocabulary, e) for e in range(self.model.vocabulary.size())]

    def char_vocabulary(self):
        """The character n-grams, in id order."""
        return [
            _decode(self.model.char_vocabulary, e)
            for e in range(self.model.char_vocabulary.size())
        ]


cdef list _prepare(texts, form, bint lowercase, Job& job):
    """Each text normalised and lowercased (kept alive in the list returned),
    and its characters in ``job.docs``.

    One-byte (Latin-1) texts, most texts, skip both str methods where they
    can: NFC leaves every Latin-1 text as it is (no two Latin-1 characters
    compose, none decomposes), and the scanner lowercases them by table."""
    cdef list kept = list(texts)
    cdef Py_ssize_t i, n = len(kept)
    cdef Doc doc
    cdef bint nfc = form == "NFC"
    cdef bint one_byte
    normalize = unicodedata.normalize
    job.docs.resize(n)
    for i in range(n):
        text = kept[i]
        if not isinstance(text, str):
            raise TypeError(f"texts must be str; text {i} is {type(text).__name__}.")
        one_byte = PyUnicode_KIND(text) == 1
        if form is not None and not PyUnicode_IS_ASCII(text) and not (nfc and one_byte):
            text = normalize(form, text)
            one_byte = PyUnicode_KIND(text) == 1
        doc.lower = lowercase and one_byte and CLASSES.has_lower1
        if lowercase and not doc.lower:
            text = text.lower()
        kept[i] = text
        doc.kind = PyUnicode_KIND(text)
        doc.data = PyUnicode_DATA(text)
        doc.length = PyUnicode_GET_LENGTH(text)
        job.docs[i] = doc
    return kept


cdef tuple _csr_arrays(Job& job, Py_ssize_t n_features):
    """(data, indices, indptr) of the counts, with int32 indices where they
    fit, as scipy makes them."""
    cdef size_t nnz = job.nnz()
    cdef Py_ssize_t n_docs = job.docs.size()
    cdef cnp.ndarray data = np.empty(nnz, dtype=np.float32)
    cdef cnp.ndarray indices, indptr
    if max(<Py_ssize_t>nnz, n_docs, n_features) < 2**31:
        indices = np.empty(nnz, dtype=np.int32)
        indptr = np.empty(n_docs + 1, dtype=np.int32)
        with nogil:
            job.write[int32_t](<int32_t*>cnp.PyArray_DATA(indptr),
                               <int32_t*>cnp.PyArray_DATA(indices),
                               <float*>cnp.PyArray_DATA(data))
    else:
        indices = np.empty(nnz, dtype=np.int64)
        indptr = np.empty(n_docs + 1, dtype=np.int64)
        with nogil:
            job.write[int64_t](<int64_t*>cnp.PyArray_DATA(indptr),
                               <int64_t*>cnp.PyArray_DATA(indices),
                               <float*>cnp.PyArray_DATA(data))
    return data, indices, indptr


cdef void _setup(Job& job, int rules, int n_jobs) noexcept:
    job.scanner.classes = &CLASSES
    job.scanner.rules = rules
    job.n_threads = max(n_jobs, 1)
    job.plan()


def transform(
    CompiledModel model,
    texts,
    form,
    bint lowercase,
    int rules,
    int n_jobs,
    column_map,
    Py_ssize_t n_features,
):
    """``(data, indices, indptr)`` of the feature counts of ``texts``."""
    if not CLASSES_SET:
        raise RuntimeError("set_classes was not called.")
    cdef Job job
    cdef list kept = _prepare(texts, form, lowercase, job)
    cdef cnp.ndarray mapping
    _setup(job, rules, n_jobs)
    if column_map is not None:
        # Per call, never in the shared model: transforms may run concurrently.
        mapping = np.ascontiguousarray(column_map, dtype=np.int64)
        if mapping.ndim != 1 or mapping.shape[0] < model.n_columns:
            raise ValueError(
                f"the column map has {mapping.size} entries; the features need {model.n_columns}."
            )
        job.column_map = <const int64_t*>cnp.PyArray_DATA(mapping)
    with nogil:
        job.transform(model.model)
    return _csr_arrays(job, n_features)


def fit(
    texts,
    form,
    bint lowercase,
    int rules,
    int n_jobs,
    bint hashed,
    uint64_t n_buckets,
    int64_t min_count,
    bint base_features,
    tuple ngram_sizes,
    tuple char_ngrams,
):
    """Learn the features of ``texts`` and count them.

    Returns ``(model, ngram_keys, n_features, (data, indices, indptr))``:
    the fitted tables, the sorted uint64 keys of the kept n-grams of each
    length (none for ``hashed``), the number of features and the counts.
    """
    if not CLASSES_SET:
        raise RuntimeError("set_classes was not called.")
    cdef Job job
    cdef list kept = _prepare(texts, form, lowercase, job)
    cdef CompiledModel model = CompiledModel(
        hashed, n_buckets, [], base_features, ngram_sizes, [], char_ngrams, None
    )
    cdef vector[vector[uint64_t]] keys
    cdef int64_t offset
    _setup(job, rules, n_jobs)
    with nogil:
        job.scan()
        learn_words(job, model.model, min_count)
        if not hashed:
            learn_all_ngrams(job, model.model, min_count, keys)
            offset = model.model.vocabulary.size() if base_features else 0
            set_ngram_columns(model.model, keys, offset)
    cdef Py_ssize_t n_features
    if hashed:
        n_features = n_buckets
        ngram_keys = []
    else:
        ngram_keys = [_keys_array(keys[i]) for i in range(keys.size())]
        n_features = model.model.char_offset + model.model.char_vocabulary.size()
    with nogil:
        job.count(model.model)
    return model, ngram_keys, n_features, _csr_arrays(job, n_features)
