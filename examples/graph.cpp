// graph: one training step of a small MLP, seen and checked. Writes the recorded graph before
// and after backward (then with each parameter's gradient norm), and prints check_graph's
// verification of every node. Exits with status 1 if a node fails.
//   usage: graph [OUTPUT_DIR]   (default graph_out; .svg through Graphviz, else .dot)
#include <filesystem>
#include <iostream>

#include "xgrad.hpp"

using namespace xgrad;

int main(int argc, char** argv) {
    const std::filesystem::path out = argc > 1 ? argv[1] : "graph_out";
    std::filesystem::create_directories(out);
    const auto spiral = data::make_spiral(16, 3, 0.2, 0);
    manual_seed(0);
    nn::Sequential model{nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 8), nn::Tanh(), nn::Linear(8, 3)};
    optim::SGD opt(model.parameters(), {.lr = 0.1});

    Tensor loss = nn::cross_entropy(model(spiral.inputs), spiral.labels);
    const DotOptions names{.names = model.named_parameters()};
    std::cout << "loss " << loss.item() << "\nbefore backward: " << write_graph(loss, out / "graph_before.svg", names) << '\n';

    std::cout << '\n' << check_graph(loss) << '\n';
    const bool ok = static_cast<bool>(check_graph(loss));

    loss.backward({.retain_graph = true, .record_grad_norms = true});  // keep the graph to draw it with its gradients
    DotOptions with_grads = names;
    with_grads.show_grads = true;
    std::cout << "after backward:  " << write_graph(loss, out / "graph_after.svg", with_grads) << '\n';
    opt.step();
    return ok ? 0 : 1;
}
