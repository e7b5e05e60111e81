#include "ops/elementwise.hpp"

#include <limits>

#include <xtensor/xmath.hpp>

#include "ops/common.hpp"

namespace xgrad {

using detail::broadcast_values;
using detail::pointwise;
using detail::promoted;
using detail::sum_to;
using detail::value_t;

namespace {

// The result of an op of int64 or bool operands (after promotion): computed in one pass with
// broadcasting, never recorded (such a result cannot require a gradient).
template <class R, class F>
Tensor exact_binary(const std::string& name, const Tensor& a, const Tensor& b, F f) {
    const Shape out = detail::broadcast_shapes(name, a.shape(), b.shape());
    return Tensor(broadcast_values<R>(a.array(), b.array(), out, f));
}

// f(x, y) over two floating arrays of one dtype: plain loops when the shapes are equal or one side
// is a single element that broadcasts (the common cases: 4x faster than xtensor's broadcasting
// assignment on small tensors), xtensor's broadcasting otherwise.
template <class F>
Array fast_map(const Array& a, const Array& b, F f) {
    return visit_float(a, [&](const auto& x) -> Array {
        using T = value_t<decltype(x)>;
        const auto& y = get<T>(b);
        const Shape& sx = x.shape();
        const Shape& sy = y.shape();
        const bool same = sx == sy;
        const bool y_one = !same && y.size() == 1 && sy.size() <= sx.size();
        const bool x_one = !same && !y_one && x.size() == 1 && sx.size() <= sy.size();
        // y one row that every row of x meets: a bias (..., n) + (n)
        const bool y_row = !same && !y_one && !x_one && sy.size() == 1 && !sx.empty() && sx.back() == sy[0];
        if (!same && !y_one && !x_one && !y_row) return map(a, b, f);
        Array result(std::in_place_type<Values<T>>, x_one ? sy : sx);  // built in place: no Array move
        Values<T>& out = std::get<Values<T>>(result);
        const T* xp = x.data();
        const T* yp = y.data();
        T* o = out.data();
        const std::size_t n = out.size();
        if (same) {
            for (std::size_t i = 0; i < n; ++i) o[i] = f(xp[i], yp[i]);
        } else if (y_one) {
            const T v = yp[0];
            for (std::size_t i = 0; i < n; ++i) o[i] = f(xp[i], v);
        } else if (y_row) {
            const std::size_t cols = sy[0];
            for (std::size_t r = 0; cols && r < n / cols; ++r)
                for (std::size_t k = 0; k < cols; ++k) o[r * cols + k] = f(xp[r * cols + k], yp[k]);
        } else {
            const T v = xp[0];
            for (std::size_t i = 0; i < n; ++i) o[i] = f(v, yp[i]);
        }
        return result;
    });
}

// A broadcasting binary op of floating operands: f computes the values; da(c) and db(c) give
// the operands' gradients at the broadcast shape, summed back here to each operand's shape.
template <class F, class DA, class DB>
Tensor binary(std::string name, const Tensor& a, const Tensor& b, F f, DA da, DB db) {
    detail::broadcast_shapes(name, a.shape(), b.shape());
    return apply(std::move(name), {a, b},
        [f](Inputs in) { return fast_map(in[0], in[1], f); },
        [da, db](const BackwardArgs& c) -> Grads {
            Grads out(2);
            if (c.needs[0]) out[0] = sum_to(da(c), shape_of(c.in[0]));
            if (c.needs[1]) out[1] = sum_to(db(c), shape_of(c.in[1]));
            return out;
        });
}

// A broadcasting binary op by element functions (no lazy xtensor): f(x, y) the value,
// dx(g, x, y, out) and dy(g, x, y, out) the gradient elements at the broadcast shape.
template <class F, class DX, class DY>
Tensor elementwise2(std::string name, const Tensor& a, const Tensor& b, F f, DX dx, DY dy) {
    const Shape shape = detail::broadcast_shapes(name, a.shape(), b.shape());
    return apply(std::move(name), {a, b},
        [f, shape](Inputs in) {
            return visit_float(in[0], [&](const auto& x) -> Array {
                using T = value_t<decltype(x)>;
                return broadcast_values<T>(in[0], in[1], shape, [&](T u, T v) { return f(u, v); });
            });
        },
        [dx, dy, shape](const BackwardArgs& c) -> Grads {
            return visit_float(c.grad, [&](const auto& g) -> Grads {
                using T = value_t<decltype(g)>;
                const T* xp = get<T>(c.in[0]).data();
                const T* yp = get<T>(c.in[1]).data();
                const T* op = get<T>(c.out).data();
                const T* gp = g.data();
                Values<T> gx, gy;
                if (c.needs[0]) gx = Values<T>::from_shape(shape);
                if (c.needs[1]) gy = Values<T>::from_shape(shape);
                detail::for_each_broadcast(shape, shape_of(c.in[0]), shape_of(c.in[1]),
                    [&](std::size_t i, std::size_t ia, std::size_t ib) {
                        if (c.needs[0]) gx.data()[i] = dx(gp[i], xp[ia], yp[ib], op[i]);
                        if (c.needs[1]) gy.data()[i] = dy(gp[i], xp[ia], yp[ib], op[i]);
                    });
                Grads out(2);
                if (c.needs[0]) out[0] = sum_to(Array(std::move(gx)), shape_of(c.in[0]));
                if (c.needs[1]) out[1] = sum_to(Array(std::move(gy)), shape_of(c.in[1]));
                return out;
            });
        });
}

// a + b or a - b: the gradient reaches a as it is (its own buffer when the engine lends it) and b
// as g or -g, each summed back to the operand's shape.
Tensor add_or_sub(std::string name, const Tensor& a, const Tensor& b, bool subtract) {
    detail::broadcast_shapes(name, a.shape(), b.shape());
    return detail::apply_owning(std::move(name), {a, b},
        [subtract](Inputs in) {
            return subtract ? fast_map(in[0], in[1], [](const auto& x, const auto& y) { return x - y; })
                            : fast_map(in[0], in[1], [](const auto& x, const auto& y) { return x + y; });
        },
        [subtract](Array&& g, const detail::OwnedGradArgs& c) -> Grads {
            Grads out(2);
            if (c.needs[1])
                out[1] = subtract ? sum_to(map(g, [](const auto& v) { return -v; }), shape_of(c.in[1]))
                                  : sum_to(std::as_const(g), shape_of(c.in[1]));
            if (c.needs[0]) {
                if (shape_of(g) == shape_of(c.in[0])) out[0].emplace(std::move(g));  // one Array move, not two
                else out[0] = sum_to(std::move(g), shape_of(c.in[0]));
            }
            return out;
        });
}

// An integer result of add, sub or mul: int64 arithmetic (wrapping as PyTorch's), bool as or/and.
template <class F>
Tensor exact_arithmetic(const std::string& name, const Tensor& x, const Tensor& y, F f) {
    if (x.dtype() == Dtype::boolean) return exact_binary<bool>(name, x, y, [&](bool u, bool v) { return f(u, v) != 0; });
    return exact_binary<std::int64_t>(name, x, y, [&](std::int64_t u, std::int64_t v) {
        return static_cast<std::int64_t>(f(static_cast<std::uint64_t>(u), static_cast<std::uint64_t>(v)));
    });
}

// a comparison: both operands promoted, then compared elementwise into bool
template <class F>
Tensor compare(const char* name, const Tensor& a, const Tensor& b, F f) {
    Tensor x, y;
    std::tie(x, y) = promoted(a, b);
    const Shape out = detail::broadcast_shapes(name, x.shape(), y.shape());
    return Tensor(visit_any(x.array(), [&](const auto& xv) -> Array {
        using T = value_t<decltype(xv)>;
        return broadcast_values<bool>(x.array(), y.array(), out, [&](T u, T v) { return f(u, v); });
    }));
}

// a logical op on the truth of each element
template <class F>
Tensor logical(const char* name, const Tensor& a, const Tensor& b, F f) {
    const Shape out = detail::broadcast_shapes(name, a.shape(), b.shape());
    const Tensor x = a.to(Dtype::boolean), y = b.to(Dtype::boolean);
    return Tensor(broadcast_values<bool>(x.array(), y.array(), out, f));
}

// An int64 result of a unary op that PyTorch keeps integral (abs, neg, sign, square).
template <class F>
Tensor exact_unary(const Tensor& x, F f) {
    Values<std::int64_t> out = get<std::int64_t>(x.array());
    for (auto& v : out) v = f(v);
    return Tensor(std::move(out));
}

void refuse_bool(const char* op, const Tensor& x, const char* remedy) {
    if (x.dtype() == Dtype::boolean) throw DtypeError(std::string(op) + ": not defined for bool tensors (" + remedy + ")");
}

}  // namespace

Dtype result_type(const Tensor& a, const Tensor& b) { return detail::result_type(a, b); }

Tensor detail::scalar_operand(const Tensor& t, double value, bool integral) {
    const Dtype d = t.is_floating_point() ? t.dtype() : integral ? Dtype::int64 : Dtype::float32;
    return Tensor::scalar(value, {.dtype = d});
}

Tensor add(const Tensor& a, const Tensor& b) {
    if (a.dtype() == b.dtype() && a.is_floating_point()) return add_or_sub("add", a, b, false);  // nothing to promote
    Tensor x, y;
    std::tie(x, y) = promoted(a, b);
    if (!x.is_floating_point()) return exact_arithmetic("add", x, y, [](auto u, auto v) { return u + v; });
    // d(a+b) = (g, g)
    return add_or_sub("add", x, y, false);
}

Tensor sub(const Tensor& a, const Tensor& b) {
    if (a.dtype() == b.dtype() && a.is_floating_point()) return add_or_sub("sub", a, b, true);
    Tensor x, y;
    std::tie(x, y) = promoted(a, b);
    if (x.dtype() == Dtype::boolean)
        throw DtypeError("sub: subtraction of two bool tensors is not defined: " + describe(a) + " vs " + describe(b) +
                         " (use logical_xor, or convert with .to(int64))");
    if (!x.is_floating_point()) return exact_arithmetic("sub", x, y, [](auto u, auto v) { return u - v; });
    // d(a-b) = (g, -g)
    return add_or_sub("sub", x, y, true);
}

Tensor mul(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || !a.is_floating_point()) {
        Tensor x, y;
        std::tie(x, y) = promoted(a, b);
        if (!x.is_floating_point()) return exact_arithmetic("mul", x, y, [](auto u, auto v) { return u * v; });
        return mul(x, y);
    }
    // d(a*b) = (g*b, g*a), at the broadcast shape
    return binary("mul", a, b, [](const auto& p, const auto& q) { return p * q; },
        [](const BackwardArgs& c) { return fast_map(c.grad, c.in[1], [](const auto& g, const auto& q) { return g * q; }); },
        [](const BackwardArgs& c) { return fast_map(c.grad, c.in[0], [](const auto& g, const auto& p) { return g * p; }); });
}

Tensor div(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || !a.is_floating_point()) {
        Tensor x, y;
        std::tie(x, y) = promoted(a, b);
        if (!x.is_floating_point()) x = x.to(Dtype::float32), y = y.to(Dtype::float32);  // true division
        return div(x, y);
    }
    // d(a/b) = (g/b, -g*a/b^2)
    return binary("div", a, b, [](const auto& p, const auto& q) { return p / q; },
        [](const BackwardArgs& c) { return fast_map(c.grad, c.in[1], [](const auto& g, const auto& q) { return g / q; }); },
        [](const BackwardArgs& c) {
            return map(c.grad, c.in[0], c.in[1], [](const auto& g, const auto& p, const auto& q) { return -g * p / (q * q); });
        });
}

Tensor neg(const Tensor& x) {
    refuse_bool("neg", x, "use logical_not or ~");
    if (x.dtype() == Dtype::int64) return exact_unary(x, [](std::int64_t v) { return static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v)); });
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

Tensor pow(const Tensor& x, const Tensor& exponent) {
    Tensor b, e;
    std::tie(b, e) = promoted(x, exponent);
    if (!b.is_floating_point()) b = b.to(Dtype::float32), e = e.to(Dtype::float32);
    return elementwise2("pow", b, e, [](auto u, auto v) { return std::pow(u, v); },
        // dx = g y x^(y-1), 0 where y = 0
        [](auto g, auto u, auto v, auto) { return v == 0 ? decltype(g)(0) : g * v * std::pow(u, v - 1); },
        // dy = g x^y ln x, 0 where x = 0 and y >= 0
        [](auto g, auto u, auto v, auto y) { return u == 0 && v >= 0 ? decltype(g)(0) : g * y * std::log(u); });
}

Tensor exp(const Tensor& x) {
    return pointwise("exp", x, [](auto v) { return detail::exp_of(v); },
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

Tensor rsqrt(const Tensor& x) {
    return pointwise("rsqrt", x, [](auto v) { return decltype(v)(1) / std::sqrt(v); },
        // d(x^-1/2) = -g y³ / 2
        [](auto g, auto, auto y) { return decltype(y)(-0.5) * g * y * y * y; });
}

Tensor abs(const Tensor& x) {
    refuse_bool("abs", x, "convert with .to(int64)");
    if (x.dtype() == Dtype::int64) return exact_unary(x, [](std::int64_t v) { return v < 0 ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v)) : v; });
    return pointwise("abs", x, [](auto v) { return std::abs(v); },
        // d|x| = g sign(x), with sign 0 at 0 and at NaN (as PyTorch)
        [](auto g, auto v, auto) { return g * decltype(v)((v > 0) - (v < 0)); });
}

Tensor sign(const Tensor& x) {
    if (x.dtype() == Dtype::boolean) return x.detach();
    if (x.dtype() == Dtype::int64) return exact_unary(x, [](std::int64_t v) { return std::int64_t{(v > 0) - (v < 0)}; });
    return pointwise("sign", x, [](auto v) { return decltype(v)((v > 0) - (v < 0)); },  // 0 at NaN, as PyTorch
        // flat wherever it is differentiable
        [](auto g, auto, auto) { return decltype(g)(0); });
}

Tensor sin(const Tensor& x) {
    return pointwise("sin", x, [](auto v) { return std::sin(v); },
        // d(sin x) = g cos x
        [](auto g, auto v, auto) { return g * std::cos(v); });
}

Tensor cos(const Tensor& x) {
    return pointwise("cos", x, [](auto v) { return std::cos(v); },
        // d(cos x) = -g sin x
        [](auto g, auto v, auto) { return -g * std::sin(v); });
}

Tensor square(const Tensor& x) {
    if (x.dtype() == Dtype::boolean) return square(x.to(Dtype::int64));
    if (x.dtype() == Dtype::int64) return exact_unary(x, [](std::int64_t v) { return static_cast<std::int64_t>(static_cast<std::uint64_t>(v) * static_cast<std::uint64_t>(v)); });
    return pointwise("square", x, [](auto v) { return v * v; },
        // d(x²) = 2 g x
        [](auto g, auto v, auto) { return decltype(v)(2) * g * v; });
}

Tensor log1p(const Tensor& x) {
    return pointwise("log1p", x, [](auto v) { return std::log1p(v); },
        // d ln(1 + x) = g / (1 + x)
        [](auto g, auto v, auto) { return g / (decltype(v)(1) + v); });
}

Tensor expm1(const Tensor& x) {
    return pointwise("expm1", x, [](auto v) { return detail::expm1_of(v); },
        // d(e^x - 1) = g (y + 1)
        [](auto g, auto, auto y) { return g * (y + decltype(y)(1)); });
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
    if (!min && !max) throw std::invalid_argument("clamp: at least one of min and max must be given");
    if ((min && std::isnan(*min)) || (max && std::isnan(*max))) throw std::invalid_argument("clamp: a bound is NaN");
    const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
    if (!x.is_floating_point()) {
        if (std::floor(lo) != lo && std::isfinite(lo)) return clamp(x.to(Dtype::float32), min, max);
        if (std::floor(hi) != hi && std::isfinite(hi)) return clamp(x.to(Dtype::float32), min, max);
        // integral bounds, saturated to int64's range; min(max(v, lo), hi) as PyTorch (lo > hi gives hi)
        auto bound = [](double b) {
            if (b <= -0x1p63) return std::numeric_limits<std::int64_t>::min();
            if (b >= 0x1p63) return std::numeric_limits<std::int64_t>::max();
            return static_cast<std::int64_t>(b);
        };
        const std::int64_t ilo = bound(lo), ihi = bound(hi);
        return exact_unary(x.to(Dtype::int64), [ilo, ihi](std::int64_t v) { return std::min(std::max(v, ilo), ihi); });
    }
    return pointwise("clamp", x,
        [lo, hi](auto v) {
            using T = decltype(v);
            return std::isnan(v) ? v : std::min(std::max(v, static_cast<T>(lo)), static_cast<T>(hi));
        },
        // the gradient passes where min <= x <= max
        [lo, hi](auto g, auto v, auto) { return v >= lo && v <= hi ? g : decltype(g)(0); });
}

namespace {
// maximum and minimum: `pick(u, v)` says u wins; NaN wins over anything; ties split the gradient.
template <class Pick>
Tensor extremum(const char* name, const Tensor& a, const Tensor& b, Pick pick) {
    Tensor x, y;
    std::tie(x, y) = promoted(a, b);
    if (!x.is_floating_point())
        return x.dtype() == Dtype::boolean
                   ? exact_binary<bool>(name, x, y, [&](bool u, bool v) { return pick(u, v) ? u : v; })
                   : exact_binary<std::int64_t>(name, x, y, [&](std::int64_t u, std::int64_t v) { return pick(u, v) ? u : v; });
    return elementwise2(name, x, y,
        [pick](auto u, auto v) { return std::isnan(u) || std::isnan(v) ? u + v : pick(u, v) ? u : v; },
        [pick](auto g, auto u, auto v, auto) { return u == v ? g / 2 : pick(u, v) ? g : decltype(g)(0); },
        [pick](auto g, auto u, auto v, auto) { return u == v ? g / 2 : pick(v, u) ? g : decltype(g)(0); });
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
    return extremum("maximum", a, b, [](auto u, auto v) { return u > v; });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
    return extremum("minimum", a, b, [](auto u, auto v) { return u < v; });
}

Tensor eq(const Tensor& a, const Tensor& b) { return compare("eq", a, b, [](auto u, auto v) { return u == v; }); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare("ne", a, b, [](auto u, auto v) { return u != v; }); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare("lt", a, b, [](auto u, auto v) { return u < v; }); }
Tensor le(const Tensor& a, const Tensor& b) { return compare("le", a, b, [](auto u, auto v) { return u <= v; }); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare("gt", a, b, [](auto u, auto v) { return u > v; }); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare("ge", a, b, [](auto u, auto v) { return u >= v; }); }

Tensor logical_and(const Tensor& a, const Tensor& b) { return logical("logical_and", a, b, [](bool u, bool v) { return u && v; }); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return logical("logical_or", a, b, [](bool u, bool v) { return u || v; }); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return logical("logical_xor", a, b, [](bool u, bool v) { return u != v; }); }
Tensor logical_not(const Tensor& x) {
    Values<bool> out = x.to(Dtype::boolean).data<bool>();
    for (auto& v : out) v = !v;
    return Tensor(std::move(out));
}

namespace {
void require_bools(const char* op, const Tensor& a, const Tensor& b, const char* instead) {
    if (a.dtype() != Dtype::boolean || b.dtype() != Dtype::boolean)
        throw DtypeError(std::string("operator") + op + ": takes bool tensors, got " + describe(a) + " vs " + describe(b) +
                         " (use " + instead + ", which takes any dtype)");
}
}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator&(const Tensor& a, const Tensor& b) {
    require_bools("&", a, b, "logical_and");
    return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
    require_bools("|", a, b, "logical_or");
    return logical_or(a, b);
}
Tensor operator^(const Tensor& a, const Tensor& b) {
    require_bools("^", a, b, "logical_xor");
    return logical_xor(a, b);
}
Tensor operator~(const Tensor& x) {
    if (x.dtype() != Dtype::boolean) throw DtypeError("operator~: takes a bool tensor, got " + describe(x) + " (use logical_not)");
    return logical_not(x);
}

}  // namespace xgrad
