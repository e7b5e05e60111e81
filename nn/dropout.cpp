#include "nn/dropout.hpp"

#include "ops/random.hpp"

namespace xgrad::nn {

Dropout::Dropout(double p) : p_(p) {
    if (!(p >= 0 && p <= 1)) throw std::invalid_argument("Dropout: p must be in [0, 1], got " + number_str(p));
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, is_training()); }

std::string Dropout::describe() const { return "Dropout(p=" + number_str(p_) + ")"; }

}  // namespace xgrad::nn
