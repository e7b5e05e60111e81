#pragma once

#include "autograd/tensor.hpp"

namespace xgrad::nn::init {

/// In-place initializers (PyTorch's torch.nn.init), drawing from the generator seeded by
/// manual_seed. fan_in / fan_out are a weight's dimensions 1 and 0 (times the extents after
/// them); they throw std::invalid_argument for tensors of fewer than 2 dimensions.
void uniform_(Tensor& t, double low = 0.0, double high = 1.0);
void normal_(Tensor& t, double mean = 0.0, double std = 1.0);
void constant_(Tensor& t, double value);
void zeros_(Tensor& t);
/// U(-a, a) with a = gain √(6 / (fan_in + fan_out)) (Glorot & Bengio).
void xavier_uniform_(Tensor& t, double gain = 1.0);
/// N(0, gain² 2 / (fan_in + fan_out)).
void xavier_normal_(Tensor& t, double gain = 1.0);
/// U(-b, b) with b = gain √(3 / fan_in), gain = √(2 / (1 + a²)) (He et al., leaky-ReLU slope a).
/// With a = √5 it is PyTorch's default for Linear weights: b = 1 / √fan_in.
void kaiming_uniform_(Tensor& t, double a = 0.0);
/// N(0, gain² / fan_in), gain as kaiming_uniform_.
void kaiming_normal_(Tensor& t, double a = 0.0);

/// (fan_in, fan_out) of a weight tensor.
std::pair<std::size_t, std::size_t> fans(const Tensor& t);

}  // namespace xgrad::nn::init
