# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled SGD steps of the bag model (see sktext/compiled_training.py).

:class:`Steps` holds views of the documents, targets and parameters (numpy
arrays whose memory it updates in place: the torch parameters' own) and
runs blocks of steps in C++ (_train.hpp) without the GIL, on ``n_threads``
threads.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t
from libcpp cimport bool as cbool
from libcpp.vector cimport vector

cnp.import_array()

cdef extern from "_train.hpp" namespace "sktrain" nogil:
    cdef cppclass Problem:
        const int64_t* indptr
        const int64_t* indices
        const float* values
        const int64_t* order
        int64_t n_docs
        int kind
        const int64_t* codes
        const float* soft
        const float* sample_weight
        const float* class_weight
        const float* head_scale
        vector[int64_t] bounds
        float* E
        int64_t n_rows
        int64_t dim
        float* W
        float* b
        int64_t n_out
        double rate
        double weight_decay
        cbool decay
        int64_t n_steps
        int64_t batch_size
        int n_threads

    cdef cppclass Trainer:
        Problem p
        void allocate()
        double run(int64_t, int64_t, int64_t)

#: The target kinds, as the extension numbers them.
KINDS = {"softmax_codes": 0, "softmax_soft": 1, "sigmoid": 2, "multioutput": 3}


cdef const float* _floats(object array, list keep):
    if array is None:
        return NULL
    cdef cnp.ndarray checked = _checked(array, np.float32, keep)
    return <const float*> cnp.PyArray_DATA(checked)


cdef cnp.ndarray _checked(object array, object dtype, list keep):
    if not (isinstance(array, np.ndarray) and array.dtype == dtype and array.flags.c_contiguous):
        raise TypeError(f"expected a C-contiguous {np.dtype(dtype)} array")
    keep.append(array)
    return array


cdef class Steps:
    """SGD steps of one fit: ``documents`` are ``(indptr, indices, values)``
    (int64, int64, float32), ``targets`` int64 codes or float32 rows,
    ``parameters`` ``(E, W, b)`` float32 arrays updated in place."""

    cdef Trainer trainer
    cdef list keep  # the arrays whose memory the trainer reads and writes

    def __init__(
        self,
        tuple documents,
        str kind,
        targets,
        sample_weight,
        class_weight,
        head_scale,
        bounds,
        tuple parameters,
        double rate,
        double weight_decay,
        cbool decay,
        int64_t n_steps,
        int64_t batch_size,
        int n_threads,
    ):
        self.keep = []
        cdef Problem* p = &self.trainer.p
        indptr, indices, values = documents
        E, W, b = parameters
        p.indptr = <const int64_t*> cnp.PyArray_DATA(_checked(indptr, np.int64, self.keep))
        p.indices = <const int64_t*> cnp.PyArray_DATA(_checked(indices, np.int64, self.keep))
        p.values = _floats(values, self.keep)
        p.n_docs = len(indptr) - 1
        p.kind = KINDS[kind]
        if kind in ("softmax_codes", "multioutput"):
            p.codes = <const int64_t*> cnp.PyArray_DATA(_checked(targets, np.int64, self.keep))
        else:
            p.soft = _floats(targets, self.keep)
        p.sample_weight = _floats(sample_weight, self.keep)
        p.class_weight = _floats(class_weight, self.keep)
        p.head_scale = _floats(head_scale, self.keep)
        p.bounds = [int(bound) for bound in bounds]
        p.E = <float*> _floats(E, self.keep)
        p.n_rows, p.dim = E.shape[0], E.shape[1]
        p.W = <float*> _floats(W, self.keep)
        p.b = <float*> _floats(b, self.keep)
        p.n_out = W.shape[0]
        p.rate = rate
        p.weight_decay = weight_decay
        p.decay = decay
        p.n_steps = max(n_steps, 1)
        p.batch_size = batch_size
        p.n_threads = max(n_threads, 1)
        with nogil:
            self.trainer.allocate()

    def run(self, order, int64_t start, int64_t n_batches, int64_t step):
        """Run ``n_batches`` steps over the documents ``order[start:]`` (int64,
        the epoch's permutation), the first being step ``step`` of the fit;
        returns their summed weighted loss."""
        cdef list keep = []
        self.trainer.p.order = <const int64_t*> cnp.PyArray_DATA(_checked(order, np.int64, keep))
        if len(order) != self.trainer.p.n_docs:
            raise ValueError("the order must hold every document once")
        cdef double total
        with nogil:
            total = self.trainer.run(start, n_batches, step)
        self.trainer.p.order = NULL
        return total
