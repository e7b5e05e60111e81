#pragma once

#include <limits>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

// Axes: one (negative counts from the end) or several at once; `keepdims` keeps each reduced
// axis with extent 1. An axis out of range or repeated throws std::invalid_argument.

/// Sum of all elements, a 0-d tensor. int64 and bool sum to int64 (as PyTorch).
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, int axis, bool keepdims = false);
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
/// Mean of all elements (NaN for an empty tensor, as PyTorch); floating tensors only (DtypeError).
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int axis, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
/// Maximum of all elements (0-d) or over axes; the gradient flows to the first maximal element of
/// each slice (as PyTorch's max(dim)); NaN is maximal. Throws std::invalid_argument for an empty
/// reduction.
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, int axis, bool keepdims = false);
Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
/// Minimum, as max.
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, int axis, bool keepdims = false);
Tensor min(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
/// Product of all elements or over axes; its gradient is right where elements are 0.
Tensor prod(const Tensor& x);
Tensor prod(const Tensor& x, int axis, bool keepdims = false);
Tensor prod(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
/// Variance over `axes` (all when empty): Σ (x - mean)² / (N - correction), as torch.var
/// (correction 1 is Bessel's; N <= correction gives inf or NaN as PyTorch).
Tensor var(const Tensor& x, const std::vector<int>& axes = {}, double correction = 1, bool keepdims = false);
/// sqrt(var(...)).
Tensor std(const Tensor& x, const std::vector<int>& axes = {}, double correction = 1, bool keepdims = false);
/// log Σ e^x over axes (all when empty), max-shifted (finite for ±1e4; -inf for all -inf);
/// gradient g · softmax.
Tensor logsumexp(const Tensor& x, const std::vector<int>& axes, bool keepdims = false);
Tensor logsumexp(const Tensor& x, int axis, bool keepdims = false);
/// Index of the first maximal element over one axis, or of all elements flattened (an int64
/// tensor, not differentiable); NaN counts as maximal.
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, int axis, bool keepdims = false);
/// Index of the first minimal element, as argmax (NaN counts as minimal, as in PyTorch).
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, int axis, bool keepdims = false);
/// Running sums along `axis`; the gradient is the reversed running sum. int64 and bool give int64.
Tensor cumsum(const Tensor& x, int axis);
/// The p-norm (Σ |x|^p)^(1/p) over axes (all when empty); p = infinity gives max |x|. Its
/// gradient is 0 where the norm is 0 (as PyTorch). Throws std::invalid_argument for p <= 0.
Tensor norm(const Tensor& x, double p = 2, const std::vector<int>& axes = {}, bool keepdims = false);

}  // namespace xgrad
