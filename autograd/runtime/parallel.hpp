#pragma once
// The threads xgrad runs its large matrix products and elementwise passes on.

#include <cstddef>

namespace xgrad {

/// Threads xgrad splits large products, elementwise passes and updates over; until set_num_threads,
/// OpenBLAS's own count (OPENBLAS_NUM_THREADS or OMP_NUM_THREADS, else one per core).
int get_num_threads();

/// Sets that count, like torch::set_num_threads; 1 runs everything on the calling thread.
/// Throws std::invalid_argument unless 1 <= n <= 256.
void set_num_threads(int n);

namespace detail {

/// A range function without its type: fn(context, begin, end).
using RangeFn = void (*)(const void* context, std::size_t begin, std::size_t end);

/// parallel_for's work, for ranges that need more than one thread.
void parallel_run(std::size_t n, std::size_t grain, std::size_t align, RangeFn fn, const void* context);

/// Calls f(begin, end) on disjoint ranges covering [0, n), one per thread on up to
/// get_num_threads() threads (the calling thread takes the first range), and returns when all are
/// done. Ranges are multiples of `align` (but the last) and at least `grain` long, so a small n
/// runs on the calling thread alone, at the cost of one comparison. f must not throw. A call made
/// while another is running (from inside f, or from a second thread of the program) runs
/// serially on its caller.
template <class F>
void parallel_for(std::size_t n, std::size_t grain, std::size_t align, const F& f) {
    if (n < 2 * grain || get_num_threads() == 1) {
        if (n) f(std::size_t{0}, n);
        return;
    }
    parallel_run(n, grain, align,
                 [](const void* context, std::size_t begin, std::size_t end) {
                     (*static_cast<const F*>(context))(begin, end);
                 },
                 &f);
}

/// Keeps OpenBLAS single-threaded for its lifetime (restoring the previous count when the last
/// scope on any thread ends), so that the products xgrad issues, split over its own threads or
/// not, never start OpenBLAS's threads too.
class SerialBlas {
public:
    SerialBlas();
    ~SerialBlas();
    SerialBlas(const SerialBlas&) = delete;
    SerialBlas& operator=(const SerialBlas&) = delete;
};

}  // namespace detail
}  // namespace xgrad
