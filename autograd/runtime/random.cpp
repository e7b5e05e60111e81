#include "autograd/runtime/random.hpp"

#include <sstream>
#include <stdexcept>
#include <string>

namespace xgrad {

namespace {
constexpr std::size_t state_words = std::mt19937_64::state_size + 1;  // the words and the position
}

std::vector<std::uint64_t> Generator::state() const {
    std::ostringstream text;
    text << engine_;  // the standard's textual form: the 312 words, then the position
    std::istringstream in(text.str());
    std::vector<std::uint64_t> words;
    for (std::uint64_t w; in >> w;) words.push_back(w);
    if (words.size() != state_words) throw std::logic_error("Generator::state: unexpected engine text");
    return words;
}

void Generator::set_state(const std::vector<std::uint64_t>& state) {
    if (state.size() != state_words)
        throw std::invalid_argument("Generator::set_state: expected " + std::to_string(state_words) + " words, got " +
                                    std::to_string(state.size()));
    if (state.back() > std::mt19937_64::state_size)
        throw std::invalid_argument("Generator::set_state: position " + std::to_string(state.back()) +
                                    " is past the state's " + std::to_string(std::mt19937_64::state_size) + " words");
    std::ostringstream text;
    for (std::size_t i = 0; i < state.size(); ++i) text << (i ? " " : "") << state[i];
    std::istringstream in(text.str());
    std::mt19937_64 engine;
    in >> engine;
    if (in.fail()) throw std::invalid_argument("Generator::set_state: not a generator state");
    engine_ = engine;
}

namespace detail {
Generator*& thread_generator() {
    thread_local Generator* current = nullptr;
    return current;
}
Generator& global_generator() {
    static Generator gen;
    return gen;
}
std::mutex& global_generator_mutex() {
    static std::mutex m;
    return m;
}
}  // namespace detail

void manual_seed(std::uint64_t seed) {
    std::lock_guard lock(detail::global_generator_mutex());
    detail::global_generator().manual_seed(seed);
}

std::vector<std::uint64_t> get_rng_state() {
    std::lock_guard lock(detail::global_generator_mutex());
    return detail::global_generator().state();
}

void set_rng_state(const std::vector<std::uint64_t>& state) {
    std::lock_guard lock(detail::global_generator_mutex());
    detail::global_generator().set_state(state);
}

GeneratorGuard::GeneratorGuard(Generator& generator) : previous_(detail::thread_generator()) {
    detail::thread_generator() = &generator;
}

GeneratorGuard::~GeneratorGuard() { detail::thread_generator() = previous_; }

}  // namespace xgrad
