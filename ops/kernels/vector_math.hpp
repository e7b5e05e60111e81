#pragma once
// Transcendental functions of float arrays in loops the compiler vectorises, built for AVX-512,
// AVX2 and baseline x86-64, the loader picking the copy the CPU runs. Each computes in double
// and rounds once, so the results are glibc's (correctly rounded) in all but rare ties
// (docs/performance.md, "Tensor programs"). Not public.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

// Marks a hot loop's function (a template too: each instantiation, its lambdas inlined) for
// AVX-512 and AVX2 copies besides the baseline x86-64 one; the loader picks the copy the CPU runs
// (docs/performance.md, "Where the time went": SGD). Without FMA on purpose: every copy rounds
// the same operations, so results do not depend on the CPU (and FMA measured no faster here).
// Not under GCC's ThreadSanitizer: its build crashes before main in a target_clones resolver.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define XGRAD_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define XGRAD_VECTOR_CLONES
#endif

// The scalar math below inlined into each vector copy's loop even where the inliner would not
// (a call per element keeps the loop from vectorising: sigmoid measured 4x slower).
#define XGRAD_INLINE [[gnu::always_inline]] inline

namespace xgrad::detail {

/// y = k ln2 + r with |r| <= ln2/2: returns e^r - 1 by its Taylor series to r^13 (error below
/// 1e-17) and sets s = 2^k, built from the bits of y log2(e) + 1.5·2^52. Branch-free, for y in
/// [-1022 ln2, 1023 ln2]: e^y - 1 = s q + (s - 1), e^y = s q + s.
XGRAD_INLINE double exp_reduced(double y, double& s) {
    const double t = y * 1.4426950408889634 + 0x1.8p52;
    const double k = t - 0x1.8p52;
    const double r = (y - k * 0x1.62e42fefa3800p-1) - k * 0x1.ef35793c76730p-45;  // ln2 in two parts
    // Horner's rule written out: a loop here, inlined early into a caller's loop, would keep that
    // loop from vectorising
    const double p =
        ((((((((((((1.0 / 6227020800.0) * r + 1.0 / 479001600.0) * r + 1.0 / 39916800.0) * r + 1.0 / 3628800.0) * r +
                1.0 / 362880.0) * r + 1.0 / 40320.0) * r + 1.0 / 5040.0) * r + 1.0 / 720.0) * r + 1.0 / 120.0) * r +
            1.0 / 24.0) * r + 1.0 / 6.0) * r + 0.5) * r + 1.0;
    s = std::bit_cast<double>((std::bit_cast<std::uint64_t>(t) + 1023) << 52);
    return p * r;
}

/// e^y - 1 for y in [0, 41], without cancellation near 0.
XGRAD_INLINE double expm1_bounded(double y) {
    double s;
    const double q = exp_reduced(y, s);
    return s * q + (s - 1);
}

/// e^v and e^v - 1 of a float in double, rounded once: correctly rounded (glibc's expf is not
/// always: 0x1.d81eecp-2 at x = -0x1.8c68cap-1, for 0x1.d81eeap-2), in a form that vectorises. NaN stays NaN; below -104 e^v is 0, above 89 inf.
/// ops/kernels/vector_math.cpp's kernels take their loops; these inline into any op's lambda.
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

/// y[i] = tanh x[i].
void tanh_floats(const float* x, float* y, std::size_t n);
/// y[i] = e^y[i], in place. NaN stays NaN, -inf gives 0.
void exp_floats(float* y, std::size_t n);
/// e^y[i] in place: exp_floats for float, std::exp for double.
inline void exp_in_place(float* y, std::size_t n) { exp_floats(y, n); }
inline void exp_in_place(double* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::exp(y[i]);
}
/// y[i] = gelu(x[i]) = x Φ(x), Φ the standard normal distribution function, through erfc
/// (accurate in the far negative tail, where 1 + erf(x/√2) would cancel to 0).
void gelu_floats(const float* x, float* y, std::size_t n);
/// g[i] *= Φ(x) + x φ(x), gelu's derivative at x[i].
void gelu_backward_floats(const float* x, float* g, std::size_t n);

}  // namespace xgrad::detail
