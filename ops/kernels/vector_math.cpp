#include "ops/kernels/vector_math.hpp"

namespace xgrad::detail {

XGRAD_VECTOR_CLONES void exp_floats(float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = exp_float(y[i]);
}

}  // namespace xgrad::detail
