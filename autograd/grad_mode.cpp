#include "autograd/grad_mode.hpp"

#include "autograd/anomaly.hpp"

namespace xgrad {

namespace detail {
bool& grad_flag() {
    thread_local bool on = true;
    return on;
}
bool& anomaly_flag() {
    thread_local bool on = false;
    return on;
}
bool& profiling_flag() {
    thread_local bool on = false;
    return on;
}
}  // namespace detail

bool is_grad_enabled() { return detail::grad_flag(); }
void set_grad_enabled(bool enabled) { detail::grad_flag() = enabled; }
bool is_anomaly_enabled() { return detail::anomaly_flag(); }
bool is_profiling_enabled() { return detail::profiling_flag(); }

}  // namespace xgrad
