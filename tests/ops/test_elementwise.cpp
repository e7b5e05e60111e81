#include "helpers.hpp"

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::param;
using xgrad::test::randn64;

TEST_CASE("elementwise forward values", "[elementwise]") {
    auto a = Tensor::from({1, 2, 3, 4}, {2, 2});
    auto b = Tensor::from({10, 20}, {2});
    CHECK_VALUES(a + b, array({11, 22, 13, 24}, {2, 2}));
    CHECK_VALUES(a - b, array({-9, -18, -7, -16}, {2, 2}));
    CHECK_VALUES(a * b, array({10, 40, 30, 80}, {2, 2}));
    CHECK_VALUES(b / a, array({10, 10, 10.0 / 3, 5}, {2, 2}));
    CHECK_VALUES(-a, array({-1, -2, -3, -4}, {2, 2}));
    CHECK_VALUES(a * 2.0, array({2, 4, 6, 8}, {2, 2}));
    CHECK_VALUES(1.0 - a, array({0, -1, -2, -3}, {2, 2}));
    CHECK_VALUES(a + 0.5, array({1.5, 2.5, 3.5, 4.5}, {2, 2}));
    CHECK_VALUES(0.5 + a, array({1.5, 2.5, 3.5, 4.5}, {2, 2}));
    CHECK_VALUES(a - 1.0, array({0, 1, 2, 3}, {2, 2}));
    CHECK_VALUES(3.0 * a, array({3, 6, 9, 12}, {2, 2}));
    CHECK_VALUES(a / 2.0, array({0.5, 1, 1.5, 2}, {2, 2}));
    CHECK_VALUES(12.0 / a, array({12, 6, 4, 3}, {2, 2}));
    CHECK_VALUES(pow(a, 2), array({1, 4, 9, 16}, {2, 2}));
    CHECK_VALUES(pow(a, 0.5), array({1, std::sqrt(2.0), std::sqrt(3.0), 2}, {2, 2}));
    CHECK_VALUES(exp(Tensor::from({0, 1}, {2})), array({1, std::exp(1.0)}, {2}));
    CHECK_VALUES(log(Tensor::from({1, std::exp(2.0)}, {2})), array({0, 2}, {2}));
    CHECK_VALUES(sqrt(Tensor::from({4, 9}, {2})), array({2, 3}, {2}));
    CHECK_VALUES(abs(Tensor::from({-1.5, 0, 2}, {3})), array({1.5, 0, 2}, {3}));
    // broadcasting a column against a row gives the outer combination
    auto col = Tensor::from({1, 2, 3}, {3, 1});
    auto row = Tensor::from({10, 20}, {1, 2});
    CHECK_VALUES(col * row, array({10, 20, 20, 40, 30, 60}, {3, 2}));
    // scalar operands take the tensor's dtype
    CHECK((Tensor::ones({2}, {.dtype = float64}) * 2.0).dtype() == float64);
    CHECK((Tensor::ones({2}) * 2.0).dtype() == float32);
}

TEST_CASE("elementwise gradients match finite differences", "[elementwise][gradcheck]") {
    auto a = randn64({3, 4}, 1);
    auto b = randn64({3, 4}, 2);
    auto pos = Tensor(xt::xarray<double>(xt::abs(randn64({3, 4}, 3).data<double>()) + 0.5), true);
    CHECK_GRADCHECK([](const auto& in) { return in[0] + in[1]; }, {a, b});
    CHECK_GRADCHECK([](const auto& in) { return in[0] - in[1]; }, {a, b});
    CHECK_GRADCHECK([](const auto& in) { return in[0] * in[1]; }, {a, b});
    CHECK_GRADCHECK([](const auto& in) { return in[0] / in[1]; }, {a, pos});
    CHECK_GRADCHECK([](const auto& in) { return -in[0]; }, {a});
    CHECK_GRADCHECK([](const auto& in) { return pow(in[0], 3); }, {a});
    CHECK_GRADCHECK([](const auto& in) { return pow(in[0], -1.5); }, {pos});
    CHECK_GRADCHECK([](const auto& in) { return exp(in[0]); }, {a});
    CHECK_GRADCHECK([](const auto& in) { return log(in[0]); }, {pos});
    CHECK_GRADCHECK([](const auto& in) { return sqrt(in[0]); }, {pos});
    CHECK_GRADCHECK([](const auto& in) { return abs(in[0]); }, {pos * -1.0});
    CHECK_GRADCHECK([](const auto& in) { return abs(in[0]); }, {a});
    CHECK_GRADCHECK([](const auto& in) { return 2.0 - in[0] * 3.0 + 1.0 / in[1]; }, {a, pos});
}

TEST_CASE("broadcast gradients are summed back to each operand's shape", "[elementwise][gradcheck]") {
    auto m = randn64({4, 3}, 4);
    auto bias = randn64({3}, 5);
    auto col = randn64({4, 1}, 6);
    auto s = randn64({}, 7);
    auto batch = randn64({2, 4, 3}, 8);
    CHECK_GRADCHECK([](const auto& in) { return in[0] + in[1]; }, {m, bias});
    CHECK_GRADCHECK([](const auto& in) { return in[0] * in[1]; }, {m, col});
    CHECK_GRADCHECK([](const auto& in) { return in[1] / (in[0] * in[0] + 1.0); }, {m, col});
    CHECK_GRADCHECK([](const auto& in) { return in[0] - in[1]; }, {s, m});
    CHECK_GRADCHECK([](const auto& in) { return in[0] * in[1]; }, {batch, col});
    CHECK_GRADCHECK([](const auto& in) { return in[1] * in[0]; }, {bias, col});

    // the bias case by hand: d/db sum(x + b) counts the rows
    auto x = Tensor::zeros({5, 3}, {.dtype = float64});
    auto b = param({1, 2, 3}, {3});
    (x + b).sum().backward();
    CHECK_VALUES(b.grad(), array({5, 5, 5}, {3}));
}

TEST_CASE("pow and abs at their special points follow PyTorch", "[elementwise]") {
    auto x = param({0, 2}, {2});
    pow(x, 0).sum().backward();
    CHECK_VALUES(x.grad(), array({0, 0}, {2}));  // exponent 0: gradient 0 even at x = 0
    auto y = param({0, -3, 3}, {3});
    abs(y).sum().backward();
    CHECK_VALUES(y.grad(), array({0, -1, 1}, {3}));  // sign(0) = 0
}

TEST_CASE("elementwise ops reject shapes and dtypes they cannot combine", "[elementwise][errors]") {
    auto a = Tensor::zeros({2, 3});
    auto b = Tensor::zeros({4, 5});
    CHECK_THROWS_AS(a + b, ShapeError);
    CHECK_THROWS_WITH(a + b, "add: shapes cannot be broadcast together: lhs (2, 3) vs rhs (4, 5)");
    CHECK_THROWS_WITH(a - Tensor::zeros({2}), "sub: shapes cannot be broadcast together: lhs (2, 3) vs rhs (2)");
    CHECK_THROWS_WITH(Tensor::zeros({3, 2}) * Tensor::zeros({2, 3}),
                      "mul: shapes cannot be broadcast together: lhs (3, 2) vs rhs (2, 3)");
    CHECK_THROWS_WITH(a / Tensor::zeros({3, 3}), Catch::StartsWith("div: shapes cannot be broadcast"));
    CHECK_THROWS_AS(Tensor::zeros({2}, {.dtype = boolean}) - Tensor::zeros({2}, {.dtype = boolean}), DtypeError);
    CHECK_THROWS_AS(exp(Tensor()), std::invalid_argument);
}
