#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Same values in a new shape with as many elements; one extent may be -1 (inferred).
/// Throws ShapeError naming both shapes when the element counts cannot match.
Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& shape);
/// Merges dimensions start_dim..end_dim into one (as torch.flatten; all of them by default).
/// Throws std::invalid_argument for dimensions out of range or start after end.
Tensor flatten(const Tensor& x, int start_dim = 0, int end_dim = -1);

}  // namespace xgrad
