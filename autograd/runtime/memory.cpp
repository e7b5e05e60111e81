#include "autograd/runtime/memory.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <unordered_map>
#include <vector>

// Cached buffers are marked unusable for AddressSanitizer and valgrind, so that a use after
// free of tensor storage is still reported although the memory is not returned to the system.
#if defined(__SANITIZE_ADDRESS__)
#define XGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XGRAD_ASAN 1
#endif
#endif
#ifdef XGRAD_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define XGRAD_VALGRIND 1
#endif

namespace xgrad {

namespace {

constexpr std::size_t cached_from = 32 * 1024;  // smaller blocks: malloc reuses them well itself
constexpr std::size_t page = 4096;
constexpr std::size_t alignment = 64;

void mark_free(void* p, std::size_t bytes) {
#ifdef XGRAD_ASAN
    ASAN_POISON_MEMORY_REGION(p, bytes);
#endif
#ifdef XGRAD_VALGRIND
    VALGRIND_MAKE_MEM_NOACCESS(p, bytes);
#endif
    (void)p, (void)bytes;
}

void mark_reused(void* p, std::size_t bytes) {
#ifdef XGRAD_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, bytes);
#endif
#ifdef XGRAD_VALGRIND
    VALGRIND_MAKE_MEM_UNDEFINED(p, bytes);
#endif
    (void)p, (void)bytes;
}

// Large buffers by size class (whole pages). Never destroyed, as static tensors may die after it;
// once exit starts (`closed`), frees go straight to the system.
struct Cache {
    std::mutex mutex;
    std::unordered_map<std::size_t, std::vector<void*>> free_blocks;
    BufferCacheStats stats{.limit_bytes = std::size_t{1} << 30};

    // Frees cached blocks until at most `keep` bytes remain. Caller holds the mutex.
    void trim(std::size_t keep) {
        for (auto it = free_blocks.begin(); it != free_blocks.end() && stats.cached_bytes > keep;) {
            auto& blocks = it->second;
            while (!blocks.empty() && stats.cached_bytes > keep) {
                mark_reused(blocks.back(), it->first);
                std::free(blocks.back());
                blocks.pop_back();
                stats.cached_bytes -= it->first;
                --stats.cached_blocks;
            }
            it = blocks.empty() ? free_blocks.erase(it) : std::next(it);
        }
    }
};

std::atomic<bool> closed{false};

Cache& cache() {
    // fork() holds the mutex across the copy, so a child never inherits it locked by a thread it lacks
    static Cache* c = [] {
        pthread_atfork([] { cache().mutex.lock(); }, [] { cache().mutex.unlock(); }, [] { cache().mutex.unlock(); });
        return new Cache;
    }();
    return *c;
}

// Empties the cache when the program exits, so that leak checkers see every block freed.
struct ExitFlush {
    ExitFlush() { (void)cache(); }
    ~ExitFlush() {
        Cache& c = cache();
        std::lock_guard lock(c.mutex);
        closed = true;
        c.trim(0);
    }
} exit_flush;

std::size_t size_class(std::size_t bytes) {
    return bytes > std::numeric_limits<std::size_t>::max() - page ? 0 : (bytes + page - 1) / page * page;
}

}  // namespace

namespace detail {

void* allocate_buffer(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    if (bytes < cached_from) {
        if (void* p = std::malloc(bytes)) return p;
        throw std::bad_alloc();
    }
    const std::size_t size = size_class(bytes);
    if (size == 0) throw std::bad_alloc();
    Cache& c = cache();
    {
        std::lock_guard lock(c.mutex);
        auto it = c.free_blocks.find(size);
        if (it != c.free_blocks.end() && !it->second.empty()) {
            void* p = it->second.back();
            it->second.pop_back();
            c.stats.cached_bytes -= size;
            --c.stats.cached_blocks;
            ++c.stats.hits;
            mark_reused(p, size);
            return p;
        }
        ++c.stats.misses;
    }
    if (void* p = std::aligned_alloc(alignment, size)) return p;
    empty_buffer_cache();  // the system may satisfy the request once the cache gives memory back
    if (void* p = std::aligned_alloc(alignment, size)) return p;
    throw std::bad_alloc();
}

void deallocate_buffer(void* p, std::size_t bytes) noexcept {
    if (p == nullptr) return;
    if (bytes < cached_from || closed) {
        std::free(p);
        return;
    }
    const std::size_t size = size_class(bytes);
    Cache& c = cache();
    {
        std::lock_guard lock(c.mutex);
        if (!closed && c.stats.cached_bytes + size <= c.stats.limit_bytes) {
            try {
                c.free_blocks[size].push_back(p);
            } catch (...) {  // no memory for the bookkeeping: give the block back instead
                std::free(p);
                return;
            }
            c.stats.cached_bytes += size;
            ++c.stats.cached_blocks;
            mark_free(p, size);
            return;
        }
    }
    std::free(p);
}

}  // namespace detail

BufferCacheStats buffer_cache_stats() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    return c.stats;
}

void empty_buffer_cache() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    c.trim(0);
}

void set_buffer_cache_limit(std::size_t bytes) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    c.stats.limit_bytes = bytes;
    c.trim(bytes);
}

}  // namespace xgrad
