#include "nn/optim/optimizer.hpp"

#include <cmath>
#include <numbers>

#include "autograd/grad_mode.hpp"

namespace xgrad::optim {

namespace {

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
}

// Calls f(p, g, n) with raw pointers to a parameter's values and gradient of the same type.
template <class F>
void with_values(Tensor& p, const Tensor& grad, F&& f) {
    std::visit([&](auto& values) {
        using T = typename std::decay_t<decltype(values)>::value_type;
        f(values.data(), get<T>(grad.array()).data(), values.size());
    }, p.mutable_array());
}

Array zeros_like(const Tensor& t) { return Tensor::zeros(t.shape(), {.dtype = t.dtype()}).array(); }

template <class T>
T* raw(Array& a) {
    return get<T>(a).data();
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
    require(!params_.empty(), "optimizer: got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i)
        require(params_[i].defined() && params_[i].requires_grad(),
                "optimizer: parameter " + std::to_string(i) + " does not require grad");
    set_lr(lr);
}

void Optimizer::set_lr(double lr) {
    require(lr >= 0, "optimizer: learning rate must be non-negative, got " + number_str(lr));
    lr_ = lr;
}

void Optimizer::zero_grad() {
    for (auto& p : params_) p.zero_grad();
}

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr), o_(options), buffers_(params_.size()) {
    require(o_.momentum >= 0, "SGD: momentum must be non-negative, got " + number_str(o_.momentum));
    require(o_.weight_decay >= 0, "SGD: weight_decay must be non-negative, got " + number_str(o_.weight_decay));
    require(!o_.nesterov || (o_.momentum > 0 && o_.dampening == 0),
            "SGD: nesterov momentum requires a momentum and zero dampening");
}

void SGD::step() {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        auto grad = params_[i].grad();
        if (!grad) continue;
        const bool first = o_.momentum != 0 && !buffers_[i];  // PyTorch starts the buffer at g
        if (first) buffers_[i] = zeros_like(params_[i]);
        with_values(params_[i], *grad, [&](auto* p, const auto* g, std::size_t n) {
            using T = std::remove_pointer_t<decltype(p)>;
            const T lr = static_cast<T>(lr_), wd = static_cast<T>(o_.weight_decay), m = static_cast<T>(o_.momentum),
                    damp = static_cast<T>(1 - o_.dampening);
            T* b = o_.momentum != 0 ? raw<T>(*buffers_[i]) : nullptr;
            for (std::size_t k = 0; k < n; ++k) {
                T d = g[k] + wd * p[k];
                if (b) {
                    b[k] = first ? d : m * b[k] + damp * d;
                    d = o_.nesterov ? d + m * b[k] : b[k];
                }
                p[k] -= lr * d;
            }
        });
    }
}

Adam::Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled_weight_decay)
    : Optimizer(std::move(params), options.lr), o_(options), decoupled_(decoupled_weight_decay),
      m_(params_.size()), v_(params_.size()), steps_(params_.size(), 0) {
    require(o_.beta1 >= 0 && o_.beta1 < 1, "Adam: beta1 must be in [0, 1), got " + number_str(o_.beta1));
    require(o_.beta2 >= 0 && o_.beta2 < 1, "Adam: beta2 must be in [0, 1), got " + number_str(o_.beta2));
    require(o_.eps >= 0, "Adam: eps must be non-negative, got " + number_str(o_.eps));
    require(o_.weight_decay >= 0, "Adam: weight_decay must be non-negative, got " + number_str(o_.weight_decay));
}

void Adam::step() {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        auto grad = params_[i].grad();
        if (!grad) continue;
        if (!m_[i]) m_[i] = zeros_like(params_[i]), v_[i] = zeros_like(params_[i]);
        const long t = ++steps_[i];
        with_values(params_[i], *grad, [&](auto* p, const auto* g, std::size_t n) {
            using T = std::remove_pointer_t<decltype(p)>;
            T* m = raw<T>(*m_[i]);
            T* v = raw<T>(*v_[i]);
            const T b1 = static_cast<T>(o_.beta1), b2 = static_cast<T>(o_.beta2);
            const T wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
            // p -= lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps), PyTorch's arrangement
            const T step_size = static_cast<T>(lr_ / (1 - std::pow(o_.beta1, t)));
            const T root_c2 = static_cast<T>(std::sqrt(1 - std::pow(o_.beta2, t)));
            const T decay = static_cast<T>(1 - lr_ * o_.weight_decay);
            for (std::size_t k = 0; k < n; ++k) {
                T d = g[k];
                if (decoupled_) p[k] *= decay;
                else d += wd * p[k];
                m[k] = b1 * m[k] + (1 - b1) * d;
                v[k] = b2 * v[k] + (1 - b2) * d * d;
                p[k] -= step_size * m[k] / (std::sqrt(v[k]) / root_c2 + eps);
            }
        });
    }
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
    require(max_norm >= 0, "clip_grad_norm: max_norm must be non-negative, got " + number_str(max_norm));
    double total = 0;
    for (const auto& p : params)
        if (auto g = p.grad()) total += sum_of_squares(g->array());
    const double norm = std::sqrt(total);
    const double factor = max_norm / (norm + 1e-6);
    if (factor < 1)
        for (const auto& p : params)
            if (auto g = p.grad())
                std::visit([&](auto& a) { for (auto& v : a) v = static_cast<std::decay_t<decltype(v)>>(v * factor); },
                           g->mutable_array());
    return norm;
}

StepLR::StepLR(Optimizer& optimizer, int step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    require(step_size > 0, "StepLR: step_size must be positive, got " + std::to_string(step_size));
}

double StepLR::lr_at(int epoch) const { return base_lr() * std::pow(gamma_, epoch / step_size_); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    require(t_max > 0, "CosineAnnealingLR: t_max must be positive, got " + std::to_string(t_max));
}

double CosineAnnealingLR::lr_at(int epoch) const {
    const double progress = static_cast<double>(epoch) / t_max_;  // periodic past t_max, as PyTorch
    return eta_min_ + (base_lr() - eta_min_) * (1 + std::cos(std::numbers::pi * progress)) / 2;
}

}  // namespace xgrad::optim
