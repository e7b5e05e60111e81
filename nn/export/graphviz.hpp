#pragma once
// Drawing the recorded graph with Graphviz: DOT text, and files rendered by Graphviz's `dot`.

#include <filesystem>
#include <string>

#include "nn/export/diagram.hpp"

namespace xgrad {

/// Graphviz DOT of a collected diagram.
std::string to_dot(const Diagram& diagram, const DotOptions& options = {});

/// Graphviz DOT of everything that produced `root`: one box per op, one ellipse per leaf (its
/// name, shape and dtype), edges in data-flow order. Node ids follow a fixed order (each op
/// after its operands), so the same graph always gives the same text.
/// Throws std::runtime_error if backward freed the graph.
std::string to_dot(const Tensor& root, const DotOptions& options = {});

/// Writes the diagram to `path`: .dot as text; .svg, .png or .pdf through Graphviz's `dot`,
/// started without a shell, when it is installed. Without Graphviz it writes path with the
/// extension .dot instead and returns a message saying how to render it; otherwise returns the
/// path written. Files are written under a temporary name and renamed. Throws
/// std::runtime_error if the file cannot be written or Graphviz fails.
std::string write_graph(const Tensor& root, const std::filesystem::path& path, const DotOptions& options = {});

}  // namespace xgrad
