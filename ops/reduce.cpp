#include "ops/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape.hpp"

namespace xgrad {

using detail::AxisSplit;
using detail::reduced_shape;
using detail::split_axis;
using detail::value_t;

namespace {

// Integer arithmetic wraps, as PyTorch's (signed overflow would be undefined behaviour).
template <class T>
T wrapping_add(T a, T b) {
    if constexpr (std::is_same_v<T, std::int64_t>) return static_cast<T>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
    else return a + b;
}
template <class T>
T wrapping_mul(T a, T b) {
    if constexpr (std::is_same_v<T, std::int64_t>) return static_cast<T>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
    else return static_cast<T>(a * b);
}

// The axes as a sorted set in [0, ndim); all of them when `axes` is empty and `empty_is_all`.
std::vector<std::size_t> axis_set(std::string_view op, const std::vector<int>& axes, const Shape& shape, bool empty_is_all) {
    std::vector<std::size_t> out;
    if (axes.empty() && empty_is_all) {
        out.resize(shape.size());
        std::iota(out.begin(), out.end(), std::size_t{0});
        return out;
    }
    for (int a : axes) out.push_back(detail::normalize_axis(op, a, shape));
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end())
        throw std::invalid_argument(std::string(op) + ": an axis appears twice in the list for shape " + shape_str(shape));
    return out;
}

// The shape with the axes kept as extent 1, and the one without them.
Shape kept_shape(const Shape& shape, const std::vector<std::size_t>& axes) {
    Shape s = shape;
    for (auto a : axes) s[a] = 1;
    return s;
}
Shape dropped_shape(const Shape& shape, const std::vector<std::size_t>& axes) {
    Shape s;
    for (std::size_t d = 0; d < shape.size(); ++d)
        if (!std::binary_search(axes.begin(), axes.end(), d)) s.push_back(shape[d]);
    return s;
}
std::vector<std::int64_t> request(const Shape& s) { return {s.begin(), s.end()}; }

// Σ over the axes (to the kept shape) of any numeric dtype; bool is summed as int64.
Array sum_kept(const Array& a, const Shape& keep) {
    if (dtype_of_array(a) == Dtype::boolean) return detail::sum_to(cast(a, Dtype::int64), keep);
    return detail::sum_to(a, keep);
}

// g (of the kept shape) copied out to `shape`, times scale
Array spread(const Array& g, const Shape& keep, const Shape& shape, double scale) {
    return visit_float(g, [&](const auto& gv) -> Array {
        using T = value_t<decltype(gv)>;
        Values<T> out = Values<T>::from_shape(shape);
        const T* src = gv.data();
        const auto k = static_cast<T>(scale);
        detail::for_each_broadcast(shape, keep, shape, [&](std::size_t i, std::size_t ig, std::size_t) { out.data()[i] = src[ig] * k; });
        return out;
    });
}

Tensor sum_axes(const char* name, const Tensor& x, std::vector<std::size_t> axes, bool keepdims, bool mean) {
    if (mean && !x.is_floating_point())
        throw DtypeError(std::string(name) + ": takes a floating-point tensor, got " + describe(x) + " (convert it with .to(float32))");
    const Shape keep = kept_shape(x.shape(), axes);
    const Shape out = keepdims ? keep : dropped_shape(x.shape(), axes);
    double count = 1;
    for (auto a : axes) count *= static_cast<double>(x.shape()[a]);
    const double scale = mean ? 1.0 / count : 1.0;
    return apply(name, {x},
        [keep, out, scale](Inputs in) {
            Array s = sum_kept(in[0], keep);
            if (scale != 1.0) visit_float(s, [&](auto& v) { for (auto& e : v) e = static_cast<value_t<decltype(v)>>(e * scale); });
            return detail::reshaped(std::move(s), out);
        },
        // the gradient is copied along the summed axes (divided by their size for the mean)
        [keep, scale](const BackwardArgs& c) -> Grads { return make_grads(spread(c.grad, keep, shape_of(c.in[0]), scale)); });
}

// Σ (or the mean of) all elements of a floating tensor: the loss's reduction, kept to one pass and
// a fill (per-op cost matters for small graphs: docs/performance.md)
Tensor sum_all(const char* name, const Tensor& x, bool mean) {
    return apply(name, {x},
        [mean](Inputs in) {
            return visit_float(in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                double acc = detail::sum_in_double(v.data(), v.size());
                if (mean) acc /= static_cast<double>(v.size());
                return Values<T>(static_cast<T>(acc));
            });
        },
        // d(sum) = g everywhere; d(mean) = g / count
        [mean](const BackwardArgs& c) -> Grads {
            Grads out(1);
            visit_float(c.grad, [&](const auto& g) {
                using T = value_t<decltype(g)>;
                const Shape& shape = shape_of(c.in[0]);
                double n = 1;
                for (auto d : shape) n *= static_cast<double>(d);
                // built in its slot: the tiny-graph rows pay ~400 instructions per Array move
                out[0].emplace(std::in_place_type<Values<T>>, shape);
                std::get<Values<T>>(*out[0]).fill(mean ? static_cast<T>(*g.begin() / n) : *g.begin());
            });
            return out;
        });
}

// x with the axes moved last and merged into one: (kept..., m), so that a one-axis kernel reduces
// several axes at once; `finish` reshapes the reduced result to the kept or dropped shape.
Tensor merge_axes_last(const Tensor& x, const std::vector<std::size_t>& axes) {
    std::vector<int> perm;
    std::vector<std::int64_t> shape;
    std::int64_t m = 1;
    for (std::size_t d = 0; d < x.dim(); ++d)
        if (!std::binary_search(axes.begin(), axes.end(), d)) perm.push_back(static_cast<int>(d)), shape.push_back(static_cast<std::int64_t>(x.shape()[d]));
    for (auto a : axes) perm.push_back(static_cast<int>(a)), m *= static_cast<std::int64_t>(x.shape()[a]);
    shape.push_back(m);
    bool identity = true;
    for (std::size_t k = 0; k < perm.size(); ++k) identity = identity && perm[k] == static_cast<int>(k);
    return reshape(identity ? x : permute(x, perm), shape);
}

// A one-axis reduction applied over several axes (or all of them: axes empty and `all`).
template <class One>
Tensor over_axes(const char* name, const Tensor& x, const std::vector<int>& axes, bool keepdims, bool all, One one) {
    const auto set = axis_set(name, axes, x.shape(), all);
    if (x.dim() == 0) return one(reshape(x, {1}), 0, false).reshape({});
    if (set.size() == 1) return one(x, static_cast<int>(set[0]), keepdims);
    const Tensor r = one(merge_axes_last(x, set), -1, false);
    return reshape(r, request(keepdims ? kept_shape(x.shape(), set) : dropped_shape(x.shape(), set)));
}

void refuse_empty(const char* name, const Tensor& x, std::size_t axis) {
    if (x.shape()[axis] == 0)
        throw std::invalid_argument(std::string(name) + ": cannot reduce over axis " + std::to_string(axis) +
                                    " of extent 0 in shape " + shape_str(x.shape()));
}

// Index of the first extreme element of each (o, :, i) slice; NaN counts as the extreme.
template <class T, class Better>
std::vector<std::size_t> arg_axis(const Values<T>& x, const AxisSplit& s, Better better) {
    std::vector<std::size_t> idx(s.outer * s.inner, 0);
    const T* src = x.data();
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t i = 0; i < s.inner; ++i) {
            std::size_t best = 0;
            T bv = src[o * s.n * s.inner + i];
            for (std::size_t k = 1; k < s.n; ++k) {
                if constexpr (std::is_floating_point_v<T>)
                    if (std::isnan(bv)) break;
                T v = src[(o * s.n + k) * s.inner + i];
                bool nan = false;
                if constexpr (std::is_floating_point_v<T>) nan = std::isnan(v);
                if (better(v, bv) || nan) bv = v, best = k;
            }
            idx[o * s.inner + i] = best;
        }
    return idx;
}

// max or min over one axis; the gradient goes to the first extreme element of each slice.
template <class Better>
Tensor extreme_axis(const char* name, const Tensor& x, int axis, bool keepdims, Better better) {
    const std::size_t ax = detail::normalize_axis(name, axis, x.shape());
    refuse_empty(name, x, ax);
    return apply(name, {x},
        [ax, keepdims, better](Inputs in) {
            return visit_any(in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const AxisSplit s = split_axis(v.shape(), ax);
                auto idx = arg_axis(v, s, better);
                Values<T> out = Values<T>::from_shape(reduced_shape(v.shape(), ax, keepdims));
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t i = 0; i < s.inner; ++i)
                        out.data()[o * s.inner + i] = v.data()[(o * s.n + idx[o * s.inner + i]) * s.inner + i];
                return out;
            });
        },
        // the gradient goes to the first extreme element of each slice, 0 elsewhere
        [ax, better](const BackwardArgs& c) -> Grads {
            return make_grads(visit_float(c.in[0], [&](const auto& x_) -> Array {
                using T = value_t<decltype(x_)>;
                const AxisSplit s = split_axis(x_.shape(), ax);
                auto idx = arg_axis(x_, s, better);
                const T* g = get<T>(c.grad).data();
                Values<T> out = xt::zeros<T>(x_.shape());
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t i = 0; i < s.inner; ++i)
                        out.data()[(o * s.n + idx[o * s.inner + i]) * s.inner + i] = g[o * s.inner + i];
                return out;
            }));
        });
}

constexpr auto greater = [](auto a, auto b) { return a > b; };
constexpr auto less = [](auto a, auto b) { return a < b; };

template <class Better>
Tensor arg_of(const char* name, const Tensor& x, int axis, bool keepdims, Better better) {
    const std::size_t ax = detail::normalize_axis(name, axis, x.shape());
    refuse_empty(name, x, ax);
    return Tensor(visit_any(x.array(), [&](const auto& v) -> Array {
        auto idx = arg_axis(v, split_axis(v.shape(), ax), better);
        Values<std::int64_t> out = Values<std::int64_t>::from_shape(reduced_shape(v.shape(), ax, keepdims));
        std::copy(idx.begin(), idx.end(), out.begin());
        return out;
    }));
}

// Π over one axis; d/dx_k = Π_{j≠k} x_j, computed without dividing (right at zeros).
Tensor prod_axis(const Tensor& x, int axis, bool keepdims) {
    const std::size_t ax = detail::normalize_axis("prod", axis, x.shape());
    const Tensor in = x.dtype() == Dtype::boolean ? x.to(Dtype::int64) : x;
    return apply("prod", {in},
        [ax, keepdims](Inputs a) {
            return visit_any(a[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const AxisSplit s = split_axis(v.shape(), ax);
                Values<T> out = Values<T>::from_shape(reduced_shape(v.shape(), ax, keepdims));
                std::fill(out.begin(), out.end(), T(1));
                if (v.size() == 0) return out;  // nothing to multiply: no steps along a (2, 2^40, 0) axis
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t k = 0; k < s.n; ++k)
                        for (std::size_t i = 0; i < s.inner; ++i) {
                            T& r = out.data()[o * s.inner + i];
                            r = wrapping_mul(r, v.data()[(o * s.n + k) * s.inner + i]);
                        }
                return out;
            });
        },
        // prefix and suffix products around each element
        [ax](const BackwardArgs& c) -> Grads {
            return make_grads(visit_float(c.in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const AxisSplit s = split_axis(v.shape(), ax);
                const T* g = get<T>(c.grad).data();
                Values<T> out = Values<T>::from_shape(v.shape());
                if (out.size() == 0) return out;  // (0, 2^40): no prefix products of 2^40 entries
                std::vector<T> before(s.n);
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t i = 0; i < s.inner; ++i) {
                        auto at = [&](std::size_t k) { return (o * s.n + k) * s.inner + i; };
                        T run = 1;
                        for (std::size_t k = 0; k < s.n; ++k) before[k] = run, run *= v.data()[at(k)];
                        run = 1;
                        for (std::size_t k = s.n; k-- > 0;) {
                            out.data()[at(k)] = g[o * s.inner + i] * before[k] * run;
                            run *= v.data()[at(k)];
                        }
                    }
                return out;
            }));
        });
}

// log Σ e^x over one axis, max-shifted; an all -inf slice gives -inf, a +inf element +inf.
Tensor logsumexp_axis(const Tensor& x, int axis, bool keepdims) {
    const Tensor f = detail::floating(x);
    const std::size_t ax = detail::normalize_axis("logsumexp", axis, f.shape());
    return apply("logsumexp", {f},
        [ax, keepdims](Inputs in) {
            return visit_float(in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const AxisSplit s = split_axis(v.shape(), ax);
                Values<T> out = Values<T>::from_shape(reduced_shape(v.shape(), ax, keepdims));
                std::fill(out.begin(), out.end(), -std::numeric_limits<T>::infinity());
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t i = 0; i < s.inner; ++i) {
                        auto at = [&](std::size_t k) { return v.data()[(o * s.n + k) * s.inner + i]; };
                        T m = -std::numeric_limits<T>::infinity();
                        for (std::size_t k = 0; k < s.n; ++k) m = std::isnan(at(k)) || at(k) > m ? at(k) : m;
                        if (!std::isfinite(m)) {
                            out.data()[o * s.inner + i] = m;
                            continue;
                        }
                        T sum = 0;
                        for (std::size_t k = 0; k < s.n; ++k) sum += std::exp(at(k) - m);
                        out.data()[o * s.inner + i] = m + std::log(sum);
                    }
                return out;
            });
        },
        // d = g e^(x - y): the softmax over the axis
        [ax](const BackwardArgs& c) -> Grads {
            return make_grads(visit_float(c.in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const AxisSplit s = split_axis(v.shape(), ax);
                const T* g = get<T>(c.grad).data();
                const T* y = get<T>(c.out).data();
                Values<T> out = Values<T>::from_shape(v.shape());
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t k = 0; k < s.n; ++k)
                        for (std::size_t i = 0; i < s.inner; ++i) {
                            const std::size_t at = (o * s.n + k) * s.inner + i;
                            const T yi = y[o * s.inner + i];
                            out.data()[at] = std::isinf(yi) && yi < 0 ? T(0) : g[o * s.inner + i] * std::exp(v.data()[at] - yi);
                        }
                return out;
            }));
        });
}

}  // namespace

Tensor sum(const Tensor& x) {
    if (x.is_floating_point()) return sum_all("sum", x, false);
    return sum_axes("sum", x, axis_set("sum", {}, x.shape(), true), false, false);
}
Tensor mean(const Tensor& x) {
    if (x.is_floating_point()) return sum_all("mean", x, true);
    return sum_axes("mean", x, axis_set("mean", {}, x.shape(), true), false, true);
}
Tensor sum(const Tensor& x, int axis, bool keepdims) { return sum_axes("sum", x, axis_set("sum", {axis}, x.shape(), false), keepdims, false); }
Tensor mean(const Tensor& x, int axis, bool keepdims) { return sum_axes("mean", x, axis_set("mean", {axis}, x.shape(), false), keepdims, true); }
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    return sum_axes("sum", x, axis_set("sum", axes, x.shape(), true), keepdims, false);
}
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    return sum_axes("mean", x, axis_set("mean", axes, x.shape(), true), keepdims, true);
}

Tensor max(const Tensor& x, int axis, bool keepdims) { return extreme_axis("max", x, axis, keepdims, greater); }
Tensor min(const Tensor& x, int axis, bool keepdims) { return extreme_axis("min", x, axis, keepdims, less); }
Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    return over_axes("max", x, axes, keepdims, true, [](const Tensor& t, int a, bool k) { return max(t, a, k); });
}
Tensor min(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    return over_axes("min", x, axes, keepdims, true, [](const Tensor& t, int a, bool k) { return min(t, a, k); });
}
Tensor max(const Tensor& x) { return max(x, std::vector<int>{}, false); }
Tensor min(const Tensor& x) { return min(x, std::vector<int>{}, false); }

Tensor prod(const Tensor& x, int axis, bool keepdims) { return prod_axis(x, axis, keepdims); }
Tensor prod(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    return over_axes("prod", x, axes, keepdims, true, [](const Tensor& t, int a, bool k) { return prod_axis(t, a, k); });
}
Tensor prod(const Tensor& x) { return prod(x, std::vector<int>{}, false); }

Tensor var(const Tensor& x, const std::vector<int>& axes, double correction, bool keepdims) {
    detail::require_floating("var", x);
    const auto set = axis_set("var", axes, x.shape(), true);
    double n = 1;
    for (auto a : set) n *= static_cast<double>(x.shape()[a]);
    std::vector<int> list(set.begin(), set.end());
    // Σ (x - mean)² / (N - correction)
    const Tensor centered = x - mean(x, list, true);
    return sum(square(centered), list, keepdims) / std::max(n - correction, 0.0);
}

Tensor std(const Tensor& x, const std::vector<int>& axes, double correction, bool keepdims) {
    return sqrt(var(x, axes, correction, keepdims));
}

Tensor logsumexp(const Tensor& x, int axis, bool keepdims) { return logsumexp_axis(x, axis, keepdims); }
Tensor logsumexp(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
    return over_axes("logsumexp", x, axes, keepdims, true, [](const Tensor& t, int a, bool k) { return logsumexp_axis(t, a, k); });
}

Tensor argmax(const Tensor& x, int axis, bool keepdims) { return arg_of("argmax", x, axis, keepdims, greater); }
Tensor argmin(const Tensor& x, int axis, bool keepdims) { return arg_of("argmin", x, axis, keepdims, less); }
Tensor argmax(const Tensor& x) {
    if (x.numel() == 0) throw std::invalid_argument("argmax: cannot reduce an empty tensor " + describe(x));
    return arg_of("argmax", reshape(x, {-1}), 0, false, greater);
}
Tensor argmin(const Tensor& x) {
    if (x.numel() == 0) throw std::invalid_argument("argmin: cannot reduce an empty tensor " + describe(x));
    return arg_of("argmin", reshape(x, {-1}), 0, false, less);
}

Tensor cumsum(const Tensor& x, int axis) {
    const Tensor in = x.dtype() == Dtype::boolean ? x.to(Dtype::int64) : x;
    if (in.dim() == 0) return cumsum(reshape(in, {1}), 0).reshape({});
    const std::size_t ax = detail::normalize_axis("cumsum", axis, in.shape());
    // running sums along the axis, forwards (reversed: the gradient)
    auto running = [ax](const Array& a, bool reverse) {
        return visit_any(a, [&](const auto& v) -> Array {
            using T = value_t<decltype(v)>;
            Values<T> out = v;
            const AxisSplit s = split_axis(v.shape(), ax);
            if constexpr (!std::is_same_v<T, bool>)
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t i = 0; i < s.inner; ++i) {
                        T run = 0;
                        for (std::size_t j = 0; j < s.n; ++j) {
                            const std::size_t k = reverse ? s.n - 1 - j : j;
                            T& e = out.data()[(o * s.n + k) * s.inner + i];
                            run = wrapping_add(run, e);
                            e = run;
                        }
                    }
            return out;
        });
    };
    return apply("cumsum", {in},
        [running](Inputs a) { return running(a[0], false); },
        // each element feeds every running sum at or after it
        [running](const BackwardArgs& c) -> Grads { return make_grads(running(c.grad, true)); });
}

Tensor norm(const Tensor& x, double p, const std::vector<int>& axes, bool keepdims) {
    if (!(p > 0)) throw std::invalid_argument("norm: p must be positive, got " + number_str(p));
    const Tensor f = detail::floating(x);
    const auto set = axis_set("norm", axes, f.shape(), true);
    if (std::isinf(p)) {
        std::vector<int> list(set.begin(), set.end());
        return f.dim() == 0 ? abs(f) : max(abs(f), list, keepdims);
    }
    const Shape keep = kept_shape(f.shape(), set);
    const Shape out = keepdims ? keep : dropped_shape(f.shape(), set);
    return apply("norm", {f},
        [p, keep, out](Inputs in) {
            return visit_float(in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                Values<T> powered = v;
                for (auto& e : powered) e = detail::power(std::abs(e), p);
                Array s = detail::sum_to(Array(std::move(powered)), keep);
                auto& sv = get<T>(s);
                for (auto& e : sv) e = detail::power(e, 1.0 / p);
                sv.reshape(out);
                return s;
            });
        },
        // d = g sign(x) |x|^(p-1) / norm^(p-1), 0 where the norm is 0
        [p, keep](const BackwardArgs& c) -> Grads {
            return make_grads(visit_float(c.in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const T* g = get<T>(c.grad).data();
                const T* n = get<T>(c.out).data();
                Values<T> d = Values<T>::from_shape(v.shape());
                detail::for_each_broadcast(v.shape(), v.shape(), keep, [&](std::size_t i, std::size_t, std::size_t k) {
                    const T e = v.data()[i];
                    const T sgn = T((e > 0) - (e < 0));
                    d.data()[i] = n[k] == 0 ? T(0) : g[k] * sgn * detail::power(std::abs(e), p - 1) / detail::power(n[k], p - 1);
                });
                return d;
            }));
        });
}

// The method forms declared on Tensor.
Tensor Tensor::sum() const { return xgrad::sum(*this); }
Tensor Tensor::sum(int axis, bool keepdims) const { return xgrad::sum(*this, axis, keepdims); }
Tensor Tensor::mean() const { return xgrad::mean(*this); }
Tensor Tensor::mean(int axis, bool keepdims) const { return xgrad::mean(*this, axis, keepdims); }
Tensor Tensor::sum(const std::vector<int>& axes, bool keepdims) const { return xgrad::sum(*this, axes, keepdims); }
Tensor Tensor::mean(const std::vector<int>& axes, bool keepdims) const { return xgrad::mean(*this, axes, keepdims); }
Tensor Tensor::max() const { return xgrad::max(*this); }
Tensor Tensor::max(int axis, bool keepdims) const { return xgrad::max(*this, axis, keepdims); }
Tensor Tensor::argmax() const { return xgrad::argmax(*this); }
Tensor Tensor::argmax(int axis, bool keepdims) const { return xgrad::argmax(*this, axis, keepdims); }

}  // namespace xgrad
