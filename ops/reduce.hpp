#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// Sum of all elements, a 0-d tensor.
Tensor sum(const Tensor& x);
/// Sum over one axis (negative counts from the end); keepdims keeps it with extent 1.
/// Throws std::invalid_argument for an axis out of range.
Tensor sum(const Tensor& x, int axis, bool keepdims = false);
/// Mean of all elements (NaN for an empty tensor, as PyTorch).
Tensor mean(const Tensor& x);
/// Mean over one axis, as sum.
Tensor mean(const Tensor& x, int axis, bool keepdims = false);
/// Maximum over one axis; the gradient flows to the first maximal element of each slice
/// (as PyTorch's max(dim)). Throws std::invalid_argument for an axis out of range or of extent 0.
Tensor max(const Tensor& x, int axis, bool keepdims = false);
/// Index of the first maximal element over one axis (not differentiable); NaN counts as maximal.
xt::xarray<std::size_t> argmax(const Tensor& x, int axis, bool keepdims = false);

}  // namespace xgrad
