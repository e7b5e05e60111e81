#include "helpers.hpp"

#include <thread>

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::param;

TEST_CASE("fan-out: a tensor used twice gets both contributions", "[engine]") {
    auto x = param({1, -2, 3}, {3});
    (x * x).sum().backward();  // d/dx x^2 = 2x
    CHECK_VALUES(x.grad(), array({2, -4, 6}, {3}));
    auto y = param({1, 2}, {2});
    (y + y + y).sum().backward();
    CHECK_VALUES(y.grad(), array({3, 3}, {2}));
}

TEST_CASE("diamond graph: two paths from x meet again", "[engine]") {
    auto x = param({0.5, -1}, {2});
    auto a = x * 2.0;
    auto b = exp(x);
    (a * b).sum().backward();  // d/dx 2x e^x = 2 e^x + 2x e^x
    auto e = xt::exp(array({0.5, -1}, {2}));
    CHECK_VALUES(x.grad(), xt::xarray<double>(2 * e + 2 * array({0.5, -1}, {2}) * e));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad", "[engine]") {
    auto x = param({1, 2}, {2});
    (x * 3.0).sum().backward();
    (x * 3.0).sum().backward();
    CHECK_VALUES(x.grad(), array({6, 6}, {2}));
    x.zero_grad();
    CHECK_FALSE(x.grad().defined());
    (x * 3.0).sum().backward();
    CHECK_VALUES(x.grad(), array({3, 3}, {2}));
}

TEST_CASE("retain_graph allows a second backward; without it the second one throws", "[engine][errors]") {
    auto x = param({1, 2}, {2});
    auto y = (x * x).sum();
    y.backward({.retain_graph = true});
    y.backward();
    CHECK_VALUES(x.grad(), array({4, 8}, {2}));
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("backward through the graph a second time") &&
                                        Catch::Contains("retain_graph"));
    CHECK_VALUES(x.grad(), array({4, 8}, {2}));  // the failed call changed nothing
}

TEST_CASE("a node is recorded only when grad mode is on and an input requires grad", "[engine]") {
    auto a = Tensor::ones({2});
    auto b = Tensor::ones({2});
    auto c = a + b;
    CHECK_FALSE(c.requires_grad());
    CHECK(c.grad_fn() == nullptr);
    auto x = Tensor::ones({2}, {.requires_grad = true});
    CHECK((a + x).grad_fn() != nullptr);
    {
        NoGradGuard guard;
        CHECK_FALSE(is_grad_enabled());
        auto y = x * 2.0;
        CHECK_FALSE(y.requires_grad());
        CHECK(y.grad_fn() == nullptr);
        bool other_thread_enabled = false;
        std::thread([&] { other_thread_enabled = is_grad_enabled(); }).join();
        CHECK(other_thread_enabled);  // grad mode is per thread
    }
    CHECK(is_grad_enabled());
    CHECK((x * 2.0).requires_grad());
}

TEST_CASE("detach cuts the graph", "[engine]") {
    auto x = param({2, 3}, {2});
    auto d = x.detach();
    CHECK_FALSE(d.requires_grad());
    CHECK(d.is_leaf());
    CHECK_FALSE(d.is_same(x));
    (x * d).sum().backward();  // only the non-detached path: d/dx (x * c) = c
    CHECK_VALUES(x.grad(), array({2, 3}, {2}));
}

TEST_CASE("backward seeds: implicit for one element, explicit otherwise", "[engine][errors]") {
    auto x = param({1, 2, 3}, {3});
    auto y = x * 2.0;
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("only for one-element tensors") && Catch::Contains("(3)"));
    CHECK_THROWS_AS(y.backward(Tensor::ones({2}, {.dtype = float64})), ShapeError);
    CHECK_THROWS_WITH(y.backward(Tensor::ones({3})), Catch::Contains("gradient float32 (3)") &&
                                                          Catch::Contains("tensor float64 (3)"));
    y.backward(Tensor::from({1, 10, 100}, {3}, {.dtype = float64}));
    CHECK_VALUES(x.grad(), array({2, 20, 200}, {3}));

    auto leaf = param({5}, {1});
    leaf.backward();
    CHECK_VALUES(leaf.grad(), array({1}, {1}));
    CHECK_THROWS_WITH(Tensor::ones({1}).backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("inputs that do not require grad receive none", "[engine]") {
    auto x = param({1, 2}, {2});
    auto c = Tensor::from({3, 4}, {2}, {.dtype = float64});
    (x * c).sum().backward();
    CHECK(x.grad().defined());
    CHECK_FALSE(c.grad().defined());
}

TEST_CASE("the graph is freed after backward and holds no cycles", "[engine]") {
    auto x = param({1, 2}, {2});
    std::weak_ptr<Node> inner;
    Tensor y;
    {
        auto h = exp(x * 2.0);
        inner = h.grad_fn();
        y = h.sum();
    }
    REQUIRE_FALSE(inner.expired());  // kept alive by y's node, which owns h
    y.backward();
    CHECK(inner.expired());  // backward released y's node's operands, and nothing else held h
    CHECK(y.grad_fn()->released());

    // Without backward, dropping the root frees everything: no node owns its own output.
    {
        auto h = exp(x * 2.0);
        inner = h.grad_fn();
        auto z = h.sum();
        std::weak_ptr<Node> root = z.grad_fn();
        h = Tensor();
        REQUIRE_FALSE(inner.expired());
        z = Tensor();
        CHECK(root.expired());
        CHECK(inner.expired());
    }
}

TEST_CASE("a 100,000-op chain back-propagates and is destroyed without recursion", "[engine]") {
    auto x = param({1}, {1});
    {
        Tensor y = x;
        for (int i = 0; i < 100000; ++i) y = y + 1.0;
        y.backward();
    }
    CHECK_VALUES(x.grad(), array({1}, {1}));
    std::weak_ptr<Node> first;
    {
        Tensor y = x * 1.0;
        first = y.grad_fn();
        for (int i = 0; i < 100000; ++i) y = y * 1.0;
    }  // dropping the chain without backward must not overflow the stack either
    CHECK(first.expired());
}

namespace {

// A user-defined op: cube(x) = x^3, with its own forward and backward.
Tensor cube(const Tensor& x, double wrong_factor = 1.0) {
    return apply("cube", {x},
        [](Inputs in) { return map(in[0], [](const auto& v) { return v * v * v; }); },
        [wrong_factor](const BackwardArgs& c) -> Grads {
            // d(x^3) = 3 x^2 g
            return {map(c.grad, c.in[0], [wrong_factor](const auto& g, const auto& v) {
                using T = typename std::decay_t<decltype(v)>::value_type;
                return g * T(3 * wrong_factor) * v * v;
            })};
        });
}

}  // namespace

TEST_CASE("a user-defined op works like a built-in one", "[engine][gradcheck]") {
    auto x = param({1, -2}, {2});
    auto y = cube(x);
    CHECK(y.grad_fn()->name() == "cube");
    CHECK_VALUES(y, array({1, -8}, {2}));
    y.sum().backward();
    CHECK_VALUES(x.grad(), array({3, 12}, {2}));
    CHECK_GRADCHECK([](const auto& in) { return cube(in[0]).sum(); }, {test::randn64({3, 2}, 4)});
    auto wrong = gradcheck([](const auto& in) { return cube(in[0], 0.5); }, {test::randn64({3}, 5)});
    CHECK_FALSE(wrong.ok);
    CHECK(wrong.failure.find("Jacobian mismatch") != std::string::npos);
}

TEST_CASE("a backward that returns a wrongly shaped gradient is caught by the engine", "[engine][errors]") {
    auto x = param({1, 2}, {2});
    auto y = apply("broken", {x}, [](Inputs in) { return in[0]; },
                   [](const BackwardArgs&) -> Grads { return {Array(xt::xarray<double>::from_shape({3}))}; });
    CHECK_THROWS_AS(y.sum().backward(), std::logic_error);
    auto z = apply("broken", {x}, [](Inputs in) { return in[0]; },
                   [](const BackwardArgs&) -> Grads { return {Array(xt::xarray<double>::from_shape({3}))}; });
    CHECK_THROWS_WITH(z.sum().backward(), Catch::Contains("backward of 'broken' returned a gradient of float64 (3) "
                                                          "for operand 0 of float64 (2)"));
    auto w = apply("short", {x, x}, [](Inputs in) { return in[0]; },
                   [](const BackwardArgs& c) -> Grads { return {c.grad}; });
    CHECK_THROWS_WITH(w.sum().backward(), Catch::Contains("returned 1 gradients for 2 operands"));
}

TEST_CASE("mixed dtypes promote as torch.result_type, and each gradient takes its operand's dtype", "[engine][dtype]") {
    auto a = Tensor::ones({2}, {.requires_grad = true});
    auto b = Tensor::from({2, 3}, {2}, {.dtype = float64, .requires_grad = true});
    auto y = a * b;
    CHECK(y.dtype() == float64);
    y.sum().backward();
    CHECK(a.grad().dtype() == float32);
    CHECK(b.grad().dtype() == float64);
    CHECK_VALUES(a.grad(), test::array({2, 3}, {2}));
    // a 0-d float64 does not widen a dimensioned float32; it does widen an int64
    CHECK((a + Tensor::scalar(1, {.dtype = float64})).dtype() == float32);
    CHECK((Tensor::ones({2}, {.dtype = int64}) + Tensor::scalar(1, {.dtype = float64})).dtype() == float64);
    // a user's own op still refuses floating operands of two dtypes
    CHECK_THROWS_WITH(apply("mine", {a, b}, [](Inputs in) { return in[0]; }, [](const BackwardArgs&) -> Grads { return {}; }),
                      Catch::Contains("mine: operands have different dtypes: float32 (2) vs float64 (2)"));
}

TEST_CASE("a backward run inside a backward function gets bookkeeping of its own", "[engine]") {
    // The engine reuses its working memory between passes on a thread; a pass started from
    // inside another (here: an op whose backward differentiates a second graph) must not share it.
    auto x = param({1, 2, 3}, {3});
    auto w = param({0.5, -1}, {2});
    auto y = apply("scaled_by_inner_grad", {x}, [](Inputs in) { return in[0]; },
                   [w](const BackwardArgs& c) -> Grads {
                       Tensor inner = (w * w * w).sum();  // d/dw = 3 w^2 = (0.75, 3)
                       inner.backward();
                       const double scale = w.grad().data<double>()(1);  // 3
                       return make_grads(Array(xt::xarray<double>(get<double>(c.grad) * scale)));
                   });
    (y * y).sum().backward();  // dL/dx = 2x * 3
    CHECK(xt::allclose(x.grad().data<double>(), array({6, 12, 18}, {3})));
    CHECK(xt::allclose(w.grad().data<double>(), array({0.75, 3}, {2})));
}

TEST_CASE("a backward that throws keeps no tensor of its graph alive", "[engine][errors]") {
    auto x = param({1, 2}, {2});
    std::weak_ptr<Node> inner;
    {
        auto h = exp(x);
        inner = h.grad_fn();
        auto y = apply("throws", {h}, [](Inputs in) { return in[0]; },
                       [](const BackwardArgs&) -> Grads { throw std::runtime_error("broken backward"); });
        CHECK_THROWS_WITH(y.sum().backward(), "broken backward");
    }
    CHECK(inner.expired());  // the engine's reused working memory let go of the graph
    // and the next pass on this thread works
    auto z = (x * x).sum();
    z.backward();
    CHECK(xt::allclose(x.grad().data<double>(), array({2, 4}, {2})));
}

TEST_CASE("an owning backward gets the engine's own gradient buffer, check_graph's replay a copy", "[engine]") {
    const auto buffer = [](const Array& a) { return visit_float(a, [](const auto& v) -> const void* { return v.data(); }); };
    // "source" passes its gradient on in a buffer of its own and notes where it is
    const void* produced = nullptr;
    const auto source = [&](const Tensor& x) {
        return apply("source", {x}, [](Inputs in) { return in[0]; },
            [&produced, buffer](const BackwardArgs& c) -> Grads {
                Array g = c.grad;
                produced = buffer(g);
                return make_grads(std::move(g));
            });
    };
    // "twice" doubles its input, and its gradient in place in the buffer it was given
    std::vector<const void*> received;
    const auto twice = [&](const Tensor& x) {
        return detail::apply_owning("twice", {x}, [](Inputs in) { return map(in[0], [](const auto& v) { return v + v; }); },
            [&received, buffer](Array&& g, const detail::OwnedGradArgs&) -> Grads {
                received.push_back(buffer(g));
                visit_float(g, [](auto& v) { for (auto& e : v) e *= 2; });
                return make_grads(std::move(g));
            });
    };
    auto x = param({1, -2, 3}, {3});
    auto y = source(twice(relu(twice(x)) + x));  // relu and add own their gradients too
    (y * y).sum().backward({.retain_graph = true});
    // y = 2 (relu(2x) + x); dL/dx = 2y * 2 * (2 [x > 0] + 1)
    CHECK_VALUES(x.grad(), array({2 * 6 * 2 * 3, 2 * -4 * 2 * 1, 2 * 18 * 2 * 3}, {3}));
    REQUIRE(received.size() == 2);
    CHECK(received[0] == produced);  // the buffer source's backward made, not a copy of it
    // check_graph replays each backward with a gradient of its own: same results
    received.clear();
    CHECK(static_cast<bool>(check_graph(y.sum())));
    CHECK(received.size() == 2);
}

// narrow, select, index_select and friends add their block into the gradient their operand has
// summed so far (chunk's parts make no full-size gradient each): the sum must be the same as
// full-size gradients added, whichever part arrives first, and anomaly mode (which checks each
// gradient, so takes the full-size path) must agree bit for bit.
TEST_CASE("slices of one tensor add their gradients into the sum the engine holds", "[engine]") {
    const auto x = param({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 6});
    const Tensor picks = Tensor::from(std::vector<std::int64_t>{0, 5, 0}, {3});
    const auto loss = [&](const Tensor& v) {
        const auto parts = chunk(v, 3, 1);  // columns {0, 1}, {2, 3}, {4, 5}
        return (parts[0] * 1.0).sum() + (parts[1] * 2.0).sum() + (parts[2] * 3.0).sum() +
               (narrow(v, 1, 1, 3) * 10.0).sum() + index_select(v, 1, picks).sum() + (select(v, 0, 1) * 100.0).sum() +
               (v * v).sum();
    };
    loss(x).backward();
    // column weights 1 1 2 2 3 3, + 10 on columns 1-3, + 2 on column 0 and 1 on column 5, + 100 on row 1, + 2x
    xt::xarray<double> want = {{1 + 2, 1 + 10, 2 + 10, 2 + 10, 3, 3 + 1},
                               {1 + 2 + 100, 1 + 10 + 100, 2 + 10 + 100, 2 + 10 + 100, 3 + 100, 3 + 1 + 100}};
    want += 2 * array({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 6});
    CHECK_VALUES(x.grad(), want);
    // the sum belongs to this backward: a second one adds on top, it does not alias the first
    loss(x).backward();
    CHECK_VALUES(x.grad(), xt::xarray<double>(2 * want));
    const auto y = param({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 6});
    {
        DetectAnomalyGuard anomaly;
        loss(y).backward();
    }
    CHECK(xgrad::test::same_bits(y.grad(), Tensor(want)));
    // float32, over a chunk the size of the attention's q, k, v
    manual_seed(3);
    const Tensor z = Tensor::randn({512, 192}, {.requires_grad = true});
    const Tensor w = Tensor::randn({512, 192});
    const auto parts = chunk(z, 3, -1);
    (parts[0] * narrow(w, 1, 0, 64) + parts[1] * narrow(w, 1, 64, 64) + parts[2] * narrow(w, 1, 128, 64)).sum().backward();
    CHECK(xgrad::test::same_bits(z.grad(), w));
}

// PyTorch's Tensor.register_hook: the hook sees the whole gradient of its tensor (fan-out summed),
// once per backward, a leaf's before it is added to grad(); what it returns replaces it.
TEST_CASE("register_hook sees a tensor's whole gradient and may replace it; remove_hook stops it", "[engine][hooks]") {
    auto x = param({1, 2, 3}, {3});
    std::vector<xt::xarray<double>> seen;
    const auto run = [&] { return x * 2.0; };
    {
        Tensor y = run();
        y.register_hook([&](const Tensor& g) { seen.push_back(xgrad::test::values(g)); });
        ((y * y).sum() + y.sum()).backward();  // dz/dy = 2y + 1 = (5, 9, 13)
        REQUIRE(seen.size() == 1);
        CHECK_VALUES(Tensor(seen[0]), array({5, 9, 13}, {3}));
        CHECK_VALUES(x.grad(), array({10, 18, 26}, {3}));
    }
    x.zero_grad();
    seen.clear();
    {
        // hooks run in order: the second sees the first's replacement, and so does the rest of backward
        Tensor y = run();
        y.register_hook([](const Tensor& g) { return g * 10.0; });
        const unsigned observer = y.register_hook([&](const Tensor& g) { seen.push_back(xgrad::test::values(g)); });
        ((y * y).sum() + y.sum()).backward({.retain_graph = true});
        REQUIRE(seen.size() == 1);
        CHECK_VALUES(Tensor(seen[0]), array({50, 90, 130}, {3}));
        CHECK_VALUES(x.grad(), array({100, 180, 260}, {3}));
        y.remove_hook(observer);
        CHECK_THROWS_AS(y.remove_hook(observer), std::invalid_argument);
        ((y * y).sum() + y.sum()).backward();
        CHECK(seen.size() == 1);
        CHECK_VALUES(x.grad(), array({200, 360, 520}, {3}));
    }
    x.zero_grad();
    {
        // a leaf's hook runs before accumulation; a gradient a hook keeps stays valid and its own
        Tensor kept;
        const unsigned half = x.register_hook([](const Tensor& g) { return g * 0.5; });
        const unsigned keep = x.register_hook([&](const Tensor& g) { kept = g; });
        (x * 4.0).sum().backward();
        CHECK_VALUES(x.grad(), array({2, 2, 2}, {3}));
        CHECK_VALUES(kept, array({2, 2, 2}, {3}));
        (x * 4.0).sum().backward();
        CHECK_VALUES(x.grad(), array({4, 4, 4}, {3}));
        CHECK_VALUES(kept, array({2, 2, 2}, {3}));  // the second backward's gradient is another tensor
        CHECK_FALSE(kept.is_same(x.grad()));
        CHECK_FALSE(kept.requires_grad());
        x.remove_hook(half);
        x.remove_hook(keep);
    }
    // a hook on a tensor no gradient reaches is not called
    const auto unused = param({1}, {1});
    bool called = false;
    unused.register_hook([&](const Tensor&) { called = true; });
    (x * 2.0).sum().backward();
    CHECK_FALSE(called);
}

TEST_CASE("retain_grad keeps a non-leaf's gradient, accumulated like a leaf's, after its hooks", "[engine][hooks]") {
    auto x = param({1, -2}, {2});
    Tensor y = x * 3.0;
    const Tensor other = x * 5.0;
    CHECK_FALSE(y.retains_grad());
    y.retain_grad();
    CHECK(y.retains_grad());
    CHECK_FALSE(x.retains_grad());  // a leaf keeps its gradient anyway, as in PyTorch
    x.retain_grad();                // and retaining it does nothing
    const Tensor loss = (y * y).sum() + other.sum();
    loss.backward({.retain_graph = true});
    CHECK_VALUES(y.grad(), array({6, -12}, {2}));  // 2y
    CHECK_FALSE(other.grad().defined());
    loss.backward({.retain_graph = true});
    CHECK_VALUES(y.grad(), array({12, -24}, {2}));
    y.zero_grad();
    y.register_hook([](const Tensor& g) { return g + 1.0; });
    loss.backward();
    CHECK_VALUES(y.grad(), array({7, -11}, {2}));
    // dx = 3 dy + 5: twice with dy = 2y, then with the hook's 2y + 1
    CHECK_VALUES(x.grad(), array({2 * 23 + 26, 2 * -31 - 28}, {2}));
}
