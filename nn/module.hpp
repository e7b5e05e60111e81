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
    /// forward(input); a registered child records its ops in a diagram box of its own, named by
    /// its place in the parent ("fc1", "blocks.0.attn"), so call children this way.
    Tensor operator()(const Tensor& input);

    /// Every parameter of this module and its children, depth first, registration order.
    std::vector<Tensor> parameters() const;
    /// The same with dotted names: "weight", "0.bias", "fc1.weight".
    NamedTensors named_parameters() const;
    /// Buffers: state that is not trained but saved with the model (BatchNorm's running
    /// statistics), with dotted names, children included.
    NamedTensors named_buffers() const;
    /// Parameters, then buffers: what save and load write and read.
    NamedTensors state_dict() const;
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
    /// Adds a buffer (never requires grad), as register_parameter.
    const Tensor& register_buffer(std::string name, Tensor value);
    /// Adds a child; it is saved under "<name>." and drawn in a box "<name>" when called.
    void register_module(std::string name, std::shared_ptr<Module> child);
    /// The name a registered child's diagram box gets (its parent's path to it); containers
    /// that are never called themselves (ModuleList) pass the prefix on to their children.
    virtual void set_scope_name(std::string name) { scope_name_ = std::move(name); }
    static void set_scope_name_of(Module& m, std::string name) { m.set_scope_name(std::move(name)); }
    const std::string& scope_name() const { return scope_name_; }

private:
    void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const;
    void collect_buffers(const std::string& prefix, NamedTensors& out) const;

    std::vector<std::pair<std::string, Tensor>> params_, buffers_;
    std::string scope_name_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace xgrad::nn
