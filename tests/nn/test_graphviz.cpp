#include "helpers.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace xgrad;
namespace fs = std::filesystem;

TEST_CASE("to_dot: a golden diagram, deterministic", "[graph_export]") {
    auto x = Tensor::from({1, -2, 3, -4, 5, -6}, {2, 3}).set_name("x");
    auto w = Tensor::from({1, 0, 0, 1, 1, 1}, {3, 2}, {.requires_grad = true}).set_name("w");
    Tensor y = relu(matmul(x, w)).sum();
    const std::string golden =
        "digraph xgrad {\n"
        "  node [fontname=\"Helvetica\", fontsize=11, style=filled];\n"
        "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n"
        "  n0 [label=\"x\\n(2, 3) float32\", shape=ellipse, fillcolor=\"#eeeeee\"];\n"
        "  n1 [label=\"w\\n(3, 2) float32\", shape=ellipse, fillcolor=\"#dbe9f6\"];\n"
        "  n2 [label=\"matmul\", shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\"];\n"
        "  n3 [label=\"relu\\nzeros 50%\\ndead units 0/2\", shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\"];\n"
        "  n4 [label=\"sum\", shape=box, style=\"rounded,filled\", fillcolor=\"#c7e9c0\"];\n"
        "  n0 -> n2 [label=\" (2, 3)\"];\n"
        "  n1 -> n2 [label=\" (3, 2)\"];\n"
        "  n2 -> n3 [label=\" (2, 2)\"];\n"
        "  n3 -> n4 [label=\" (2, 2)\"];\n"
        "  out [label=\"() float32\", shape=plaintext, style=\"\"];\n"
        "  n4 -> out;\n"
        "}\n";
    CHECK(to_dot(y) == golden);
    CHECK(to_dot(y) == to_dot(y));
    // a tensor used twice is one node with two edges
    auto d = to_dot((w * w).sum(), {.show_shapes = false});
    CHECK(d.find("n0 -> n1;\n  n0 -> n1;\n") != std::string::npos);
}

TEST_CASE("to_dot options: values, gradients, names, statistics", "[graph_export]") {
    manual_seed(0);
    auto model = nn::MLP({3, 4, 2}, "sigmoid");
    Tensor loss = nn::cross_entropy(model(Tensor::ones({2, 3})), Labels{0, 1});
    CHECK(to_dot(loss).find("parameter\\n(4, 3) float32") != std::string::npos);
    const auto named = to_dot(loss, {.names = model.named_parameters()});
    CHECK(named.find("0.weight\\n(4, 3) float32") != std::string::npos);
    CHECK(named.find("2.bias\\n(2) float32") != std::string::npos);
    CHECK(named.find("sigmoid\\nsaturated ") != std::string::npos);
    CHECK(named.find("|grad|") == std::string::npos);
    loss.backward({.retain_graph = true});
    const auto grads = to_dot(loss, {.show_grads = true, .names = model.named_parameters()});
    CHECK(grads.find("|grad| ") != std::string::npos);
    auto v = Tensor::from({1.5, 2}, {2}, {.requires_grad = true});
    CHECK(to_dot(v.sum(), {.show_values = true}).find("[1.5, 2]") != std::string::npos);
    // a NaN gradient is red
    auto n = Tensor::from({-1}, {1}, {.requires_grad = true});
    Tensor s = sqrt(n).sum();
    s.backward({.retain_graph = true});
    CHECK(to_dot(s, {.show_grads = true}).find("#ff4d4d") != std::string::npos);
}

TEST_CASE("write_graph writes .dot, renders .svg through Graphviz, refuses freed graphs", "[graph_export][errors]") {
    const auto dir = fs::temp_directory_path() / ("xgrad_dot_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto w = Tensor::ones({2}, {.requires_grad = true});
    Tensor y = (w * 3.0).sum();
    CHECK(write_graph(y, dir / "g.dot") == (dir / "g.dot").string());
    std::ifstream in(dir / "g.dot");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    CHECK(text == to_dot(y));
    const auto svg_result = write_graph(y, dir / "g.svg");
    if (std::system("command -v dot > /dev/null 2>&1") == 0) {
        CHECK(svg_result == (dir / "g.svg").string());
        std::ifstream svg(dir / "g.svg");
        std::string head((std::istreambuf_iterator<char>(svg)), {});
        CHECK(head.find("<svg") != std::string::npos);
    } else {
        CHECK_THAT(svg_result, Catch::Contains("Graphviz is not installed"));
    }
    CHECK_FALSE(fs::exists(dir / "g.svg.tmp"));
    CHECK_THROWS_WITH(write_graph(y, dir / "g.bmp"), Catch::Contains("unknown format '.bmp'"));
    y.backward();
    CHECK_THROWS_WITH(to_dot(y), Catch::Contains("was freed by backward()"));
    fs::remove_all(dir);
}

TEST_CASE("record_grad_norms puts each op's incoming gradient norm on the diagram", "[graph_export]") {
    auto w = Tensor::from({3, 4}, {2}, {.requires_grad = true});
    Tensor y = (w * 2.0).sum();
    y.backward({.retain_graph = true});
    CHECK_FALSE(y.grad_fn()->grad_norm());
    CHECK(to_dot(y, {.show_grads = true}).find("|grad out|") == std::string::npos);
    y.backward({.retain_graph = true, .record_grad_norms = true});
    REQUIRE(y.grad_fn()->grad_norm());
    CHECK(*y.grad_fn()->grad_norm() == 1.0);  // the seed of a scalar loss
    const auto dot = to_dot(y, {.show_grads = true});
    CHECK(dot.find("sum\\n|grad out| 1\"") != std::string::npos);
    CHECK(dot.find("mul\\n|grad out| 1.41\"") != std::string::npos);  // ones(2) reaches w * 2: norm √2
}

TEST_CASE("module clusters group each Linear's op with its parameters", "[graph_export]") {
    manual_seed(0);
    nn::Sequential model{nn::Linear(3, 4), nn::ReLU(), nn::Sequential(nn::Linear(4, 2))};
    Tensor loss = nn::cross_entropy(model(Tensor::ones({2, 3})), Labels{0, 1});
    const auto dot = to_dot(loss, {.names = model.named_parameters()});
    CHECK(dot.find("subgraph cluster_0 {\n    label=\"0: Linear(3 -> 4)\"") != std::string::npos);
    CHECK(dot.find("label=\"2.0: Linear(4 -> 2)\"") != std::string::npos);  // nested: dotted path
    CHECK(dot.find("ReLU") == std::string::npos);  // a single-node module gets no box
    CHECK(to_dot(loss, {.group_modules = false}).find("subgraph") == std::string::npos);
    // the scope is recorded on the node itself
    auto nodes = graph_nodes(loss);
    REQUIRE(nodes.size() == 4);
    CHECK(nodes[1]->scope()->name == "2.0");
    CHECK(nodes[2]->scope()->label == "1: ReLU()");
    CHECK(nodes[0]->scope() == nullptr);  // the loss is outside the model
    {
        ScopeGuard outer("enc", "Encoder");
        ScopeGuard inner("fc", "Linear");
        auto w = Tensor::ones({1}, {.requires_grad = true});
        CHECK((w * 2.0).grad_fn()->scope()->name == "enc.fc");
    }
    CHECK((Tensor::ones({1}, {.requires_grad = true}) * 2.0).grad_fn()->scope() == nullptr);
}

TEST_CASE("a graph of thousands of nodes is capped, and the diagram says so", "[graph_export]") {
    auto x = Tensor::ones({2}, {.requires_grad = true}).set_name("x");
    Tensor y = x;
    for (int i = 0; i < 1500; ++i) y = tanh(y * 0.5);  // 3000 ops, 1500 scalar leaves, and x
    const auto dot = to_dot(y);
    CHECK(dot.find("label=\"showing 400 of 4501 nodes (DotOptions::max_nodes)\"") != std::string::npos);
    std::size_t declared = 0;  // lines "  nK [label=...]"
    std::istringstream lines(dot);
    for (std::string line; std::getline(lines, line);)
        declared += line.rfind("  n", 0) == 0 && line.size() > 3 && std::isdigit(static_cast<unsigned char>(line[3])) &&
                    line.find(" -> ") == std::string::npos;
    CHECK(declared == 400);
    CHECK(dot.find("omitted [label=\"... 4101 nodes omitted ...\"") != std::string::npos);
    CHECK(dot.find("  n199 -> omitted;") != std::string::npos);   // the chain enters the gap
    CHECK(dot.find("  omitted -> n4301;") != std::string::npos);  // and leaves it, once each
    CHECK(dot.find("  n199 -> omitted;", dot.find("  n199 -> omitted;") + 1) == std::string::npos);
    CHECK(dot.find("  n200 ") == std::string::npos);
    CHECK(dot.find("x\\n(2) float32") != std::string::npos);      // the input end is kept
    CHECK(to_dot(y, {.max_nodes = 0}).find("omitted") == std::string::npos);
    if (std::system("command -v dot > /dev/null 2>&1") == 0) {
        const auto path = fs::temp_directory_path() / ("xgrad_big_" + std::to_string(::getpid()) + ".svg");
        CHECK(write_graph(y, path) == path.string());
        CHECK(fs::file_size(path) > 0);
        fs::remove(path);
        fs::remove(fs::path(path).replace_extension(".dot"));
    }
}

TEST_CASE("ProfileGuard times each op's forward and backward for the diagram", "[graph_export]") {
    auto w = Tensor::ones({64, 64}, {.requires_grad = true});
    Tensor plain = matmul(w, w).sum();
    CHECK_FALSE(plain.grad_fn()->forward_seconds());
    Tensor y;
    {
        ProfileGuard profile;
        CHECK(is_profiling_enabled());
        y = matmul(w, w).sum();
        y.backward({.retain_graph = true});
    }
    CHECK_FALSE(is_profiling_enabled());
    for (const auto& node : graph_nodes(y)) {
        REQUIRE(node->forward_seconds());
        REQUIRE(node->backward_seconds());
        CHECK(*node->forward_seconds() > 0);
        CHECK(*node->forward_seconds() < 10);
    }
    const auto dot = to_dot(y, {.show_times = true});
    CHECK(dot.find("matmul\\nfwd ") != std::string::npos);
    CHECK(dot.find(" us, bwd ") != std::string::npos);
    CHECK(to_dot(y).find("fwd ") == std::string::npos);
}

TEST_CASE("write_graph starts Graphviz without a shell: quotes and ; in a path are only characters", "[graph_export]") {
    if (std::system("command -v dot > /dev/null 2>&1") != 0) return;  // nothing is started without Graphviz
    const auto dir = fs::temp_directory_path() / ("xgrad_dot_quote_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto w = Tensor::ones({2}, {.requires_grad = true});
    Tensor y = (w * 3.0).sum();
    const auto apostrophe = dir / "it's a graph.svg";
    CHECK(write_graph(y, apostrophe) == apostrophe.string());
    CHECK(fs::file_size(apostrophe) > 0);
    // a shell would end the quoted word at the apostrophe and run the rest
    const auto hostile = dir / "x'; touch pwned; echo '.svg";
    CHECK(write_graph(y, hostile) == hostile.string());
    CHECK(fs::exists(hostile));
    CHECK_FALSE(fs::exists("pwned"));
    CHECK_FALSE(fs::exists(dir / "pwned"));
    const auto dash = fs::path("-o.svg");  // a relative path that dot would read as an option
    const auto here = fs::current_path();
    fs::current_path(dir);
    CHECK(write_graph(y, dash) == dash.string());
    CHECK(fs::file_size(dir / "-o.svg") > 0);
    fs::current_path(here);
    fs::remove_all(dir);
}

TEST_CASE("diagram statistics come from the op (Node::output_stats), not from its name", "[graph_export]") {
    auto x = Tensor::from({-1, 2, -3, 4}, {2, 2}, {.requires_grad = true});
    CHECK(relu(x).grad_fn()->output_stats() != nullptr);
    CHECK(sigmoid(x).grad_fn()->output_stats() != nullptr);
    CHECK(tanh(x).grad_fn()->output_stats() != nullptr);
    CHECK(exp(x).grad_fn()->output_stats() == nullptr);
    // a user's op named "relu" gets no statistics it did not ask for
    Tensor own = apply("relu", {x}, [](Inputs in) { return in[0]; },
                       [](const BackwardArgs& c) -> Grads { return make_grads(Array(c.grad)); });
    CHECK(to_dot(own.sum()).find("zeros") == std::string::npos);
    CHECK(to_dot(relu(x).sum()).find("relu\\nzeros 50%\\ndead units 1/2") != std::string::npos);  // column 0 is never positive
    CHECK(to_dot(relu(x).sum(), {.show_activation_stats = false}).find("zeros") == std::string::npos);
    const Diagram d = collect_diagram(relu(x).sum());
    REQUIRE(d.nodes.size() == 3);  // x, relu, sum
    CHECK_FALSE(d.nodes[0].is_op);
    CHECK(d.nodes[1].label == "relu\nzeros 50%\ndead units 1/2");
    CHECK(d.root == 2);
    CHECK(d.edges.size() == 2);
}
