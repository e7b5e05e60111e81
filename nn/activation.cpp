#include "nn/activation.hpp"

#include "nn/init.hpp"

namespace xgrad::nn {

PReLU::PReLU(std::size_t num_parameters, double init, Dtype dtype) {
    if (num_parameters == 0) throw std::invalid_argument("PReLU: num_parameters must be positive");
    weight_ = register_parameter("weight", Tensor::full({num_parameters}, init, {.dtype = dtype}));
}

std::string PReLU::describe() const {
    return "PReLU(" + std::to_string(weight().numel()) + (weight().numel() == 1 ? " shared slope)" : " slopes)");
}

std::shared_ptr<Module> make_activation(std::string_view name, Dtype dtype) {
    if (name == "identity" || name == "linear") return std::make_shared<Identity>();
    if (name == "step") return std::make_shared<Step>();
    if (name == "sigmoid") return std::make_shared<Sigmoid>();
    if (name == "tanh") return std::make_shared<Tanh>();
    if (name == "relu") return std::make_shared<ReLU>();
    if (name == "leaky_relu") return std::make_shared<LeakyReLU>();
    if (name == "prelu") return std::make_shared<PReLU>(1, 0.25, dtype);
    if (name == "elu") return std::make_shared<ELU>();
    if (name == "gelu") return std::make_shared<GELU>();
    if (name == "gelu_tanh") return std::make_shared<GELU>(GeluApproximation::tanh);
    if (name == "silu" || name == "swish") return std::make_shared<SiLU>();
    if (name == "softplus") return std::make_shared<Softplus>();
    throw std::invalid_argument("unknown activation '" + std::string(name) +
                                "'; expected one of identity, step, sigmoid, tanh, relu, leaky_relu, prelu, elu, "
                                "gelu, gelu_tanh, silu, softplus");
}

}  // namespace xgrad::nn
