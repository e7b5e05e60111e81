#include "ops/elementwise.hpp"

#include <xtensor/xmath.hpp>

#include "ops/common.hpp"

namespace xgrad {

using detail::sum_to;
using detail::pointwise;
using detail::value_t;

namespace {

// A broadcasting binary op: checks the shapes, then f computes the values; da(c) and db(c)
// give the operands' gradients at the broadcast shape, summed back here to each operand's shape.
template <class F, class DA, class DB>
Tensor binary(std::string name, const Tensor& a, const Tensor& b, F f, DA da, DB db) {
    detail::broadcast_shapes(name, a.shape(), b.shape());
    return apply(std::move(name), {a, b},
        [f](Inputs in) { return map(in[0], in[1], f); },
        [da, db](const BackwardArgs& c) -> Grads {
            Grads out(2);
            if (c.needs[0]) out[0] = sum_to(da(c), shape_of(c.in[0]));
            if (c.needs[1]) out[1] = sum_to(db(c), shape_of(c.in[1]));
            return out;
        });
}

// a + b or a - b: the gradient reaches a as it is (its own buffer when the engine lends it) and b
// as g or -g, each summed back to the operand's shape.
Tensor add_or_sub(std::string name, const Tensor& a, const Tensor& b, bool subtract) {
    detail::broadcast_shapes(name, a.shape(), b.shape());
    return detail::apply_owning(std::move(name), {a, b},
        [subtract](Inputs in) {
            return subtract ? map(in[0], in[1], [](const auto& x, const auto& y) { return x - y; })
                            : map(in[0], in[1], [](const auto& x, const auto& y) { return x + y; });
        },
        [subtract](Array&& g, const detail::OwnedGradArgs& c) -> Grads {
            Grads out(2);
            if (c.needs[1])
                out[1] = subtract ? sum_to(map(g, [](const auto& v) { return -v; }), shape_of(c.in[1]))
                                  : sum_to(std::as_const(g), shape_of(c.in[1]));
            if (c.needs[0]) out[0] = sum_to(std::move(g), shape_of(c.in[0]));
            return out;
        });
}

Tensor scalar_like(const Tensor& t, double v) { return Tensor::scalar(v, {.dtype = t.dtype()}); }

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
    // d(a+b) = (g, g)
    return add_or_sub("add", a, b, false);
}

Tensor sub(const Tensor& a, const Tensor& b) {
    // d(a-b) = (g, -g)
    return add_or_sub("sub", a, b, true);
}

Tensor mul(const Tensor& a, const Tensor& b) {
    // d(a*b) = (g*b, g*a), at the broadcast shape
    return binary("mul", a, b, [](const auto& x, const auto& y) { return x * y; },
        [](const BackwardArgs& c) { return map(c.grad, c.in[1], [](const auto& g, const auto& y) { return g * y; }); },
        [](const BackwardArgs& c) { return map(c.grad, c.in[0], [](const auto& g, const auto& x) { return g * x; }); });
}

Tensor div(const Tensor& a, const Tensor& b) {
    // d(a/b) = (g/b, -g*a/b^2)
    return binary("div", a, b, [](const auto& x, const auto& y) { return x / y; },
        [](const BackwardArgs& c) { return map(c.grad, c.in[1], [](const auto& g, const auto& y) { return g / y; }); },
        [](const BackwardArgs& c) {
            return map(c.grad, c.in[0], c.in[1], [](const auto& g, const auto& x, const auto& y) { return -g * x / (y * y); });
        });
}

Tensor neg(const Tensor& x) {
    return pointwise("neg", x, [](auto v) { return -v; },
        // d(-x) = -g
        [](auto g, auto, auto) { return -g; });
}

Tensor pow(const Tensor& x, double exponent) {
    return pointwise("pow", x, [exponent](auto v) { return detail::power(v, exponent); },
        // d(x^p) = g p x^(p-1), and 0 for p = 0 (as PyTorch) even where x^-1 is infinite
        [exponent](auto g, auto v, auto) {
            using T = decltype(v);
            return exponent == 0 ? T(0) : g * static_cast<T>(exponent) * detail::power(v, exponent - 1);
        });
}

Tensor exp(const Tensor& x) {
    return pointwise("exp", x, [](auto v) { return std::exp(v); },
        // d(e^x) = g e^x
        [](auto g, auto, auto y) { return g * y; });
}

Tensor log(const Tensor& x) {
    return pointwise("log", x, [](auto v) { return std::log(v); },
        // d(ln x) = g / x
        [](auto g, auto v, auto) { return g / v; });
}

Tensor sqrt(const Tensor& x) {
    return pointwise("sqrt", x, [](auto v) { return std::sqrt(v); },
        // d(sqrt x) = g / (2 sqrt x)
        [](auto g, auto, auto y) { return g / (decltype(y)(2) * y); });
}

Tensor abs(const Tensor& x) {
    return pointwise("abs", x, [](auto v) { return std::abs(v); },
        // d|x| = g sign(x), with sign 0 at 0 and at NaN (as PyTorch)
        [](auto g, auto v, auto) { return g * decltype(v)((v > 0) - (v < 0)); });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }

}  // namespace xgrad
