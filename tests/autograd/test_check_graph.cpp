#include "helpers.hpp"

using namespace xgrad;
using xgrad::test::param;
using xgrad::test::str;

namespace {

// softsign with a backward that forgets the square: d = g / (1 + |x|) instead of g / (1 + |x|)².
Tensor wrong_softsign(const Tensor& x) {
    return apply("wrong_softsign", {x},
        [](Inputs in) { return map(in[0], [](const auto& v) { return v / (1 + xt::abs(v)); }); },
        [](const BackwardArgs& c) -> Grads {
            return {map(c.grad, c.in[0], [](const auto& g, const auto& v) { return g / (1 + xt::abs(v)); })};
        });
}

}  // namespace

TEST_CASE("check_graph passes every node of a correct float32 MLP", "[check_graph]") {
    manual_seed(1);
    auto model = nn::MLP({4, 8, 8, 3}, "tanh");
    auto x = Tensor::randn({5, 4});
    Tensor loss = nn::cross_entropy(model(x), Labels{0, 2, 1, 1, 0});
    auto r = check_graph(loss);
    INFO(r);
    CHECK(r);
    REQUIRE(r.nodes.size() == 6);  // cross_entropy, 3 linear, 2 tanh
    CHECK(r.nodes[0].op == "cross_entropy");
    for (const auto& n : r.nodes) {
        CHECK(n.status == NodeCheck::Status::passed);
        CHECK(n.checked > 0);
    }
    // the graph is untouched: backward still works afterwards
    loss.backward();
    CHECK(model.parameters()[0].grad().defined());
}

TEST_CASE("check_graph pinpoints a wrong backward", "[check_graph]") {
    manual_seed(2);
    nn::Linear fc1(3, 4), fc2(4, 2);
    Tensor loss = nn::cross_entropy(fc2(wrong_softsign(fc1(Tensor::randn({6, 3})))), Labels{0, 1, 1, 0, 1, 0});
    auto r = check_graph(loss);
    CHECK_FALSE(r);
    REQUIRE(r.first_failure);
    const auto& bad = r.nodes[*r.first_failure];
    CHECK(bad.op == "wrong_softsign");
    CHECK(bad.position == 2);  // cross_entropy, linear (fc2), then the culprit
    CHECK(bad.status == NodeCheck::Status::failed);
    CHECK_THAT(bad.detail, Catch::StartsWith("operand 0 element ("));
    for (const auto& n : r.nodes)
        if (n.op != "wrong_softsign") CHECK(n.status == NodeCheck::Status::passed);
    CHECK_THAT(str(r), Catch::Contains("first failure: node 2 'wrong_softsign'") && Catch::Contains("FAILED"));
}

TEST_CASE("check_graph reports kinks as not checkable, never as failures", "[check_graph]") {
    auto x = param({0, 0, 0}, {3});
    auto all_kinks = check_graph(relu(x).sum());
    INFO(all_kinks);
    CHECK(all_kinks);
    CHECK(all_kinks.nodes[1].op == "relu");
    CHECK(all_kinks.nodes[1].status == NodeCheck::Status::not_checkable);
    CHECK(all_kinks.nodes[1].kinks == 3);
    CHECK(all_kinks.nodes[1].detail == "every sampled element sits on a kink");

    auto some = param({-1, 0, 2}, {3});
    auto partly = check_graph((step(some) + relu(some) * 3.0).sum());
    INFO(partly);
    CHECK(partly);
    for (const auto& n : partly.nodes)
        if (n.op == "relu" || n.op == "step") {
            CHECK(n.kinks == 1);
            CHECK(n.checked == 2);
            CHECK(n.status == NodeCheck::Status::passed);
        }
}

TEST_CASE("check_graph samples large operands and refuses a freed graph", "[check_graph][errors]") {
    manual_seed(3);
    auto w = Tensor::randn({50, 40}, {.requires_grad = true});
    Tensor y = matmul(Tensor::randn({3, 50}), w).sum();
    auto r = check_graph(y, {.max_elements = 10});
    CHECK(r);
    CHECK(r.nodes[1].checked == 10);
    y.backward();
    CHECK_THROWS_WITH(check_graph(y), Catch::StartsWith("check_graph: the graph through 'sum' was freed by backward()"));
    CHECK_THROWS_AS(check_graph(Tensor::ones({2})), std::invalid_argument);
}

TEST_CASE("anomaly detection names the op that produced NaN or Inf", "[anomaly]") {
    auto x = param({-1, 4}, {2});
    x.set_name("x");
    CHECK_NOTHROW(log(x));  // off by default: NaN flows silently, as in PyTorch
    {
        DetectAnomalyGuard guard;
        CHECK(is_anomaly_enabled());
        CHECK_THROWS_WITH(log(x), Catch::StartsWith("anomaly: forward of 'log'") &&
                                      Catch::Contains("produced NaN at flat index 0 of float64 (2)") &&
                                      Catch::Contains("operands: leaf 'x' float64 (2)"));
        auto z = param({0, 1}, {2});
        Tensor s = sqrt(z * 1.0).sum();  // sqrt(0) = 0 is fine; its gradient 1 / (2 sqrt 0) is not
        CHECK_THROWS_WITH(s.backward(), Catch::StartsWith("anomaly: backward (gradient for operand 0) of 'sqrt'") &&
                                            Catch::Contains("produced Inf at flat index 0") &&
                                            Catch::Contains("operands: 'mul' #"));
    }
    CHECK_FALSE(is_anomaly_enabled());
}

TEST_CASE("check_graph passes an attention mask of -1e4, -1e9 or -inf added to the scores", "[check_graph]") {
    for (double fill : {-1e4, -1e9, -std::numeric_limits<double>::infinity()}) {
        for (Dtype dt : {float32, float64}) {
            INFO("mask " << fill << ", " << dtype_name(dt));
            manual_seed(3);
            auto q = Tensor::randn({6, 4}, {.dtype = dt, .requires_grad = true});
            auto k = Tensor::randn({6, 4}, {.dtype = dt, .requires_grad = true});
            std::vector<double> mask(36, 0.0);
            for (std::size_t i = 0; i < 6; ++i)
                for (std::size_t j = i + 1; j < 6; ++j) mask[i * 6 + j] = fill;  // causal
            auto scores = matmul(q, k.T()) + Tensor::from(mask, {6, 6}, {.dtype = dt});
            auto r = check_graph((softmax(scores, 1) * Tensor::randn({6, 6}, {.dtype = dt})).sum());
            INFO(r);
            CHECK(r);
            for (const auto& n : r.nodes) {
                INFO(n.op);
                CHECK(n.status == NodeCheck::Status::passed);
                CHECK(n.checked > 0);
            }
        }
    }
}

TEST_CASE("gradcheck's step suits the operand: a huge constant does not swamp it", "[gradcheck]") {
    auto mask = Tensor::from({0, -1e9, -1e4, 0, -1e9, 0}, {2, 3}, {.dtype = float64});
    auto x = test::randn64({2, 3}, 4);
    CHECK_GRADCHECK([&](const std::vector<Tensor>& in) { return (tanh(in[0]) + mask).sum(); }, {x});
    // an operand of 1e6 gets a step of 1 (relative), not 1e-6 lost below its last bit
    auto big = Tensor::from({1e6, -3e7, 2e8}, {3}, {.dtype = float64, .requires_grad = true});
    CHECK_GRADCHECK([](const std::vector<Tensor>& in) { return (in[0] * in[0]).sum(); }, {big});
}
