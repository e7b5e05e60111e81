#include "helpers.hpp"

#include <cmath>
#include <numbers>

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::param;
using xgrad::test::randn64;

namespace {

// Points away from the kinks at 0, from small to large magnitudes.
Tensor points() { return param({-30, -4.5, -1.2, -0.3, 0.2, 0.9, 2.5, 30}, {2, 4}); }

// f at each point, computed in double in the test from the textbook formula.
template <class F>
xt::xarray<double> reference(F f) {
    xt::xarray<double> out = test::values(points());
    for (auto& v : out) v = f(v);
    return out;
}

double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }
double phi_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

}  // namespace

TEST_CASE("activation forward values", "[activation]") {
    auto x = points();
    CHECK_VALUES(identity(x), test::values(x));
    CHECK_VALUES(step(x), reference([](double v) { return v > 0 ? 1.0 : 0.0; }));
    CHECK_VALUES(sigmoid(x), reference(sigmoid_ref));
    CHECK_VALUES(tanh(x), reference([](double v) { return std::tanh(v); }));
    CHECK_VALUES(relu(x), reference([](double v) { return std::max(v, 0.0); }));
    CHECK_VALUES(leaky_relu(x), reference([](double v) { return v > 0 ? v : 0.01 * v; }));
    CHECK_VALUES(leaky_relu(x, 0.2), reference([](double v) { return v > 0 ? v : 0.2 * v; }));
    CHECK_VALUES(elu(x), reference([](double v) { return v > 0 ? v : std::exp(v) - 1; }));
    CHECK_VALUES(elu(x, 0.5), reference([](double v) { return v > 0 ? v : 0.5 * (std::exp(v) - 1); }));
    CHECK_VALUES(gelu(x), reference([](double v) { return v * phi_cdf(v); }));
    CHECK_VALUES(gelu(x, GeluApproximation::tanh), reference([](double v) {
        return 0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
    }));
    CHECK_VALUES(silu(x), reference([](double v) { return v * sigmoid_ref(v); }));
    CHECK_VALUES(softplus(x), reference([](double v) { return v > 20 ? v : std::log(1 + std::exp(v)); }));
    CHECK_VALUES(softplus(x, 2, 5), reference([](double v) { return 2 * v > 5 ? v : std::log(1 + std::exp(2 * v)) / 2; }));

    // published values (PyTorch prints the same)
    auto one = Tensor::from({1}, {1}, {.dtype = float64});
    CHECK(gelu(one).item() == Approx(0.8413447460685429).epsilon(1e-12));
    CHECK(silu(one).item() == Approx(0.7310585786300049).epsilon(1e-12));
    CHECK(softplus(one).item() == Approx(1.3132616875182228).epsilon(1e-12));
    CHECK(elu(-one).item() == Approx(-0.6321205588285577).epsilon(1e-12));
}

TEST_CASE("prelu: one shared slope or one per channel", "[activation]") {
    auto x = Tensor::from({-1, 2, -3, 4, -5, -6}, {2, 3});
    CHECK_VALUES(prelu(x, Tensor::from({0.25}, {1})), array({-0.25, 2, -0.75, 4, -1.25, -1.5}, {2, 3}));
    CHECK_VALUES(prelu(x, Tensor::from({0.1, 0.2, 0.3}, {3})), array({-0.1, 2, -0.9, 4, -1, -1.8}, {2, 3}));
    // (N, C, L): the channel is dimension 1
    auto x3 = Tensor::from({-1, -1, -1, -1, -1, -1, -1, -1}, {2, 2, 2});
    CHECK_VALUES(prelu(x3, Tensor::from({1, 2}, {2})), array({-1, -1, -2, -2, -1, -1, -2, -2}, {2, 2, 2}));
    CHECK_VALUES(prelu(Tensor::from({-2, 3}, {2}), Tensor::scalar(0.5)), array({-1, 3}, {2}));
}

TEST_CASE("sigmoid, softplus and softmax stay finite at extreme inputs", "[activation]") {
    for (Dtype dt : {float32, float64}) {
        auto x = Tensor::from({-1e4, -100, 100, 1e4}, {4}, {.dtype = dt, .requires_grad = true});
        auto s = sigmoid(x);
        CHECK_VALUES(s, array({0, sigmoid_ref(-100), 1, 1}, {4}));
        s.sum().backward();
        CHECK(xt::all(xt::isfinite(test::values(x.grad()))));
        CHECK_VALUES(softplus(x), array({0, std::log1p(std::exp(-100.0)), 100, 1e4}, {4}));
        CHECK_VALUES(silu(x), array({0, -100 * sigmoid_ref(-100), 100, 1e4}, {4}));

        auto logits = Tensor::from({1e4, 0, -1e4, -1e4, 1e4, 1e4}, {2, 3}, {.dtype = dt, .requires_grad = true});
        CHECK_VALUES(softmax(logits, 1), array({1, 0, 0, 0, 0.5, 0.5}, {2, 3}));
        auto ls = log_softmax(logits, 1);
        CHECK_VALUES(ls, array({0, -1e4, -2e4, -2e4 - std::log(2.0), -std::log(2.0), -std::log(2.0)}, {2, 3}));
        (ls * ls).sum().backward();
        CHECK(xt::all(xt::isfinite(test::values(logits.grad()))));
    }
}

TEST_CASE("softmax values over either axis", "[activation]") {
    auto x = Tensor::from({1, 2, 3, 1, 1, 1}, {2, 3}, {.dtype = float64});
    CHECK_VALUES(softmax(x), array({0.09003057317038046, 0.24472847105479764, 0.6652409557748219,
                                    1.0 / 3, 1.0 / 3, 1.0 / 3}, {2, 3}));
    CHECK_VALUES(softmax(x, 0), array({0.5, 0.7310585786300049, 0.8807970779778823,
                                       0.5, 0.2689414213699951, 0.11920292202211755}, {2, 3}));
    CHECK_VALUES(log_softmax(x), xt::xarray<double>(xt::log(test::values(softmax(x)))));
    CHECK_VALUES(softmax(x).sum(1), array({1, 1}, {2}));
}

TEST_CASE("activation gradients match finite differences", "[activation][gradcheck]") {
    auto x = points();
    auto mid = randn64({3, 5}, 21);  // moderate values, different signs
    for (const auto& at : {x, mid}) {
        CHECK_GRADCHECK([](const auto& in) { return identity(in[0]); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return sigmoid(in[0]); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return tanh(in[0]); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return relu(in[0]); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return leaky_relu(in[0], 0.1); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return elu(in[0], 1.5); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return gelu(in[0]); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return gelu(in[0], GeluApproximation::tanh); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return silu(in[0]); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return softplus(in[0]); }, {at});
        CHECK_GRADCHECK([](const auto& in) { return softplus(in[0], 3, 10); }, {at});
    }
    // relu on a flat input has a zero Jacobian: gradcheck refuses to call that a pass
    CHECK_FALSE(gradcheck([](const auto& in) { return relu(in[0]); }, {param({-1, -2}, {2})}).ok);
    // step is flat everywhere away from 0
    CHECK(gradcheck([](const auto& in) { return step(in[0]); }, {x}, {.allow_zero_jacobian = true}).ok);
}

TEST_CASE("softmax and log_softmax gradients, including large logits", "[activation][gradcheck]") {
    auto x = randn64({3, 4}, 22);
    auto big = Tensor(xt::xarray<double>(randn64({3, 4}, 23).data<double>() * 40.0), true);
    auto w = randn64({3, 4}, 24);  // weights so that the gradient is not the zero of Σ softmax = 1
    for (const auto& at : {x, big})
        for (int axis : {0, 1, -1}) {
            INFO("axis " << axis);
            CHECK_GRADCHECK([=](const auto& in) { return softmax(in[0], axis) * in[1]; }, {at, w});
            CHECK_GRADCHECK([=](const auto& in) { return log_softmax(in[0], axis) * in[1]; }, {at, w});
        }
    CHECK_GRADCHECK([](const auto& in) { return softmax(in[0], 1); }, {randn64({2, 3, 2}, 25)});
}

TEST_CASE("prelu gradients with respect to x and alpha", "[activation][gradcheck]") {
    auto x2 = randn64({4, 3}, 31);
    auto x3 = randn64({2, 3, 4}, 32);
    auto shared = param({0.25}, {1});
    auto per = param({0.1, -0.2, 0.3}, {3});
    CHECK_GRADCHECK([](const auto& in) { return prelu(in[0], in[1]); }, {x2, shared});
    CHECK_GRADCHECK([](const auto& in) { return prelu(in[0], in[1]); }, {x2, per});
    CHECK_GRADCHECK([](const auto& in) { return prelu(in[0], in[1]); }, {x3, per});
    CHECK_GRADCHECK([](const auto& in) { return prelu(in[0], in[1]); }, {x3, shared});
    // by hand: dalpha = Σ x over the non-positive elements of its channel
    auto x = Tensor::from({-1, 2, -3, 4, -5, -6}, {2, 3}, {.dtype = float64});
    auto a = param({0.1, 0.2, 0.3}, {3});
    prelu(x, a).sum().backward();
    CHECK_VALUES(a.grad(), array({-1, -5, -9}, {3}));  // channels are the columns
}

TEST_CASE("behaviour at the kinks is pinned", "[activation]") {
    auto at_zero = [](auto op) {
        auto z = param({0, 0}, {2});
        op(z).sum().backward();
        return test::values(z.grad());
    };
    CHECK_VALUES(Tensor(at_zero([](const Tensor& z) { return relu(z); })), array({0, 0}, {2}));
    CHECK_VALUES(Tensor(at_zero([](const Tensor& z) { return leaky_relu(z, 0.3); })), array({0.3, 0.3}, {2}));
    CHECK_VALUES(Tensor(at_zero([](const Tensor& z) { return step(z); })), array({0, 0}, {2}));
    CHECK_VALUES(Tensor(at_zero([](const Tensor& z) { return prelu(z, Tensor::scalar(0.2, {.dtype = float64})); })),
                 array({0.2, 0.2}, {2}));
    CHECK_VALUES(Tensor(at_zero([](const Tensor& z) { return elu(z); })), array({1, 1}, {2}));
    // step' = 0 everywhere, also away from 0
    auto s = param({-2, 3}, {2});
    step(s).sum().backward();
    CHECK_VALUES(s.grad(), array({0, 0}, {2}));
    CHECK_VALUES(step(Tensor::from({0}, {1})), array({0}, {1}));
}

TEST_CASE("activations reject bad arguments", "[activation][errors]") {
    auto x = Tensor::zeros({2, 3});
    CHECK_THROWS_AS(prelu(x, Tensor::ones({2})), ShapeError);
    CHECK_THROWS_WITH(prelu(x, Tensor::ones({2})),
                      "prelu: alpha (2) must hold one shared slope or one per channel (dimension 1 of x, 3): x (2, 3)");
    CHECK_THROWS_WITH(prelu(Tensor::zeros({3}), Tensor::ones({3})), Catch::Contains("dimension 1 of x, none"));
    CHECK_THROWS_AS(prelu(x, Tensor::ones({1, 3})), ShapeError);
    CHECK_THROWS_AS(prelu(x, Tensor::ones({3}, {.dtype = float64})), DtypeError);
    CHECK_THROWS_WITH(softmax(x, 2), "softmax: axis 2 is out of range for shape (2, 3) (2 dimensions)");
    CHECK_THROWS_WITH(log_softmax(x, -3), Catch::StartsWith("log_softmax: axis -3 is out of range"));
    CHECK_THROWS_WITH(softplus(x, 0), "softplus: beta must be positive, got 0");
}

// ops/kernels/vector_math.hpp computes float32 tanh, exp, expm1 and softmax's exponentials in
// double and rounds once: against double references at 400,001 points in [-16, 16], at most 1 ulp
// off and nearly all exact; softmax (e^v / (e^v + 1), rounded three times) within 3 ulp. gelu runs
// in float lanes: within 6 ulp, and its gradient Φ(x) + x φ(x), whose terms cancel near x = -0.75,
// within 4 ulp of the larger term (measured: 5.1 and 3.7).
TEST_CASE("float32 tanh, exp and expm1 are correctly rounded, softmax within 3 ulp, gelu within 6", "[activation]") {
    constexpr std::size_t n = 400001;
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = -16.0f + 32.0f * static_cast<float>(i) / static_cast<float>(n - 1);
    Tensor x = Tensor::from(v, {n}, {.requires_grad = true});
    const Tensor th = tanh(x), ge = gelu(x), ex = exp(x.detach()), em = expm1(x.detach());
    ge.backward(Tensor::ones({n}));
    // softmax over rows of 2: [v, 0] -> e^v / (e^v + 1)
    const Tensor sm = softmax(stack({x.detach(), Tensor::zeros({n})}, 1), 1);
    const auto t = th.data<float>(), g = ge.data<float>(), dg = x.grad().data<float>(), s = sm.data<float>();
    const auto e = ex.data<float>(), e1 = em.data<float>();
    std::size_t inexact[6] = {0, 0, 0, 0, 0, 0};
    auto check = [&](int k, float got, double want, std::size_t i) {
        const auto w = static_cast<float>(want);
        if (got == w) return;
        ++inexact[k];
        const double ulp = std::max(std::abs(std::nextafter(w, INFINITY) - w), 0x1p-149f);
        const double allowed = k == 3 ? 3 : k == 1 ? 6 : 1;
        if (!(std::abs(got - want) <= ulp * allowed))
            FAIL_CHECK("function " << k << " at x = " << v[i] << ": " << got << ", want " << want);
    };
    // within `allowed` ulp of `scale` (gelu's gradient: of its larger term)
    auto check_scaled = [&](float got, double want, double scale, std::size_t i) {
        const auto sf = static_cast<float>(scale);
        const double ulp = std::max(std::abs(std::nextafter(sf, INFINITY) - sf), 0x1p-149f);
        if (!(std::abs(got - want) <= ulp * 4))
            FAIL_CHECK("gelu' at x = " << v[i] << ": " << got << ", want " << want << " (terms up to " << scale << ")");
    };
    for (std::size_t i = 0; i < n; ++i) {
        const double xi = v[i], cdf = 0.5 * std::erfc(-xi / std::numbers::sqrt2);
        check(0, t(i), std::tanh(xi), i);
        check(1, g(i), xi * cdf, i);
        const double x_pdf = xi * std::exp(-0.5 * xi * xi) / std::sqrt(2 * std::numbers::pi);
        check_scaled(dg(i), cdf + x_pdf, std::max(cdf, std::abs(x_pdf)), i);
        check(3, s(i, 0), 1 / (1 + std::exp(-xi)), i);
        check(4, e(i), std::exp(xi), i);
        check(5, e1(i), std::expm1(xi), i);
    }
    for (std::size_t k : {0, 4, 5}) CHECK(inexact[k] < n / 10000);
    CHECK(inexact[1] < n / 3);  // gelu: two thirds exact
    // a near-tie glibc's expf rounds the wrong way (fuzz_ops compared against it): e^x is
    // 0x1.d81eeaffcf015p-2, so 0x1.d81eeap-2
    CHECK(exp(Tensor::full({1}, -0x1.8c68cap-1)).item() == static_cast<double>(0x1.d81eeap-2f));
}

// A float32 gelu that will be differentiated keeps its derivative, computed beside the output,
// for its backward (ops/activation.cpp): g·d must equal the recomputed gradient bit for
// bit, and a backward at other operand values than the recorded ones must recompute at those.
TEST_CASE("float32 gelu's kept derivative gives the recomputed gradient bit for bit", "[activation]") {
    manual_seed(7);
    constexpr std::size_t n = 70000;  // past the parallel grain: both threads' parts
    const Tensor x = (Tensor::randn({n}) * 4.0).detach().requires_grad_();
    const Tensor g = Tensor::randn({n});
    const Tensor y = gelu(x);
    y.backward(g, {.retain_graph = true});
    // the recorded values in another buffer: the plain path, gelu_grad_float's rounding
    CHECK(xgrad::test::same_bits(x.grad(), xgrad::test::backward_at(y, {Array(x.array())}, g)[0]));
    // other values: their own derivative, not the kept one
    const Tensor shifted = (x.detach() + 0.5).detach();
    const Tensor x2 = shifted.detach().requires_grad_();
    gelu(x2).backward(g);
    CHECK(xgrad::test::same_bits(x2.grad(), xgrad::test::backward_at(y, {shifted.array()}, g)[0]));
    // no graph, no kept derivative: the same values
    CHECK(xgrad::test::same_bits(gelu(x.detach()), y.detach()));
}
