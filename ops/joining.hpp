#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// The tensors joined along `dim` (negative counts from the end); their dtypes promote as add, their
/// other extents must be equal (1-D empty tensors are skipped, as in PyTorch). Each operand's
/// gradient is its slice of the result's. Throws ShapeError naming both shapes.
Tensor cat(const std::vector<Tensor>& tensors, int dim = 0);
/// The tensors (all of one shape) stacked along a new dimension `dim` in [-dim()-1, dim()].
Tensor stack(const std::vector<Tensor>& tensors, int dim = 0);
/// Pieces of `split_size` along `dim`, the last smaller if the extent does not divide.
/// Throws std::invalid_argument for a size of 0 on a non-empty dimension.
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int dim = 0);
/// Pieces of the given sizes along `dim`; they must add up to its extent.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, int dim = 0);
/// `chunks` pieces (fewer when the extent is small) of ceil(extent / chunks), as torch.chunk.
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int dim = 0);

}  // namespace xgrad
