#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Tolerances of gradcheck (PyTorch's defaults): |analytic - numeric| <= atol + rtol * |numeric|.
struct GradcheckOptions {
    double eps = 1e-6;   ///< central-difference step
    double atol = 1e-5;
    double rtol = 1e-3;
    /// Accept an input whose analytic and numeric Jacobians are both zero (e.g. step(x)).
    /// Off by default: such a check proves nothing.
    bool allow_zero_jacobian = false;
};

/// What gradcheck found. Converts to bool (true when the gradients match); prints readably.
struct GradcheckResult {
    bool ok = false;
    std::string failure;          ///< why it failed; empty when ok
    std::size_t entries = 0;      ///< Jacobian entries compared
    /// The worst entry (largest error relative to its tolerance), or the failing one.
    std::size_t input = 0;        ///< which input
    Shape input_shape;            ///< that input's shape, to print the element's index
    std::size_t element = 0;      ///< flat index of the input element
    std::size_t output = 0;       ///< flat index of the output element
    double analytic = 0, numeric = 0, abs_error = 0, rel_error = 0;

    explicit operator bool() const { return ok; }
};

std::ostream& operator<<(std::ostream& os, const GradcheckResult& r);

/// The function gradcheck differentiates: it receives the float64 copies of the inputs.
using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Compares the full Jacobian of fn's output (any shape) with respect to every input that
/// requires grad, computed by backward, against central finite differences. Runs in float64
/// on copies of the inputs whatever their dtype. Fails (never passes vacuously) when no input
/// requires grad, the output is not connected to them, an input's Jacobian is all zero on both
/// sides, or backward throws. Errors thrown by fn's forward propagate.
GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace xgrad
