#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// (x - mean) / sqrt(var + eps) over the trailing dimensions `normalized_shape` (biased variance),
/// times `weight` plus `bias` (each of normalized_shape, or undefined for none), as F.layer_norm.
/// Fused: one node, gradients for x, weight and bias. Throws ShapeError unless x ends in
/// normalized_shape and the affine parameters have it.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

/// Batch normalization of x (N, C) or (N, C, L) per channel (dimension 1), as F.batch_norm:
/// in training, by the batch's mean and biased variance over N and L, and running_mean and
/// running_var (each (C), or undefined) move towards the batch's mean and unbiased variance by
/// `momentum`; otherwise by the running statistics. weight and bias are (C) or undefined.
/// Throws ShapeError for other shapes, std::invalid_argument for one value per channel in training.
Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight, const Tensor& bias,
                  bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace xgrad
