#include "nn/container.hpp"

namespace xgrad::nn {

void ModuleList::push_back(std::shared_ptr<Module> module) {
    if (!module) throw std::invalid_argument("ModuleList: cannot add a null module");
    const std::string name = std::to_string(size());
    register_module(name, module);
    if (!scope_name().empty()) Module::set_scope_name_of(*module, scope_name() + "." + name);
    modules_.push_back(std::move(module));
}

Module& ModuleList::operator[](std::size_t i) const {
    if (i >= size())
        throw std::out_of_range("ModuleList: index " + std::to_string(i) + " out of range for " + std::to_string(size()) + " modules");
    return *modules_[i];
}

Tensor ModuleList::forward(const Tensor&) {
    throw std::runtime_error("ModuleList has no forward: call its modules, (*list[i])(x)");
}

// never called itself, so its children's boxes carry its name: "blocks.0"
void ModuleList::set_scope_name(std::string name) {
    Module::set_scope_name(name);
    for (std::size_t i = 0; i < modules_.size(); ++i) Module::set_scope_name_of(*modules_[i], name + "." + std::to_string(i));
}

}  // namespace xgrad::nn
