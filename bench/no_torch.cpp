// Built when CMake did not find Torch: the benchmark prints "-" in libtorch's columns.
#include "bench/step_bench.hpp"

namespace bench {
bool have_torch() { return false; }
Timing torch_step(const Config&, const Problem&, int, std::size_t, std::size_t) { return {}; }
std::vector<float> torch_one_step(const Config&, const Problem&) { return {}; }
Timing torch_relu_overhead(int, double) { return {}; }
Timing torch_tiny_graph(int, double) { return {}; }
}  // namespace bench
