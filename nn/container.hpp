#pragma once

#include <memory>
#include <type_traits>
#include <vector>

#include "nn/module.hpp"

namespace xgrad::nn {

/// Modules held in a list (PyTorch's ModuleList), named "0", "1", ...: their parameters are the
/// owner's, and each child called as `(*list[i])(x)` gets its diagram box ("blocks.0"). A
/// ModuleList has no forward of its own (it throws std::runtime_error: call its modules).
class ModuleList : public Module {
public:
    ModuleList() = default;
    template <class M>
        requires std::is_base_of_v<Module, std::decay_t<M>>
    void push_back(M&& module) {
        push_back(std::shared_ptr<Module>(std::make_shared<std::decay_t<M>>(std::forward<M>(module))));
    }
    void push_back(std::shared_ptr<Module> module);
    std::size_t size() const { return children().size(); }
    /// The i-th module; throws std::out_of_range.
    Module& operator[](std::size_t i) const;
    auto begin() const { return modules_.begin(); }
    auto end() const { return modules_.end(); }

    Tensor forward(const Tensor& x) override;
    std::string describe() const override { return "ModuleList"; }

protected:
    void set_scope_name(std::string name) override;

private:
    std::vector<std::shared_ptr<Module>> modules_;
};

}  // namespace xgrad::nn
