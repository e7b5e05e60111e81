#include "autograd/anomaly.hpp"

#include <cmath>
#include <optional>
#include <stdexcept>

#include "autograd/node.hpp"

namespace xgrad {

namespace detail {
bool& anomaly_flag() {
    thread_local bool on = false;
    return on;
}
bool& profiling_flag() {
    thread_local bool on = false;
    return on;
}
}  // namespace detail

bool is_anomaly_enabled() { return detail::anomaly_flag(); }
bool is_profiling_enabled() { return detail::profiling_flag(); }

namespace {

// Flat index of the first NaN or Inf in `a`, or nullopt.
std::optional<std::size_t> first_non_finite(const Array& a) {
    if (!is_floating_point(dtype_of_array(a))) return std::nullopt;  // integers and bools are finite
    return visit_float(a, [](const auto& x) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!std::isfinite(x.data()[i])) return i;
        return std::nullopt;
    });
}

// "leaf 'w' float32 (3, 2)" or "'matmul' #4 float32 (4, 2)": where an operand comes from.
std::string provenance(const Tensor& t) {
    std::string desc = describe(t.array());
    if (!t.grad_fn()) return (t.name().empty() ? "leaf " : "leaf '" + t.name() + "' ") + desc;
    return "'" + t.grad_fn()->name() + "' #" + std::to_string(t.grad_fn()->sequence_nr()) + " " + desc;
}

std::string operands_desc(const std::vector<Tensor>& inputs) {
    std::string s;
    for (std::size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + provenance(inputs[i]);
    return s;
}

}  // namespace

namespace detail {

void check_finite(const std::string& what, const std::string& op, std::uint64_t nr, const Array& bad,
                  const std::vector<Tensor>& inputs) {
    const auto found = first_non_finite(bad);
    if (!found) return;
    const std::size_t index = *found;
    const double v = visit_float(bad, [&](const auto& x) { return static_cast<double>(x.data()[index]); });
    throw std::runtime_error("anomaly: " + what + " of '" + op + "' (op #" + std::to_string(nr) + ") produced " +
                             (std::isnan(v) ? "NaN" : "Inf") + " at flat index " + std::to_string(index) + " of " +
                             describe(bad) + "; operands: " + operands_desc(inputs));
}

}  // namespace detail

}  // namespace xgrad
