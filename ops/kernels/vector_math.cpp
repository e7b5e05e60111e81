#include "ops/kernels/vector_math.hpp"

#include <numbers>


namespace xgrad::detail {

namespace {

/// e^y for y in [-1022 ln2, 1023 ln2].
inline double exp_bounded(double y) {
    double s;
    const double q = exp_reduced(y, s);
    return s * q + s;
}

/// e^(z²) erfc z for z in [0, 11], a polynomial in s, t = 1 / (1 + z/2) mapped to [-1, 1], that
/// ops/kernels/fit_erfc.py fits (relative error 6.7e-13). Beyond 11, erfc z and e^(-z²) are 0 in
/// float.
inline double scaled_erfc(double z) {
    const double s = (1 / (1 + 0.5 * z) - 15.0 / 26) / (11.0 / 26);  // t in [2/13, 1] -> s in [-1, 1]
    double p = -5.757866663474203e-09;
    for (const double c : {-5.8107938729418214e-08, 1.4058851148509843e-07, 3.3986371236635175e-07, -1.5393238886268004e-06,
                           5.54925386770841e-07, 9.973016339964808e-06, -2.3877980629683984e-05, -4.0984346145735196e-05,
                           0.0002804971036304926, 6.976492851781494e-05, -0.0031638422480019645, -0.0009357790935511986,
                           0.04820990135604086, 0.19931336499573488, 0.42915618770848607, 0.3271253623711569})
        p = p * s + c;
    return p;
}

constexpr double erfc_zmax = 11;

}  // namespace

XGRAD_VECTOR_CLONES void tanh_floats(const float* __restrict x, float* __restrict y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = tanh_float(x[i]);
}

XGRAD_VECTOR_CLONES void exp_floats(float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = exp_float(y[i]);
}

/// Φ(x) = erfc(-x/√2) / 2: 1 - erfc(|x|/√2)/2 for x >= 0, erfc(|x|/√2)/2 below, with e = e^(-x²/2)
/// (z² = x²/2 is exact for a float x).
inline double normal_cdf(double v, double e) {
    const double z = std::min(std::abs(v) * (std::numbers::sqrt2 / 2), erfc_zmax);
    const double half_erfc = z < erfc_zmax ? 0.5 * scaled_erfc(z) * e : 0.0;
    return v >= 0 ? 1 - half_erfc : half_erfc;
}

/// e^(-x²/2), 0 beyond erfc_zmax (so that gelu' at ±inf is inf·0 = NaN, as PyTorch's).
inline double exp_minus_half_square(double v) {
    const double z2 = 0.5 * v * v, zmax2 = erfc_zmax * erfc_zmax;
    return z2 < zmax2 ? exp_bounded(-std::min(z2, zmax2)) : 0.0;
}

XGRAD_VECTOR_CLONES void gelu_floats(const float* __restrict x, float* __restrict y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const double v = x[i];
        y[i] = static_cast<float>(v * normal_cdf(v, exp_minus_half_square(v)));
    }
}

XGRAD_VECTOR_CLONES void gelu_backward_floats(const float* __restrict x, float* __restrict g, std::size_t n) {
    // d = g (Φ(x) + x φ(x)), φ(x) = e^(-x²/2) / √(2π), both in double: below 0 the two terms
    // nearly cancel (d ~ φ/x²), so Φ must be better than gelu's float output divided by x
    const double inv_sqrt_2pi = 0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = x[i], e = exp_minus_half_square(v);
        g[i] = static_cast<float>(g[i] * (normal_cdf(v, e) + v * inv_sqrt_2pi * e));
    }
}

}  // namespace xgrad::detail
