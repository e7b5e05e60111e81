#include "nn/module.hpp"

#include <ostream>

#include "autograd/node.hpp"

namespace xgrad::nn {

const Tensor& Module::register_parameter(std::string name, Tensor value) {
    if (!value.defined()) throw std::invalid_argument("register_parameter: '" + name + "' is an undefined tensor");
    value.requires_grad_(true);
    params_.emplace_back(std::move(name), std::move(value));
    return params_.back().second;
}

const Tensor& Module::register_buffer(std::string name, Tensor value) {
    if (!value.defined()) throw std::invalid_argument("register_buffer: '" + name + "' is an undefined tensor");
    buffers_.emplace_back(std::move(name), std::move(value));
    return buffers_.back().second;
}

void Module::register_module(std::string name, std::shared_ptr<Module> child) {
    if (!child) throw std::invalid_argument("register_module: '" + name + "' is a null module");
    child->set_scope_name(name);
    children_.emplace_back(std::move(name), std::move(child));
}

Tensor Module::operator()(const Tensor& input) {
    if (scope_name_.empty()) return forward(input);
    ScopeGuard scope(scope_name_, describe());  // nested in the caller's: "block.attn"
    return forward(input);
}

void Module::collect_buffers(const std::string& prefix, NamedTensors& out) const {
    for (const auto& [name, t] : buffers_) out.emplace_back(prefix + name, t);
    for (const auto& [name, child] : children_) child->collect_buffers(prefix + name + ".", out);
}

NamedTensors Module::named_buffers() const {
    NamedTensors out;
    collect_buffers("", out);
    return out;
}

NamedTensors Module::state_dict() const {
    NamedTensors out = named_parameters();
    for (auto& b : named_buffers()) out.push_back(std::move(b));
    return out;
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const {
    for (const auto& [name, t] : params_) out.emplace_back(prefix + name, t);
    for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

NamedTensors Module::named_parameters() const {
    std::vector<std::pair<std::string, Tensor>> out;
    collect("", out);
    return out;
}

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> out;
    for (auto& [name, t] : named_parameters()) out.push_back(t);
    return out;
}

std::size_t Module::parameter_count() const {
    std::size_t n = 0;
    for (const auto& t : parameters()) n += t.numel();
    return n;
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
    for (auto& t : parameters()) t.zero_grad();
}

void Module::to(Dtype dtype) {
    for (auto& [name, t] : params_) {
        if (t.dtype() == dtype) continue;
        t.mutable_array() = cast(t.array(), dtype);  // inside the tensor: every handle sees it
        t.zero_grad();
    }
    for (auto& [name, t] : buffers_)
        if (t.is_floating_point() && t.dtype() != dtype) t.mutable_array() = cast(t.array(), dtype);
    for (auto& [name, child] : children_) child->to(dtype);
}

void Module::print(std::ostream& os, int indent) const {
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    os << describe();
    if (!children_.empty()) {
        os << " {\n";
        for (const auto& [name, child] : children_) {
            os << pad << "  (" << name << "): ";
            child->print(os, indent + 2);
            os << '\n';
        }
        os << pad << '}';
    }
    if (auto n = parameter_count(); n > 0) os << "  [" << n << " parameters]";
}

std::ostream& operator<<(std::ostream& os, const Module& m) {
    m.print(os);
    return os;
}

}  // namespace xgrad::nn
