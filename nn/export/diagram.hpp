#pragma once
// What a diagram of the recorded graph shows, collected from graph_nodes() before any drawing.

#include <string>
#include <string_view>
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
    /// what the op says about its output (Node::output_stats): relu's share of zeros and dead
    /// units, sigmoid's and tanh's share of saturated outputs
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
    NamedTensors names = {};
};

/// The recorded graph as a renderer draws it: boxes for ops, ellipses for leaves, edges in
/// data-flow order, module groups. Node ids are positions in `nodes`.
struct Diagram {
    struct Box {
        bool is_op = false;
        std::string label;  ///< lines separated by '\n'
        std::string fill;   ///< "#rrggbb"
    };
    struct Edge {
        std::size_t from = 0, to = 0;
        std::string label;  ///< the operand's shape; empty without show_shapes
    };
    struct Group {
        std::string name;   ///< the module's dotted path, "0"
        std::string label;  ///< "0: Linear(784 -> 256)"
        std::vector<std::size_t> members;
    };
    /// Each op after its operands, and each leaf just before the first op that uses it.
    std::vector<Box> nodes;
    std::vector<Edge> edges;
    std::vector<Group> groups;  ///< modules of two nodes or more, in order of first appearance
    std::size_t root = 0;
    std::string root_label;     ///< the output's shape and dtype; empty without show_shapes
};

/// Collects what a diagram of everything that produced `root` shows. Throws
/// std::invalid_argument for an undefined tensor, std::runtime_error if backward freed the graph.
Diagram collect_diagram(const Tensor& root, const DotOptions& options = {});

namespace detail {
/// collect_diagram for `caller` (to_dot), whose name starts its error messages.
Diagram collect_diagram(const Tensor& root, const DotOptions& options, std::string_view caller);
}  // namespace detail

}  // namespace xgrad
