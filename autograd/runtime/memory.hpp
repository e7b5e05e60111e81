#pragma once
// Where tensor values live: freed buffers of 32 KiB and more wait in a process-wide cache for the
// next request of their size (docs/performance.md, "Where the time went": page faults).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>

namespace xgrad {

/// Counters of the buffer cache (process-wide, all threads).
struct BufferCacheStats {
    std::size_t cached_bytes = 0;   ///< bytes held for reuse (in no tensor)
    std::size_t cached_blocks = 0;  ///< buffers held for reuse
    std::size_t limit_bytes = 0;    ///< the most the cache holds (set_buffer_cache_limit)
    std::uint64_t hits = 0;         ///< large allocations served from the cache
    std::uint64_t misses = 0;       ///< large allocations that went to the system
};

/// The cache's counters now.
BufferCacheStats buffer_cache_stats();
/// Gives every cached buffer back to the system (live tensors keep theirs), as PyTorch's
/// empty_cache.
void empty_buffer_cache();
/// Caps the bytes the cache holds (default 1 GiB); buffers freed beyond it go back to the system.
/// 0 turns caching off. Trims the cache to the new cap at once.
void set_buffer_cache_limit(std::size_t bytes);

namespace detail {
/// `bytes` of storage aligned to 64 bytes; nullptr for 0 bytes; throws std::bad_alloc.
void* allocate_buffer(std::size_t bytes);
/// Returns storage from allocate_buffer(bytes) (same `bytes`).
void deallocate_buffer(void* p, std::size_t bytes) noexcept;
}  // namespace detail

/// The allocator of tensor values: stateless, all instances equal, storage from the buffer cache.
template <class T>
class BufferAllocator {
public:
    using value_type = T;
    BufferAllocator() noexcept = default;
    template <class U>
    BufferAllocator(const BufferAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(detail::allocate_buffer(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { detail::deallocate_buffer(p, n * sizeof(T)); }

    template <class U>
    bool operator==(const BufferAllocator<U>&) const noexcept { return true; }
};

}  // namespace xgrad
