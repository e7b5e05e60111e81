#include "nn/linear.hpp"

#include <cmath>

#include "nn/init.hpp"
#include "ops/linalg.hpp"
#include "ops/shape.hpp"

namespace xgrad::nn {

Linear::Linear(std::size_t in_features, std::size_t out_features, LinearOptions options)
    : in_(in_features), out_(out_features) {
    if (in_features == 0) throw std::invalid_argument("Linear: in_features must be positive");
    Tensor w;
    try {
        w = Tensor::zeros({out_features, in_features}, {.dtype = options.dtype});
    } catch (const OutOfMemory& e) {  // describe() would say "no bias": bias_ is not made yet
        throw OutOfMemory("Linear(" + std::to_string(in_) + " -> " + std::to_string(out_) + "): " + e.what());
    }
    init::kaiming_uniform_(w, std::sqrt(5.0));
    weight_ = register_parameter("weight", w);
    if (options.bias) {
        Tensor b = Tensor::zeros({out_features}, {.dtype = options.dtype});
        const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
        init::uniform_(b, -bound, bound);
        bias_ = register_parameter("bias", b);
    }
}

Tensor Linear::forward(const Tensor& x) {
    if (x.dim() == 0 || x.shape().back() != in_)
        throw ShapeError(describe() + ": expected input (..., " + std::to_string(in_) + "), got " +
                         shape_str(x.shape()));
    if (x.dtype() != weight().dtype())
        throw DtypeError(describe() + ": input is " + std::string(dtype_name(x.dtype())) + ", the weights are " +
                         std::string(dtype_name(weight().dtype())) + " (convert one with .to())");
    return linear(x, weight(), bias());  // (*, in) -> (*, out), one product over all leading rows
}

std::string Linear::describe() const {
    return "Linear(" + std::to_string(in_) + " -> " + std::to_string(out_) + (bias_.defined() ? "" : ", no bias") + ")";
}

}  // namespace xgrad::nn
