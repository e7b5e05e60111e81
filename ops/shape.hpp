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
/// A new dimension of extent 1 at `dim` (in [-dim()-1, dim()], as torch.unsqueeze).
Tensor unsqueeze(const Tensor& x, int dim);
/// Without every dimension of extent 1.
Tensor squeeze(const Tensor& x);
/// Without dimension `dim` if its extent is 1 (unchanged otherwise, as torch.squeeze).
Tensor squeeze(const Tensor& x, int dim);
/// The dimensions reordered: result dimension i is x's dimension dims[i] (a permutation of all
/// of them, negative counting from the end). Throws std::invalid_argument otherwise.
Tensor permute(const Tensor& x, const std::vector<int>& dims);
/// Swaps two dimensions (negative counts from the end); the result is a contiguous copy.
/// Throws std::invalid_argument for an axis out of range.
Tensor transpose(const Tensor& x, int dim0, int dim1);
/// Transpose of a tensor of at most 2 dimensions (x.T()); throws ShapeError for more.
Tensor transpose(const Tensor& x);
/// x broadcast to `shape` (as torch.expand: -1 keeps an extent; new dimensions lead). The gradient
/// is summed back. Throws ShapeError naming both shapes when x does not broadcast to it.
Tensor expand(const Tensor& x, const std::vector<std::int64_t>& shape);
/// x broadcast to `shape` (torch.broadcast_to).
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// x tiled `repeats[d]` times along each dimension (as torch.repeat: more repeats than
/// dimensions add leading ones). Throws std::invalid_argument for fewer repeats than dimensions.
Tensor repeat(const Tensor& x, const std::vector<std::size_t>& repeats);

}  // namespace xgrad
