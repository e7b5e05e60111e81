#pragma once

#include "nn/module.hpp"

namespace xgrad::nn {

struct LinearOptions {
    bool bias = true;
    Dtype dtype = Dtype::float32;
};

/// y = x·Wᵀ + b with weight (out, in) and bias (out), initialised as PyTorch does:
/// W and b uniform on ±1/√in (Kaiming-uniform with a = √5).
class Linear : public Module {
public:
    Linear(std::size_t in_features, std::size_t out_features, LinearOptions options = {});
    /// x (*, in) -> (*, out), usually (batch, in) -> (batch, out); throws ShapeError
    /// "Linear(784 -> 256): expected input (..., 784), got (32, 783)", or DtypeError when the
    /// input's dtype is not the weights'.
    Tensor forward(const Tensor& x) override;
    std::string describe() const override;

    const Tensor& weight() const { return weight_; }
    /// Undefined when built with bias = false.
    const Tensor& bias() const { return bias_; }
    std::size_t in_features() const { return in_; }
    std::size_t out_features() const { return out_; }

private:
    std::size_t in_, out_;
    Tensor weight_, bias_;
};

}  // namespace xgrad::nn
