#include "nn/sequential.hpp"

#include "autograd/node.hpp"
#include "nn/activation.hpp"
#include "nn/linear.hpp"

namespace xgrad::nn {

void Sequential::push_back(std::shared_ptr<Module> module) {
    if (!module) throw std::invalid_argument("Sequential: cannot add a null module");
    register_module(std::to_string(children().size()), std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
    Tensor h = x;
    for (const auto& [name, child] : children()) h = (*child)(h);  // each child in its diagram box
    return h;
}

Module& Sequential::operator[](std::size_t i) const {
    if (i >= size())
        throw std::out_of_range("Sequential: index " + std::to_string(i) + " out of range for " +
                                std::to_string(size()) + " modules");
    return *children()[i].second;
}

Sequential MLP(const std::vector<std::size_t>& sizes, std::string_view activation, Dtype dtype) {
    if (sizes.size() < 2) throw std::invalid_argument("MLP: needs at least an input and an output size");
    make_activation(activation);  // an unknown name fails before anything is built
    Sequential model;
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
        model.push_back(Linear(sizes[i], sizes[i + 1], {.dtype = dtype}));
        if (i + 2 < sizes.size()) model.push_back(make_activation(activation, dtype));
    }
    return model;
}

}  // namespace xgrad::nn
