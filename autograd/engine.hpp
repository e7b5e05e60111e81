#pragma once
// The backward pass: the graph sorted in reverse topological order, gradients pulled through it.

#include <memory>
#include <string_view>
#include <vector>

#include "autograd/node.hpp"

namespace xgrad {

/// The recorded nodes that produced `root`, in the order backward visits them (root's node
/// first). Throws std::runtime_error if part of the graph was freed by a backward.
std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root);

namespace detail {
/// graph_nodes for `caller` (check_graph, to_dot), whose name starts the message for a freed graph.
std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root, std::string_view caller);
/// Back-propagates `seed` (root's shape and dtype) from `root` into the leaves (Tensor::backward).
void run_backward(const Tensor& root, Array&& seed, BackwardOptions options);
}  // namespace detail

}  // namespace xgrad
