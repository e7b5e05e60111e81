#include "nn/export/graphviz.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "autograd/runtime/files.hpp"
#include "autograd/runtime/process.hpp"

namespace xgrad {

namespace {

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";  // DOT writes a line break in a label as backslash-n
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// Runs Graphviz's `dot -T<format> <in> -o <out>` (no shell sees a path). Returns nullopt when
// `dot` is not installed, else whether it succeeded.
std::optional<bool> run_dot(const std::string& format, const std::filesystem::path& in,
                            const std::filesystem::path& out) {
    // absolute paths: one that starts with '-' is then never read as an option
    const auto status = run_program({"dot", "-T" + format, std::filesystem::absolute(in).string(), "-o",
                                     std::filesystem::absolute(out).string()});
    if (!status) return std::nullopt;
    return *status == 0;
}

}  // namespace

std::string to_dot(const Diagram& d, const DotOptions& o) {
    // Past max_nodes, keep the first and last halves (in data-flow order: the inputs and the
    // loss end) and route what crosses the middle through one placeholder node.
    const std::size_t total = d.nodes.size();
    const bool capped = o.max_nodes > 0 && total > o.max_nodes;
    const std::size_t head = capped ? o.max_nodes / 2 : total, tail_from = capped ? total - (o.max_nodes - head) : total;
    auto kept = [&](std::size_t n) { return n < head || n >= tail_from; };
    auto ref = [&](std::size_t n) { return kept(n) ? std::string(1, 'n').append(std::to_string(n)) : std::string("omitted"); };

    std::ostringstream dot;
    dot << "digraph xgrad {\n";
    if (capped)
        dot << "  label=\"showing " << o.max_nodes << " of " << total << " nodes (DotOptions::max_nodes)\"; labelloc=t;\n";
    dot << "  node [fontname=\"Helvetica\", fontsize=11, style=filled];\n"
        << "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n";
    for (std::size_t n = 0; n < total; ++n) {
        if (!kept(n)) continue;
        const auto& box = d.nodes[n];
        dot << "  n" << n << " [label=\"" << escape(box.label) << "\", shape="
            << (box.is_op ? "box, style=\"rounded,filled\"" : "ellipse") << ", fillcolor=\"" << box.fill << "\"];\n";
    }
    if (capped)
        dot << "  omitted [label=\"... " << total - o.max_nodes << " nodes omitted ...\", shape=box, style=\"dashed\"];\n";
    for (std::size_t k = 0; k < d.groups.size(); ++k) {
        dot << "  subgraph cluster_" << k << " {\n    label=\"" << escape(d.groups[k].label)
            << "\"; fontname=\"Helvetica\"; fontsize=10; style=\"rounded,dashed\"; color=\"#888888\";\n   ";
        for (auto member : d.groups[k].members)
            if (kept(member)) dot << " n" << member << ";";
        dot << "\n  }\n";
    }
    std::vector<std::string> seen;  // edges into or out of the placeholder, once each
    for (const auto& e : d.edges) {
        if (!kept(e.from) && !kept(e.to)) continue;
        std::string line = "  " + ref(e.from) + " -> " + ref(e.to);
        if (kept(e.from) && kept(e.to)) line += e.label.empty() ? "" : " [label=\" " + e.label + "\"]";
        else if (std::find(seen.begin(), seen.end(), line) != seen.end()) continue;
        else seen.push_back(line);
        dot << line << ";\n";
    }
    if (!d.root_label.empty())
        dot << "  out [label=\"" << escape(d.root_label) << "\", shape=plaintext, style=\"\"];\n  n" << d.root
            << " -> out;\n";
    dot << "}\n";
    return dot.str();
}

std::string to_dot(const Tensor& root, const DotOptions& options) {
    return to_dot(detail::collect_diagram(root, options, "to_dot"), options);
}

std::string write_graph(const Tensor& root, const std::filesystem::path& path, const DotOptions& options) {
    const std::string dot = to_dot(root, options);
    const std::string ext = path.extension().string();
    if (ext == ".dot" || ext == ".gv") {
        write_file_atomically(path, dot, "write_graph");
        return path.string();
    }
    if (ext != ".svg" && ext != ".png" && ext != ".pdf")
        throw std::invalid_argument("write_graph: unknown format '" + ext + "' (use .dot, .svg, .png or .pdf)");
    auto dot_path = path;
    dot_path.replace_extension(".dot");
    write_file_atomically(dot_path, dot, "write_graph");
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    const auto rendered = run_dot(ext.substr(1), dot_path, tmp);
    if (!rendered)
        return "Graphviz is not installed: wrote " + dot_path.string() + "; render it with `dot -T" + ext.substr(1) +
               " " + dot_path.string() + " -o " + path.string() + "` (Debian package graphviz)";
    if (!*rendered) {
        remove_quietly(tmp);
        throw std::runtime_error("write_graph: Graphviz failed to render " + dot_path.string());
    }
    std::filesystem::rename(tmp, path);
    return path.string();
}

}  // namespace xgrad
