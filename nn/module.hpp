#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::nn {

/// A part of a network: it owns parameters (leaf tensors that require grad) and child modules,
/// and maps an input tensor to an output in `forward`. Copies share parameters and children.
class Module {
public:
    virtual ~Module() = default;

    /// The module's computation; throws ShapeError for inputs it cannot take.
    virtual Tensor forward(const Tensor& input) = 0;
    Tensor operator()(const Tensor& input) { return forward(input); }

    /// Every parameter of this module and its children, depth first, registration order.
    std::vector<Tensor> parameters() const;
    /// The same with dotted names: "weight", "0.bias", "fc1.weight".
    NamedTensors named_parameters() const;
    /// The direct children, with their names.
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
    /// Number of parameter elements, children included.
    std::size_t parameter_count() const;

    /// Training mode (the default) or evaluation mode, for this module and its children.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }
    /// Forgets every parameter's gradient.
    void zero_grad();
    /// Converts every parameter to `dtype` in place: every handle to it (the module's members, an
    /// optimizer's list) sees the new values. Gradients are dropped.
    void to(Dtype dtype);

    /// One line describing this module alone, e.g. "Linear(784 -> 256)".
    virtual std::string describe() const = 0;
    /// The architecture as an indented tree with parameter counts.
    void print(std::ostream& os, int indent = 0) const;

protected:
    /// Adds a parameter (it now requires grad) and returns it, for the member that keeps it:
    /// `weight_ = register_parameter("weight", w);` (handles alias: both are the same tensor).
    const Tensor& register_parameter(std::string name, Tensor value);
    void register_module(std::string name, std::shared_ptr<Module> child);

private:
    void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const;

    std::vector<std::pair<std::string, Tensor>> params_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace xgrad::nn
