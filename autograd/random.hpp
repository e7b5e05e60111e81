#pragma once

#include <cstdint>
#include <mutex>
#include <random>

namespace xgrad {

/// Seeds the generator behind rand, randn and the initializers, for reproducible runs.
void manual_seed(std::uint64_t seed);

namespace detail {
/// The process-wide generator; hold `generator_mutex()` while drawing from it.
std::mt19937_64& generator();
std::mutex& generator_mutex();
}  // namespace detail

}  // namespace xgrad
