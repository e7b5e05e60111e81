#pragma once

#include <initializer_list>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include "nn/module.hpp"

namespace xgrad::nn {

/// Modules applied in order, named "0", "1", ...:
/// `Sequential model{Linear(784, 256), ReLU(), Linear(256, 10)};`
class Sequential : public Module {
public:
    Sequential() = default;
    /// From module values (each is moved into shared ownership) or shared pointers; one
    /// Sequential alone is a copy (sharing its children), as a nested one needs siblings.
    template <class... M>
        requires(sizeof...(M) > 1 || (sizeof...(M) == 1 && (!std::is_same_v<std::decay_t<M>, Sequential> && ...)))
    explicit Sequential(M&&... modules) {
        (push_back(std::forward<M>(modules)), ...);
    }

    template <class M>
        requires std::is_base_of_v<Module, std::decay_t<M>>
    void push_back(M&& module) {
        push_back(std::shared_ptr<Module>(std::make_shared<std::decay_t<M>>(std::forward<M>(module))));
    }
    void push_back(std::shared_ptr<Module> module);

    Tensor forward(const Tensor& x) override;
    std::string describe() const override { return "Sequential"; }

    std::size_t size() const { return children().size(); }
    /// The i-th module; throws std::out_of_range.
    Module& operator[](std::size_t i) const;
};

/// A multilayer perceptron from layer sizes: Linear layers with `activation` (a name for
/// make_activation) between them and none after the last. MLP({784, 256, 128, 10}, "relu").
/// Throws std::invalid_argument for fewer than two sizes or an unknown activation.
Sequential MLP(const std::vector<std::size_t>& sizes, std::string_view activation = "relu",
               Dtype dtype = Dtype::float32);

}  // namespace xgrad::nn
