// A pool of worker threads, each given one range of parallel_for's index space. Workers spin
// briefly after a job (a step issues products back to back), then sleep on a condition variable.
#include "autograd/runtime/parallel.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define XGRAD_CPU_RELAX() _mm_pause()
#else
#define XGRAD_CPU_RELAX() std::this_thread::yield()
#endif

namespace xgrad {
namespace {

using detail::RangeFn;

constexpr int max_threads = 256;

// OpenBLAS reads OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (or counts the cores) when it loads,
// before this library's static initialisers run; its choice is xgrad's default.
int openblas_default_threads() {
    const int n = openblas_get_num_threads();
    return std::clamp(n, 1, max_threads);
}

std::atomic<int> thread_count{openblas_default_threads()};
std::atomic<bool> alive{true};  // false once the pool is destroyed at exit

class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            ++generation_;
        }
        wake_.notify_all();
        for (auto& t : workers_) t.join();
        alive.store(false);
    }

    // Runs f over `ranges` (ranges[0] on the caller); false if the pool is busy (then nothing ran).
    bool run(const std::vector<std::pair<std::size_t, std::size_t>>& ranges, RangeFn fn, const void* context) {
        std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
        if (!busy.owns_lock()) return false;
        const std::size_t helpers = ranges.size() - 1;
        while (workers_.size() < helpers) {
            const std::size_t index = workers_.size() + 1;
            workers_.emplace_back([this, index] { work(index); });
        }
        remaining_.store(static_cast<int>(helpers), std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            fn_ = fn;
            context_ = context;
            ranges_ = ranges;
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        in_job = true;
        fn(context, ranges[0].first, ranges[0].second);
        in_job = false;
        // The helpers' ranges are short and already running: wait for them without sleeping.
        while (remaining_.load(std::memory_order_acquire) != 0) XGRAD_CPU_RELAX();
        return true;
    }

    static thread_local bool in_job;

private:
    void work(std::size_t index) {
        in_job = true;
        std::uint64_t seen = 0;
        for (;;) {
            // Spin up to ~200 us for the next job, then sleep until one comes.
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
            for (int i = 0; generation_.load(std::memory_order_acquire) == seen; ++i) {
                XGRAD_CPU_RELAX();
                if ((i & 255) == 255 && std::chrono::steady_clock::now() > until) {
                    std::unique_lock<std::mutex> lock(mutex_);
                    wake_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
                    break;
                }
            }
            RangeFn fn = nullptr;
            const void* context = nullptr;
            std::pair<std::size_t, std::size_t> range;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (stop_) return;
                seen = generation_.load(std::memory_order_relaxed);
                if (index < ranges_.size()) {  // else this job needs fewer threads
                    fn = fn_;
                    context = context_;
                    range = ranges_[index];
                }
            }
            if (fn) {
                fn(context, range.first, range.second);  // context_ stays valid until remaining_ reaches 0
                remaining_.fetch_sub(1, std::memory_order_acq_rel);
            }
        }
    }

    std::mutex busy_;   // held by the thread whose job is running
    std::mutex mutex_;  // guards fn_, context_, ranges_, stop_ and the generation's change
    std::condition_variable wake_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<int> remaining_{0};
    RangeFn fn_ = nullptr;
    const void* context_ = nullptr;
    std::vector<std::pair<std::size_t, std::size_t>> ranges_;
    bool stop_ = false;
    std::vector<std::thread> workers_;
};

thread_local bool Pool::in_job = false;

// The pool, made on first use and joined at exit. A child of fork() has none of the parent's
// workers: it abandons the copied pool (never touching its mutexes) and makes its own.
struct PoolHolder {
    std::atomic<Pool*> pool{nullptr};
    std::atomic<Pool*> abandoned{nullptr};  // the parent's, copied by fork(): reachable, never destroyed
    PoolHolder() {
        pthread_atfork(nullptr, nullptr, [] {
            PoolHolder& h = holder();
            if (Pool* p = h.pool.exchange(nullptr)) h.abandoned.store(p);
        });
    }
    ~PoolHolder() { delete pool.load(); }
    static PoolHolder& holder() {
        static PoolHolder h;
        return h;
    }
};

Pool& pool() {
    PoolHolder& h = PoolHolder::holder();
    if (Pool* p = h.pool.load(std::memory_order_acquire)) return *p;
    auto fresh = std::make_unique<Pool>();
    Pool* expected = nullptr;
    if (h.pool.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
    return *expected;  // another thread made it first
}

}  // namespace

int get_num_threads() { return thread_count.load(std::memory_order_relaxed); }

void set_num_threads(int n) {
    if (n < 1 || n > max_threads)
        throw std::invalid_argument("set_num_threads: expected 1 to " + std::to_string(max_threads) + " threads, got " +
                                    std::to_string(n));
    thread_count.store(n, std::memory_order_relaxed);
}

namespace detail {

void parallel_run(std::size_t n, std::size_t grain, std::size_t align, RangeFn fn, const void* context) {
    if (n == 0) return;
    align = std::max<std::size_t>(align, 1);
    const std::size_t parts = std::min<std::size_t>(static_cast<std::size_t>(get_num_threads()),
                                                    n / std::max<std::size_t>(grain, 1));
    if (parts <= 1) {
        fn(context, 0, n);
        return;
    }
    // Equal ranges rounded up to `align`; the last takes what is left.
    const std::size_t step = ((n + parts - 1) / parts + align - 1) / align * align;
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (std::size_t begin = 0; begin < n; begin += step) ranges.emplace_back(begin, std::min(n, begin + step));
    if (ranges.size() > 1 && !Pool::in_job && alive.load(std::memory_order_relaxed) && pool().run(ranges, fn, context))
        return;
    // The pool is busy (another thread has it) or this is a nested call: the same ranges one after
    // the other, so the result is bit for bit the one the pool would give (a split product's blocks).
    for (const auto& [begin, end] : ranges) fn(context, begin, end);
}

// OpenBLAS's thread count is one global: the first of overlapping SerialBlas scopes (on any
// thread) sets it to 1 and the last restores it, so no thread's product runs with OpenBLAS's threads.
namespace {
std::mutex serial_mutex;
int serial_depth = 0;
int serial_previous = 1;
}  // namespace

SerialBlas::SerialBlas() {
    std::lock_guard<std::mutex> lock(serial_mutex);
    if (serial_depth++ == 0) {
        serial_previous = openblas_get_num_threads();
        if (serial_previous != 1) openblas_set_num_threads(1);
    }
}

SerialBlas::~SerialBlas() {
    std::lock_guard<std::mutex> lock(serial_mutex);
    if (--serial_depth == 0 && serial_previous != 1) openblas_set_num_threads(serial_previous);
}

}  // namespace detail
}  // namespace xgrad
