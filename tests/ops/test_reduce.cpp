#include "helpers.hpp"

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::param;
using xgrad::test::randn64;

TEST_CASE("sum and mean values, over everything and over one axis", "[reduce]") {
    auto a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(sum(a).dim() == 0);
    CHECK(sum(a).item() == 21.0);
    CHECK(mean(a).item() == 3.5);
    CHECK_VALUES(sum(a, 0), array({5, 7, 9}, {3}));
    CHECK_VALUES(sum(a, 1), array({6, 15}, {2}));
    CHECK_VALUES(sum(a, -1, true), array({6, 15}, {2, 1}));
    CHECK_VALUES(a.sum(0, true), array({5, 7, 9}, {1, 3}));
    CHECK_VALUES(mean(a, 0), array({2.5, 3.5, 4.5}, {3}));
    CHECK_VALUES(a.mean(1, true), array({2, 5}, {2, 1}));
    auto t = Tensor::arange(24).reshape({2, 3, 4});
    CHECK_VALUES(sum(t, 1), array({12, 15, 18, 21, 48, 51, 54, 57}, {2, 4}));
    CHECK(std::isnan(mean(Tensor::zeros({0})).item()));  // as PyTorch
}

TEST_CASE("max over an axis, and argmax", "[reduce]") {
    auto a = Tensor::from({1, 9, 3, 7, 5, 6}, {2, 3});
    CHECK_VALUES(max(a, 1), array({9, 7}, {2}));
    CHECK_VALUES(max(a, 0), array({7, 9, 6}, {3}));
    CHECK_VALUES(max(a, 0, true), array({7, 9, 6}, {1, 3}));
    CHECK(argmax(a, 1).dtype() == int64);
    CHECK((argmax(a, 1).data<std::int64_t>() == xt::xarray<std::int64_t>{1, 0}));
    CHECK((argmax(a, 0, true).data<std::int64_t>() == xt::xarray<std::int64_t>{{1, 0, 1}}));
    CHECK(argmax(a).item() == 1);  // of everything, flattened
    CHECK(argmin(a).item() == 0);
    // regression: xtensor 0.24's xt::argmax on a 1-D array returns the argmin (xtensor#2550)
    CHECK(argmax(Tensor::from({3, 1, 4, 1, 5, 9, 2, 6}, {8}), 0).item() == 5);
    // NaN counts as the maximum, as in PyTorch
    auto n = Tensor::from({1, NAN, 3}, {3});
    CHECK(std::isnan(max(n, 0).item()));
    CHECK(argmax(n, 0).item() == 1);
    CHECK(argmin(n, 0).item() == 1);
}

TEST_CASE("max sends the gradient to the first maximal element", "[reduce]") {
    auto x = param({2, 5, 5, 1, 0, 1}, {2, 3});
    max(x, 1).sum().backward();
    CHECK_VALUES(x.grad(), array({0, 1, 0, 1, 0, 0}, {2, 3}));  // ties: the first index wins
}

TEST_CASE("reduction gradients match finite differences", "[reduce][gradcheck]") {
    auto x = randn64({3, 4, 2}, 11);
    CHECK_GRADCHECK([](const auto& in) { return sum(in[0]); }, {x});
    CHECK_GRADCHECK([](const auto& in) { return mean(in[0]); }, {x});
    for (int axis : {0, 1, 2, -1})
        for (bool keep : {false, true}) {
            INFO("axis " << axis << " keepdims " << keep);
            CHECK_GRADCHECK([=](const auto& in) { return sum(in[0], axis, keep); }, {x});
            CHECK_GRADCHECK([=](const auto& in) { return mean(in[0], axis, keep); }, {x});
            CHECK_GRADCHECK([=](const auto& in) { return max(in[0], axis, keep); }, {x});
        }
    // weighted so that each output element's gradient differs
    CHECK_GRADCHECK([](const auto& in) { return (mean(in[0], 1) * in[1]).sum(); }, {x, randn64({3, 2}, 12)});
}

TEST_CASE("reductions reject axes out of range", "[reduce][errors]") {
    auto a = Tensor::zeros({2, 3});
    CHECK_THROWS_AS(sum(a, 2), std::invalid_argument);
    CHECK_THROWS_WITH(sum(a, 2), "sum: axis 2 is out of range for shape (2, 3) (2 dimensions)");
    CHECK_THROWS_WITH(mean(a, -3), "mean: axis -3 is out of range for shape (2, 3) (2 dimensions)");
    CHECK_THROWS_WITH(max(a, 5), Catch::StartsWith("max: axis 5 is out of range"));
    CHECK_THROWS_WITH(max(Tensor::zeros({2, 0}), 1), "max: cannot reduce over axis 1 of extent 0 in shape (2, 0)");
    CHECK_THROWS_WITH(sum(Tensor::scalar(1), 0), Catch::Contains("out of range for shape ()"));
    CHECK_THROWS_WITH(argmax(a, -5), Catch::StartsWith("argmax: axis -5 is out of range"));
}
