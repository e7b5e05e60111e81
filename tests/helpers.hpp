#pragma once
// Small helpers shared by the tests.

#include <catch2/catch.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <string>

#include "xgrad.hpp"

namespace xgrad::test {

/// Values of a tensor as double, whatever its dtype.
inline xt::xarray<double> values(const Tensor& t) {
    return visit_any(t.array(), [](const auto& a) { return xt::xarray<double>(xt::cast<double>(a)); });
}

/// Row-major values and shape as a double array.
inline xt::xarray<double> array(std::initializer_list<double> v, const Shape& shape) {
    return Tensor::from(v, shape, {.dtype = float64}).data<double>();
}

/// A float64 leaf that requires grad.
inline Tensor param(std::initializer_list<double> v, const Shape& shape) {
    return Tensor::from(v, shape, {.dtype = float64, .requires_grad = true});
}

/// A float64 leaf with values drawn from a seeded standard normal, requiring grad.
inline Tensor randn64(const Shape& shape, std::uint64_t seed) {
    manual_seed(seed);
    return Tensor::randn(shape, {.dtype = float64, .requires_grad = true});
}

/// a·b for 2-D a and b by a plain loop in double: the reference products are checked against.
inline xt::xarray<double> product(const xt::xarray<double>& a, const xt::xarray<double>& b) {
    xt::xarray<double> c = xt::zeros<double>({a.shape()[0], b.shape()[1]});
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
        for (std::size_t j = 0; j < b.shape()[1]; ++j)
            for (std::size_t p = 0; p < a.shape()[1]; ++p) c(i, j) += a(i, p) * b(p, j);
    return c;
}

/// The largest |x| in an expression, or infinity if any value is NaN (xt::amax skips a NaN that is
/// not last, so a check built on it could pass a NaN).
inline double largest_abs(const auto& e) {
    const xt::xarray<double> v = xt::cast<double>(e);
    double worst = 0;
    for (const double x : v) {
        if (std::isnan(x)) return std::numeric_limits<double>::infinity();
        worst = std::max(worst, std::abs(x));
    }
    return worst;
}

inline std::string str(const auto& v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

/// Gradients from the backward of y's node (kept with retain_graph) at operand values `in` in place
/// of the recorded ones, for upstream g: what a backward at other values gives (an op that keeps
/// state from its forward must not use it there).
inline std::vector<Tensor> backward_at(const Tensor& y, const std::vector<Array>& in, const Tensor& g) {
    std::vector<const Array*> ptrs;
    for (const auto& a : in) ptrs.push_back(&a);
    const auto& operands = y.grad_fn()->inputs();
    std::unique_ptr<bool[]> needs(new bool[in.size()]);
    for (std::size_t i = 0; i < in.size(); ++i) needs[i] = operands.at(i).requires_grad();
    Grads grads = y.grad_fn()->backward(Array(g.array()), Inputs(ptrs), y.array(), {needs.get(), in.size()});
    std::vector<Tensor> out;
    for (auto& a : grads) out.push_back(a ? Tensor(std::move(*a)) : Tensor());
    return out;
}

/// True when the two tensors hold the same bits (float32 or float64), shapes included.
inline bool same_bits(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
    return visit_float(a.array(), [&](const auto& x) {
        using T = typename std::decay_t<decltype(x)>::value_type;
        const auto& y = get<T>(b.array());
        return std::equal(x.begin(), x.end(), y.begin(), [](T u, T v) { return std::memcmp(&u, &v, sizeof(T)) == 0; });
    });
}

}  // namespace xgrad::test

/// Checks that gradcheck passes, printing its report when it does not.
#define CHECK_GRADCHECK(fn, ...)                                         \
    do {                                                                 \
        auto gc_result_ = ::xgrad::gradcheck(fn, __VA_ARGS__);           \
        INFO(gc_result_);                                                \
        CHECK(gc_result_.ok);                                            \
    } while (0)

/// Values of a tensor equal (within tolerance) the expected array, shapes included.
#define CHECK_VALUES(t, expected)                                                   \
    do {                                                                            \
        auto got_ = ::xgrad::test::values(t);                                       \
        xt::xarray<double> want_ = (expected);                                      \
        INFO("got " << ::xgrad::test::str(t));                                      \
        CHECK(got_.shape() == want_.shape());                                       \
        CHECK((got_.shape() == want_.shape() && xt::allclose(got_, want_, 1e-6, 1e-6))); \
    } while (0)
