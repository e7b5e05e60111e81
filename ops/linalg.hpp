#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// Matrix product with torch.matmul's rules, through BLAS: (M, K)·(K, N) -> (M, N); a 1-D operand
/// is a row (first) or a column (second) whose dimension is removed, so two 1-D ones give their
/// dot product; N-D operands are batches of matrices whose batch dimensions broadcast:
/// (B, 1, M, K)·(H, K, N) -> (B, H, M, N). Throws ShapeError naming both shapes when the inner or
/// batch dimensions do not fit or an operand is 0-d, DtypeError on mixed or integer dtypes.
Tensor matmul(const Tensor& a, const Tensor& b);
/// Batched product (B, M, K)·(B, K, N) -> (B, M, N), as torch.bmm (no broadcasting).
Tensor bmm(const Tensor& a, const Tensor& b);

/// x·Wᵀ + b, the affine map of a Linear layer (PyTorch's F.linear): x (*, in), weight (out, in),
/// bias (out) or undefined for none -> (*, out). The transpose is a BLAS flag, never a copy.
/// Throws ShapeError naming the mismatching shapes, DtypeError on mixed dtypes.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace xgrad
