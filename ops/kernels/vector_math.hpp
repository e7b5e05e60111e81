#pragma once
// Float exp, expm1, tanh and gelu in double, rounded once (correctly rounded but for rare ties),
// written so that a loop over them vectorises: inlined into pointwise() loops built for AVX-512,
// AVX2 and baseline x86-64, the loader picking the copy the CPU runs (docs/performance.md,
// "Tensor programs"). Not public.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "autograd/runtime/vector_clones.hpp"

// The scalar math below inlined into each vector copy's loop even where the inliner would not
// (a call per element keeps the loop from vectorising: sigmoid measured 4x slower).
#define XGRAD_INLINE [[gnu::always_inline]] inline

namespace xgrad::detail {

/// y = k ln2 + r with |r| <= ln2/2: returns e^r - 1 by its Taylor series to r^11 (relative error
/// below (ln2/2)^12 / 12! = 6.3e-15, far below a float's 6e-8) and sets s = 2^k, built from the
/// bits of y log2(e) + 1.5·2^52. Branch-free, for y in [-1022 ln2, 1023 ln2]: e^y - 1 = s q + (s - 1),
/// e^y = s q + s.
XGRAD_INLINE double exp_reduced(double y, double& s) {
    const double t = y * 1.4426950408889634 + 0x1.8p52;
    const double k = t - 0x1.8p52;
    const double r = (y - k * 0x1.62e42fefa3800p-1) - k * 0x1.ef35793c76730p-45;  // ln2 in two parts
    // Horner's rule written out: a loop here, inlined early into a caller's loop, would keep that
    // loop from vectorising
    const double p =
        ((((((((((1.0 / 39916800.0) * r + 1.0 / 3628800.0) * r + 1.0 / 362880.0) * r + 1.0 / 40320.0) * r +
              1.0 / 5040.0) * r + 1.0 / 720.0) * r + 1.0 / 120.0) * r + 1.0 / 24.0) * r + 1.0 / 6.0) * r + 0.5) * r + 1.0;
    s = std::bit_cast<double>((std::bit_cast<std::uint64_t>(t) + 1023) << 52);
    return p * r;
}

/// e^y - 1 for y in [0, 41], without cancellation near 0.
XGRAD_INLINE double expm1_bounded(double y) {
    double s;
    const double q = exp_reduced(y, s);
    return s * q + (s - 1);
}

/// e^y for y in [-1022 ln2, 1023 ln2].
XGRAD_INLINE double exp_bounded(double y) {
    double s;
    const double q = exp_reduced(y, s);
    return s * q + s;
}

/// e^v and e^v - 1 of a float in double, rounded once: correctly rounded (glibc's expf is not
/// always: 0x1.d81eecp-2 at x = -0x1.8c68cap-1, for 0x1.d81eeap-2). NaN stays NaN; below -104
/// e^v is 0, above 89 inf.
XGRAD_INLINE float exp_float(float v) {
    const double d = std::clamp(static_cast<double>(v), -104.0, 89.0);
    double s;
    const double q = exp_reduced(d, s);
    return v != v ? v : static_cast<float>(s * q + s);
}
XGRAD_INLINE float expm1_float(float v) {
    const double d = std::clamp(static_cast<double>(v), -104.0, 89.0);
    double s;
    const double q = exp_reduced(d, s);
    return v != v || v == 0 ? v : static_cast<float>(s * q + (s - 1));  // -0 stays -0
}

/// e^v and e^v - 1: exp_float/expm1_float for float, std::exp/std::expm1 for double.
template <class T>
XGRAD_INLINE T exp_of(T v) {
    if constexpr (std::is_same_v<T, float>) return exp_float(v);
    else return std::exp(v);
}
template <class T>
XGRAD_INLINE T expm1_of(T v) {
    if constexpr (std::is_same_v<T, float>) return expm1_float(v);
    else return std::expm1(v);
}

/// tanh x of a float as expm1(2|x|) / (expm1(2|x|) + 2) in double: correctly rounded to float
/// (checked against tanh in double over [-25, 25]). NaN, ±0, denormals and ±inf come out as tanh's.
XGRAD_INLINE float tanh_float(float v) {
    const double x = v;
    const double em = expm1_bounded(2 * std::min(std::abs(x), 20.0));  // tanh is ±1 in float beyond 9
    return static_cast<float>(std::copysign(em / (em + 2), x));
}

/// e^(z²) erfc z for z in [0, 11], a polynomial in s, t = 1 / (1 + z/2) mapped to [-1, 1], that
/// ops/kernels/fit_erfc.py fits (relative error 6.7e-13); Horner's rule without a loop, as above.
XGRAD_INLINE double scaled_erfc(double z) {
    const double s = (26.0 / 11) / (1 + 0.5 * z) - 15.0 / 11;  // t in [2/13, 1] -> s in [-1, 1], one division
    double p = -5.757866663474203e-09;
    p = p * s - 5.8107938729418214e-08; p = p * s + 1.4058851148509843e-07; p = p * s + 3.3986371236635175e-07;
    p = p * s - 1.5393238886268004e-06; p = p * s + 5.54925386770841e-07; p = p * s + 9.973016339964808e-06;
    p = p * s - 2.3877980629683984e-05; p = p * s - 4.0984346145735196e-05; p = p * s + 0.0002804971036304926;
    p = p * s + 6.976492851781494e-05; p = p * s - 0.0031638422480019645; p = p * s - 0.0009357790935511986;
    p = p * s + 0.04820990135604086; p = p * s + 0.19931336499573488; p = p * s + 0.42915618770848607;
    p = p * s + 0.3271253623711569;
    return p;
}

/// Beyond z = 11, erfc z and e^(-z²) are 0 in float.
inline constexpr double erfc_zmax = 11;

/// e^(-x²/2), 0 beyond erfc_zmax (so that gelu' at ±inf is inf·0 = NaN, as PyTorch's).
XGRAD_INLINE double exp_minus_half_square(double v) {
    const double z2 = 0.5 * v * v, zmax2 = erfc_zmax * erfc_zmax;
    return z2 < zmax2 ? exp_bounded(-std::min(z2, zmax2)) : 0.0;
}

/// Φ(x) = erfc(-x/√2) / 2: 1 - erfc(|x|/√2)/2 for x >= 0, erfc(|x|/√2)/2 below, with e = e^(-x²/2)
/// (z² = x²/2 is exact for a float x).
XGRAD_INLINE double normal_cdf(double v, double e) {
    const double z = std::min(std::abs(v) * (std::numbers::sqrt2 / 2), erfc_zmax);
    const double half_erfc = z < erfc_zmax ? 0.5 * scaled_erfc(z) * e : 0.0;
    return v >= 0 ? 1 - half_erfc : half_erfc;
}

/// gelu(x) = x Φ(x) of a float, through erfc (accurate in the far negative tail, where
/// 1 + erf(x/√2) would cancel to 0).
XGRAD_INLINE float gelu_float(float x) {
    const double v = x;
    return static_cast<float>(v * normal_cdf(v, exp_minus_half_square(v)));
}

/// Φ(x) + x φ(x), gelu's derivative, in double from e = e^(-x²/2) and cdf = Φ(x); φ(x) = e / √(2π).
/// Below 0 the two terms nearly cancel (d ~ φ/x²), so Φ must be better than gelu's float output
/// divided by x.
XGRAD_INLINE double gelu_derivative(double v, double e, double cdf) {
    return cdf + v * (0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2) * e;
}

/// g (Φ(x) + x φ(x)) at a float x, all in double, rounded once.
XGRAD_INLINE float gelu_grad_float(float g, float x) {
    const double v = x, e = exp_minus_half_square(v);
    return static_cast<float>(g * gelu_derivative(v, e, normal_cdf(v, e)));
}

/// gelu_float(x) into y and gelu's derivative in double into d, sharing e^(-x²/2) and Φ(x):
/// static_cast<float>(g * d) is gelu_grad_float(g, x) bit for bit.
XGRAD_INLINE void gelu_and_derivative_float(float x, float& y, double& d) {
    const double v = x, e = exp_minus_half_square(v), cdf = normal_cdf(v, e);
    y = static_cast<float>(v * cdf);
    d = gelu_derivative(v, e, cdf);
}

/// y[i] = e^y[i], in place. NaN stays NaN, -inf gives 0.
void exp_floats(float* y, std::size_t n);
/// e^y[i] in place: exp_floats for float, std::exp for double.
inline void exp_in_place(float* y, std::size_t n) { exp_floats(y, n); }
inline void exp_in_place(double* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::exp(y[i]);
}

}  // namespace xgrad::detail
