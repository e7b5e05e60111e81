#include "nn/linear.hpp"

#include <cmath>

#include "nn/init.hpp"
#include "ops/linalg.hpp"

namespace xgrad::nn {

Linear::Linear(std::size_t in_features, std::size_t out_features, LinearOptions options)
    : in_(in_features), out_(out_features), has_bias_(options.bias) {
    if (in_features == 0) throw std::invalid_argument("Linear: in_features must be positive");
    Tensor w = Tensor::zeros({out_features, in_features}, {.dtype = options.dtype});
    init::kaiming_uniform_(w, std::sqrt(5.0));
    register_parameter("weight", w);
    if (has_bias_) {
        Tensor b = Tensor::zeros({out_features}, {.dtype = options.dtype});
        const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
        init::uniform_(b, -bound, bound);
        register_parameter("bias", b);
    }
}

Tensor Linear::forward(const Tensor& x) {
    if (x.dim() != 2 || x.shape()[1] != in_)
        throw ShapeError(describe() + ": expected input (batch, " + std::to_string(in_) + "), got " +
                         shape_str(x.shape()));
    return linear(x, weight(), bias());
}

std::string Linear::describe() const {
    return "Linear(" + std::to_string(in_) + " -> " + std::to_string(out_) + (has_bias_ ? "" : ", no bias") + ")";
}

}  // namespace xgrad::nn
