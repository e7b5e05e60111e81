#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <iosfwd>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// Tolerances of gradcheck (PyTorch's defaults): |analytic - numeric| <= atol + rtol * |numeric|.
struct GradcheckOptions {
    double eps = 1e-6;   ///< central-difference step, relative to max(1, |x|)
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

/// Options of check_graph; tolerances as gradcheck.
struct CheckGraphOptions {
    double eps = 1e-6;
    double atol = 1e-5;
    double rtol = 1e-3;
    /// Elements compared per operand: all of them up to this many, else a random sample.
    std::size_t max_elements = 64;
    std::uint64_t seed = 0;  ///< for the sample and the random upstream vector
};

/// What check_graph found at one node.
struct NodeCheck {
    enum class Status { passed, failed, not_checkable };
    std::size_t position = 0;      ///< order in which backward visits it (0: the root's node)
    std::uint64_t sequence_nr = 0; ///< the op's creation number (Node::sequence_nr)
    std::string op;
    Status status = Status::passed;
    std::string detail;            ///< why it failed or cannot be checked
    std::size_t checked = 0;       ///< elements compared
    std::size_t kinks = 0;         ///< elements skipped: a kink (relu at 0, step at 0) sits there
    std::size_t non_finite = 0;    ///< elements skipped: an output turns infinite or NaN within a step
    /// The worst element (or the failing one): operand, its shape, flat index, the two values.
    std::size_t input = 0;
    Shape input_shape;
    std::size_t element = 0;
    double analytic = 0, numeric = 0, abs_error = 0;
};

/// The per-node report of check_graph; converts to bool (true when no node failed).
struct GraphCheckResult {
    std::vector<NodeCheck> nodes;
    std::optional<std::size_t> first_failure;  ///< index into nodes, in backward order
    explicit operator bool() const { return !first_failure; }
};

std::ostream& operator<<(std::ostream& os, const GraphCheckResult& r);

/// Re-verifies every recorded node that produced `root`, one node at a time: the node's forward
/// is re-run in float64 at its recorded operands (copies: a float32 model can be checked), its
/// recorded backward gives the vector-Jacobian product for a random upstream vector, and central
/// differences of the forward check it element by element. Elements where the one-sided
/// differences disagree sit on a kink, and outputs that are or turn infinite within a step have no
/// finite difference: both are reported as not checkable, never as failures.
/// Call it before backward frees the graph (or after a backward with retain_graph); throws
/// std::runtime_error for a freed graph. Changes nothing in the graph or the gradients.
GraphCheckResult check_graph(const Tensor& root, CheckGraphOptions options = {});

}  // namespace xgrad
