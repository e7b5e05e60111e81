#include "ops/norm.hpp"

#include <cmath>
#include <memory>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape.hpp"

namespace xgrad {

using detail::lane_sum_inline;
using detail::value_t;

namespace {

// Calls f(c, i) for every element i of an (N, C, L) array, c its channel, in memory order; the
// loops are plain (a row of C channels when L = 1) so that the compiler vectorises them.
template <class F>
XGRAD_VECTOR_CLONES void for_each_element(std::size_t batch, std::size_t channels, std::size_t inner, F f) {
    if (channels == 0 || inner == 0) return;  // empty: (2^40, 0, 5) must not loop 2^40 times
    if (inner == 1) {
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t c = 0; c < channels; ++c) f(c, n * channels + c);
        return;
    }
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t c = 0; c < channels; ++c)
            for (std::size_t l = 0, at = (n * channels + c) * inner; l < inner; ++l) f(c, at + l);
}

// Mean and 1/sqrt(biased var + eps) of n contiguous values, accumulated in double; inlined into
// the cloned row loops below.
template <class T>
XGRAD_INLINE std::pair<double, double> row_moments(const T* x, std::size_t n, double eps) {
    const double mean = lane_sum_inline(n, [x](std::size_t i) { return static_cast<double>(x[i]); }) / static_cast<double>(n);
    const double q = lane_sum_inline(n, [x, mean](std::size_t i) {
        const double d = static_cast<double>(x[i]) - mean;
        return d * d;
    });
    return {mean, 1.0 / std::sqrt(q / static_cast<double>(n) + eps)};
}

struct ChannelMoments {
    std::vector<double> mean, var;  // per channel; var is biased
};

// Mean and biased variance of each channel of an (N, C, L) array, accumulated in double.
template <class T>
ChannelMoments channel_moments(const T* x, std::size_t batch, std::size_t channels, std::size_t inner) {
    ChannelMoments m{std::vector<double>(channels, 0.0), std::vector<double>(channels, 0.0)};
    const double count = static_cast<double>(batch * inner);
    double* mean = m.mean.data();
    double* var = m.var.data();
    for_each_element(batch, channels, inner, [&](std::size_t c, std::size_t i) { mean[c] += static_cast<double>(x[i]); });
    for (auto& v : m.mean) v /= count;
    for_each_element(batch, channels, inner, [&](std::size_t c, std::size_t i) {
        const double d = static_cast<double>(x[i]) - mean[c];
        var[c] += d * d;
    });
    for (auto& v : m.var) v /= count;
    return m;
}

// y = (x - μ) r w + b for each of `rows` rows of n values (w and b may be null: 1 and 0); with
// `keep`, each row's μ and r into keep[2 row], keep[2 row + 1].
template <class T>
XGRAD_VECTOR_CLONES void layer_norm_rows(const T* __restrict x, T* __restrict y, std::size_t rows, std::size_t n, double eps,
                                         const T* __restrict w, const T* __restrict b, double* __restrict keep) {
    for (std::size_t r = 0; r < rows; ++r) {
        const T* row = x + r * n;
        const auto [mean, rstd] = row_moments(row, n, eps);
        if (keep) keep[2 * r] = mean, keep[2 * r + 1] = rstd;
        const T m = static_cast<T>(mean), k = static_cast<T>(rstd);
        T* out = y + r * n;
        if (w && b)
            for (std::size_t i = 0; i < n; ++i) out[i] = (row[i] - m) * k * w[i] + b[i];
        else
            for (std::size_t i = 0; i < n; ++i) out[i] = ((row[i] - m) * k) * (w ? w[i] : T(1)) + (b ? b[i] : T(0));
    }
}

// x̂ = (x - μ) r; dx = r (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)) with dx̂ = g w; dw += Σ g x̂; db += Σ g
// (dw, db and w may be null); h and dh hold n values of scratch. μ and r are the forward's when it
// kept them (`kept`, as layer_norm_rows), else computed again.
template <class T>
XGRAD_VECTOR_CLONES void layer_norm_backward_rows(const T* __restrict x, const T* __restrict g, T* __restrict dx, std::size_t rows,
                                                  std::size_t n, double eps, const T* __restrict w, T* __restrict dw,
                                                  T* __restrict db, T* __restrict h, T* __restrict dh, const double* __restrict kept) {
    for (std::size_t r = 0; r < rows; ++r) {
        const T* row = x + r * n;
        const T* gr = g + r * n;
        const auto [mean, rstd] = kept ? std::pair{kept[2 * r], kept[2 * r + 1]} : row_moments(row, n, eps);
        const T m = static_cast<T>(mean), k = static_cast<T>(rstd);
        for (std::size_t i = 0; i < n; ++i) h[i] = (row[i] - m) * k;
        if (w)
            for (std::size_t i = 0; i < n; ++i) dh[i] = gr[i] * w[i];
        else
            for (std::size_t i = 0; i < n; ++i) dh[i] = gr[i];
        const double sdh = lane_sum_inline(n, [dh](std::size_t i) { return static_cast<double>(dh[i]); });
        const double sdhh = lane_sum_inline(n, [dh, h](std::size_t i) { return static_cast<double>(dh[i] * h[i]); });
        if (dw)
            for (std::size_t i = 0; i < n; ++i) dw[i] += gr[i] * h[i];
        if (db)
            for (std::size_t i = 0; i < n; ++i) db[i] += gr[i];
        const T mdh = static_cast<T>(sdh / static_cast<double>(n)), mdhh = static_cast<T>(sdhh / static_cast<double>(n));
        T* d = dx + r * n;
        for (std::size_t i = 0; i < n; ++i) d[i] = k * (dh[i] - mdh - h[i] * mdhh);
    }
}

void check_affine(const char* op, const Tensor& p, const Shape& want, const char* what, const Tensor& x) {
    if (p.defined() && p.shape() != want)
        throw ShapeError(std::string(op) + ": " + what + " " + shape_str(p.shape()) + " must be " + shape_str(want) +
                         " for input " + shape_str(x.shape()));
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, double eps) {
    detail::require_floating("layer_norm", x);
    const std::size_t dims = normalized_shape.size();
    bool fits = dims >= 1 && dims <= x.dim();
    for (std::size_t d = 0; fits && d < dims; ++d) fits = x.shape()[x.dim() - dims + d] == normalized_shape[d];
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
    // A layer_norm that will be differentiated keeps each row's mean and 1/std (16 bytes a row, in
    // that order) for its backward, which otherwise computes them again (KeptForBackward: a re-run
    // or a backward at other operand values goes without). Rows under 8 values compute theirs
    // again: cheap, and 16 bytes a row would outweigh the input.
    const bool record = n >= 8 && is_grad_enabled() &&
                        (x.requires_grad() || (has_w && weight.requires_grad()) || (has_b && bias.requires_grad()));
    auto kept = record ? std::make_shared<detail::KeptForBackward<std::vector<double>>>() : nullptr;
    return apply("layer_norm", std::move(operands),
        [n, eps, has_w, has_b, wi, bi, kept](Inputs in) {
            return visit_float(in[0], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                Values<T> y = Values<T>::from_shape(xv.shape());
                const std::size_t rows = n ? xv.size() / n : 0;
                double* keep = nullptr;
                if (auto* moments = kept ? kept->keep(xv.data(), xv.size()) : nullptr) {
                    moments->resize(2 * rows);
                    keep = moments->data();
                }
                layer_norm_rows(xv.data(), y.data(), rows, n, eps, has_w ? get<T>(in[wi]).data() : nullptr,
                                has_b ? get<T>(in[bi]).data() : nullptr, keep);
                return y;
            });
        },
        [n, eps, has_w, has_b, wi, bi, kept](const BackwardArgs& c) -> Grads {
            return visit_float(c.in[0], [&](const auto& xv) -> Grads {
                using T = value_t<decltype(xv)>;
                Values<T> dx = Values<T>::from_shape(xv.shape());
                std::vector<T> dw(has_w ? n : 0, T(0)), db(has_b ? n : 0, T(0)), h(xv.size() ? n : 0), dh(h.size());  // no scratch for (0, 2^40)
                const std::size_t rows = n ? xv.size() / n : 0;
                const std::vector<double>* moments = kept ? kept->at(xv.data(), xv.size()) : nullptr;
                layer_norm_backward_rows(xv.data(), get<T>(c.grad).data(), dx.data(), rows, n, eps,
                                         has_w ? get<T>(c.in[wi]).data() : nullptr, has_w ? dw.data() : nullptr,
                                         has_b ? db.data() : nullptr, h.data(), dh.data(), moments ? moments->data() : nullptr);
                Grads out(c.in.size());
                if (c.needs[0]) out[0] = Array(std::move(dx));
                auto as_values = [&](const std::vector<T>& v, const Array& like) {
                    Values<T> a = Values<T>::from_shape(shape_of(like));
                    std::copy(v.begin(), v.end(), a.begin());
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
    // the batch's moments, computed by the forward, for the running statistics below (the backward
    // computes its own: check_graph re-runs a node's forward at other values)
    auto moments = std::make_shared<ChannelMoments>();
    Tensor y = apply("batch_norm", std::move(operands),
        [=](Inputs in) {
            return visit_float(in[0], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                const auto& m = *moments = channel_moments(xv.data(), batch, channels, inner);
                const T* w = has_w ? get<T>(in[wi]).data() : nullptr;
                const T* b = has_b ? get<T>(in[bi]).data() : nullptr;
                // y = x scale + shift per channel: scale = r w, shift = b - mean scale
                std::vector<double> scale(channels), shift(channels);
                for (std::size_t c = 0; c < channels; ++c) {
                    const double r = 1 / std::sqrt(m.var[c] + eps);
                    scale[c] = r * (w ? static_cast<double>(w[c]) : 1.0);
                    shift[c] = (b ? static_cast<double>(b[c]) : 0.0) - m.mean[c] * scale[c];
                }
                Values<T> out = Values<T>::from_shape(xv.shape());
                T* o = out.data();
                const T* xp = xv.data();
                const double* sc = scale.data();
                const double* sh = shift.data();
                for_each_element(batch, channels, inner, [&](std::size_t c, std::size_t i) { o[i] = static_cast<T>(static_cast<double>(xp[i]) * sc[c] + sh[c]); });
                return out;
            });
        },
        // per channel: dx = r w (g - mean g - x̂ mean(g x̂)); dw = Σ g x̂; db = Σ g
        [=](const BackwardArgs& c) -> Grads {
            return visit_float(c.in[0], [&](const auto& xv) -> Grads {
                using T = value_t<decltype(xv)>;
                const T* g = get<T>(c.grad).data();
                const T* w = has_w ? get<T>(c.in[wi]).data() : nullptr;
                const auto m = channel_moments(xv.data(), batch, channels, inner);
                std::vector<double> r(channels), sg(channels, 0.0), sgh(channels, 0.0), k(channels), mg(channels), mgh(channels);
                for (std::size_t ch = 0; ch < channels; ++ch) r[ch] = 1 / std::sqrt(m.var[ch] + eps);
                const T* xp = xv.data();
                const double* mean = m.mean.data();
                double* s1 = sg.data();
                double* s2 = sgh.data();
                for_each_element(batch, channels, inner, [&](std::size_t ch, std::size_t i) {
                    const double gi = static_cast<double>(g[i]);
                    s1[ch] += gi, s2[ch] += gi * (static_cast<double>(xp[i]) - mean[ch]);
                });
                const double inv = 1.0 / static_cast<double>(count);
                for (std::size_t ch = 0; ch < channels; ++ch) {
                    sgh[ch] *= r[ch];
                    k[ch] = r[ch] * (w ? static_cast<double>(w[ch]) : 1.0), mg[ch] = sg[ch] * inv, mgh[ch] = sgh[ch] * inv * r[ch];
                }
                // dx = k (g - mg - (x - mean) r mgh), with mgh already times r
                Values<T> dx = Values<T>::from_shape(xv.shape());
                T* d = dx.data();
                const double *kp = k.data(), *mgp = mg.data(), *mghp = mgh.data();
                for_each_element(batch, channels, inner, [&](std::size_t ch, std::size_t i) {
                    d[i] = static_cast<T>(kp[ch] * (static_cast<double>(g[i]) - mgp[ch] - (static_cast<double>(xp[i]) - mean[ch]) * mghp[ch]));
                });
                Grads out(c.in.size());
                if (c.needs[0]) out[0] = Array(std::move(dx));
                auto channel_values = [&](const std::vector<double>& v) {
                    Values<T> a = Values<T>::from_shape({channels});
                    std::transform(v.begin(), v.end(), a.begin(), [](double e) { return static_cast<T>(e); });
                    return Array(std::move(a));
                };
                if (has_w && c.needs[wi]) out[wi] = channel_values(sgh);
                if (has_b && c.needs[bi]) out[bi] = channel_values(sg);
                return out;
            });
        });
    // the running statistics move towards the batch's mean and unbiased variance (not recorded)
    if (running_mean.defined() || running_var.defined()) {
        NoGradGuard no_grad;
        auto update = [&](Tensor& t, const std::vector<double>& v, double factor) {
            if (!t.defined()) return;
            visit_float(t.mutable_array(), [&](auto& a) {
                using S = value_t<decltype(a)>;
                for (std::size_t c = 0; c < channels; ++c)
                    a.data()[c] = static_cast<S>((1 - momentum) * static_cast<double>(a.data()[c]) + momentum * v[c] * factor);
            });
        };
        update(running_mean, moments->mean, 1.0);
        update(running_var, moments->var, static_cast<double>(count) / static_cast<double>(count - 1));
    }
    return y;
}

}  // namespace xgrad
