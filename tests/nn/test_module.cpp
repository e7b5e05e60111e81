#include "helpers.hpp"

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::randn64;
using xgrad::test::str;

TEST_CASE("Linear: weight (out, in), PyTorch's default init, forward", "[nn]") {
    manual_seed(1);
    nn::Linear fc(400, 30);
    CHECK(fc.weight().shape() == Shape{30, 400});
    CHECK(fc.bias().shape() == Shape{30});
    CHECK(fc.weight().requires_grad());
    const double bound = 1.0 / std::sqrt(400.0);  // kaiming_uniform(a = √5) = U(±1/√in)
    auto w = test::values(fc.weight());
    CHECK(xt::amax(xt::abs(w))() <= bound);
    CHECK(xt::amax(w)() > 0.9 * bound);   // it fills the interval
    CHECK(std::abs(xt::mean(w)()) < 0.05 * bound);  // the mean's spread is 0.005 bound
    CHECK(xt::amax(xt::abs(test::values(fc.bias())))() <= bound);
    auto x = Tensor::randn({5, 400});
    CHECK_VALUES(fc(x), test::values(matmul(x, fc.weight().T()) + fc.bias()));
    CHECK(nn::Linear(3, 2, {.bias = false}).parameters().size() == 1);
    CHECK_FALSE(nn::Linear(3, 2, {.bias = false}).bias().defined());
}

TEST_CASE("modules are checked with gradcheck for input and parameters", "[nn][gradcheck]") {
    manual_seed(2);
    nn::Linear fc(4, 3, {.dtype = float64});
    auto x = randn64({5, 4}, 3);
    CHECK_GRADCHECK([&](const auto& in) { return fc(in[0]); }, {x});
    CHECK_GRADCHECK([&](const auto& in) { return linear(x, in[0], in[1]); }, {fc.weight(), fc.bias()});

    nn::Sequential mlp = nn::MLP({4, 6, 3}, "tanh", float64);
    CHECK_GRADCHECK([&](const auto& in) { return mlp(in[0]); }, {x});

    nn::PReLU act(3, 0.25, float64);
    auto h = randn64({4, 3}, 4);
    CHECK_GRADCHECK([&](const auto& in) { return act(in[0]); }, {h});
    CHECK_GRADCHECK([&](const auto& in) { return prelu(h, in[0]); }, {act.weight()});
    // the learned slope receives its gradient through the module
    act(h).sum().backward();
    REQUIRE(act.weight().grad().defined());
    CHECK(xt::any(xt::not_equal(test::values(act.weight().grad()), 0.0)));
}

TEST_CASE("Sequential and MLP: structure, names, printing", "[nn]") {
    nn::Sequential model{nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10)};
    CHECK(model.size() == 5);
    CHECK(model.parameters().size() == 6);
    CHECK(model.parameter_count() == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
    auto named = model.named_parameters();
    CHECK(named[0].first == "0.weight");
    CHECK(named[1].first == "0.bias");
    CHECK(named[5].first == "4.bias");
    CHECK(model[1].describe() == "ReLU()");
    CHECK_THROWS_AS(model[5], std::out_of_range);
    model.push_back(nn::Softmax(1));
    CHECK(model.size() == 6);
    CHECK(model(Tensor::zeros({2, 784})).shape() == Shape{2, 10});

    auto mlp = nn::MLP({2, 16, 16, 3}, "leaky_relu");
    CHECK(mlp.size() == 5);
    CHECK(mlp[1].describe() == "LeakyReLU(0.01)");
    CHECK(mlp[4].describe() == "Linear(16 -> 3)");
    CHECK(str(nn::MLP({2, 3, 1}, "prelu")) ==
          "Sequential {\n  (0): Linear(2 -> 3)  [9 parameters]\n  (1): PReLU(1 shared slope)  [1 parameters]\n"
          "  (2): Linear(3 -> 1)  [4 parameters]\n}  [14 parameters]");
    CHECK(nn::MLP({2, 3, 1}, "prelu").parameters().size() == 5);  // the PReLU slope is a parameter
    for (auto name : {"identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu",
                      "gelu_tanh", "silu", "swish", "softplus"})
        CHECK(nn::make_activation(name) != nullptr);
}

TEST_CASE("train/eval, zero_grad and to(dtype) reach every child", "[nn]") {
    auto model = nn::MLP({3, 4, 2});
    model.eval();
    CHECK_FALSE(model.is_training());
    CHECK_FALSE(model[0].is_training());
    model.train();
    CHECK(model[2].is_training());
    nn::cross_entropy(model(Tensor::ones({2, 3})), Labels{0, 1}).backward();
    for (auto& p : model.parameters()) CHECK(p.grad().defined());
    model.zero_grad();
    for (auto& p : model.parameters()) CHECK_FALSE(p.grad().defined());
    model.to(float64);
    for (auto& p : model.parameters()) {
        CHECK(p.dtype() == float64);
        CHECK(p.requires_grad());
        CHECK(p.is_leaf());
    }
    CHECK(model(Tensor::ones({2, 3}, {.dtype = float64})).dtype() == float64);
}

TEST_CASE("Linear takes (*, in) like PyTorch: a vector or any leading dimensions", "[nn][gradcheck]") {
    manual_seed(3);
    nn::Linear fc(4, 3, {.dtype = float64});
    Tensor batch = Tensor::randn({6, 4}, {.dtype = float64});
    const xt::xarray<double> rows = get<double>(fc(batch).array());  // (6, 3)

    const Tensor folded = fc(reshape(batch, {2, 3, 4}));
    CHECK(folded.shape() == Shape{2, 3, 3});
    CHECK(xt::allclose(xt::xarray<double>(xt::reshape_view(get<double>(folded.array()), {6, 3})), rows));

    const auto& data = get<double>(batch.array());
    const Tensor vector = fc(Tensor::from(std::vector<double>(data.begin(), data.begin() + 4), {4}, {.dtype = float64}));
    CHECK(vector.shape() == Shape{3});
    CHECK(xt::allclose(get<double>(vector.array()), xt::xarray<double>{rows(0, 0), rows(0, 1), rows(0, 2)}));

    // The weight's gradient is the same whichever way the batch is laid out.
    fc(batch).sum().backward();
    const xt::xarray<double> flat_grad = get<double>(fc.weight().grad().array());
    fc.zero_grad();
    fc(reshape(batch, {3, 2, 4})).sum().backward();
    CHECK(xt::allclose(get<double>(fc.weight().grad().array()), flat_grad));

    Tensor x = Tensor::randn({2, 3, 4}, {.dtype = float64, .requires_grad = true});
    CHECK(gradcheck([&](const auto& in) { return tanh(fc(in[0])).sum(); }, {x}).ok);
}

TEST_CASE("modules reject bad inputs with their own name", "[nn][errors]") {
    nn::Linear fc(784, 256);
    CHECK_THROWS_AS(fc(Tensor::zeros({32, 783})), ShapeError);
    CHECK_THROWS_WITH(fc(Tensor::zeros({32, 783})), "Linear(784 -> 256): expected input (..., 784), got (32, 783)");
    CHECK_THROWS_WITH(fc(Tensor::scalar(1)), "Linear(784 -> 256): expected input (..., 784), got ()");
    CHECK_THROWS_AS(fc(Tensor::zeros({2, 784}, {.dtype = float64})), DtypeError);
    CHECK_THROWS_WITH(fc(Tensor::zeros({2, 784}, {.dtype = float64})),
                      "Linear(784 -> 256): input is float64, the weights are float32 (convert one with .to())");
    CHECK_THROWS_WITH(nn::MLP({3}), Catch::Contains("at least an input and an output size"));
    CHECK_THROWS_WITH(nn::MLP({3, 2}, "relux"), Catch::StartsWith("unknown activation 'relux'; expected one of"));
    Tensor vec = Tensor::zeros({3});
    CHECK_THROWS_WITH(nn::init::kaiming_uniform_(vec), Catch::Contains("at least 2 dimensions, got shape (3)"));
    nn::PReLU per_channel(4);
    CHECK_THROWS_AS(per_channel(Tensor::zeros({2, 3})), ShapeError);
}

TEST_CASE("init schemes draw from the right distributions", "[nn]") {
    manual_seed(5);
    auto w = Tensor::zeros({200, 300}, {.dtype = float64});
    nn::init::xavier_uniform_(w);
    const double a = std::sqrt(6.0 / 500);
    CHECK(xt::amax(xt::abs(w.data<double>()))() <= a);
    CHECK(xt::amax(xt::abs(w.data<double>()))() > 0.99 * a);
    nn::init::kaiming_normal_(w);
    CHECK(xt::stddev(w.data<double>())() == Approx(std::sqrt(2.0 / 300)).epsilon(0.02));
    nn::init::xavier_normal_(w);
    CHECK(xt::stddev(w.data<double>())() == Approx(std::sqrt(2.0 / 500)).epsilon(0.02));
    nn::init::constant_(w, 0.5);
    CHECK(xt::all(xt::equal(w.data<double>(), 0.5)));
    nn::init::zeros_(w);
    CHECK(xt::all(xt::equal(w.data<double>(), 0.0)));
    manual_seed(9);
    auto u1 = Tensor::zeros({10});
    nn::init::uniform_(u1, -1, 1);
    manual_seed(9);
    auto u2 = Tensor::zeros({10});
    nn::init::uniform_(u2, -1, 1);
    CHECK((u1.data<float>() == u2.data<float>()));
}

TEST_CASE("to(dtype) converts parameters in place: an optimizer's handles and its state follow", "[nn][optim]") {
    manual_seed(5);
    nn::Sequential model{nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 2)};
    auto& fc = dynamic_cast<nn::Linear&>(model[0]);
    CHECK(fc.weight().is_same(model.parameters()[0]));  // the member is the registered tensor
    CHECK(fc.bias().is_same(model.parameters()[1]));
    optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
    const auto loss = [&](Dtype dtype) {
        return nn::cross_entropy(model(Tensor::ones({2, 3}, {.dtype = dtype})), Labels{0, 1});
    };
    loss(float32).backward();
    opt.step();  // a float32 momentum buffer exists now
    REQUIRE(opt.momentum_buffer(0) != nullptr);
    const xt::xarray<double> before = xt::cast<double>(fc.weight().data<float>());
    model.to(float64);
    CHECK(opt.params()[0].dtype() == float64);  // the optimizer holds the same tensors
    CHECK(opt.params()[0].is_same(fc.weight()));
    CHECK_FALSE(fc.weight().grad().defined());
    CHECK(xt::allclose(fc.weight().data<double>(), before));
    opt.zero_grad();
    loss(float64).backward();
    opt.step();  // the buffer follows the parameter's dtype
    CHECK(dtype_of_array(*opt.momentum_buffer(0)) == float64);
    CHECK_FALSE(xt::allclose(fc.weight().data<double>(), before));
    CHECK(model(Tensor::ones({1, 3}, {.dtype = float64})).dtype() == float64);
}
