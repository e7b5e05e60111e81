#pragma once

#include <optional>
#include <string>
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

    /// Everything step() has accumulated, as named tensors: "lr", and each started parameter
    /// i's state ("momentum_buffer.i" for SGD; "exp_avg.i", "exp_avg_sq.i", "step.i" for
    /// Adam). The tensors are copies.
    NamedTensors state_dict() const;
    /// What load_state_dict would refuse in `state`, one line each (empty when it fits).
    std::vector<std::string> state_dict_problems(const NamedTensors& state) const;
    /// Restores a state_dict() of the same kind of optimizer over parameters of the same shapes
    /// and dtypes. Throws std::invalid_argument listing every problem; nothing changes then.
    void load_state_dict(const NamedTensors& state);

protected:
    /// One field of a parameter's state as a named tensor: a buffer of the parameter's shape and
    /// dtype, or a count (a float64 scalar).
    struct StateField {
        std::string name;
        bool is_count = false;
    };
    /// The adapter between a subclass's typed state and named tensors (checkpoints): the fields of
    /// one parameter's state, in order ...
    virtual std::vector<StateField> state_fields() const = 0;
    /// ... parameter i's state as tensors in that order (empty before its first step) ...
    virtual std::vector<Tensor> state_of(std::size_t i) const = 0;
    /// ... and its restoration from copies of tensors in that order, already checked (empty: not started).
    virtual void set_state_of(std::size_t i, const std::vector<Tensor>& fields) = 0;

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
    /// Parameter i's momentum buffer; null before its first step, or without momentum.
    const Array* momentum_buffer(std::size_t i) const;

protected:
    std::vector<StateField> state_fields() const override { return {{"momentum_buffer"}}; }
    std::vector<Tensor> state_of(std::size_t i) const override;
    void set_state_of(std::size_t i, const std::vector<Tensor>& fields) override;

private:
    /// What SGD keeps per parameter, from its first step on.
    struct State {
        Array momentum_buffer;
    };
    SGDOptions o_;
    std::vector<std::optional<State>> state_;
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
    std::vector<StateField> state_fields() const override {
        return {{"exp_avg"}, {"exp_avg_sq"}, {"step", true}};
    }
    std::vector<Tensor> state_of(std::size_t i) const override;
    void set_state_of(std::size_t i, const std::vector<Tensor>& fields) override;

private:
    /// What Adam keeps per parameter, from its first step on: the moments and the step count.
    struct State {
        Array exp_avg, exp_avg_sq;
        long step = 0;
    };
    AdamOptions o_;
    bool decoupled_;
    std::vector<std::optional<State>> state_;
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
    /// Throws std::overflow_error past 10^15 epochs (the most a checkpoint stores).
    void step();
    std::int64_t epoch() const { return epoch_; }
    /// "epoch" and "base_lr", as float64 scalars.
    NamedTensors state_dict() const;
    /// What load_state_dict would refuse in `state`, one line each.
    std::vector<std::string> state_dict_problems(const NamedTensors& state) const;
    /// Restores a state_dict(); throws std::invalid_argument listing the problems (nothing changes then).
    void load_state_dict(const NamedTensors& state);

protected:
    virtual double lr_at(std::int64_t epoch) const = 0;
    double base_lr() const { return base_; }

private:
    Optimizer& opt_;
    double base_;
    std::int64_t epoch_ = 0;
};

/// Multiplies the learning rate by gamma every step_size epochs.
class StepLR : public LRScheduler {
public:
    /// Throws std::invalid_argument for a step_size below 1.
    StepLR(Optimizer& optimizer, int step_size, double gamma = 0.1);

private:
    double lr_at(std::int64_t epoch) const override;
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
    double lr_at(std::int64_t epoch) const override;
    int t_max_;
    double eta_min_;
};

}  // namespace xgrad::optim
