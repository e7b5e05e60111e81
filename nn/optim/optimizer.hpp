#pragma once

#include <optional>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::optim {

/// Updates a list of parameters from their gradients. Parameters without a gradient are skipped.
class Optimizer {
public:
    /// Throws std::invalid_argument for an empty list or a tensor that does not require grad.
    Optimizer(std::vector<Tensor> params, double lr);
    virtual ~Optimizer() = default;
    /// One update of every parameter that has a gradient; records nothing.
    virtual void step() = 0;
    /// Forgets every parameter's gradient.
    void zero_grad();
    double lr() const { return lr_; }
    void set_lr(double lr);
    const std::vector<Tensor>& params() const { return params_; }

    /// Everything step() has accumulated, as named tensors: "lr", and each parameter i's
    /// buffers ("momentum_buffer.i" for SGD; "exp_avg.i", "exp_avg_sq.i", "step.i" for Adam).
    /// The tensors are copies.
    NamedTensors state_dict() const;
    /// What load_state_dict would refuse in `state`, one line each (empty when it fits).
    std::vector<std::string> state_dict_problems(const NamedTensors& state) const;
    /// Restores a state_dict() of the same kind of optimizer over parameters of the same shapes
    /// and dtypes. Throws std::invalid_argument listing every problem; nothing changes then.
    void load_state_dict(const NamedTensors& state);

protected:
    /// The per-parameter buffers that make up the state, by name (nullopt: not started yet).
    using Slots = std::vector<std::pair<std::string, std::vector<std::optional<Array>>*>>;
    virtual Slots slots() = 0;
    /// Per-parameter counters beside the buffers (Adam's step counts); none by default.
    virtual std::vector<std::pair<std::string, std::vector<long>*>> counters() { return {}; }

    std::vector<Tensor> params_;
    double lr_;
};

struct SGDOptions {
    double lr = 1e-3;
    double momentum = 0;
    double dampening = 0;
    double weight_decay = 0;
    bool nesterov = false;
};

/// Stochastic gradient descent with PyTorch's update rule: g = grad + wd p; with momentum,
/// b = g on the first step, then b = m b + (1 - dampening) g; g = nesterov ? g + m b : b; p -= lr g.
class SGD : public Optimizer {
public:
    /// Throws std::invalid_argument for negative values, or nesterov without momentum or with dampening.
    SGD(std::vector<Tensor> params, SGDOptions options = {});
    void step() override;
    /// The momentum buffer of parameter i (nullopt before its first step, or without momentum).
    const std::optional<Array>& momentum_buffer(std::size_t i) const { return buffers_.at(i); }

protected:
    Slots slots() override { return {{"momentum_buffer", &buffers_}}; }

private:
    SGDOptions o_;
    std::vector<std::optional<Array>> buffers_;
};

struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0;  ///< L2 added to the gradient (Adam) or decoupled (AdamW)
};

/// Adam (Kingma & Ba) with bias correction, as PyTorch: m = β1 m + (1-β1) g, v = β2 v + (1-β2) g²,
/// p -= lr m̂ / (√v̂ + eps). With `decoupled_weight_decay` it is AdamW: p *= 1 - lr wd first.
class Adam : public Optimizer {
public:
    /// Throws std::invalid_argument for betas outside [0, 1), or negative lr, eps, weight decay.
    Adam(std::vector<Tensor> params, AdamOptions options = {}, bool decoupled_weight_decay = false);
    void step() override;

protected:
    Slots slots() override { return {{"exp_avg", &m_}, {"exp_avg_sq", &v_}}; }
    std::vector<std::pair<std::string, std::vector<long>*>> counters() override { return {{"step", &steps_}}; }

private:
    AdamOptions o_;
    bool decoupled_;
    std::vector<std::optional<Array>> m_, v_;
    std::vector<long> steps_;
};

/// AdamW: Adam with decoupled weight decay (default 0.01, as PyTorch).
class AdamW : public Adam {
public:
    AdamW(std::vector<Tensor> params, AdamOptions options = {.weight_decay = 1e-2}) : Adam(std::move(params), options, true) {}
};

/// Scales all gradients together so that their global L2 norm is at most max_norm (PyTorch's
/// clip_grad_norm_, factor max_norm / (norm + 1e-6)); returns the norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

/// Sets an optimizer's learning rate once per epoch (call step() after each) from a closed form
/// of the epoch count and the learning rate the optimizer had when the scheduler was made.
class LRScheduler {
public:
    explicit LRScheduler(Optimizer& optimizer) : opt_(optimizer), base_(optimizer.lr()) {}
    virtual ~LRScheduler() = default;
    void step() { opt_.set_lr(lr_at(++epoch_)); }
    int epoch() const { return epoch_; }
    /// "epoch" and "base_lr", as float64 scalars.
    NamedTensors state_dict() const;
    /// What load_state_dict would refuse in `state`, one line each.
    std::vector<std::string> state_dict_problems(const NamedTensors& state) const;
    /// Restores a state_dict(); throws std::invalid_argument listing the problems (nothing changes then).
    void load_state_dict(const NamedTensors& state);

protected:
    virtual double lr_at(int epoch) const = 0;
    double base_lr() const { return base_; }

private:
    Optimizer& opt_;
    double base_;
    int epoch_ = 0;
};

/// Multiplies the learning rate by gamma every step_size epochs.
class StepLR : public LRScheduler {
public:
    /// Throws std::invalid_argument for a step_size below 1.
    StepLR(Optimizer& optimizer, int step_size, double gamma = 0.1);

private:
    double lr_at(int epoch) const override;
    int step_size_;
    double gamma_;
};

/// Cosine annealing from the initial lr to eta_min over t_max epochs:
/// lr = eta_min + (base - eta_min) (1 + cos(π epoch / t_max)) / 2 (PyTorch's closed form).
class CosineAnnealingLR : public LRScheduler {
public:
    /// Throws std::invalid_argument for a t_max below 1.
    CosineAnnealingLR(Optimizer& optimizer, int t_max, double eta_min = 0);

private:
    double lr_at(int epoch) const override;
    int t_max_;
    double eta_min_;
};

}  // namespace xgrad::optim
