#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <vector>

namespace xgrad {

/// A random number generator (64-bit Mersenne twister) for rand, randn and the initializers.
/// There is one global generator, seeded by manual_seed; a GeneratorGuard makes one thread draw
/// from a Generator of its own instead, so threads do not share a stream.
class Generator {
public:
    explicit Generator(std::uint64_t seed = default_seed) : engine_(seed) {}
    void manual_seed(std::uint64_t seed) { engine_.seed(seed); }
    /// The whole state: 312 words and the position in them (for checkpoints).
    std::vector<std::uint64_t> state() const;
    /// Restores a state from state(); throws std::invalid_argument for anything else.
    void set_state(const std::vector<std::uint64_t>& state);
    std::mt19937_64& engine() { return engine_; }

    static constexpr std::uint64_t default_seed = 0x5eed;

private:
    std::mt19937_64 engine_;
};

/// Seeds the global generator, for reproducible runs.
void manual_seed(std::uint64_t seed);
/// The global generator's state, and its restoration (what a checkpoint keeps).
std::vector<std::uint64_t> get_rng_state();
void set_rng_state(const std::vector<std::uint64_t>& state);

/// While alive, this thread's rand, randn and initializers draw from `generator` instead of the
/// global one. Guards nest; the generator must outlive the guard.
class GeneratorGuard {
public:
    explicit GeneratorGuard(Generator& generator);
    ~GeneratorGuard();
    GeneratorGuard(const GeneratorGuard&) = delete;
    GeneratorGuard& operator=(const GeneratorGuard&) = delete;

private:
    Generator* previous_;
};

namespace detail {
/// The generator this thread draws from; nullptr means the global one.
Generator*& thread_generator();
Generator& global_generator();
std::mutex& global_generator_mutex();

/// Calls f(std::mt19937_64&) on the generator this thread draws from (the global one under its mutex).
template <class F>
decltype(auto) with_generator(F&& f) {
    if (Generator* own = thread_generator()) return f(own->engine());
    std::lock_guard lock(global_generator_mutex());
    return f(global_generator().engine());
}
}  // namespace detail

}  // namespace xgrad
