#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// What a diagram shows.
struct DotOptions {
    bool show_shapes = true;       ///< shapes on the edges, and the output's shape
    bool show_values = false;      ///< values of tensors of at most 16 elements
    /// after backward: each leaf's gradient norm and, if that backward ran with
    /// record_grad_norms, the norm of the gradient reaching each op's output; coloured on a
    /// log scale (NaN/Inf red)
    bool show_grads = false;
    /// after relu: share of zeros and dead units (0 for every sample of a (batch, units) output);
    /// after sigmoid/tanh: share of saturated outputs (within 0.01 of a bound)
    bool show_activation_stats = true;
    /// Each op's forward and backward time, if they ran under a ProfileGuard.
    bool show_times = false;
    /// Boxes around each module's ops and parameters, labelled e.g. "0: Linear(784 -> 256)"
    /// (ops recorded under a ScopeGuard, as Sequential opens per child; parameters by the
    /// dotted names in `names`). Modules with a single node (an activation) get no box.
    bool group_modules = true;
    /// Above this many nodes the diagram keeps the first and last max_nodes / 2 (the inputs and
    /// the loss end), joins the rest into one "N nodes omitted" node and says so in its title;
    /// 0 draws everything.
    std::size_t max_nodes = 400;
    /// Labels for leaves, matched by identity, e.g. model.named_parameters() -> "0.weight".
    std::vector<std::pair<std::string, Tensor>> names = {};
};

/// Graphviz DOT of everything that produced `root`: one box per op, one ellipse per leaf (its
/// name, shape and dtype), edges in data-flow order. Node ids follow a fixed traversal (operands
/// in order, before the op that uses them), so the same graph always gives the same text.
/// Throws std::runtime_error if backward freed the graph.
std::string to_dot(const Tensor& root, const DotOptions& options = {});

/// Writes the diagram to `path`: .dot as text; .svg, .png or .pdf through Graphviz's `dot` when
/// it is installed. Without Graphviz it writes path with the extension .dot instead and returns
/// a message saying how to render it; otherwise returns the path written. Files are written
/// under a temporary name and renamed. Throws std::runtime_error if the file cannot be written.
std::string write_graph(const Tensor& root, const std::filesystem::path& path, const DotOptions& options = {});

}  // namespace xgrad
