#include "helpers.hpp"

using namespace xgrad;
using xgrad::test::param;
using xgrad::test::randn64;
using xgrad::test::str;

TEST_CASE("gradcheck passes a correct function and reports its worst entry", "[gradcheck]") {
    auto a = randn64({3, 4}, 1);
    auto b = randn64({4, 2}, 2);
    auto r = gradcheck([](const auto& in) { return exp(matmul(in[0], in[1]) * 0.5); }, {a, b});
    INFO(r);
    CHECK(r.ok);
    CHECK(r.entries == 6 * 12 + 6 * 8);  // full Jacobians: 6 outputs x (12 + 8) inputs
    CHECK(str(r).rfind("gradcheck passed: 120 Jacobian entries; worst at input", 0) == 0);
    CHECK(r.abs_error < 1e-6);
}

TEST_CASE("gradcheck computes in float64 even for float32 inputs", "[gradcheck]") {
    manual_seed(3);
    auto x = Tensor::randn({5}, {.requires_grad = true});
    const auto before = x.data<float>();
    // eps = 1e-6 is below float32's resolution around 1: this passes only in float64.
    CHECK_GRADCHECK([](const auto& in) { return exp(in[0]) * in[0]; }, {x});
    CHECK(x.dtype() == float32);
    CHECK((x.data<float>() == before));
    CHECK_FALSE(x.grad().defined());
}

namespace {

// sin-free smooth op with a deliberately wrong backward: d(x^2) returned as x instead of 2x.
Tensor bad_square(const Tensor& x) {
    return apply("bad_square", {x},
        [](Inputs in) { return map(in[0], [](const auto& v) { return v * v; }); },
        [](const BackwardArgs& c) -> Grads {
            return {map(c.grad, c.in[0], [](const auto& g, const auto& v) { return g * v; })};
        });
}

}  // namespace

TEST_CASE("gradcheck catches a wrong backward and names the entry", "[gradcheck]") {
    auto x = param({1, 2, 3}, {3});
    auto w = param({0.5, 0.5, 0.5}, {3});
    auto r = gradcheck([](const auto& in) { return (bad_square(in[0]) * in[1]).sum(); }, {w, x});
    CHECK_FALSE(r.ok);
    CHECK(r.input == 0);
    CHECK(r.element == 2);  // the largest error: x = 0.5 at every element, weight 3 on the last
    CHECK(r.analytic == Approx(1.5));
    CHECK(r.numeric == Approx(3.0).epsilon(1e-6));
    CHECK(str(r) == "gradcheck FAILED: Jacobian mismatch for output element 0 with respect to input 0 element (2): "
                    "analytic 1.5 vs numeric 3 (abs error 1.5, rel error 0.5)");
}

TEST_CASE("gradcheck never passes vacuously", "[gradcheck][errors]") {
    auto x = param({1, 2}, {2});
    auto zero = Tensor::zeros({2}, {.dtype = float64});
    auto r = gradcheck([&](const auto& in) { return (in[0] * zero).sum(); }, {x});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.failure, Catch::Contains("all-zero Jacobian"));
    CHECK(gradcheck([&](const auto& in) { return (in[0] * zero).sum(); }, {x}, {.allow_zero_jacobian = true}).ok);

    auto c = Tensor::ones({2}, {.dtype = float64});
    CHECK_THAT(gradcheck([](const auto& in) { return in[0].sum(); }, {c}).failure,
               Catch::Contains("no input requires grad"));
    CHECK_THAT(gradcheck([&](const auto&) { return c.sum(); }, {x}).failure,
               Catch::Contains("output does not require grad"));
}

TEST_CASE("gradcheck reports a backward that throws instead of throwing", "[gradcheck][errors]") {
    auto x = param({1, 2}, {2});
    auto r = gradcheck([](const auto& in) {
        return apply("broken", {in[0]}, [](Inputs v) { return v[0]; },
                     [](const BackwardArgs&) -> Grads { return {Array(xt::xarray<double>::from_shape({5}))}; });
    }, {x});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.failure, Catch::StartsWith("backward threw: backward of 'broken'"));
}

TEST_CASE("gradcheck works under NoGradGuard and restores it", "[gradcheck]") {
    NoGradGuard guard;
    CHECK_GRADCHECK([](const auto& in) { return (in[0] * in[0]).sum(); }, {randn64({3}, 9)});
    CHECK_FALSE(is_grad_enabled());
}
