#include "ops/activation.hpp"

#include <cmath>
#include <iomanip>
#include <memory>
#include <numbers>
#include <sstream>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autograd/grad_mode.hpp"
#include "ops/common.hpp"

namespace xgrad {

using detail::pointwise;
using detail::stable_sigmoid;
using detail::value_t;

namespace {

// Elements per (sample, channel) pair: the product of the extents after dimension 1.
std::size_t prelu_inner(const Shape& shape) {
    std::size_t inner = 1;
    for (std::size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
    return inner;
}

std::string percent(std::size_t part, std::size_t whole) {
    std::ostringstream s;
    s << std::setprecision(3) << 100.0 * static_cast<double>(part) / static_cast<double>(whole) << '%';
    return s.str();
}

// Diagram statistics (Node::output_stats). relu: the share of zeros and, for (batch, units),
// the units that are 0 for every sample.
std::string relu_stats(const Array& out) {
    return visit_float(out, [](const auto& a) {
        std::size_t zeros = 0;
        for (auto v : a) zeros += v <= 0;
        std::string s = "zeros " + percent(zeros, a.size());
        if (a.dimension() != 2) return s;
        std::size_t dead = 0;
        for (std::size_t u = 0; u < a.shape()[1]; ++u) {
            bool active = false;
            for (std::size_t i = 0; i < a.shape()[0] && !active; ++i) active = a(i, u) > 0;
            dead += !active;
        }
        return s + "\ndead units " + std::to_string(dead) + "/" + std::to_string(a.shape()[1]);
    });
}

// sigmoid and tanh: the share of outputs within 0.01 of a bound.
template <class Saturated>
std::string saturation(const Array& out, Saturated saturated) {
    return visit_float(out, [&](const auto& a) {
        std::size_t n = 0;
        for (auto v : a) n += saturated(static_cast<double>(v));
        return "saturated " + percent(n, a.size());
    });
}

std::string sigmoid_stats(const Array& out) {
    return saturation(out, [](double v) { return v > 0.99 || v < 0.01; });
}

std::string tanh_stats(const Array& out) {
    return saturation(out, [](double v) { return std::abs(v) > 0.99; });
}

XGRAD_VECTOR_CLONES void gelu_and_derivative(const float* __restrict x, float* __restrict y, float* __restrict d,
                                             std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) detail::gelu_and_derivative_float(x[i], y[i], d[i]);
}

// g[i] = g[i] d[i]
XGRAD_VECTOR_CLONES void scale_by(float* __restrict g, const float* __restrict d, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) g[i] *= d[i];
}

Tensor with_stats(Tensor y, OutputStatsFn stats) {
    if (y.grad_fn()) y.grad_fn()->set_output_stats(stats);
    return y;
}

}  // namespace

Tensor identity(const Tensor& x) {
    return pointwise("identity", x, [](auto v) { return v; },
        // d x = g
        [](auto g, auto, auto) { return g; });
}

Tensor step(const Tensor& x) {
    return pointwise("step", x, [](auto v) { return v > 0 ? decltype(v)(1) : decltype(v)(0); },
        // flat on both sides of the jump: the gradient is 0 everywhere
        [](auto g, auto, auto) { return decltype(g)(0); });
}

Tensor sigmoid(const Tensor& x) {
    return with_stats(pointwise("sigmoid", x, [](auto v) { return stable_sigmoid(v); },
        // dσ = g σ (1 - σ)
        [](auto g, auto, auto y) { return g * y * (decltype(y)(1) - y); }), sigmoid_stats);
}

Tensor tanh(const Tensor& x) {
    return with_stats(pointwise("tanh", x, [](auto v) { return detail::tanh_of(v); },
        // d tanh = g (1 - tanh²)
        [](auto g, auto, auto y) { return g * (decltype(y)(1) - y * y); }), tanh_stats);
}

Tensor relu(const Tensor& x) {
    return with_stats(pointwise("relu", x, [](auto v) { return v <= 0 ? decltype(v)(0) : v; },
        // d relu = g where x > 0, else 0 (0 at x = 0); a NaN passes through both ways, as in PyTorch
        [](auto g, auto v, auto) { return v <= 0 ? decltype(g)(0) : g; }), relu_stats);
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
    return pointwise("leaky_relu", x,
        [negative_slope](auto v) { return v > 0 ? v : static_cast<decltype(v)>(negative_slope) * v; },
        // d = g where x > 0, else slope * g (slope at x = 0)
        [negative_slope](auto g, auto v, auto) { return v > 0 ? g : static_cast<decltype(g)>(negative_slope) * g; });
}

Tensor prelu(const Tensor& x, const Tensor& alpha) {
    detail::require_floating("prelu", x);
    detail::require_floating("prelu", alpha);
    const std::size_t channels = x.dim() >= 2 ? x.shape()[1] : 1;
    if (alpha.dim() > 1 || (alpha.numel() != 1 && (x.dim() < 2 || alpha.numel() != channels)))
        throw ShapeError("prelu: alpha " + shape_str(alpha.shape()) + " must hold one shared slope or one per channel "
                         "(dimension 1 of x, " + (x.dim() >= 2 ? std::to_string(channels) : std::string("none")) +
                         "): x " + shape_str(x.shape()));
    // alpha[c] applies to the elements of channel c = (flat index / inner) % channels,
    // or to every element when it holds one slope.
    return apply("prelu", {x, alpha},
        [](Inputs in) {
            return visit_float(in[0], [&](const auto& v) -> Array {
                using T = value_t<decltype(v)>;
                const auto& a = get<T>(in[1]);
                const std::size_t c = a.size(), inner = prelu_inner(v.shape());
                auto out = v;
                for (std::size_t i = 0; i < v.size(); ++i)
                    if (!(v.data()[i] > 0)) out.data()[i] = a.data()[c == 1 ? 0 : (i / inner) % c] * v.data()[i];
                return out;
            });
        },
        // dx = g where x > 0, else alpha g;  dalpha[c] = Σ g x over channel c where x <= 0
        [](const BackwardArgs& c) -> Grads {
            return visit_float(c.in[0], [&](const auto& v) -> Grads {
                using T = value_t<decltype(v)>;
                const auto& a = get<T>(c.in[1]);
                const auto& g = get<T>(c.grad);
                const std::size_t nc = a.size(), inner = prelu_inner(v.shape());
                Values<T> dx = g;
                Values<T> da = xt::zeros<T>(a.shape());
                for (std::size_t i = 0; i < v.size(); ++i) {
                    if (v.data()[i] > 0) continue;
                    const std::size_t ch = nc == 1 ? 0 : (i / inner) % nc;
                    dx.data()[i] = a.data()[ch] * g.data()[i];
                    da.data()[ch] += g.data()[i] * v.data()[i];
                }
                Grads out(2);
                if (c.needs[0]) out[0] = std::move(dx);
                if (c.needs[1]) out[1] = std::move(da);
                return out;
            });
        });
}

Tensor elu(const Tensor& x, double alpha) {
    return pointwise("elu", x,
        [alpha](auto v) { return v > 0 ? v : static_cast<decltype(v)>(alpha) * detail::expm1_of(v); },
        // d = g where x > 0, else alpha e^x g
        [alpha](auto g, auto v, auto) { return v > 0 ? g : static_cast<decltype(g)>(alpha) * detail::exp_of(v) * g; });
}

Tensor gelu(const Tensor& x, GeluApproximation approximate) {
    if (approximate == GeluApproximation::tanh) {
        return pointwise("gelu_tanh", x,
            [](auto v) {
                using T = decltype(v);
                const T k = std::sqrt(T(2) / std::numbers::pi_v<T>), c = T(0.044715);
                return T(0.5) * v * (T(1) + detail::tanh_of(k * (v + c * v * v * v)));
            },
            // with u = k (x + c x³), t = tanh u: d = g (0.5 (1 + t) + 0.5 x (1 - t²) k (1 + 3 c x²))
            [](auto g, auto v, auto) {
                using T = decltype(v);
                const T k = std::sqrt(T(2) / std::numbers::pi_v<T>), c = T(0.044715);
                const T t = detail::tanh_of(k * (v + c * v * v * v));
                return g * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * k * (T(1) + T(3) * c * v * v));
            });
    }
    // float in float lanes through erfc (ops/kernels/vector_math.hpp), within 6 ulp
    const auto f = [](auto v) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, float>) return detail::gelu_float(v);
        else return T(0.5) * v * (T(1) + std::erf(v * T(std::numbers::sqrt2 / 2)));
    };
    // d = g (Φ(x) + x φ(x)),  φ(x) = e^(-x²/2) / √(2π); in double Φ(x) = y / x from the output (no
    // second erf), and 1/2 + x φ(0) near 0; in float beside the forward's values (vector_math.hpp)
    const auto d = [](auto g, auto v, auto y) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, float>) {
            return detail::gelu_grad_float(g, v);
        } else {
            const T inv_sqrt_2pi = T(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
            const T cdf = std::abs(v) > T(1e-6) ? y / v : T(0.5) + v * inv_sqrt_2pi;
            return g * (cdf + v * inv_sqrt_2pi * std::exp(T(-0.5) * v * v));
        }
    };
    if (x.dtype() != float32 || !x.requires_grad() || !is_grad_enabled()) return pointwise("gelu", x, f, d);
    // A float32 gelu to be differentiated computes its derivative beside the output (kept until
    // backward): the two share e^(-x²/2) and erfc, and the backward becomes one multiplication
    // instead of a second erfc and exp (docs/performance.md, "Tensor programs"). Re-runs of the
    // forward (check_graph, in float64) and a backward at other operand values take the plain path
    // (KeptForBackward).
    auto kept = std::make_shared<detail::KeptForBackward<Values<float>>>();
    return detail::apply_owning("gelu", {x},
        [kept, f](Inputs in) -> Array {
            const auto* v = std::get_if<Values<float>>(&in[0]);
            Values<float>* keep = v ? kept->keep(v->data(), v->size()) : nullptr;
            if (!keep) return detail::pointwise_values(in[0], f);
            Values<float> y = Values<float>::from_shape(v->shape());
            *keep = Values<float>::from_shape(v->shape());  // from the buffer cache, as the tensors' storage
            const float* const xp = v->data();
            float* const yp = y.data();
            float* const dp = keep->data();
            detail::parallel_for(v->size(), detail::parallel_grain, 16, [&](std::size_t from, std::size_t to) {
                gelu_and_derivative(xp + from, yp + from, dp + from, to - from);
            });
            return y;
        },
        [kept, d](Array&& grad, const detail::OwnedGradArgs& c) -> Grads {
            const auto* xv = std::get_if<Values<float>>(&c.in[0]);
            const Values<float>* kept_d = xv ? kept->at(xv->data(), xv->size()) : nullptr;
            auto* g = std::get_if<Values<float>>(&grad);
            if (kept_d && g) {
                float* const gp = g->data();
                const float* const dp = kept_d->data();
                detail::parallel_for(g->size(), detail::parallel_grain, 16, [&](std::size_t from, std::size_t to) {
                    scale_by(gp + from, dp + from, to - from);
                });
            } else {
                detail::pointwise_grad(grad, c, d);
            }
            return make_grads(std::move(grad));
        });
}

Tensor silu(const Tensor& x) {
    return pointwise("silu", x, [](auto v) { return v * stable_sigmoid(v); },
        // d = g σ (1 + x (1 - σ))
        [](auto g, auto v, auto) {
            using T = decltype(v);
            const T s = stable_sigmoid(v);
            return g * s * (T(1) + v * (T(1) - s));
        });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
    if (!(beta > 0))
        throw std::invalid_argument("softplus: beta must be positive, got " + number_str(beta));
    return pointwise("softplus", x,
        [beta, threshold](auto v) {
            using T = decltype(v);
            const auto b = static_cast<T>(beta), t = static_cast<T>(threshold);
            return b * v > t ? v : std::log1p(std::exp(b * v)) / b;
        },
        // d = g σ(beta x), and g above the threshold
        [beta, threshold](auto g, auto v, auto) {
            using T = decltype(v);
            const auto b = static_cast<T>(beta), t = static_cast<T>(threshold);
            return b * v > t ? g : g * stable_sigmoid(b * v);
        });
}

namespace {

// softmax (log = false) or log_softmax (log = true) of each (o, :, i) slice, max-subtracted. An
// o's (n, inner) block in two passes, with one vector pass of exponentials over all blocks in
// between; the loops run along i (contiguous) when inner > 1 and along the slice when inner = 1.
// First pass: m = the maxima over the slice (inner values), y = x - m.
template <class T>
inline void softmax_shift_block(const T* __restrict x, T* __restrict y, std::size_t n, std::size_t inner, T* __restrict m) {
    if (inner == 1) {
        T mx = -std::numeric_limits<T>::infinity();
        for (std::size_t k = 0; k < n; ++k) mx = std::max(mx, x[k]);
        m[0] = mx;
        for (std::size_t k = 0; k < n; ++k) y[k] = x[k] - mx;
        return;
    }
    for (std::size_t i = 0; i < inner; ++i) m[i] = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t i = 0; i < inner; ++i) m[i] = std::max(m[i], x[k * inner + i]);
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t i = 0; i < inner; ++i) y[k * inner + i] = x[k * inner + i] - m[i];
}

// Second pass, over y = e^(x - m): divide by the slice's total, or for log, y = x - m - log total.
template <class T>
inline void softmax_finish_block(const T* __restrict x, T* __restrict y, std::size_t n, std::size_t inner, bool log,
                                 const T* __restrict m, T* __restrict total) {
    if (inner == 1) {
        T t = 0;
        for (std::size_t k = 0; k < n; ++k) t += y[k];
        const T mx = m[0];
        if (log) {
            const T log_total = std::log(t);
            for (std::size_t k = 0; k < n; ++k) y[k] = (x[k] - mx) - log_total;
        } else {
            for (std::size_t k = 0; k < n; ++k) y[k] /= t;
        }
        return;
    }
    for (std::size_t i = 0; i < inner; ++i) total[i] = 0;
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t i = 0; i < inner; ++i) total[i] += y[k * inner + i];
    if (log) {
        for (std::size_t i = 0; i < inner; ++i) total[i] = std::log(total[i]);
        // (x - m) - log total, not x - (m + log total): exact at the maximum (-log 2, not -0.693359)
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t i = 0; i < inner; ++i) y[k * inner + i] = (x[k * inner + i] - m[i]) - total[i];
    } else {
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t i = 0; i < inner; ++i) y[k * inner + i] /= total[i];
    }
}

// Both passes over all `outer` blocks in one call each (one dispatch, not one per short row).
template <class T>
XGRAD_VECTOR_CLONES void softmax_shift(const T* x, T* y, std::size_t outer, std::size_t n, std::size_t inner, T* m) {
    for (std::size_t o = 0; o < outer; ++o) softmax_shift_block(x + o * n * inner, y + o * n * inner, n, inner, m + o * inner);
}

template <class T>
XGRAD_VECTOR_CLONES void softmax_finish(const T* x, T* y, std::size_t outer, std::size_t n, std::size_t inner, bool log, const T* m,
                                        T* total) {
    for (std::size_t o = 0; o < outer; ++o)
        softmax_finish_block(x + o * n * inner, y + o * n * inner, n, inner, log, m + o * inner, total);
}

template <class T>
Values<T> softmax_axis(const Values<T>& x, std::size_t axis, bool log) {
    const auto s = detail::split_axis(x.shape(), axis);
    Values<T> y = Values<T>::from_shape(x.shape());
    if (y.size() == 0) return y;  // (2^40, 0, 2^40): no maxima to hold
    std::vector<T> m(s.outer * s.inner), total(s.inner);
    softmax_shift(x.data(), y.data(), s.outer, s.n, s.inner, m.data());
    detail::exp_in_place(y.data(), y.size());
    softmax_finish(x.data(), y.data(), s.outer, s.n, s.inner, log, m.data(), total.data());
    return y;
}

// softmax:     dx = y (g - Σ g y)
// log_softmax: dx = g - e^y Σ g, with e^y already in dx (softmax_backward takes it in one pass)
template <class T>
inline void softmax_backward_block(const T* __restrict g, const T* __restrict y, T* __restrict dx, std::size_t n, std::size_t inner,
                                   bool log, T* __restrict dot) {
    if (inner == 1) {
        T d = 0;
        for (std::size_t k = 0; k < n; ++k) d += log ? g[k] : g[k] * y[k];
        if (log) {
            for (std::size_t k = 0; k < n; ++k) dx[k] = g[k] - dx[k] * d;
        } else {
            for (std::size_t k = 0; k < n; ++k) dx[k] = y[k] * (g[k] - d);
        }
        return;
    }
    for (std::size_t i = 0; i < inner; ++i) dot[i] = 0;
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t i = 0; i < inner; ++i) dot[i] += log ? g[k * inner + i] : g[k * inner + i] * y[k * inner + i];
    if (log) {
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t i = 0; i < inner; ++i) dx[k * inner + i] = g[k * inner + i] - dx[k * inner + i] * dot[i];
    } else {
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t i = 0; i < inner; ++i) dx[k * inner + i] = y[k * inner + i] * (g[k * inner + i] - dot[i]);
    }
}

template <class T>
XGRAD_VECTOR_CLONES void softmax_backward_blocks(const T* g, const T* y, T* dx, std::size_t outer, std::size_t n, std::size_t inner,
                                                 bool log, T* dot) {
    const std::size_t block = n * inner;
    for (std::size_t o = 0; o < outer; ++o) softmax_backward_block(g + o * block, y + o * block, dx + o * block, n, inner, log, dot);
}

template <class T>
Values<T> softmax_backward(const Values<T>& g, const Values<T>& y, std::size_t axis, bool log) {
    const auto s = detail::split_axis(y.shape(), axis);
    Values<T> dx = Values<T>::from_shape(y.shape());
    if (dx.size() == 0) return dx;
    if (log) {  // e^y, the softmax, for every block in one vector pass
        std::copy(y.begin(), y.end(), dx.begin());
        detail::exp_in_place(dx.data(), dx.size());
    }
    std::vector<T> dot(s.inner);
    softmax_backward_blocks(g.data(), y.data(), dx.data(), s.outer, s.n, s.inner, log, dot.data());
    return dx;
}

Tensor softmax_op(const char* name, const Tensor& input, int axis, bool log) {
    const Tensor x = detail::floating(input);  // integers compute in float32, as the other activations
    const std::size_t ax = detail::normalize_axis(name, axis, x.shape());
    return apply(name, {x},
        [ax, log](Inputs in) { return map(in[0], [&](const auto& v) { return softmax_axis(v, ax, log); }); },
        [ax, log](const BackwardArgs& c) -> Grads {
            return make_grads(map(c.grad, c.out, [&](const auto& g, const auto& y) { return softmax_backward(g, y, ax, log); }));
        });
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_op("softmax", x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_op("log_softmax", x, axis, true); }

}  // namespace xgrad
