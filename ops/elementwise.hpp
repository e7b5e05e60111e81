#pragma once

#include "autograd/tensor.hpp"

namespace xgrad {

/// a + b with NumPy broadcasting; the gradient is summed back to each operand's shape.
/// Throws ShapeError if the shapes do not broadcast, DtypeError if the dtypes differ.
Tensor add(const Tensor& a, const Tensor& b);
/// a - b, broadcasting as add.
Tensor sub(const Tensor& a, const Tensor& b);
/// a * b elementwise, broadcasting as add.
Tensor mul(const Tensor& a, const Tensor& b);
/// a / b elementwise, broadcasting as add.
Tensor div(const Tensor& a, const Tensor& b);
/// -x.
Tensor neg(const Tensor& x);
/// x^exponent elementwise; d/dx = exponent * x^(exponent - 1) (0 for exponent 0, as PyTorch).
Tensor pow(const Tensor& x, double exponent);
/// e^x.
Tensor exp(const Tensor& x);
/// Natural logarithm (-inf at 0, NaN below, as IEEE).
Tensor log(const Tensor& x);
/// Square root.
Tensor sqrt(const Tensor& x);
/// |x|; its gradient is sign(x), 0 at 0 (as PyTorch).
Tensor abs(const Tensor& x);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
/// Scalar operands take the tensor's dtype: `x * 2`, `1 - x`.
Tensor operator+(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(const Tensor& a, double b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(const Tensor& a, double b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(const Tensor& a, double b);
Tensor operator/(double a, const Tensor& b);

}  // namespace xgrad
