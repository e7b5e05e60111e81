#include "nn/export/diagram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <unordered_map>

#include "autograd/engine.hpp"

namespace xgrad {

namespace {

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

// Appends a line to a label (in two steps: "\n" + text trips GCC 12's -Wrestrict here).
void add_line(std::string& label, const std::string& text) {
    label += '\n';
    label += text;
}

std::string shape_and_dtype(const Tensor& t) { return shape_str(t.shape()) + " " + std::string(dtype_name(t.dtype())); }

// The diagram under construction: ids by tensor, groups by scope name.
class Collector {
public:
    explicit Collector(const DotOptions& o) : o_(o) {}

    std::size_t leaf(const Tensor& t) {
        if (auto it = ids_.find(t.impl()); it != ids_.end()) return it->second;
        std::string name = leaf_name(t);
        std::string label = (name.empty() ? std::string(t.requires_grad() ? "parameter" : "input") : name) + "\n" +
                            shape_and_dtype(t);
        if (o_.show_values && t.numel() <= 16) add_line(label, values_text(t));
        std::string fill = t.requires_grad() ? "#dbe9f6" : "#eeeeee";
        if (o_.show_grads && t.grad().defined()) {
            const double norm = std::sqrt(sum_of_squares(t.grad().array()));
            label += "\n|grad| " + short_number(norm);
            fill = grad_colour(norm);
        }
        const std::size_t id = add(t, {false, std::move(label), std::move(fill)});
        if (!name.empty()) named_.emplace_back(name, id);
        return id;
    }

    void op(const Node& node, const Tensor& out, bool is_root) {
        std::vector<std::size_t> operands;
        for (const auto& in : node.inputs()) operands.push_back(in.grad_fn() ? ids_.at(in.impl()) : leaf(in));
        std::string label = node.name();
        if (o_.show_activation_stats && node.output_stats() && out.numel() > 0)
            add_line(label, node.output_stats()(out.array()));
        if (o_.show_values && out.numel() <= 16) add_line(label, values_text(out));
        if (o_.show_times && node.forward_seconds())
            label += "\nfwd " + short_number(*node.forward_seconds() * 1e6) + " us" +
                     (node.backward_seconds() ? ", bwd " + short_number(*node.backward_seconds() * 1e6) + " us" : "");
        std::string fill = is_root ? "#c7e9c0" : "#f5f5f5";
        if (o_.show_grads && node.grad_norm()) {
            label += "\n|grad out| " + short_number(*node.grad_norm());
            fill = grad_colour(*node.grad_norm());
        }
        const std::size_t id = add(out, {true, std::move(label), std::move(fill)});
        if (o_.group_modules && node.scope()) group(node.scope()->name, node.scope()->label).push_back(id);
        for (std::size_t i = 0; i < operands.size(); ++i)
            d_.edges.push_back({operands[i], id, o_.show_shapes ? shape_str(node.inputs()[i].shape()) : ""});
    }

    Diagram finish(const Tensor& root) {
        d_.root = ids_.at(root.impl());
        if (o_.show_shapes) d_.root_label = shape_and_dtype(root);
        for (const auto& [leaf_name, id] : named_) {  // "0.weight" joins module "0"
            const auto dot = leaf_name.rfind('.');
            if (dot == std::string::npos) continue;
            for (auto& g : d_.groups)
                if (g.name == leaf_name.substr(0, dot)) g.members.push_back(id);
        }
        std::erase_if(d_.groups, [](const Diagram::Group& g) { return g.members.size() < 2; });
        return std::move(d_);
    }

private:
    std::size_t add(const Tensor& t, Diagram::Box box) {
        d_.nodes.push_back(std::move(box));
        return ids_[t.impl()] = d_.nodes.size() - 1;
    }
    std::vector<std::size_t>& group(const std::string& name, const std::string& label) {
        for (auto& g : d_.groups)
            if (g.name == name) return g.members;
        d_.groups.push_back({name, label, {}});
        return d_.groups.back().members;
    }
    std::string leaf_name(const Tensor& t) const {
        for (const auto& [name, p] : o_.names)
            if (p.is_same(t)) return name;
        return t.name();
    }

    const DotOptions& o_;
    Diagram d_;
    std::unordered_map<const detail::TensorImpl*, std::size_t> ids_;
    std::vector<std::pair<std::string, std::size_t>> named_;
};

}  // namespace

Diagram collect_diagram(const Tensor& root, const DotOptions& options) {
    return detail::collect_diagram(root, options, "collect_diagram");
}

namespace detail {

Diagram collect_diagram(const Tensor& root, const DotOptions& options, std::string_view caller) {
    if (!root.defined()) throw std::invalid_argument(std::string(caller) + ": undefined tensor");
    Collector c(options);
    if (!root.grad_fn()) {
        c.leaf(root);
        return c.finish(root);
    }
    const auto nodes = graph_nodes(root, caller);
    // graph_nodes lists the root's node first; a diagram runs in data-flow order. A node's output
    // is found through its consumers' operands (a Node does not own its output), the root's is root.
    std::unordered_map<const Node*, Tensor> outputs{{root.grad_fn().get(), root}};
    for (const auto& n : nodes)
        for (const auto& in : n->inputs())
            if (in.grad_fn()) outputs.emplace(in.grad_fn().get(), in);
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) c.op(**it, outputs.at(it->get()), it->get() == root.grad_fn().get());
    return c.finish(root);
}

}  // namespace detail

}  // namespace xgrad
