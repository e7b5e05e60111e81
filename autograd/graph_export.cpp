#include "autograd/graph_export.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <unordered_map>

#include "autograd/node.hpp"

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

std::string short_number(double v) {
    std::ostringstream s;
    s << std::setprecision(3) << v;
    return s.str();
}

std::string values_text(const Tensor& t) {
    std::string s = "[";
    std::visit([&](const auto& a) {
        for (std::size_t i = 0; i < a.size(); ++i) s += (i ? ", " : "") + short_number(static_cast<double>(a.data()[i]));
    }, t.array());
    return s + "]";
}

// A fill colour for a gradient norm on a log scale: pale blue (tiny) to orange (large); red for NaN/Inf.
std::string grad_colour(double norm) {
    if (!std::isfinite(norm)) return "#ff4d4d";
    const double t = std::clamp((std::log10(std::max(norm, 1e-12)) + 6.0) / 7.0, 0.0, 1.0);  // 1e-6 .. 1e1
    const auto mix = [t](int a, int b) { return static_cast<int>(a + (b - a) * t); };
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", mix(0xde, 0xfd), mix(0xeb, 0xae), mix(0xf7, 0x6b));
    return buf;
}

// "dead 37.5%" after relu, "saturated 12%" after sigmoid/tanh, else empty.
std::string activation_stats(const std::string& op, const Tensor& out) {
    const bool relu = op == "relu", squash = op == "sigmoid" || op == "tanh";
    if ((!relu && !squash) || out.numel() == 0) return {};
    std::size_t hits = 0, dead_units = 0;
    std::visit([&](const auto& a) {
        for (auto v : a) hits += relu ? v <= 0 : (op == "tanh" ? std::abs(v) > 0.99 : (v > 0.99 || v < 0.01));
        if (relu && a.dimension() == 2)  // (batch, units): a unit is dead if it is 0 for every sample
            for (std::size_t u = 0; u < a.shape()[1]; ++u) {
                bool active = false;
                for (std::size_t s = 0; s < a.shape()[0] && !active; ++s) active = a(s, u) > 0;
                dead_units += !active;
            }
    }, out.array());
    const double pct = 100.0 * static_cast<double>(hits) / static_cast<double>(out.numel());
    if (!relu) return "saturated " + short_number(pct) + "%";
    std::string s = "zeros " + short_number(pct) + "%";
    if (out.dim() == 2) s += "\ndead units " + std::to_string(dead_units) + "/" + std::to_string(out.shape()[1]);
    return s;
}

}  // namespace

std::string to_dot(const Tensor& root, const DotOptions& o) {
    if (!root.defined()) throw std::invalid_argument("to_dot: undefined tensor");
    // ids in post-order: operands before the op that consumes them
    std::unordered_map<const void*, std::size_t> id;
    std::vector<std::string> decls;  // by id
    struct Edge {
        std::size_t from, to;
        std::string label;
    };
    std::vector<Edge> edges;
    std::size_t next = 0;
    struct Frame {
        Tensor t;
        std::size_t next_input;
    };
    std::vector<Frame> stack{{root, 0}};
    auto key = [](const Tensor& t) -> const void* { return t.grad_fn() ? static_cast<const void*>(t.grad_fn().get()) : t.impl(); };
    // module clusters: scope name -> (label, member ids), in order of first appearance
    std::vector<std::pair<std::string, std::pair<std::string, std::vector<std::size_t>>>> clusters;
    std::vector<std::pair<std::string, std::size_t>> named_leaves;
    auto cluster = [&](const Scope& sc) -> std::vector<std::size_t>& {
        for (auto& c : clusters)
            if (c.first == sc.name) return c.second.second;
        clusters.push_back({sc.name, {sc.label, {}}});
        return clusters.back().second.second;
    };
    auto leaf_name = [&](const Tensor& t) {
        for (const auto& [name, p] : o.names)
            if (p.is_same(t)) return name;
        return t.name();
    };
    while (!stack.empty()) {
        Frame& f = stack.back();
        const auto& fn = f.t.grad_fn();
        if (fn && fn->released())
            throw std::runtime_error("to_dot: the graph through '" + fn->name() +
                                     "' was freed by backward(); draw it before, or pass {.retain_graph = true}");
        if (fn && f.next_input < fn->inputs().size()) {
            const Tensor& in = fn->inputs()[f.next_input++];
            if (!id.count(key(in))) stack.push_back({in, 0});
            continue;
        }
        Tensor t = f.t;
        stack.pop_back();
        if (id.count(key(t))) continue;
        const std::size_t me = id[key(t)] = next++;
        std::string shape = shape_str(t.shape()) + " " + std::string(dtype_name(t.dtype()));
        if (!fn) {
            std::string name = leaf_name(t);
            if (!name.empty()) named_leaves.emplace_back(name, me);
            std::string label = (name.empty() ? std::string(t.requires_grad() ? "parameter" : "input") : name) + "\n" + shape;
            if (o.show_values && t.numel() <= 16) label += "\n" + values_text(t);
            std::string fill = t.requires_grad() ? "#dbe9f6" : "#eeeeee";
            if (o.show_grads && t.grad()) {
                const double norm = std::sqrt(sum_of_squares(t.grad()->array()));
                label += "\n|grad| " + short_number(norm);
                fill = grad_colour(norm);
            }
            decls.push_back("[label=\"" + escape(label) + "\", shape=ellipse, fillcolor=\"" + fill + "\"]");
            continue;
        }
        std::string label = fn->name();
        if (o.group_modules && fn->scope()) cluster(*fn->scope()).push_back(me);
        if (o.show_activation_stats)
            if (auto stats = activation_stats(fn->name(), t); !stats.empty()) label += "\n" + stats;
        if (o.show_values && t.numel() <= 16) label += "\n" + values_text(t);
        if (o.show_times && fn->forward_seconds())
            label += "\nfwd " + short_number(*fn->forward_seconds() * 1e6) + " us" +
                     (fn->backward_seconds() ? ", bwd " + short_number(*fn->backward_seconds() * 1e6) + " us" : "");
        std::string fill = t.is_same(root) ? "#c7e9c0" : "#f5f5f5";
        if (o.show_grads && fn->grad_norm()) {
            label += "\n|grad out| " + short_number(*fn->grad_norm());
            fill = grad_colour(*fn->grad_norm());
        }
        decls.push_back("[label=\"" + escape(label) + "\", shape=box, style=\"rounded,filled\", fillcolor=\"" + fill + "\"]");
        for (const auto& in : fn->inputs())
            edges.push_back({id.at(key(in)), me, o.show_shapes ? " [label=\" " + shape_str(in.shape()) + "\"]" : ""});
    }
    // Past max_nodes, keep the first and last halves (in data-flow order: the inputs and the
    // loss end) and route what crosses the middle through one placeholder node.
    const std::size_t total = decls.size();
    const bool capped = o.max_nodes > 0 && total > o.max_nodes;
    const std::size_t head = capped ? o.max_nodes / 2 : total, tail_from = capped ? total - (o.max_nodes - head) : total;
    auto kept = [&](std::size_t n) { return n < head || n >= tail_from; };
    auto ref = [&](std::size_t n) { return kept(n) ? "n" + std::to_string(n) : std::string("omitted"); };

    std::ostringstream dot;
    dot << "digraph xgrad {\n";
    if (capped)
        dot << "  label=\"showing " << o.max_nodes << " of " << total << " nodes (DotOptions::max_nodes)\"; labelloc=t;\n";
    dot << "  node [fontname=\"Helvetica\", fontsize=11, style=filled];\n"
        << "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n";
    for (std::size_t n = 0; n < total; ++n)
        if (kept(n)) dot << "  n" << n << " " << decls[n] << ";\n";
    if (capped)
        dot << "  omitted [label=\"... " << total - o.max_nodes << " nodes omitted ...\", shape=box, style=\"dashed\"];\n";
    if (o.group_modules) {
        for (const auto& [leaf, leaf_id] : named_leaves) {  // "0.weight" joins module "0"
            const auto dot_at = leaf.rfind('.');
            if (dot_at == std::string::npos) continue;
            for (auto& c : clusters)
                if (c.first == leaf.substr(0, dot_at)) c.second.second.push_back(leaf_id);
        }
        std::size_t k = 0;
        for (const auto& [name, c] : clusters) {
            if (c.second.size() < 2) continue;
            dot << "  subgraph cluster_" << k++ << " {\n    label=\"" << escape(c.first)
                << "\"; fontname=\"Helvetica\"; fontsize=10; style=\"rounded,dashed\"; color=\"#888888\";\n   ";
            for (auto member : c.second)
                if (kept(member)) dot << " n" << member << ";";
            dot << "\n  }\n";
        }
    }
    std::vector<std::string> seen;  // edges into or out of the placeholder, once each
    for (const auto& e : edges) {
        if (!kept(e.from) && !kept(e.to)) continue;
        std::string line = "  " + ref(e.from) + " -> " + ref(e.to);
        if (kept(e.from) && kept(e.to)) line += e.label;
        else if (std::find(seen.begin(), seen.end(), line) != seen.end()) continue;
        else seen.push_back(line);
        dot << line << ";\n";
    }
    if (o.show_shapes) {
        dot << "  out [label=\"" << escape(shape_str(root.shape()) + " " + std::string(dtype_name(root.dtype())))
            << "\", shape=plaintext, style=\"\"];\n  n" << id.at(key(root)) << " -> out;\n";
    }
    dot << "}\n";
    return dot.str();
}

std::string write_graph(const Tensor& root, const std::filesystem::path& path, const DotOptions& options) {
    const std::string dot = to_dot(root, options);
    std::string ext = path.extension().string();
    auto write_atomically = [](const std::filesystem::path& target, const std::string& text) {
        const auto tmp = std::filesystem::path(target.string() + ".tmp");
        {
            std::ofstream f(tmp, std::ios::binary);
            f << text;
            if (!f.flush()) throw std::runtime_error("write_graph: cannot write " + tmp.string());
        }
        std::filesystem::rename(tmp, target);
    };
    if (ext == ".dot" || ext == ".gv") {
        write_atomically(path, dot);
        return path.string();
    }
    if (ext != ".svg" && ext != ".png" && ext != ".pdf")
        throw std::invalid_argument("write_graph: unknown format '" + ext + "' (use .dot, .svg, .png or .pdf)");
    auto dot_path = path;
    dot_path.replace_extension(".dot");
    write_atomically(dot_path, dot);
    if (std::system("command -v dot > /dev/null 2>&1") != 0)
        return "Graphviz is not installed: wrote " + dot_path.string() + "; render it with `dot -T" + ext.substr(1) +
               " " + dot_path.string() + " -o " + path.string() + "` (Debian package graphviz)";
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    const std::string command = "dot -T" + ext.substr(1) + " '" + dot_path.string() + "' -o '" + tmp.string() + "'";
    if (std::system(command.c_str()) != 0) {
        std::filesystem::remove(tmp);
        throw std::runtime_error("write_graph: Graphviz failed to render " + dot_path.string());
    }
    std::filesystem::rename(tmp, path);
    return path.string();
}

}  // namespace xgrad
