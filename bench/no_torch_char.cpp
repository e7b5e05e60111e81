// The character-model benchmark without libtorch (CMake did not find Torch): xgrad's rows only.
#include "bench/char_bench.hpp"

namespace bench {

bool have_torch_chars() { return false; }
Timing torch_char_mlp(const CharProblem&, std::size_t, std::size_t, float*) { return {}; }
Timing torch_char_transformer(const CharProblem&, std::size_t, std::size_t, float*) { return {}; }

}  // namespace bench
