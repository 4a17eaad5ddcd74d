// Minibatch SGD steps of the bag model (EmbeddingBag "sum" -> linear head),
// the update sktext.training's torch path computes, without the GIL.
//
// A step over documents order[start:stop]: per document (independent, so
// split across threads) the pooled vector h = sum_j w_j E[t_j], the logits
// z = W h + b, the loss's gradient g = dloss/dz (softmax, sigmoid or one
// softmax a block, class-weighted as sktext.loss.make_loss does) and
// dh = W^T g; then, W and b updated per class row (the gradient summed over
// the documents in their order) and E updated per row (each row by one
// thread, documents in order). Every value
// is computed by one thread in an order that does not depend on the thread
// count, so results do not either.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace sktrain {

enum Kind { SOFTMAX_CODES = 0, SOFTMAX_SOFT = 1, SIGMOID = 2, MULTIOUTPUT = 3 };

struct Problem {
    // Documents as CSR (row pointers, token rows, pooling weights) and this
    // epoch's order of them.
    const int64_t* indptr = nullptr;
    const int64_t* indices = nullptr;
    const float* values = nullptr;
    const int64_t* order = nullptr;
    int64_t n_docs = 0;
    // Targets: class codes (n_docs, or n_docs x n_blocks for MULTIOUTPUT) or
    // float rows (n_docs x n_out), and the samples' weights.
    int kind = SOFTMAX_CODES;
    const int64_t* codes = nullptr;
    const float* soft = nullptr;
    const float* sample_weight = nullptr;
    // Per output: class weights (sigmoid: pos_weight), head step multipliers; may be null.
    const float* class_weight = nullptr;
    const float* head_scale = nullptr;
    // MULTIOUTPUT: the first logit of each block, and n_blocks + 1 bounds.
    std::vector<int64_t> bounds;
    // Parameters, updated in place: E (n_rows x dim), W (n_out x dim), b (n_out).
    float* E = nullptr;
    int64_t n_rows = 0;
    int64_t dim = 0;
    float* W = nullptr;
    float* b = nullptr;
    int64_t n_out = 0;
    // Schedule: rate * (1 - step / n_steps) when decaying, else constant.
    double rate = 0.0;
    double weight_decay = 0.0;
    bool decay = true;
    int64_t n_steps = 1;
    int64_t batch_size = 1;
    int n_threads = 1;
};

// A barrier of n threads: spins briefly (steps are short), then sleeps.
class Barrier {
  public:
    explicit Barrier(int n) : n_(n) {}
    void wait() {
        int64_t generation = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
            arrived_.store(0, std::memory_order_relaxed);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                generation_.store(generation + 1, std::memory_order_release);
            }
            wake_.notify_all();
            return;
        }
        for (int spin = 0; spin < 20000; ++spin) {
            if (generation_.load(std::memory_order_acquire) != generation) return;
            if (spin > 2000) std::this_thread::yield();
        }
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
            return generation_.load(std::memory_order_acquire) != generation;
        });
    }

  private:
    int n_;
    std::atomic<int> arrived_{0};
    std::atomic<int64_t> generation_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
};

// The share [first, last) of n items that thread t of n_threads takes.
static inline void share(int64_t n, int t, int n_threads, int64_t& first, int64_t& last) {
    first = n * t / n_threads;
    last = n * (t + 1) / n_threads;
}

// Rows a token ahead in the batch: a step's time went to waiting for its
// embedding rows (scattered over a table much larger than the caches), and
// fetching them early overlaps those waits.
constexpr int64_t AHEAD = 8;

static inline void prefetch(const void* address) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 1, 3);
#else
    (void)address;
#endif
}

static inline void prefetch_row(const float* row, int64_t dim) {
    for (int64_t d = 0; d < dim; d += 16) prefetch(row + d);
    prefetch(row + dim - 1);
}

// a . b in 8 running sums (then added in a fixed order): one sum's chain
// of dependent additions is what the compiler may not vectorise, and it cost
// most of a step on narrow heads; eight lanes vectorise (and give the same
// value whatever the thread).
static inline float dot(const float* a, const float* b, int64_t n) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t d = 0;
    for (; d + 8 <= n; d += 8)
        for (int l = 0; l < 8; ++l) lanes[l] += a[d + l] * b[d + l];
    for (int l = 0; d < n; ++d, ++l) lanes[l] += a[d] * b[d];
    return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) +
           ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

class Trainer {
  public:
    Problem p;

    void allocate() {
        int64_t bs = std::max<int64_t>(p.batch_size, 1);
        pooled_.assign(bs * p.dim, 0.0f);
        back_.assign(bs * p.dim, 0.0f);
        grad_.assign(bs * p.n_out, 0.0f);
        losses_.assign(bs, 0.0);
        marks_.assign(p.n_rows, -1);
    }

    // Runs n_batches steps from the batch starting at document `start`,
    // `step` being the index of the first one in the whole fit; returns the
    // steps' summed weighted loss (the torch path's loss * batch size, summed).
    double run(int64_t start, int64_t n_batches, int64_t step) {
        int n_threads = std::max(1, p.n_threads);
        Barrier barrier(n_threads);
        std::vector<double> totals(n_batches, 0.0);
        auto work = [&](int t) {
            std::vector<double> norms;
            for (int64_t k = 0; k < n_batches; ++k) {
                int64_t first = start + k * p.batch_size;
                int64_t last = std::min(first + p.batch_size, p.n_docs);
                if (first >= last) break;
                one_step(t, n_threads, first, last, step + k, barrier, norms, totals[k]);
            }
        };
        std::vector<std::thread> threads;
        for (int t = 1; t < n_threads; ++t) threads.emplace_back(work, t);
        work(0);
        for (auto& thread : threads) thread.join();
        double total = 0.0;
        for (double value : totals) total += value;
        return total;
    }

  private:
    std::vector<float> pooled_, back_, grad_;
    std::vector<double> losses_;
    // The last step that shrank each embedding row (its weight decay).
    std::vector<int64_t> marks_;

    double class_weight(int64_t c) const { return p.class_weight ? p.class_weight[c] : 1.0; }

    // The class weights' normalisers of the batch (make_loss's _normaliser):
    // one a block (softmax: one block), or one a label (sigmoid).
    void normalisers(int64_t first, int64_t last, std::vector<double>& norms) const {
        int64_t B = last - first;
        if (!p.class_weight) return;
        size_t width = p.kind == SIGMOID ? (size_t)p.n_out : p.bounds.size() - 1;
        norms.assign(width, 0.0);
        for (int64_t k = first; k < last; ++k) {
            int64_t doc = p.order[k];
            if (p.kind == SOFTMAX_CODES) {
                norms[0] += p.class_weight[p.codes[doc]];
            } else if (p.kind == SOFTMAX_SOFT) {
                const float* y = p.soft + doc * p.n_out;
                float w = 0.0f;  // targets @ class_weight, in float32 as torch
                for (int64_t c = 0; c < p.n_out; ++c) w += y[c] * p.class_weight[c];
                norms[0] += w;
            } else if (p.kind == SIGMOID) {
                const float* y = p.soft + doc * p.n_out;
                for (int64_t c = 0; c < p.n_out; ++c)
                    norms[c] += 1.0 + (p.class_weight[c] - 1.0) * y[c];
            } else {
                size_t n_blocks = p.bounds.size() - 1;
                for (size_t block = 0; block < n_blocks; ++block)
                    norms[block] += p.class_weight[p.bounds[block] + p.codes[doc * n_blocks + block]];
            }
        }
        for (double& value : norms) value = (double)B / std::max(value, 1e-12);
    }

    // Softmax cross-entropy of logits z[lo:hi) against class `code` with
    // weight `scale` (class weight * normaliser): writes `factor` times its
    // gradient into g[lo:hi), returns the loss.
    static double softmax_codes(const float* z, float* g, int64_t lo, int64_t hi, int64_t code,
                                double scale, double factor) {
        double top = z[lo];
        for (int64_t c = lo; c < hi; ++c) top = std::max(top, (double)z[c]);
        double sum = 0.0;
        for (int64_t c = lo; c < hi; ++c) sum += std::exp((double)z[c] - top);
        double log_sum = std::log(sum);
        // Read before the gradient overwrites the logits (g may be z).
        double loss = -scale * ((double)z[lo + code] - top - log_sum);
        for (int64_t c = lo; c < hi; ++c)
            g[c] = (float)(factor * scale * std::exp((double)z[c] - top - log_sum));
        g[lo + code] -= (float)(factor * scale);
        return loss;
    }

    // The loss of document `doc` and factor * its gradient in the logits.
    double loss_gradient(int64_t doc, const float* z, float* g, double factor,
                         const std::vector<double>& norms) const {
        int64_t C = p.n_out;
        if (p.kind == SOFTMAX_CODES) {
            int64_t code = p.codes[doc];
            double scale = p.class_weight ? class_weight(code) * norms[0] : 1.0;
            return softmax_codes(z, g, 0, C, code, scale, factor);
        }
        if (p.kind == MULTIOUTPUT) {
            size_t n_blocks = p.bounds.size() - 1;
            double loss = 0.0;
            for (size_t block = 0; block < n_blocks; ++block) {
                int64_t lo = p.bounds[block], hi = p.bounds[block + 1];
                int64_t code = p.codes[doc * n_blocks + block];
                double scale = p.class_weight ? class_weight(lo + code) * norms[block] : 1.0;
                loss += softmax_codes(z, g, lo, hi, code, scale, factor);
            }
            return loss;
        }
        const float* y = p.soft + doc * C;
        if (p.kind == SOFTMAX_SOFT) {
            // loss = -sum_c q_c log p_c with q_c = class weight * y_c.
            double top = z[0];
            for (int64_t c = 0; c < C; ++c) top = std::max(top, (double)z[c]);
            double sum = 0.0, mass = 0.0, loss = 0.0;
            for (int64_t c = 0; c < C; ++c) sum += std::exp((double)z[c] - top);
            double log_sum = std::log(sum);
            for (int64_t c = 0; c < C; ++c) mass += class_weight(c) * y[c];
            double scale = p.class_weight ? norms[0] : 1.0;
            for (int64_t c = 0; c < C; ++c) {
                double log_p = (double)z[c] - top - log_sum;
                double q = class_weight(c) * y[c];
                loss -= q * log_p;
                g[c] = (float)(factor * scale * (std::exp(log_p) * mass - q));
            }
            return scale * loss;
        }
        // Sigmoid: binary cross-entropy a label, positives weighted pos_weight.
        double loss = 0.0;
        for (int64_t c = 0; c < C; ++c) {
            double x = z[c], target = y[c], positive = class_weight(c);
            double scale = p.class_weight ? norms[c] : 1.0;
            // log(1 + exp(-x)) and log(1 + exp(x)), stably.
            double soft_neg = std::log1p(std::exp(-std::fabs(x))) + std::max(-x, 0.0);
            double soft_pos = soft_neg + x;
            loss += scale * (positive * target * soft_neg + (1.0 - target) * soft_pos);
            double sigma = 1.0 / (1.0 + std::exp(-x));
            double slope = sigma * (positive * target + 1.0 - target) - positive * target;
            g[c] = (float)(factor * scale * slope);
        }
        return loss;
    }

    // Prefetches the first AHEAD rows of document `doc` (those thread t
    // owns, with their marks, if `marks`): what the loops' own prefetches
    // do not reach.
    void ahead(int64_t doc, const int64_t* marks, int t, int n_threads) const {
        int64_t end = std::min(p.indptr[doc] + AHEAD, p.indptr[doc + 1]);
        for (int64_t j = p.indptr[doc]; j < end; ++j) {
            int64_t token = p.indices[j];
            if (t >= 0 && !owns(token, t, n_threads)) continue;
            prefetch_row(p.E + token * p.dim, p.dim);
            if (marks) prefetch(marks + token);
        }
    }

    // Forward and backward of the documents order[first:last) that thread t takes.
    void documents(int t, int n_threads, int64_t first, int64_t last,
                   const std::vector<double>& norms) {
        int64_t B = last - first, D = p.dim, C = p.n_out, lo, hi;
        share(B, t, n_threads, lo, hi);
        if (lo < hi) ahead(p.order[first + lo], nullptr, -1, 1);
        for (int64_t k = lo; k < hi; ++k) {
            int64_t doc = p.order[first + k];
            if (k + 1 < hi) ahead(p.order[first + k + 1], nullptr, -1, 1);
            float* h = &pooled_[k * D];
            std::fill(h, h + D, 0.0f);
            int64_t end = p.indptr[doc + 1];
            for (int64_t j = p.indptr[doc]; j < end; ++j) {
                if (j + AHEAD < end) prefetch_row(p.E + p.indices[j + AHEAD] * D, D);
                const float* row = p.E + p.indices[j] * D;
                float w = p.values[j];
                for (int64_t d = 0; d < D; ++d) h[d] += w * row[d];
            }
            float* g = &grad_[k * C];
            // The logits, overwritten by their gradient.
            for (int64_t c = 0; c < C; ++c) g[c] = dot(p.W + c * D, h, D) + p.b[c];
            double weight = p.sample_weight[doc];
            losses_[k] = weight * loss_gradient(doc, g, g, weight / (double)B, norms);
            float* back = &back_[k * D];
            std::fill(back, back + D, 0.0f);
            for (int64_t c = 0; c < C; ++c) {
                const float* weights = p.W + c * D;
                float gc = g[c];
                for (int64_t d = 0; d < D; ++d) back[d] += gc * weights[d];
            }
        }
    }

    // The head's rows [lo, hi): gradient summed over the documents in order, then the update.
    void head(int64_t lo, int64_t hi, int64_t B, float rate, float keep) {
        int64_t D = p.dim, C = p.n_out;
        std::vector<float> row(D);
        for (int64_t c = lo; c < hi; ++c) {
            std::fill(row.begin(), row.end(), 0.0f);
            float bias = 0.0f;
            for (int64_t k = 0; k < B; ++k) {
                float gc = grad_[k * C + c];
                const float* h = &pooled_[k * D];
                for (int64_t d = 0; d < D; ++d) row[d] += gc * h[d];
                bias += gc;
            }
            float scale = p.head_scale ? p.head_scale[c] : 1.0f;
            float* weights = p.W + c * D;
            for (int64_t d = 0; d < D; ++d) {
                float value = keep == 1.0f ? weights[d] : weights[d] * keep;
                weights[d] = value + (-rate) * (row[d] * scale);
            }
            float value = keep == 1.0f ? p.b[c] : p.b[c] * keep;
            p.b[c] = value + (-rate) * (bias * scale);
        }
    }

    // Whether thread t of n_threads updates embedding row `token`: rows go
    // to threads in blocks of 16 (so that threads seldom write to one cache
    // line), each row to one thread, which applies its updates in document order.
    static bool owns(int64_t token, int t, int n_threads) {
        return n_threads == 1 || (token >> 4) % n_threads == t;
    }

    // Every embedding row of the batch that thread t owns: shrunk once by
    // `keep`, then each token's step added, documents in order.
    void embedding(int t, int n_threads, int64_t first, int64_t last, int64_t step, float rate,
                   float keep) {
        int64_t D = p.dim;
        int64_t* marks = keep != 1.0f ? marks_.data() : nullptr;
        ahead(p.order[first], marks, t, n_threads);
        for (int64_t k = 0; k < last - first; ++k) {
            int64_t doc = p.order[first + k];
            if (first + k + 1 < last) ahead(p.order[first + k + 1], marks, t, n_threads);
            const float* back = &back_[k * D];
            int64_t end = p.indptr[doc + 1];
            for (int64_t j = p.indptr[doc]; j < end; ++j) {
                if (j + AHEAD < end) {
                    int64_t next = p.indices[j + AHEAD];
                    if (owns(next, t, n_threads)) {
                        prefetch_row(p.E + next * D, D);
                        if (marks) prefetch(marks + next);
                    }
                }
                int64_t token = p.indices[j];
                if (!owns(token, t, n_threads)) continue;
                float* row = p.E + token * D;
                if (marks && marks[token] != step) {
                    marks[token] = step;
                    for (int64_t d = 0; d < D; ++d) row[d] *= keep;
                }
                float w = p.values[j];
                for (int64_t d = 0; d < D; ++d) row[d] += (-rate) * (back[d] * w);
            }
        }
    }

    void one_step(int t, int n_threads, int64_t first, int64_t last, int64_t step,
                  Barrier& barrier, std::vector<double>& norms, double& total) {
        int64_t B = last - first, lo, hi;
        double rate = p.rate * (p.decay ? 1.0 - (double)step / (double)p.n_steps : 1.0);
        float keep = (float)(1.0 - rate * p.weight_decay);
        normalisers(first, last, norms);
        documents(t, n_threads, first, last, norms);
        barrier.wait();
        share(p.n_out, t, n_threads, lo, hi);
        head(lo, hi, B, (float)rate, keep);
        embedding(t, n_threads, first, last, step, (float)rate, keep);
        if (t == 0)
            for (int64_t k = 0; k < B; ++k) total += losses_[k];
        barrier.wait();
    }
};

}  // namespace sktrain
