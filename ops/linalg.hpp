#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// Matrix product of (M, K) and (K, N) -> (M, N) through BLAS.
/// Throws ShapeError unless both are 2-D with equal inner dimensions, DtypeError on mixed dtypes.
Tensor matmul(const Tensor& a, const Tensor& b);

/// x·Wᵀ + b, the affine map of a Linear layer (PyTorch's F.linear): x (N, in), weight (out, in),
/// bias (out) or undefined for none -> (N, out). The transpose is a BLAS flag, never a copy.
/// Throws ShapeError naming the mismatching shapes, DtypeError on mixed dtypes.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace xgrad
