#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// f(x) = x (the "linear" activation); recorded as a node so diagrams show it. f'(x) = 1.
Tensor identity(const Tensor& x);
/// Heaviside step: 1 for x > 0, else 0. Its gradient is 0 everywhere (it is flat wherever it is
/// differentiable, and backward treats the jump at 0 the same way): it cannot be trained by
/// gradient descent, which is why the smooth activations exist.
Tensor step(const Tensor& x);
/// 1 / (1 + e^-x), computed without overflow for any |x| (finite, no NaN, at |x| = 1e4).
/// f' = f (1 - f).
Tensor sigmoid(const Tensor& x);
/// Hyperbolic tangent; f' = 1 - f².
Tensor tanh(const Tensor& x);
/// max(x, 0); f'(x) = 1 for x > 0, else 0 (0 at x = 0, as PyTorch).
Tensor relu(const Tensor& x);
/// x for x > 0, else slope * x; f'(x) = 1 for x > 0, else slope (slope at x = 0, as PyTorch).
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// Leaky ReLU with a learned slope: x for x > 0, else alpha * x. `alpha` holds one shared slope
/// (one element) or one per channel (dimension 1 of x, which then needs at least 2 dimensions);
/// alpha receives its own gradient, sum of g * x over the elements where x <= 0.
/// Throws ShapeError if alpha's size fits neither, DtypeError on mixed dtypes.
Tensor prelu(const Tensor& x, const Tensor& alpha);
/// x for x > 0, else alpha (e^x - 1); f'(x) = 1 for x > 0, else alpha e^x.
Tensor elu(const Tensor& x, double alpha = 1.0);

/// Which GELU: the exact erf form, or the tanh approximation (PyTorch's approximate="tanh").
enum class GeluApproximation { none, tanh };
/// x Φ(x) with Φ the standard normal CDF; f'(x) = Φ(x) + x φ(x). With GeluApproximation::tanh,
/// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) and its exact derivative.
Tensor gelu(const Tensor& x, GeluApproximation approximate = GeluApproximation::none);
/// SiLU (swish): x σ(x); f' = σ(x) (1 + x (1 - σ(x))).
Tensor silu(const Tensor& x);
/// (1/beta) log(1 + e^(beta x)), and x itself where beta x > threshold (as PyTorch);
/// f' = σ(beta x) (1 above the threshold). Throws std::invalid_argument for beta <= 0.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
/// e^x / Σ e^x over `axis` (max-subtracted: finite for logits of ±1e4).
/// Throws std::invalid_argument for an axis out of range.
Tensor softmax(const Tensor& x, int axis = -1);
/// log softmax over `axis`, as x - max - log Σ e^(x - max) (no log of 0 for large logits).
Tensor log_softmax(const Tensor& x, int axis = -1);

}  // namespace xgrad
