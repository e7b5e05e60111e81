#include "autograd/random.hpp"

namespace xgrad {

namespace detail {
std::mt19937_64& generator() {
    static std::mt19937_64 gen(0x5eed);
    return gen;
}
std::mutex& generator_mutex() {
    static std::mutex m;
    return m;
}
}  // namespace detail

void manual_seed(std::uint64_t seed) {
    std::lock_guard lock(detail::generator_mutex());
    detail::generator().seed(seed);
}

}  // namespace xgrad
