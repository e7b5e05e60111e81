#include "ops/norm.hpp"

#include <cmath>

#include "autograd/grad_mode.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape.hpp"

namespace xgrad {

using detail::value_t;

namespace {

// Mean and 1/sqrt(biased var + eps) of the `count` elements at(0), at(1), ..., accumulated in
// double; var_out (when given) receives the biased variance.
template <class T, class At>
std::pair<double, double> moments(std::size_t count, At at, double eps, double* var_out = nullptr) {
    double sum = 0, sq = 0;
    for (std::size_t i = 0; i < count; ++i) sum += static_cast<double>(at(i));
    const double mean = sum / static_cast<double>(count);
    for (std::size_t i = 0; i < count; ++i) {
        const double d = static_cast<double>(at(i)) - mean;
        sq += d * d;
    }
    if (var_out) *var_out = sq / static_cast<double>(count);
    return {mean, 1.0 / std::sqrt(sq / static_cast<double>(count) + eps)};
}

void check_affine(const char* op, const Tensor& p, const Shape& want, const char* what, const Tensor& x) {
    if (p.defined() && p.shape() != want)
        throw ShapeError(std::string(op) + ": " + what + " " + shape_str(p.shape()) + " must be " + shape_str(want) +
                         " for input " + shape_str(x.shape()));
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, double eps) {
    detail::require_floating("layer_norm", x);
    const std::size_t k = normalized_shape.size();
    bool fits = k >= 1 && k <= x.dim();
    for (std::size_t d = 0; fits && d < k; ++d) fits = x.shape()[x.dim() - k + d] == normalized_shape[d];
    if (!fits)
        detail::throw_shapes("layer_norm", "the input must end in the normalized shape", x.shape(), normalized_shape);
    check_affine("layer_norm", weight, normalized_shape, "weight", x);
    check_affine("layer_norm", bias, normalized_shape, "bias", x);
    std::size_t n = 1;
    for (auto e : normalized_shape) n *= e;
    const bool has_w = weight.defined(), has_b = bias.defined();
    std::vector<Tensor> operands{x};
    if (has_w) operands.push_back(weight);
    if (has_b) operands.push_back(bias);
    const std::size_t wi = 1, bi = has_w ? 2 : 1;
    return apply("layer_norm", std::move(operands),
        [n, eps, has_w, has_b, wi, bi](Inputs in) {
            return visit_float(in[0], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                Values<T> y = Values<T>::from_shape(xv.shape());
                const T* w = has_w ? get<T>(in[wi]).data() : nullptr;
                const T* b = has_b ? get<T>(in[bi]).data() : nullptr;
                const std::size_t rows = n ? xv.size() / n : 0;
                for (std::size_t r = 0; r < rows; ++r) {
                    const T* row = xv.data() + r * n;
                    const auto [mean, rstd] = moments<T>(n, [&](std::size_t i) { return row[i]; }, eps);
                    T* out = y.data() + r * n;
                    for (std::size_t i = 0; i < n; ++i) {
                        const T h = static_cast<T>((static_cast<double>(row[i]) - mean) * rstd);
                        out[i] = (w ? h * w[i] : h) + (b ? b[i] : T(0));
                    }
                }
                return y;
            });
        },
        // x̂ = (x - μ) r; dx = r (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)) with dx̂ = g w; dw = Σ g x̂; db = Σ g
        [n, eps, has_w, has_b, wi, bi](const BackwardArgs& c) -> Grads {
            return visit_float(c.in[0], [&](const auto& xv) -> Grads {
                using T = value_t<decltype(xv)>;
                const T* g = get<T>(c.grad).data();
                const T* w = has_w ? get<T>(c.in[wi]).data() : nullptr;
                Values<T> dx = Values<T>::from_shape(xv.shape());
                std::vector<double> dw(has_w ? n : 0, 0.0), db(has_b ? n : 0, 0.0), h(n), dh(n);
                const std::size_t rows = n ? xv.size() / n : 0;
                for (std::size_t r = 0; r < rows; ++r) {
                    const T* row = xv.data() + r * n;
                    const T* gr = g + r * n;
                    const auto [mean, rstd] = moments<T>(n, [&](std::size_t i) { return row[i]; }, eps);
                    double mdh = 0, mdhh = 0;
                    for (std::size_t i = 0; i < n; ++i) {
                        h[i] = (static_cast<double>(row[i]) - mean) * rstd;
                        dh[i] = static_cast<double>(gr[i]) * (w ? static_cast<double>(w[i]) : 1.0);
                        mdh += dh[i], mdhh += dh[i] * h[i];
                        if (has_w) dw[i] += static_cast<double>(gr[i]) * h[i];
                        if (has_b) db[i] += static_cast<double>(gr[i]);
                    }
                    mdh /= static_cast<double>(n), mdhh /= static_cast<double>(n);
                    for (std::size_t i = 0; i < n; ++i) dx.data()[r * n + i] = static_cast<T>(rstd * (dh[i] - mdh - h[i] * mdhh));
                }
                Grads out(c.in.size());
                if (c.needs[0]) out[0] = Array(std::move(dx));
                auto as_values = [&](const std::vector<double>& v, const Array& like) {
                    Values<T> a = Values<T>::from_shape(shape_of(like));
                    std::transform(v.begin(), v.end(), a.begin(), [](double e) { return static_cast<T>(e); });
                    return Array(std::move(a));
                };
                if (has_w && c.needs[wi]) out[wi] = as_values(dw, c.in[wi]);
                if (has_b && c.needs[bi]) out[bi] = as_values(db, c.in[bi]);
                return out;
            });
        });
}

Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight, const Tensor& bias,
                  bool training, double momentum, double eps) {
    detail::require_floating("batch_norm", x);
    if (x.dim() != 2 && x.dim() != 3)
        throw ShapeError("batch_norm: expected input (N, C) or (N, C, L), got " + shape_str(x.shape()));
    const std::size_t channels = x.shape()[1];
    const Shape per_channel{channels};
    check_affine("batch_norm", weight, per_channel, "weight", x);
    check_affine("batch_norm", bias, per_channel, "bias", x);
    check_affine("batch_norm", running_mean, per_channel, "running_mean", x);
    check_affine("batch_norm", running_var, per_channel, "running_var", x);
    const std::size_t batch = x.shape()[0], inner = x.dim() == 3 ? x.shape()[2] : 1, count = batch * inner;
    std::vector<std::int64_t> view(x.dim(), 1);
    view[1] = -1;
    if (!training) {
        if (!running_mean.defined() || !running_var.defined())
            throw std::invalid_argument("batch_norm: evaluation needs running_mean and running_var");
        // (x - running mean) / sqrt(running var + eps), then the affine map: per-channel constants
        Tensor y = (x - reshape(running_mean.detach(), view)) * reshape(rsqrt(running_var.detach() + eps), view);
        if (weight.defined()) y = y * reshape(weight, view);
        if (bias.defined()) y = y + reshape(bias, view);
        return y;
    }
    if (count <= 1)
        throw std::invalid_argument("batch_norm: expected more than 1 value per channel when training, got input " +
                                    shape_str(x.shape()));
    const bool has_w = weight.defined(), has_b = bias.defined();
    std::vector<Tensor> operands{x};
    if (has_w) operands.push_back(weight);
    if (has_b) operands.push_back(bias);
    const std::size_t wi = 1, bi = has_w ? 2 : 1;
    // element j of channel c sits at (j / inner * channels + c) * inner + j % inner
    auto at = [channels, inner](std::size_t c, std::size_t j) { return (j / inner * channels + c) * inner + j % inner; };
    Tensor y = apply("batch_norm", std::move(operands),
        [=](Inputs in) {
            return visit_float(in[0], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                Values<T> out = Values<T>::from_shape(xv.shape());
                const T* w = has_w ? get<T>(in[wi]).data() : nullptr;
                const T* b = has_b ? get<T>(in[bi]).data() : nullptr;
                for (std::size_t c = 0; c < channels; ++c) {
                    const auto [mean, rstd] = moments<T>(count, [&](std::size_t j) { return xv.data()[at(c, j)]; }, eps);
                    for (std::size_t j = 0; j < count; ++j) {
                        const T h = static_cast<T>((static_cast<double>(xv.data()[at(c, j)]) - mean) * rstd);
                        out.data()[at(c, j)] = (w ? h * w[c] : h) + (b ? b[c] : T(0));
                    }
                }
                return out;
            });
        },
        // per channel, as layer_norm's rows: dx = r (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)); dw = Σ g x̂; db = Σ g
        [=](const BackwardArgs& c) -> Grads {
            return visit_float(c.in[0], [&](const auto& xv) -> Grads {
                using T = value_t<decltype(xv)>;
                const T* g = get<T>(c.grad).data();
                const T* w = has_w ? get<T>(c.in[wi]).data() : nullptr;
                Values<T> dx = Values<T>::from_shape(xv.shape());
                Values<T> dw = Values<T>::from_shape({channels}), db = Values<T>::from_shape({channels});
                std::vector<double> h(count), dh(count);
                for (std::size_t ch = 0; ch < channels; ++ch) {
                    const auto [mean, rstd] = moments<T>(count, [&](std::size_t j) { return xv.data()[at(ch, j)]; }, eps);
                    const double wc = w ? static_cast<double>(w[ch]) : 1.0;
                    double mdh = 0, mdhh = 0, sw = 0, sb = 0;
                    for (std::size_t j = 0; j < count; ++j) {
                        const double gj = static_cast<double>(g[at(ch, j)]);
                        h[j] = (static_cast<double>(xv.data()[at(ch, j)]) - mean) * rstd;
                        dh[j] = gj * wc;
                        mdh += dh[j], mdhh += dh[j] * h[j], sw += gj * h[j], sb += gj;
                    }
                    mdh /= static_cast<double>(count), mdhh /= static_cast<double>(count);
                    for (std::size_t j = 0; j < count; ++j) dx.data()[at(ch, j)] = static_cast<T>(rstd * (dh[j] - mdh - h[j] * mdhh));
                    dw.data()[ch] = static_cast<T>(sw), db.data()[ch] = static_cast<T>(sb);
                }
                Grads out(c.in.size());
                if (c.needs[0]) out[0] = Array(std::move(dx));
                if (has_w && c.needs[wi]) out[wi] = Array(std::move(dw));
                if (has_b && c.needs[bi]) out[bi] = Array(std::move(db));
                return out;
            });
        });
    // the running statistics move towards the batch's mean and unbiased variance (not recorded)
    if (running_mean.defined() || running_var.defined()) {
        NoGradGuard no_grad;
        visit_float(x.array(), [&](const auto& xv) {
            for (std::size_t c = 0; c < channels; ++c) {
                double biased = 0;
                const double mean = moments<value_t<decltype(xv)>>(count, [&](std::size_t j) { return xv.data()[at(c, j)]; }, 1.0, &biased).first;
                const double unbiased = biased * static_cast<double>(count) / static_cast<double>(count - 1);
                auto update = [&](Tensor& t, double v) {
                    if (!t.defined()) return;
                    visit_float(t.mutable_array(), [&](auto& a) {
                        using S = value_t<decltype(a)>;
                        a.data()[c] = static_cast<S>((1 - momentum) * static_cast<double>(a.data()[c]) + momentum * v);
                    });
                };
                update(running_mean, mean);
                update(running_var, unbiased);
            }
        });
    }
    return y;
}

}  // namespace xgrad
