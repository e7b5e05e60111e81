#include "ops/loss.hpp"

#include <cmath>
#include <limits>

#include "ops/activation.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/indexing.hpp"
#include "ops/reduce.hpp"
#include "ops/shape.hpp"

namespace xgrad {

using detail::value_t;

namespace {

// Combines per-element losses as asked.
template <class T>
Values<T> reduce_losses(Values<T> per, Reduction r) {
    if (r == Reduction::none) return per;
    T total = 0;
    for (T v : per) total += v;
    if (r == Reduction::mean) total /= static_cast<T>(per.size());
    return Values<T>(total);
}

// dLoss/d(per-element loss i): the upstream gradient, spread by the reduction.
template <class T>
T upstream(const Values<T>& g, std::size_t i, Reduction r, std::size_t count) {
    if (r == Reduction::none) return g.data()[i];
    return r == Reduction::mean ? g.data()[0] / static_cast<T>(count) : g.data()[0];
}

void check_logits(const char* op, const Tensor& x) {
    if (x.dim() != 2 || x.shape()[1] == 0)
        throw ShapeError(std::string(op) + ": expected input (batch, classes) with at least one class, got " +
                         shape_str(x.shape()));
}

void check_labels(const char* op, const Tensor& x, const Labels& labels) {
    check_logits(op, x);
    const std::size_t n = x.shape()[0];
    if (labels.size() != n)
        throw ShapeError(std::string(op) + ": " + std::to_string(labels.size()) + " labels for a batch of " +
                         std::to_string(n) + " (input " + shape_str(x.shape()) + ")");
    check_label_range(op, labels, x.shape()[1]);
}

// The target distribution of row i, class k: smoothed one-hot (labels) or smoothed probabilities.
struct Target {
    const Labels* labels = nullptr;
    double smoothing = 0;
    template <class T>
    T at(const T* probs, std::size_t i, std::size_t k, std::size_t classes) const {
        const T base = labels ? T(static_cast<std::size_t>((*labels)[i]) == k) : probs[i * classes + k];
        return T(1 - smoothing) * base + T(smoothing / static_cast<double>(classes));
    }
};

// Rows of log-sum-exp: lse_i = m + log Σ_k e^(x_ik - m).
template <class T>
std::vector<T> logsumexp_rows(const Values<T>& x) {
    const std::size_t n = x.shape()[0], c = x.shape()[1];
    std::vector<T> lse(n), e(n * c);  // e: x - the row's max, then its exponential (one vector pass)
    for (std::size_t i = 0; i < n; ++i) {
        const T* row = x.data() + i * c;
        T m = -std::numeric_limits<T>::infinity();
        for (std::size_t k = 0; k < c; ++k) m = std::max(m, row[k]);
        for (std::size_t k = 0; k < c; ++k) e[i * c + k] = row[k] - m;
        lse[i] = m;
    }
    detail::exp_in_place(e.data(), e.size());
    for (std::size_t i = 0; i < n; ++i) {
        T total = 0;
        for (std::size_t k = 0; k < c; ++k) total += e[i * c + k];
        lse[i] += std::log(total);
    }
    return lse;
}

// inputs: logits, and the probabilities when the target is a tensor.
Tensor cross_entropy_impl(const Tensor& logits, const Tensor* probs, const Labels* labels, CrossEntropyOptions o) {
    if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1))
        throw std::invalid_argument("cross_entropy: label_smoothing must be in [0, 1], got " +
                                    number_str(o.label_smoothing));
    std::vector<Tensor> inputs{logits};
    if (probs) inputs.push_back(*probs);
    Labels copy = labels ? *labels : Labels{};
    const Reduction r = o.reduction;
    const double eps = o.label_smoothing;
    return apply("cross_entropy", std::move(inputs),
        [copy, r, eps, by_label = labels != nullptr](Inputs in) {
            return visit_float(in[0], [&](const auto& x) -> Array {
                using T = value_t<decltype(x)>;
                const std::size_t n = x.shape()[0], c = x.shape()[1];
                const T* q = by_label ? nullptr : get<T>(in[1]).data();
                const Target target{by_label ? &copy : nullptr, eps};
                auto lse = logsumexp_rows(x);
                Values<T> per = Values<T>::from_shape({n});
                for (std::size_t i = 0; i < n; ++i) {
                    // -Σ q log p = lse Σ q - Σ q x
                    T mass = 0, dot = 0;
                    for (std::size_t k = 0; k < c; ++k) {
                        const T qk = target.at(q, i, k, c);
                        mass += qk;
                        dot += qk * x.data()[i * c + k];
                    }
                    per.data()[i] = lse[i] * mass - dot;
                }
                return reduce_losses(std::move(per), r);
            });
        },
        // dx_ik = w_i (p_ik Σq - q_ik);  dq_ik = -w_i (1 - ε) log p_ik;  w_i from the reduction
        [copy, r, eps, by_label = labels != nullptr](const BackwardArgs& a) -> Grads {
            return visit_float(a.in[0], [&](const auto& x) -> Grads {
                using T = value_t<decltype(x)>;
                const std::size_t n = x.shape()[0], c = x.shape()[1];
                const auto& g = get<T>(a.grad);
                const T* q = by_label ? nullptr : get<T>(a.in[1]).data();
                const Target target{by_label ? &copy : nullptr, eps};
                auto lse = logsumexp_rows(x);
                Values<T> dx = Values<T>::from_shape(x.shape());
                Values<T> dq;
                const bool want_q = !by_label && a.needs[1];
                if (want_q) dq = Values<T>::from_shape(x.shape());
                T* p = dx.data();  // log p, then p (one vector pass), then dx over it
                for (std::size_t i = 0; i < n; ++i)
                    for (std::size_t k = 0; k < c; ++k) p[i * c + k] = x.data()[i * c + k] - lse[i];
                if (want_q)
                    for (std::size_t i = 0; i < n; ++i) {
                        const T w = upstream(g, i, r, n);
                        for (std::size_t k = 0; k < c; ++k) dq.data()[i * c + k] = -w * T(1 - eps) * p[i * c + k];
                    }
                detail::exp_in_place(p, n * c);
                for (std::size_t i = 0; i < n; ++i) {
                    const T w = upstream(g, i, r, n);
                    T mass = 0;
                    for (std::size_t k = 0; k < c; ++k) mass += target.at(q, i, k, c);
                    for (std::size_t k = 0; k < c; ++k) p[i * c + k] = w * (p[i * c + k] * mass - target.at(q, i, k, c));
                }
                Grads out(a.in.size());
                if (a.needs[0]) out[0] = std::move(dx);
                if (want_q) out[1] = std::move(dq);
                return out;
            });
        });
}

// A loss computed element by element from input and target of one shape:
// f(x, t) the loss, dfdx and dfdt its partial derivatives.
// `broadcast`: input and target broadcast together (mse, l1, huber), else they must be of one shape.
template <class F, class DX, class DT>
Tensor elementwise_loss(std::string name, const Tensor& input, const Tensor& target, Reduction r, bool broadcast, F f, DX dfdx, DT dfdt) {
    if (!broadcast && input.shape() != target.shape())
        throw ShapeError(name + ": target " + shape_str(target.shape()) + " must have the input's shape " +
                         shape_str(input.shape()));
    Tensor x, t;
    std::tie(x, t) = detail::promoted(input, target);
    if (!x.is_floating_point()) x = x.to(Dtype::float32), t = t.to(Dtype::float32);
    if (x.shape() != t.shape()) {  // broadcast together, as PyTorch (which warns); gradients sum back
        const Shape both = detail::broadcast_shapes(name, x.shape(), t.shape());
        x = broadcast_to(x, both), t = broadcast_to(t, both);
    }
    return apply(std::move(name), {x, t},
        [r, f](Inputs in) {
            return map(in[0], in[1], [&](const auto& xv, const auto& tv) {
                auto per = xv;
                for (std::size_t i = 0; i < per.size(); ++i) per.data()[i] = f(xv.data()[i], tv.data()[i]);
                return reduce_losses(std::move(per), r);
            });
        },
        [r, dfdx, dfdt](const BackwardArgs& a) -> Grads {
            // d loss / d operand_i = w_i df(x_i, t_i), w_i from the reduction
            auto partial = [&](const auto& df) {
                return map(a.in[0], a.in[1], [&](const auto& xv, const auto& tv) {
                    auto d = xv;
                    const auto& g = get<value_t<decltype(xv)>>(a.grad);
                    for (std::size_t i = 0; i < d.size(); ++i)
                        d.data()[i] = upstream(g, i, r, d.size()) * df(xv.data()[i], tv.data()[i]);
                    return d;
                });
            };
            Grads out(2);
            if (a.needs[0]) out[0] = partial(dfdx);
            if (a.needs[1]) out[1] = partial(dfdt);
            return out;
        });
}

}  // namespace

void check_label_range(std::string_view op, const Labels& labels, std::size_t classes) {
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= classes)
            throw std::invalid_argument(std::string(op) + ": label " + std::to_string(labels[i]) + " at position " +
                                        std::to_string(i) + " is out of range for " + std::to_string(classes) +
                                        " classes");
}

namespace {

// Logits or log-probabilities (N, C, d...) and int64 labels (N, d...): the labels, flattened,
// each in [0, C) or equal to ignore_index; the class weights as doubles (all 1 when undefined).
struct ClassTargets {
    Labels labels;
    std::vector<double> weight;  // empty: every class weighs 1
    double weight_of(std::int64_t label) const { return weight.empty() ? 1.0 : weight[static_cast<std::size_t>(label)]; }
    std::size_t classes = 0, inner = 1;  // C, and Π d
};

// The class weights (C) of an (N, C, d...) input, as doubles.
std::vector<double> class_weights(const char* op, const Tensor& weight, const Tensor& x) {
    if (weight.dim() != 1 || weight.shape()[0] != x.shape()[1])
        throw ShapeError(std::string(op) + ": weight " + shape_str(weight.shape()) + " must hold one value per class (" +
                         std::to_string(x.shape()[1]) + ") of input " + shape_str(x.shape()));
    detail::require_floating(op, weight);
    const Array values = cast(weight.array(), Dtype::float64);
    const auto& w = get<double>(values);
    return {w.begin(), w.end()};
}

ClassTargets check_class_targets(const char* op, const Tensor& x, const Tensor& target, std::int64_t ignore, const Tensor& weight) {
    if (x.dim() < 2 || x.shape()[1] == 0)
        throw ShapeError(std::string(op) + ": expected input (N, C) or (N, C, d1, ...) with at least one class, got " +
                         shape_str(x.shape()));
    detail::require_floating(op, x);
    detail::require_index(op, target, "label");
    Shape want;
    for (std::size_t d = 0; d < x.dim(); ++d)
        if (d != 1) want.push_back(x.shape()[d]);
    if (target.shape() != want)
        throw ShapeError(std::string(op) + ": labels " + shape_str(target.shape()) + " do not fit input " + shape_str(x.shape()) +
                         " (expected labels " + shape_str(want) + ")");
    ClassTargets t;
    t.classes = x.shape()[1];
    for (std::size_t d = 2; d < x.dim(); ++d) t.inner *= x.shape()[d];
    const auto& v = target.data<std::int64_t>();
    t.labels.assign(v.begin(), v.end());
    for (std::size_t i = 0; i < t.labels.size(); ++i) {
        const std::int64_t y = t.labels[i];
        if (y != ignore && (y < 0 || static_cast<std::size_t>(y) >= t.classes))
            throw std::invalid_argument(std::string(op) + ": label " + std::to_string(y) + " at position " + std::to_string(i) +
                                        " is out of range for " + std::to_string(t.classes) + " classes (ignore_index is " +
                                        std::to_string(ignore) + ")");
    }
    if (weight.defined()) t.weight = class_weights(op, weight, x);  // else all 1, never materialised
    return t;
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, NllLossOptions o) {
    ClassTargets t = check_class_targets("nll_loss", log_probs, targets, o.ignore_index, o.weight);
    const Shape label_shape = targets.shape();
    const Reduction r = o.reduction;
    const std::int64_t ignore = o.ignore_index;
    // Σ w[y] over the counted samples: the mean's denominator
    double total_weight = 0;
    for (auto y : t.labels)
        if (y != ignore) total_weight += t.weight_of(y);
    return apply("nll_loss", {log_probs},
        [t, label_shape, r, ignore, total_weight](Inputs in) {
            return visit_float(in[0], [&](const auto& x) -> Array {
                using T = value_t<decltype(x)>;
                const std::size_t c = t.classes, s = t.inner;
                Values<T> per = Values<T>::from_shape(label_shape);
                double sum = 0;
                for (std::size_t i = 0; i < t.labels.size(); ++i) {
                    const std::int64_t y = t.labels[i];
                    const std::size_t n = i / s, k = i % s;
                    const double l = y == ignore ? 0.0
                                   : -t.weight_of(y) * static_cast<double>(x.data()[(n * c + static_cast<std::size_t>(y)) * s + k]);
                    per.data()[i] = static_cast<T>(l);
                    sum += l;
                }
                if (r == Reduction::none) return per;
                return Values<T>(static_cast<T>(r == Reduction::sum ? sum : sum / total_weight));
            });
        },
        // dx[n, y, k] = -w[y] times the upstream gradient of sample (n, k) (/ Σ w for the mean)
        [t, r, ignore, total_weight](const BackwardArgs& a) -> Grads {
            return make_grads(visit_float(a.grad, [&](const auto& g) -> Array {
                using T = value_t<decltype(g)>;
                const std::size_t c = t.classes, s = t.inner;
                Values<T> dx = xt::zeros<T>(shape_of(a.in[0]));
                for (std::size_t i = 0; i < t.labels.size(); ++i) {
                    const std::int64_t y = t.labels[i];
                    if (y == ignore) continue;
                    const double up = r == Reduction::none ? static_cast<double>(g.data()[i])
                                    : r == Reduction::sum  ? static_cast<double>(g.data()[0])
                                                           : static_cast<double>(g.data()[0]) / total_weight;
                    const std::size_t n = i / s, k = i % s;
                    dx.data()[(n * c + static_cast<std::size_t>(y)) * s + k] = static_cast<T>(-t.weight_of(y) * up);
                }
                return dx;
            }));
        });
}

Tensor nll_loss(const Tensor& log_probs, const Labels& targets, Reduction reduction) {
    check_labels("nll_loss", log_probs, targets);
    return nll_loss(log_probs, Tensor::from(targets, {targets.size()}), {.reduction = reduction});
}

namespace {

// weight (C) shaped to broadcast along dimension 1 of an (N, C, d...) input
Tensor class_view(const Tensor& weight, const Tensor& x) {
    std::vector<std::int64_t> shape(x.dim(), 1);
    shape[1] = -1;
    return reshape(weight, shape);
}

Tensor reduce(const Tensor& per, Reduction r) {
    if (r == Reduction::none) return per;
    return r == Reduction::sum ? sum(per) : mean(per);
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions o) {
    if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1))
        throw std::invalid_argument("cross_entropy: label_smoothing must be in [0, 1], got " + number_str(o.label_smoothing));
    if (logits.dim() < 2 || logits.shape()[1] == 0)
        throw ShapeError("cross_entropy: expected logits (N, C) or (N, C, d1, ...) with at least one class, got " +
                         shape_str(logits.shape()));
    detail::require_floating("cross_entropy", logits);
    const double eps = o.label_smoothing;
    const auto classes = static_cast<double>(logits.shape()[1]);
    if (target.is_floating_point()) {
        // class probabilities of the logits' shape
        if (target.shape() != logits.shape())
            throw ShapeError("cross_entropy: target probabilities " + shape_str(target.shape()) +
                             " must have the logits' shape " + shape_str(logits.shape()));
        if (logits.dim() == 2 && !o.weight.defined()) return cross_entropy_impl(logits, &target, nullptr, o);
        if (o.weight.defined()) class_weights("cross_entropy", o.weight, logits);
        Tensor q = eps == 0 ? target : target * (1 - eps) + eps / classes;
        Tensor t = log_softmax(logits, 1) * q;
        if (o.weight.defined()) t = t * class_view(o.weight, logits);
        return reduce(-sum(t, 1), o.reduction);
    }
    const ClassTargets ct = check_class_targets("cross_entropy", logits, target, o.ignore_index, o.weight);
    const bool ignored = std::find(ct.labels.begin(), ct.labels.end(), o.ignore_index) != ct.labels.end();
    if (logits.dim() == 2 && !o.weight.defined() && !ignored) return cross_entropy_impl(logits, nullptr, &ct.labels, o);  // the fused kernel
    const Tensor lp = log_softmax(logits, 1);
    const Tensor nll = nll_loss(lp, target, {.reduction = o.reduction, .ignore_index = o.ignore_index, .weight = o.weight});
    if (eps == 0) return nll;
    // PyTorch's smoothing term: -Σ_c w_c log p_c per sample, 0 where ignored; the mean divides by
    // Σ w[label] over the samples not ignored, as nll_loss does
    Tensor smooth = o.weight.defined() ? -sum(lp * class_view(o.weight, logits), 1) : -sum(lp, 1);
    smooth = masked_fill(smooth, eq(target, Tensor::scalar(static_cast<double>(o.ignore_index), {.dtype = Dtype::int64})), 0.0);
    Tensor term;
    if (o.reduction == Reduction::mean) {
        double total = 0;
        for (auto y : ct.labels)
            if (y != o.ignore_index) total += ct.weight_of(y);
        term = sum(smooth) / total;
    } else {
        term = reduce(smooth, o.reduction);
    }
    return nll * (1 - eps) + term * (eps / classes);
}

Tensor cross_entropy(const Tensor& logits, const Labels& targets, CrossEntropyOptions options) {
    check_logits("cross_entropy", logits);
    if (targets.size() != logits.shape()[0])
        throw ShapeError("cross_entropy: " + std::to_string(targets.size()) + " labels for a batch of " +
                         std::to_string(logits.shape()[0]) + " (input " + shape_str(logits.shape()) + ")");
    return cross_entropy(logits, Tensor::from(targets, {targets.size()}), options);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
    return elementwise_loss("binary_cross_entropy_with_logits", logits, target, reduction, false,
        [](auto x, auto t) { return std::max(x, decltype(x)(0)) - x * t + std::log1p(std::exp(-std::abs(x))); },
        // d/dx = σ(x) - t
        [](auto x, auto t) { return detail::stable_sigmoid(x) - t; },
        // d/dt = -x
        [](auto x, auto) { return -x; });
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    return elementwise_loss("l1_loss", input, target, reduction, true,
        [](auto x, auto t) { return std::abs(x - t); },
        // d/dx = sign(x - t), d/dt = -sign(x - t)
        [](auto x, auto t) { return decltype(x)((x > t) - (x < t)); },
        [](auto x, auto t) { return decltype(x)((x < t) - (x > t)); });
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
    if (!(delta > 0)) throw std::invalid_argument("huber_loss: delta must be positive, got " + number_str(delta));
    return elementwise_loss("huber_loss", input, target, reduction, true,
        [delta](auto x, auto t) {
            using T = decltype(x);
            const T d = x - t, a = std::abs(d), k = static_cast<T>(delta);
            return a < k ? T(0.5) * d * d : k * (a - T(0.5) * k);
        },
        // d/dx = d where |d| < delta, else delta sign(d); d/dt = -d/dx
        [delta](auto x, auto t) {
            using T = decltype(x);
            const T d = x - t, k = static_cast<T>(delta);
            return std::abs(d) < k ? d : k * T((d > 0) - (d < 0));
        },
        [delta](auto x, auto t) {
            using T = decltype(x);
            const T d = x - t, k = static_cast<T>(delta);
            return std::abs(d) < k ? -d : -k * T((d > 0) - (d < 0));
        });
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    return elementwise_loss("mse_loss", input, target, reduction, true,
        [](auto x, auto t) { return (x - t) * (x - t); },
        // d/dx = 2 (x - t), d/dt = -2 (x - t)
        [](auto x, auto t) { return 2 * (x - t); },
        [](auto x, auto t) { return -2 * (x - t); });
}

}  // namespace xgrad
