#pragma once

#include "nn/module.hpp"

namespace xgrad::nn {

/// In training mode zeroes each element with probability p and scales the rest by 1/(1-p); in
/// evaluation mode passes the input on (ops/random.hpp's dropout).
class Dropout : public Module {
public:
    /// Throws std::invalid_argument unless 0 <= p <= 1.
    explicit Dropout(double p = 0.5);
    Tensor forward(const Tensor& x) override;
    std::string describe() const override;
    double p() const { return p_; }

private:
    double p_;
};

}  // namespace xgrad::nn
