#include "ops/loss.hpp"

#include <cmath>
#include <limits>

#include "ops/common.hpp"

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
    std::vector<T> lse(n);
    for (std::size_t i = 0; i < n; ++i) {
        const T* row = x.data() + i * c;
        T m = -std::numeric_limits<T>::infinity();
        for (std::size_t k = 0; k < c; ++k) m = std::max(m, row[k]);
        T total = 0;
        for (std::size_t k = 0; k < c; ++k) total += std::exp(row[k] - m);
        lse[i] = m + std::log(total);
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
                for (std::size_t i = 0; i < n; ++i) {
                    const T w = upstream(g, i, r, n);
                    T mass = 0;
                    for (std::size_t k = 0; k < c; ++k) mass += target.at(q, i, k, c);
                    for (std::size_t k = 0; k < c; ++k) {
                        const std::size_t j = i * c + k;
                        const T log_p = x.data()[j] - lse[i];
                        dx.data()[j] = w * (std::exp(log_p) * mass - target.at(q, i, k, c));
                        if (want_q) dq.data()[j] = -w * T(1 - eps) * log_p;
                    }
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
template <class F, class DX, class DT>
Tensor elementwise_loss(std::string name, const Tensor& x, const Tensor& t, Reduction r, F f, DX dfdx, DT dfdt) {
    if (x.shape() != t.shape())
        throw ShapeError(name + ": target " + shape_str(t.shape()) + " must have the input's shape " +
                         shape_str(x.shape()));
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

Tensor cross_entropy(const Tensor& logits, const Labels& targets, CrossEntropyOptions options) {
    check_labels("cross_entropy", logits, targets);
    return cross_entropy_impl(logits, nullptr, &targets, options);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options) {
    check_logits("cross_entropy", logits);
    if (target.shape() != logits.shape())
        throw ShapeError("cross_entropy: target probabilities " + shape_str(target.shape()) +
                         " must have the logits' shape " + shape_str(logits.shape()));
    return cross_entropy_impl(logits, &target, nullptr, options);
}

Tensor nll_loss(const Tensor& log_probs, const Labels& targets, Reduction reduction) {
    check_labels("nll_loss", log_probs, targets);
    return apply("nll_loss", {log_probs},
        [targets, reduction](Inputs in) {
            return visit_float(in[0], [&](const auto& x) -> Array {
                using T = value_t<decltype(x)>;
                const std::size_t n = x.shape()[0], c = x.shape()[1];
                Values<T> per = Values<T>::from_shape({n});
                for (std::size_t i = 0; i < n; ++i) per.data()[i] = -x.data()[i * c + static_cast<std::size_t>(targets[i])];
                return reduce_losses(std::move(per), reduction);
            });
        },
        // dx_ik = -w_i at k = label_i, else 0
        [targets, reduction](const BackwardArgs& a) -> Grads {
            return make_grads(visit_float(a.grad, [&](const auto& g) -> Array {
                using T = value_t<decltype(g)>;
                const Shape& shape = shape_of(a.in[0]);
                const std::size_t n = shape[0], c = shape[1];
                Values<T> dx = xt::zeros<T>(shape);
                for (std::size_t i = 0; i < n; ++i)
                    dx.data()[i * c + static_cast<std::size_t>(targets[i])] = -upstream(g, i, reduction, n);
                return dx;
            }));
        });
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
    return elementwise_loss("binary_cross_entropy_with_logits", logits, target, reduction,
        [](auto x, auto t) { return std::max(x, decltype(x)(0)) - x * t + std::log1p(std::exp(-std::abs(x))); },
        // d/dx = σ(x) - t
        [](auto x, auto t) { return detail::stable_sigmoid(x) - t; },
        // d/dt = -x
        [](auto x, auto) { return -x; });
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    return elementwise_loss("mse_loss", input, target, reduction,
        [](auto x, auto t) { return (x - t) * (x - t); },
        // d/dx = 2 (x - t), d/dt = -2 (x - t)
        [](auto x, auto t) { return 2 * (x - t); },
        [](auto x, auto t) { return -2 * (x - t); });
}

}  // namespace xgrad
