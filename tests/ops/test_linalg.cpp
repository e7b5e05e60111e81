#include "helpers.hpp"

#include <array>
#include <limits>

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::param;
using xgrad::test::randn64;

TEST_CASE("matmul values", "[linalg]") {
    auto a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
    auto b = Tensor::from({7, 8, 9, 10, 11, 12}, {3, 2});
    // [[1*7+2*9+3*11, 1*8+2*10+3*12], [4*7+5*9+6*11, 4*8+5*10+6*12]]
    CHECK_VALUES(matmul(a, b), array({58, 64, 139, 154}, {2, 2}));
    CHECK(matmul(a, b).dtype() == float32);
    CHECK_VALUES(matmul(a.to(float64), b.to(float64)), array({58, 64, 139, 154}, {2, 2}));
    // an empty inner dimension gives zeros, as in PyTorch
    CHECK_VALUES(matmul(Tensor::ones({2, 0}), Tensor::ones({0, 3})), xt::zeros<double>({2, 3}));
    CHECK(matmul(Tensor::ones({0, 4}), Tensor::ones({4, 3})).shape() == Shape{0, 3});
}

TEST_CASE("matmul gradients, alone and with a broadcast bias", "[linalg][gradcheck]") {
    auto x = randn64({5, 3}, 1);
    auto w = randn64({3, 4}, 2);
    auto b = randn64({4}, 3);
    CHECK_GRADCHECK([](const auto& in) { return matmul(in[0], in[1]); }, {x, w});
    CHECK_GRADCHECK([](const auto& in) { return matmul(in[0], in[1]) + in[2]; }, {x, w, b});
    CHECK_GRADCHECK([](const auto& in) { return matmul(in[0], in[0].T()); }, {x});
    // by hand: d/dW sum(xW) = xᵀ·1, d/dx = 1·Wᵀ
    auto xs = param({1, 2, 3, 4}, {2, 2});
    auto ws = param({1, 0, 0, 2}, {2, 2});
    matmul(xs, ws).sum().backward();
    CHECK_VALUES(ws.grad(), array({4, 4, 6, 6}, {2, 2}));
    CHECK_VALUES(xs.grad(), array({1, 2, 1, 2}, {2, 2}));
    // only the operand that requires grad gets one
    auto c = Tensor::ones({2, 2}, {.dtype = float64});
    auto v = param({1, 2, 3, 4}, {2, 2});
    matmul(c, v).sum().backward();
    CHECK_FALSE(c.grad().defined());
    CHECK(v.grad().defined());
}

TEST_CASE("float32 matmul agrees with float64", "[linalg]") {
    manual_seed(5);
    auto a = Tensor::randn({17, 33});
    auto b = Tensor::randn({33, 9});
    auto f32 = test::values(matmul(a, b));
    auto f64 = test::values(matmul(a.to(float64), b.to(float64)));
    CHECK(xt::allclose(f32, f64, 1e-4, 1e-4));
}

TEST_CASE("products with a dimension of 1 match a plain loop, forward and backward", "[linalg]") {
    // (1,k)·(k,n) and (m,k)·(k,1) are matrix-vector products (GEMV), (m,1)·(1,n) an outer product, and
    // so are their gradients' products G·Bᵀ and Aᵀ·G, in every transposed layout.
    using test::product;
    std::uint64_t seed = 100;
    for (std::size_t m : {1, 2, 5})
        for (std::size_t k : {1, 3})
            for (std::size_t n : {1, 4})
                for (Dtype dt : {float32, float64}) {
                    INFO("m " << m << " k " << k << " n " << n << " " << dtype_name(dt));
                    const double tol = dt == float32 ? 1e-5 : 1e-12;
                    auto a = randn64({m, k}, ++seed).to(dt).detach().requires_grad_();
                    auto b = randn64({k, n}, ++seed).to(dt).detach().requires_grad_();
                    auto g = randn64({m, n}, ++seed).to(dt).detach();
                    auto y = matmul(a, b);
                    const auto av = test::values(a), bv = test::values(b), gv = test::values(g);
                    CHECK(xt::allclose(test::values(y), product(av, bv), tol, tol));
                    (y * g).sum().backward();
                    CHECK(xt::allclose(test::values(a.grad()), product(gv, xt::transpose(bv)), tol, tol));
                    CHECK(xt::allclose(test::values(b.grad()), product(xt::transpose(av), gv), tol, tol));
                    // linear(x, W) = x·Wᵀ with W (n, k): the other layouts
                    auto w = randn64({n, k}, ++seed).to(dt).detach().requires_grad_();
                    auto x = a.detach().requires_grad_();
                    (linear(x, w) * g).sum().backward();
                    const auto wv = test::values(w);
                    CHECK(xt::allclose(test::values(linear(x, w)), product(av, xt::transpose(wv)), tol, tol));
                    CHECK(xt::allclose(test::values(x.grad()), product(gv, wv), tol, tol));
                    CHECK(xt::allclose(test::values(w.grad()), product(xt::transpose(gv), av), tol, tol));
                    // with a bias, which the product is added to (GEMV or GEMM with beta = 1); a
                    // freed block of NaN in the result's place must not leak into it
                    auto bias = randn64({n}, ++seed).to(dt).detach();
                    (void)Tensor::full({m, n}, std::numeric_limits<double>::quiet_NaN(), {.dtype = dt});
                    const xt::xarray<double> with_bias = test::values(linear(x, w, bias));
                    CHECK(xt::allclose(with_bias, product(av, xt::transpose(wv)) + test::values(bias), tol, tol));
                }
    CHECK_GRADCHECK([](const auto& in) { return matmul(in[0], in[1]); }, {randn64({1, 5}, 1), randn64({5, 4}, 2)});
    CHECK_GRADCHECK([](const auto& in) { return matmul(in[0], in[1]); }, {randn64({5, 3}, 3), randn64({3, 1}, 4)});
    CHECK_GRADCHECK([](const auto& in) { return linear(in[0], in[1], in[2]); },
                    {randn64({5, 1}, 5), randn64({4, 1}, 6), randn64({4}, 7)});
}

TEST_CASE("products of every layout match a plain loop on both sides of the kernels' routing", "[linalg]") {
    // Small products run in libxsmm's generated kernels (where built with it), a transposed right
    // operand copied out first from 16 rows on; larger ones in OpenBLAS. Odd extents leave partial
    // tiles in the copy; freed blocks of NaN in the results' places must never show through.
    using test::product;
    std::uint64_t seed = 300;
    const std::array<std::array<std::size_t, 3>, 6> shapes{{{15, 13, 9}, {16, 13, 9}, {37, 64, 24}, {5, 8, 70}, {512, 64, 96}, {260, 260, 260}}};
    for (const auto& [m, k, n] : shapes)
        for (Dtype dt : {float32, float64}) {
            INFO("m " << m << " k " << k << " n " << n << " " << dtype_name(dt));
            const double tol = dt == float32 ? 1e-5 : 1e-12;
            auto close = [&](const xt::xarray<double>& got, const xt::xarray<double>& want) {
                const double scale = test::largest_abs(want), err = test::largest_abs(got - want);
                INFO("largest error " << err << " of values up to " << scale);
                return err <= tol * scale;
            };
            for (const Shape& shape : {Shape{m, n}, Shape{m, k}, Shape{k, n}, Shape{n, k}})
                (void)Tensor::full(shape, std::numeric_limits<double>::quiet_NaN(), {.dtype = dt});
            auto a = randn64({m, k}, ++seed).to(dt).detach().requires_grad_();
            auto b = randn64({k, n}, ++seed).to(dt).detach().requires_grad_();
            auto w = randn64({n, k}, ++seed).to(dt).detach().requires_grad_();
            auto bias = randn64({n}, ++seed).to(dt).detach();
            const auto g = randn64({m, n}, ++seed).to(dt).detach();
            const auto av = test::values(a), bv = test::values(b), wv = test::values(w), gv = test::values(g);
            // A·B, then G·Bᵀ and Aᵀ·G
            const Tensor y = matmul(a, b);
            CHECK(close(test::values(y), product(av, bv)));
            (y * g).sum().backward();
            CHECK(close(test::values(a.grad()), product(gv, xt::transpose(bv))));
            CHECK(close(test::values(b.grad()), product(xt::transpose(av), gv)));
            // x·Wᵀ + b (a transposed right operand, starting from the bias), then G·W and Gᵀ·x
            a.zero_grad();
            const Tensor z = linear(a, w, bias);
            CHECK(close(test::values(z), product(av, xt::transpose(wv)) + test::values(bias)));
            (z * g).sum().backward();
            CHECK(close(test::values(a.grad()), product(gv, wv)));
            CHECK(close(test::values(w.grad()), product(xt::transpose(gv), av)));
        }
    // a batch of (16, 13)·(13, 9) products and their gradients, each against the 2-D loop
    for (Dtype dt : {float32, float64}) {
        INFO(dtype_name(dt));
        auto a = randn64({3, 2, 16, 13}, 401).to(dt).detach().requires_grad_();
        auto b = randn64({3, 2, 13, 9}, 402).to(dt).detach().requires_grad_();
        const auto g = randn64({3, 2, 16, 9}, 403).to(dt).detach();
        const Tensor y = matmul(a, b);
        (y * g).sum().backward();
        const double tol = dt == float32 ? 1e-5 : 1e-12;
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 2; ++j) {
                const auto at = [&](const Tensor& t) { return test::values(select(select(t.detach(), 0, i), 0, j)); };
                const auto ai = at(a), bi = at(b), gi = at(g);
                CHECK(xt::allclose(at(y), product(ai, bi), tol, tol));
                CHECK(xt::allclose(at(a.grad()), product(gi, xt::transpose(bi)), tol, tol));
                CHECK(xt::allclose(at(b.grad()), product(xt::transpose(ai), gi), tol, tol));
            }
    }
}

TEST_CASE("transpose values and gradients", "[linalg][gradcheck]") {
    auto a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK_VALUES(a.T(), array({1, 4, 2, 5, 3, 6}, {3, 2}));
    CHECK_VALUES(transpose(a, -1, 0), array({1, 4, 2, 5, 3, 6}, {3, 2}));
    auto v = Tensor::from({1, 2}, {2});
    CHECK(v.T().is_same(v));
    auto t3 = Tensor::arange(24).reshape({2, 3, 4});
    auto s = transpose(t3, 0, 2);
    CHECK(s.shape() == Shape{4, 3, 2});
    CHECK(s.data<float>()(3, 1, 0) == t3.data<float>()(0, 1, 3));
    CHECK_GRADCHECK([](const auto& in) { return in[0].T() * in[1]; }, {randn64({3, 2}, 1), randn64({2, 3}, 2)});
    CHECK_GRADCHECK([](const auto& in) { return transpose(in[0], 1, 2); }, {randn64({2, 3, 4}, 3)});
}

TEST_CASE("linalg ops reject bad operands with both shapes", "[linalg][errors]") {
    CHECK_THROWS_AS(matmul(Tensor::ones({2, 3}), Tensor::ones({4, 5})), ShapeError);
    CHECK_THROWS_WITH(matmul(Tensor::ones({2, 3}), Tensor::ones({4, 5})),
                      "matmul: inner dimensions differ: lhs (2, 3) vs rhs (4, 5)");
    CHECK_THROWS_WITH(matmul(Tensor::ones({4}), Tensor::ones({3, 2})),
                      "matmul: inner dimensions differ: lhs (4) vs rhs (3, 2)");
    CHECK_THROWS_WITH(matmul(Tensor::ones({2, 2, 3}), Tensor::ones({3, 3, 4})),
                      "matmul: batch dimensions cannot be broadcast together: lhs (2, 2, 3) vs rhs (3, 3, 4)");
    CHECK_THROWS_AS(matmul(Tensor::ones({2, 2}), Tensor::ones({2, 2}, {.dtype = float64})), DtypeError);
    CHECK_THROWS_WITH(Tensor::ones({2, 3, 4}).T(), Catch::Contains("at most 2 dimensions, got shape (2, 3, 4)"));
    CHECK_THROWS_WITH(transpose(Tensor::ones({2, 3}), 0, 2), "transpose: axis 2 is out of range for shape (2, 3) (2 dimensions)");
}

TEST_CASE("linear is x·Wᵀ + b with weight (out, in)", "[linalg]") {
    auto x = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
    auto w = Tensor::from({1, 0, -1, 2, 1, 0}, {2, 3});  // (out 2, in 3)
    auto b = Tensor::from({10, 20}, {2});
    CHECK_VALUES(linear(x, w, b), array({8, 24, 8, 33}, {2, 2}));
    CHECK_VALUES(linear(x, w), array({-2, 4, -2, 13}, {2, 2}));
    CHECK_VALUES(linear(x, w, b), test::values(matmul(x, w.T()) + b));
}

TEST_CASE("linear with no input features is its bias, as in PyTorch", "[linalg]") {
    auto x = Tensor::zeros({3, 0});
    auto w = Tensor::zeros({2, 0});
    auto b = Tensor::from({1.5, -2}, {2});
    (void)Tensor::full({3, 2}, std::numeric_limits<double>::quiet_NaN());
    CHECK_VALUES(linear(x, w, b), array({1.5, -2, 1.5, -2, 1.5, -2}, {3, 2}));
    CHECK_VALUES(linear(x, w), array({0, 0, 0, 0, 0, 0}, {3, 2}));
}

TEST_CASE("linear gradients for input, weight and bias", "[linalg][gradcheck]") {
    auto x = randn64({5, 3}, 51);
    auto w = randn64({4, 3}, 52);
    auto b = randn64({4}, 53);
    CHECK_GRADCHECK([](const auto& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
    CHECK_GRADCHECK([](const auto& in) { return linear(in[0], in[1]); }, {x, w});
    CHECK_GRADCHECK([](const auto& in) { return linear(in[0], in[1], in[2]).sum(); },
                    {x.detach(), w, b});  // the input layer: no gradient for x
}

TEST_CASE("linear rejects mismatched shapes", "[linalg][errors]") {
    CHECK_THROWS_WITH(linear(Tensor::ones({2, 3}), Tensor::ones({4, 5})),
                      "linear: input features differ from the weight's (out, in): lhs (2, 3) vs rhs (4, 5)");
    CHECK_THROWS_WITH(linear(Tensor::ones({2, 3}), Tensor::ones({4, 3}), Tensor::ones({3})),
                      "linear: bias must be (out) for weight (out, in): lhs (3) vs rhs (4, 3)");
    CHECK_THROWS_AS(linear(Tensor::ones({4}), Tensor::ones({4, 3})), ShapeError);
    CHECK_THROWS_AS(linear(Tensor::scalar(1), Tensor::ones({4, 1})), ShapeError);
}
