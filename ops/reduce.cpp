#include "ops/reduce.hpp"

#include <cmath>
#include <limits>

#include "ops/common.hpp"

namespace xgrad {

using detail::AxisSplit;
using detail::reduced_shape;
using detail::split_axis;
using detail::value_t;

namespace {

// out[o, i] = scale * sum_k x[o, k, i]
template <class T>
Values<T> sum_axis(const Values<T>& x, std::size_t axis, bool keepdims, double scale) {
    const AxisSplit s = split_axis(x.shape(), axis);
    Values<T> out = xt::zeros<T>(reduced_shape(x.shape(), axis, keepdims));
    const T* src = x.data();
    T* dst = out.data();
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t k = 0; k < s.n; ++k)
            for (std::size_t i = 0; i < s.inner; ++i) dst[o * s.inner + i] += src[(o * s.n + k) * s.inner + i];
    if (scale != 1.0)
        for (auto& v : out) v = static_cast<T>(v * scale);
    return out;
}

// g of shape (outer, inner) copied along the axis to x's shape (outer, n, inner), times scale.
template <class T>
Values<T> expand_axis(const Values<T>& g, const Shape& shape, std::size_t axis, double scale) {
    const AxisSplit s = split_axis(shape, axis);
    Values<T> out = Values<T>::from_shape(shape);
    const T* src = g.data();
    T* dst = out.data();
    const auto k = static_cast<T>(scale);
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t j = 0; j < s.n; ++j)
            for (std::size_t i = 0; i < s.inner; ++i) dst[(o * s.n + j) * s.inner + i] = src[o * s.inner + i] * k;
    return out;
}

// Index of the first maximal element of each (o, :, i) slice, row-major over (outer, inner).
template <class T>
std::vector<std::size_t> argmax_axis(const Values<T>& x, const AxisSplit& s) {
    std::vector<std::size_t> idx(s.outer * s.inner, 0);
    const T* src = x.data();
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t i = 0; i < s.inner; ++i) {
            std::size_t best = 0;
            T bv = src[o * s.n * s.inner + i];
            for (std::size_t k = 1; k < s.n && !std::isnan(bv); ++k) {
                T v = src[(o * s.n + k) * s.inner + i];
                if (v > bv || std::isnan(v)) bv = v, best = k;
            }
            idx[o * s.inner + i] = best;
        }
    return idx;
}

Tensor sum_all(const char* name, const Tensor& x, bool mean) {
    return apply(name, {x},
        [mean](Inputs in) {
            return std::visit([&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                double acc = 0;
                for (T e : v) acc += e;
                if (mean) acc /= static_cast<double>(v.size());
                return Values<T>(static_cast<T>(acc));
            }, in[0]);
        },
        // d(sum) = g everywhere; d(mean) = g / count
        [mean](const BackwardArgs& c) -> Grads {
            return make_grads(std::visit([&](const auto& g) -> Array {
                using T = value_t<decltype(g)>;
                const Shape& shape = shape_of(c.in[0]);
                double n = 1;
                for (auto d : shape) n *= static_cast<double>(d);
                T value = mean ? static_cast<T>(*g.begin() / n) : *g.begin();
                Values<T> out = Values<T>::from_shape(shape);
                out.fill(value);
                return out;
            }, c.grad));
        });
}

Tensor sum_over(const char* name, const Tensor& x, int axis, bool keepdims, bool mean) {
    const std::size_t ax = detail::normalize_axis(name, axis, x.shape());
    return apply(name, {x},
        [ax, keepdims, mean](Inputs in) {
            return std::visit([&](const auto& v) -> Array {
                double n = static_cast<double>(v.shape()[ax]);
                return sum_axis(v, ax, keepdims, mean ? 1.0 / n : 1.0);
            }, in[0]);
        },
        // the gradient is copied along the summed axis (divided by its extent for the mean)
        [ax, mean](const BackwardArgs& c) -> Grads {
            const Shape& shape = shape_of(c.in[0]);
            double scale = mean ? 1.0 / static_cast<double>(shape[ax]) : 1.0;
            return make_grads(std::visit([&](const auto& g) -> Array { return expand_axis(g, shape, ax, scale); }, c.grad));
        });
}

}  // namespace

Tensor sum(const Tensor& x) { return sum_all("sum", x, false); }
Tensor mean(const Tensor& x) { return sum_all("mean", x, true); }
Tensor sum(const Tensor& x, int axis, bool keepdims) { return sum_over("sum", x, axis, keepdims, false); }
Tensor mean(const Tensor& x, int axis, bool keepdims) { return sum_over("mean", x, axis, keepdims, true); }

Tensor max(const Tensor& x, int axis, bool keepdims) {
    const std::size_t ax = detail::normalize_axis("max", axis, x.shape());
    if (x.shape()[ax] == 0)
        throw std::invalid_argument("max: cannot reduce over axis " + std::to_string(axis) + " of extent 0 in shape " +
                                    shape_str(x.shape()));
    return apply("max", {x},
        [ax, keepdims](Inputs in) {
            return std::visit([&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const AxisSplit s = split_axis(v.shape(), ax);
                auto idx = argmax_axis(v, s);
                Values<T> out = Values<T>::from_shape(reduced_shape(v.shape(), ax, keepdims));
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t i = 0; i < s.inner; ++i)
                        out.data()[o * s.inner + i] = v.data()[(o * s.n + idx[o * s.inner + i]) * s.inner + i];
                return out;
            }, in[0]);
        },
        // the gradient goes to the first maximal element of each slice, 0 elsewhere
        [ax](const BackwardArgs& c) -> Grads {
            return make_grads(std::visit([&](const auto& x_) -> Array {
                using T = value_t<decltype(x_)>;
                const AxisSplit s = split_axis(x_.shape(), ax);
                auto idx = argmax_axis(x_, s);
                const T* g = get<T>(c.grad).data();
                Values<T> out = xt::zeros<T>(x_.shape());
                for (std::size_t o = 0; o < s.outer; ++o)
                    for (std::size_t i = 0; i < s.inner; ++i)
                        out.data()[(o * s.n + idx[o * s.inner + i]) * s.inner + i] = g[o * s.inner + i];
                return out;
            }, c.in[0]));
        });
}

xt::xarray<std::size_t> argmax(const Tensor& x, int axis, bool keepdims) {
    const std::size_t ax = detail::normalize_axis("argmax", axis, x.shape());
    if (x.shape()[ax] == 0)
        throw std::invalid_argument("argmax: cannot reduce over axis " + std::to_string(axis) +
                                    " of extent 0 in shape " + shape_str(x.shape()));
    return std::visit([&](const auto& v) {
        auto idx = argmax_axis(v, split_axis(v.shape(), ax));
        xt::xarray<std::size_t> out = xt::xarray<std::size_t>::from_shape(reduced_shape(v.shape(), ax, keepdims));
        std::copy(idx.begin(), idx.end(), out.begin());
        return out;
    }, x.array());
}

// The method forms declared on Tensor.
Tensor Tensor::sum() const { return xgrad::sum(*this); }
Tensor Tensor::sum(int axis, bool keepdims) const { return xgrad::sum(*this, axis, keepdims); }
Tensor Tensor::mean() const { return xgrad::mean(*this); }
Tensor Tensor::mean(int axis, bool keepdims) const { return xgrad::mean(*this, axis, keepdims); }

}  // namespace xgrad
