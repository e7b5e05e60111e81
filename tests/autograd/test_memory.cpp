#include "helpers.hpp"

#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define XGRAD_TEST_ASAN 1
#endif

using namespace xgrad;

namespace {

// Restores the default cache limit and empties the cache around a test.
struct CacheReset {
    CacheReset() { empty_buffer_cache(); }
    ~CacheReset() {
        set_buffer_cache_limit(std::size_t{1} << 30);
        empty_buffer_cache();
    }
};

const void* storage(const Tensor& t) { return t.data<float>().data(); }

}  // namespace

TEST_CASE("a freed large buffer is handed to the next tensor of its size", "[memory]") {
    CacheReset reset;
    const auto before = buffer_cache_stats();
    const void* first = nullptr;
    {
        Tensor a = Tensor::full({256, 1024}, 2.0);  // 1 MiB
        first = storage(a);
    }
    const auto freed = buffer_cache_stats();
    CHECK(freed.cached_bytes == before.cached_bytes + 256 * 1024 * 4);
    CHECK(freed.cached_blocks == before.cached_blocks + 1);
    Tensor b = Tensor::full({1024, 256}, 3.0);  // same bytes, another shape
    CHECK(storage(b) == first);
    CHECK(buffer_cache_stats().hits == freed.hits + 1);
    CHECK(buffer_cache_stats().cached_bytes == before.cached_bytes);
    CHECK(b.data<float>()(1023, 255) == 3.0f);  // the new owner's values, not the old ones
    CHECK(reinterpret_cast<std::uintptr_t>(storage(b)) % 64 == 0);
}

TEST_CASE("sizes share a class up to whole pages; other sizes do not reuse a buffer", "[memory]") {
    CacheReset reset;
    const void* first = nullptr;
    { first = storage(Tensor::zeros({10000})); }  // 40,000 bytes: class 40,960
    { CHECK(storage(Tensor::zeros({10200})) == first); }  // 40,800 bytes: same class
    const auto misses = buffer_cache_stats().misses;
    Tensor other = Tensor::zeros({20000});
    CHECK(buffer_cache_stats().misses == misses + 1);
    CHECK(buffer_cache_stats().cached_blocks == 1);  // the 40,960-byte block still waits
}

TEST_CASE("small buffers bypass the cache", "[memory]") {
    CacheReset reset;
    const auto before = buffer_cache_stats();
    { Tensor small = Tensor::ones({16, 16}); }
    const auto after = buffer_cache_stats();
    CHECK(after.cached_blocks == before.cached_blocks);
    CHECK(after.hits + after.misses == before.hits + before.misses);
}

TEST_CASE("the cache holds at most its limit, and empties on request", "[memory]") {
    CacheReset reset;
    set_buffer_cache_limit(3 << 20);
    {
        std::vector<Tensor> many;
        for (int i = 0; i < 5; ++i) many.push_back(Tensor::zeros({1 << 18}));  // 1 MiB each
    }
    CHECK(buffer_cache_stats().cached_bytes == 3u << 20);
    CHECK(buffer_cache_stats().limit_bytes == 3u << 20);
    set_buffer_cache_limit(1 << 20);  // trims at once
    CHECK(buffer_cache_stats().cached_bytes == 1u << 20);
    empty_buffer_cache();
    CHECK(buffer_cache_stats().cached_bytes == 0);
    CHECK(buffer_cache_stats().cached_blocks == 0);
    set_buffer_cache_limit(0);  // off
    { Tensor t = Tensor::zeros({1 << 18}); }
    CHECK(buffer_cache_stats().cached_bytes == 0);
}

TEST_CASE("buffers freed on one thread are reused on another", "[memory]") {
    CacheReset reset;
    const void* first = nullptr;
    std::thread([&] { first = storage(Tensor::zeros({1 << 16})); }).join();
    std::thread([&] { CHECK(storage(Tensor::zeros({1 << 16})) == first); }).join();
}

TEST_CASE("training steps reuse their buffers instead of asking the system", "[memory]") {
    CacheReset reset;
    manual_seed(0);
    nn::Sequential model;
    model.push_back(std::make_shared<nn::Linear>(784, 256));
    model.push_back(std::make_shared<nn::ReLU>());
    model.push_back(std::make_shared<nn::Linear>(256, 10));
    optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
    const Tensor x = Tensor::randn({128, 784});
    const Labels y(128, 3);
    auto step = [&] {
        opt.zero_grad();
        nn::cross_entropy(model(x), y).backward();
        opt.step();
    };
    step();
    step();
    const auto warm = buffer_cache_stats();
    for (int i = 0; i < 5; ++i) step();
    const auto after = buffer_cache_stats();
    CHECK(after.misses == warm.misses);
    CHECK(after.hits > warm.hits);
}

#ifdef XGRAD_TEST_ASAN
TEST_CASE("AddressSanitizer still sees a cached buffer as freed", "[memory]") {
    CacheReset reset;
    const void* p = nullptr;
    { p = storage(Tensor::zeros({1 << 16})); }
    CHECK(__asan_address_is_poisoned(p));
    Tensor again = Tensor::zeros({1 << 16});
    REQUIRE(storage(again) == p);
    CHECK_FALSE(__asan_address_is_poisoned(p));
}
#endif
