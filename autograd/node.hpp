#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// The values of an op's operands, by position: `in[0]` is the first operand's Array.
class Inputs {
public:
    explicit Inputs(std::span<const Array* const> arrays) : arrays_(arrays) {}
    const Array& operator[](std::size_t i) const { return *arrays_[i]; }
    std::size_t size() const { return arrays_.size(); }

private:
    std::span<const Array* const> arrays_;
};

/// What a backward function receives, all read-only and valid for the whole call: never a
/// handle to its own output (that would be a cycle).
struct BackwardArgs {
    const Array& grad;  ///< dLoss/dOutput, the output's shape and dtype
    Inputs in;          ///< the operands' values
    const Array& out;   ///< the output's values
    std::span<const bool> needs;  ///< needs[i]: operand i wants a gradient (skip the others)
};

/// One gradient per operand, in order; nullopt for operands that get none.
using Grads = std::vector<std::optional<Array>>;

/// Grads from gradients moved in: `return make_grads(std::move(dx));`. (A braced `return {dx};`
/// copies every array: std::initializer_list's elements are const.)
template <class... G>
Grads make_grads(G&&... g) {
    Grads out;
    out.reserve(sizeof...(g));
    (out.emplace_back(std::forward<G>(g)), ...);
    return out;
}
/// Computes an op's output from its operands' values.
using ForwardFn = std::function<Array(Inputs)>;
/// Computes the vector-Jacobian product of an op: one gradient per operand, operand's shape.
using BackwardFn = std::function<Grads(const BackwardArgs&)>;

namespace detail {
/// Operand i's gradient summed so far in this backward pass, when the engine has one (else null),
/// looked up only when an op asks.
struct SummedGrads {
    Array* (*find)(const void* context, std::size_t operand) = nullptr;
    const void* context = nullptr;
    Array* operator()(std::size_t operand) const { return find ? find(context, operand) : nullptr; }
};
/// BackwardArgs without the gradient, for a backward that owns its gradient.
struct OwnedGradArgs {
    Inputs in;
    const Array& out;
    std::span<const bool> needs;
    /// summed(i): an op may add its part into operand i's running sum in place and return no
    /// gradient for i (narrow and select add a block, instead of a full-size gradient to be added).
    SummedGrads summed = {};
};
/// The engine's fast path for built-in ops: the backward owns the incoming gradient (the
/// engine's own buffer once it needs it no more, else a copy), to compute in place or move on.
using OwningBackwardFn = std::function<Grads(Array&& grad, const OwnedGradArgs& c)>;
/// A node's backward, of either kind.
using AnyBackwardFn = std::variant<BackwardFn, OwningBackwardFn>;
}  // namespace detail

/// What a diagram shows about an op's output (relu: its share of zeros), set by the op; the
/// engine only carries it.
using OutputStatsFn = std::string (*)(const Array& out);

/// A named part of a model that ops are recorded in, e.g. {"0", "0: Linear(784 -> 256)"}.
struct Scope {
    std::string name;   ///< dotted module path, the prefix of its parameters' names
    std::string label;  ///< shown on diagrams
};

/// Records ops created during its lifetime (on this thread) as belonging to a module; nested
/// scopes get dotted names. Sequential opens one per child; a custom Module may open its own.
class ScopeGuard {
public:
    /// `name` is relative to the enclosing scope; `description` follows it in the label.
    ScopeGuard(const std::string& name, const std::string& description);
    ~ScopeGuard();
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
};

/// One recorded op: its name, the operands it consumed (owned), and how to differentiate it.
/// A Node never owns its output tensor; the engine hands the output's values to `backward`.
class Node {
public:
    Node(std::string name, std::vector<Tensor> inputs, ForwardFn forward, detail::AnyBackwardFn backward);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    const std::string& name() const { return name_; }
    /// Order of creation on this thread (1, 2, ...): the op's place in the recorded program.
    std::uint64_t sequence_nr() const { return sequence_nr_; }
    const std::vector<Tensor>& inputs() const { return inputs_; }
    /// Re-runs the forward at other operand values (e.g. float64 copies for checking).
    const ForwardFn& forward() const { return forward_; }
    /// Runs the op's backward for dLoss/dOutput `grad` (handed over: it may be moved from) at operand
    /// values `in` (recorded, or others of their shapes) and output `out`. Throws once released.
    /// `summed`: the engine's gradients accumulated so far per operand (OwnedGradArgs::summed).
    Grads backward(Array&& grad, Inputs in, const Array& out, std::span<const bool> needs,
                   detail::SummedGrads summed = {}) const;
    /// Summary of the output for diagrams; null when the op sets none.
    OutputStatsFn output_stats() const { return output_stats_; }
    void set_output_stats(OutputStatsFn f) { output_stats_ = f; }
    /// L2 norm of the gradient that reached this node's output in the last backward run with
    /// record_grad_norms; nullopt otherwise.
    std::optional<double> grad_norm() const { return grad_norm_; }
    /// Durations measured under a ProfileGuard (seconds); nullopt otherwise.
    std::optional<double> forward_seconds() const { return forward_seconds_; }
    std::optional<double> backward_seconds() const { return backward_seconds_; }
    void set_forward_seconds(double s) { forward_seconds_ = s; }
    void set_backward_seconds(double s) { backward_seconds_ = s; }
    /// The innermost ScopeGuard open when the op ran; null outside any.
    const std::shared_ptr<const Scope>& scope() const { return scope_; }
    void set_grad_norm(double norm) { grad_norm_ = norm; }
    /// Operand i's version() when the op read it; backward refuses to run once it has changed.
    std::uint32_t saved_version(std::size_t i) const { return i < versions_.size() ? versions_[i] : more_versions_.at(i - versions_.size()); }
    void save_versions(std::span<const std::uint32_t> versions);
    /// True once a backward without retain_graph has freed this node's operands.
    bool released() const { return released_; }
    /// Drops the operands and functions (called by the engine after backward).
    void release();

private:
    std::string name_;
    std::uint64_t sequence_nr_;
    std::vector<Tensor> inputs_;
    ForwardFn forward_;
    detail::AnyBackwardFn backward_;
    OutputStatsFn output_stats_ = nullptr;
    std::optional<double> grad_norm_, forward_seconds_, backward_seconds_;
    std::shared_ptr<const Scope> scope_;
    std::array<std::uint32_t, 4> versions_{};  // the usual one to four operands without an allocation
    std::vector<std::uint32_t> more_versions_;
    bool released_ = false;
};

/// Runs `forward` on the operands' values and, when grad mode is on and some operand requires a
/// gradient, records a Node so that `backward` is called during back-propagation. Every built-in
/// op is made this way; so is a user's own differentiable op. Floating operands must share one
/// dtype (throws DtypeError naming `name` otherwise); int64 and bool operands (indices, masks) and
/// results never carry a gradient. The engine checks each returned gradient's shape.
Tensor apply(std::string name, std::vector<Tensor> inputs, ForwardFn forward, BackwardFn backward);

namespace detail {
/// apply for a backward that owns its gradient (the engine's fast path, for ops in ops/).
Tensor apply_owning(std::string name, std::vector<Tensor> inputs, ForwardFn forward, OwningBackwardFn backward);
}  // namespace detail

}  // namespace xgrad
