#pragma once
// Float exp, expm1 and tanh in double, rounded once (correctly rounded but for rare ties), and
// gelu in float lanes, written so that a loop over them vectorises: inlined into pointwise()
// loops built for AVX-512, AVX2 and baseline x86-64, the loader picking the copy the CPU runs
// (docs/performance.md, "Tensor programs"). Not public.

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

// Float32 gelu and its derivative in float lanes (16 to an AVX-512 vector, where the double-lane
// exact version took 8): within 6 ulp, the derivative within 4 ulp of its larger term
// (docs/activations.md, "GELU"). The polynomials come from ops/kernels/fit_gelu.py.

/// e^(-a²/2) = p s 2^-64 for a in [0, 19.5], p in [0.7, 1.5] and s a power of two (0 from a ≈ 19.4
/// on, where e^(-a²/2) is 0 in float), so that products with it round once, into the subnormals
/// too. a = ah + al with ah of 12 bits: ah²/2 and ah al are exact, and the reduction by k ln2 is.
XGRAD_INLINE float exp_minus_half_square(float a, float& s) {
    const float ah = std::bit_cast<float>(std::bit_cast<std::uint32_t>(a) & 0xFFFFF000u), al = a - ah;
    const float h = 0.5f * (ah * ah), cross = ah * al;
    const float j = -(h + cross) * 1.44269504f + 0x1.8p23f;  // k = round(-a²/2 log2 e) in the low bits
    const float k = j - 0x1.8p23f;
    const float r = (((-h - k * 0.693145751953125f) - k * 1.428606765330187e-06f) - cross) - 0.5f * (al * al);
    float p = 1.382594623e-03f;  // e^r, |r| <= ln2/2 + 0.01
    p = p * r + 8.377180767e-03f; p = p * r + 4.166856131e-02f; p = p * r + 1.666639151e-01f;
    p = p * r + 4.999998992e-01f; p = p * r + 1.000000043e+00f; p = p * r + 1.000000001e+00f;
    const auto ki = static_cast<std::int32_t>(std::bit_cast<std::uint32_t>(j) - std::bit_cast<std::uint32_t>(0x1.8p23f));
    s = std::bit_cast<float>(static_cast<std::uint32_t>(std::max(ki + 64 + 127, 0)) << 23);
    return p;
}

/// e^(z²) erfc z / 2 at z = a/√2 (clamped to 11), as t G(s): t = 1 / (1 + z/2), s its map to [-1, 1].
XGRAD_INLINE float half_scaled_erfc(float a) {
    const float z = std::min(a * 0.707106781f, 11.0f);
    const float t = 1.0f / (1.0f + 0.5f * z);
    const float s = (1.0f - (15.0f / 22.0f) * z) * t;
    float g = 6.908634632e-06f;
    g = g * s + 6.557756530e-06f; g = g * s - 7.753854873e-05f; g = g * s + 1.466578764e-05f;
    g = g * s + 6.539682089e-04f; g = g * s - 7.283905730e-04f; g = g * s - 6.489351966e-03f;
    g = g * s + 6.637217258e-03f; g = g * s + 1.049006544e-01f; g = g * s + 3.280580194e-01f;
    g = g * s + 5.670172937e-01f;
    return 0.5f * (t * g);
}

/// gelu(x) = x Φ(x) into y and its derivative Φ(x) + x φ(x) into d, sharing e^(-x²/2) and erfc.
/// Φ(-|x|) = erfc(|x|/√2) / 2 keeps the far negative tail accurate (1 + erf would cancel to 0).
/// At ±inf, d is NaN (inf·0), as PyTorch's; NaN stays NaN.
XGRAD_INLINE void gelu_and_derivative_float(float x, float& y, float& d) {
    const float a = std::min(std::abs(x), 19.5f);
    float s;
    const float p = exp_minus_half_square(a, s), h = half_scaled_erfc(a);
    const float inv_sqrt_2pi = 0.398942280f;
    const float e = (p * s) * 0x1p-64f;
    const float upper = 1.0f - h * e;  // Φ(|x|)
    y = x >= 0 ? x * upper : ((x * h * p) * s) * 0x1p-64f;
    d = x >= 0 ? upper + x * inv_sqrt_2pi * e : (((h + x * inv_sqrt_2pi) * p) * s) * 0x1p-64f + 0.0f;  // -0 -> 0
}

/// gelu of a float (gelu_and_derivative_float's y).
XGRAD_INLINE float gelu_float(float x) {
    float y, d;
    gelu_and_derivative_float(x, y, d);
    return y;
}

/// g gelu'(x) at a float x: g times gelu_and_derivative_float's d, so that a kept d gives it bit for bit.
XGRAD_INLINE float gelu_grad_float(float g, float x) {
    float y, d;
    gelu_and_derivative_float(x, y, d);
    return g * d;
}

/// y[i] = e^y[i], in place. NaN stays NaN, -inf gives 0.
void exp_floats(float* y, std::size_t n);
/// e^y[i] in place: exp_floats for float, std::exp for double.
inline void exp_in_place(float* y, std::size_t n) { exp_floats(y, n); }
inline void exp_in_place(double* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::exp(y[i]);
}

}  // namespace xgrad::detail
