#pragma once

#include <memory>
#include <string_view>

#include "nn/module.hpp"
#include "ops/activation.hpp"

namespace xgrad::nn {

/// The activation functions of ops/activation.hpp as modules, to place in a Sequential.
class Identity : public Module {
public:
    Tensor forward(const Tensor& x) override { return identity(x); }
    std::string describe() const override { return "Identity()"; }
};

class Step : public Module {
public:
    Tensor forward(const Tensor& x) override { return step(x); }
    std::string describe() const override { return "Step()"; }
};

class Sigmoid : public Module {
public:
    Tensor forward(const Tensor& x) override { return sigmoid(x); }
    std::string describe() const override { return "Sigmoid()"; }
};

class Tanh : public Module {
public:
    Tensor forward(const Tensor& x) override { return tanh(x); }
    std::string describe() const override { return "Tanh()"; }
};

class ReLU : public Module {
public:
    Tensor forward(const Tensor& x) override { return relu(x); }
    std::string describe() const override { return "ReLU()"; }
};

class LeakyReLU : public Module {
public:
    explicit LeakyReLU(double negative_slope = 0.01) : slope_(negative_slope) {}
    Tensor forward(const Tensor& x) override { return leaky_relu(x, slope_); }
    std::string describe() const override { return "LeakyReLU(" + number_str(slope_) + ")"; }

private:
    double slope_;
};

/// PReLU with its learned slope as the parameter "weight": one shared slope (num_parameters 1)
/// or one per channel (dimension 1 of the input), starting at `init` (PyTorch: 0.25).
class PReLU : public Module {
public:
    explicit PReLU(std::size_t num_parameters = 1, double init = 0.25, Dtype dtype = Dtype::float32);
    Tensor forward(const Tensor& x) override { return prelu(x, weight()); }
    std::string describe() const override;
    const Tensor& weight() const { return weight_; }

private:
    Tensor weight_;
};

class ELU : public Module {
public:
    explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
    Tensor forward(const Tensor& x) override { return elu(x, alpha_); }
    std::string describe() const override { return "ELU(" + number_str(alpha_) + ")"; }

private:
    double alpha_;
};

class GELU : public Module {
public:
    explicit GELU(GeluApproximation approximate = GeluApproximation::none) : approximate_(approximate) {}
    Tensor forward(const Tensor& x) override { return gelu(x, approximate_); }
    std::string describe() const override {
        return approximate_ == GeluApproximation::tanh ? "GELU(tanh)" : "GELU()";
    }

private:
    GeluApproximation approximate_;
};

class SiLU : public Module {
public:
    Tensor forward(const Tensor& x) override { return silu(x); }
    std::string describe() const override { return "SiLU()"; }
};

class Softplus : public Module {
public:
    explicit Softplus(double beta = 1.0, double threshold = 20.0) : beta_(beta), threshold_(threshold) {}
    Tensor forward(const Tensor& x) override { return softplus(x, beta_, threshold_); }
    std::string describe() const override {
        return "Softplus(beta " + number_str(beta_) + ", threshold " + number_str(threshold_) + ")";
    }

private:
    double beta_, threshold_;
};

class Softmax : public Module {
public:
    explicit Softmax(int axis = -1) : axis_(axis) {}
    Tensor forward(const Tensor& x) override { return softmax(x, axis_); }
    std::string describe() const override { return "Softmax(axis " + std::to_string(axis_) + ")"; }

private:
    int axis_;
};

class LogSoftmax : public Module {
public:
    explicit LogSoftmax(int axis = -1) : axis_(axis) {}
    Tensor forward(const Tensor& x) override { return log_softmax(x, axis_); }
    std::string describe() const override { return "LogSoftmax(axis " + std::to_string(axis_) + ")"; }

private:
    int axis_;
};

/// The activation module for a name: identity (or linear), step, sigmoid, tanh, relu,
/// leaky_relu, prelu, elu, gelu, gelu_tanh, silu (or swish), softplus. Throws
/// std::invalid_argument listing the names for an unknown one.
std::shared_ptr<Module> make_activation(std::string_view name, Dtype dtype = Dtype::float32);

}  // namespace xgrad::nn
