#include "autograd/grad_mode.hpp"

namespace xgrad {

namespace detail {
bool& grad_flag() {
    thread_local bool on = true;
    return on;
}
}  // namespace detail

bool is_grad_enabled() { return detail::grad_flag(); }
void set_grad_enabled(bool enabled) { detail::grad_flag() = enabled; }

}  // namespace xgrad
