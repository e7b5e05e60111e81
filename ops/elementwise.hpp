#pragma once

#include <concepts>
#include <optional>

#include "autograd/tensor.hpp"

namespace xgrad {

/// The dtype that an op of `a` and `b` computes in, as torch.result_type: bool < int64 < float32 <
/// float64, except that a 0-d operand decides only when its category (bool, integer, floating) is
/// higher than the other's: float32 (3) with float64 () is float32, int64 (3) with float64 () is
/// float64.
Dtype result_type(const Tensor& a, const Tensor& b);

/// a + b with NumPy broadcasting and type promotion (result_type); the gradient is summed back to
/// each operand's shape (and dtype). Throws ShapeError if the shapes do not broadcast.
Tensor add(const Tensor& a, const Tensor& b);
/// a - b, broadcasting as add; throws DtypeError for two bool operands (as PyTorch).
Tensor sub(const Tensor& a, const Tensor& b);
/// a * b elementwise, broadcasting as add (two bools: logical and).
Tensor mul(const Tensor& a, const Tensor& b);
/// a / b elementwise, true division: integer operands give float32 (as PyTorch).
Tensor div(const Tensor& a, const Tensor& b);
/// -x (int64 stays int64; DtypeError for bool, as PyTorch).
Tensor neg(const Tensor& x);
/// x^exponent elementwise; d/dx = exponent * x^(exponent - 1) (0 for exponent 0, as PyTorch).
Tensor pow(const Tensor& x, double exponent);
/// x^y elementwise with a tensor exponent, broadcasting as add; dx = g y x^(y-1) (0 where y = 0),
/// dy = g x^y ln x (0 where x = 0 and y >= 0, as PyTorch).
Tensor pow(const Tensor& x, const Tensor& exponent);
/// e^x.
Tensor exp(const Tensor& x);
/// Natural logarithm (-inf at 0, NaN below, as IEEE).
Tensor log(const Tensor& x);
/// Square root.
Tensor sqrt(const Tensor& x);
/// 1 / sqrt(x); d = -g y³ / 2.
Tensor rsqrt(const Tensor& x);
/// |x|; its gradient is sign(x), 0 at 0 (as PyTorch). int64 stays int64.
Tensor abs(const Tensor& x);
/// -1, 0 or 1 by the sign of x (0 at NaN, as PyTorch); its gradient is 0. int64 stays int64.
Tensor sign(const Tensor& x);
/// sin x; d = g cos x.
Tensor sin(const Tensor& x);
/// cos x; d = -g sin x.
Tensor cos(const Tensor& x);
/// x²; d = 2 g x. int64 stays int64.
Tensor square(const Tensor& x);
/// ln(1 + x), exact for tiny x; d = g / (1 + x).
Tensor log1p(const Tensor& x);
/// e^x - 1, exact for tiny x; d = g (y + 1).
Tensor expm1(const Tensor& x);
/// x limited to [min, max] (either bound may be left out; NaN stays NaN; min > max gives max, as
/// PyTorch). The gradient passes where min <= x <= max. Throws std::invalid_argument without bounds.
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max = std::nullopt);
/// The larger of a and b elementwise (NaN if either is NaN), broadcasting and promoting as add;
/// at ties the gradient is split in halves (as PyTorch).
Tensor maximum(const Tensor& a, const Tensor& b);
/// The smaller of a and b, as maximum.
Tensor minimum(const Tensor& a, const Tensor& b);

/// Comparisons, elementwise with broadcasting and promotion, giving bool tensors (never recorded).
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
/// Logical ops on the truth of each element (non-zero is true), giving bool tensors.
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);

namespace detail {
/// A number as an operand beside `t`: a 0-d tensor of t's dtype when t is floating, else int64 for
/// an integral number and float32 for a floating one (PyTorch's rule for Python scalars).
Tensor scalar_operand(const Tensor& t, double value, bool integral);
template <class S>
Tensor scalar_operand(const Tensor& t, S value) {
    return scalar_operand(t, static_cast<double>(value), std::is_integral_v<S>);
}
}  // namespace detail

/// A C++ number used as an operand: `x * 2`, `1 - x`, `x > 0.5`.
template <class S>
concept Number = std::is_arithmetic_v<S> && !std::is_same_v<S, bool>;

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
/// Logical and, or, xor, not of bool tensors (DtypeError for others: use logical_and ...).
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& x);

// A number takes the tensor's dtype when that is floating (`x * 2` stays float32).
#define XGRAD_SCALAR_OPERATOR(op, fn)                                                                         \
    template <Number S>                                                                                       \
    Tensor operator op(const Tensor& a, S b) { return fn(a, detail::scalar_operand(a, b)); }                  \
    template <Number S>                                                                                       \
    Tensor operator op(S a, const Tensor& b) { return fn(detail::scalar_operand(b, a), b); }
XGRAD_SCALAR_OPERATOR(+, add)
XGRAD_SCALAR_OPERATOR(-, sub)
XGRAD_SCALAR_OPERATOR(*, mul)
XGRAD_SCALAR_OPERATOR(/, div)
XGRAD_SCALAR_OPERATOR(==, eq)
XGRAD_SCALAR_OPERATOR(!=, ne)
XGRAD_SCALAR_OPERATOR(<, lt)
XGRAD_SCALAR_OPERATOR(<=, le)
XGRAD_SCALAR_OPERATOR(>, gt)
XGRAD_SCALAR_OPERATOR(>=, ge)
#undef XGRAD_SCALAR_OPERATOR

}  // namespace xgrad
