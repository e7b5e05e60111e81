#include "helpers.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <numbers>

using namespace xgrad;

namespace {

struct Row {
    const char* op;
    Dtype dtype;
    double x, y, dy;
};

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// PyTorch's value and gradient at each special point (tests/ops/gen_special_values.py).
const Row rows[] = {
#include "ops/special_values.inc"
};

const std::map<std::string, std::function<Tensor(const Tensor&)>> ops = {
    {"exp", [](const Tensor& x) { return exp(x); }},
    {"log", [](const Tensor& x) { return log(x); }},
    {"sqrt", [](const Tensor& x) { return sqrt(x); }},
    {"abs", [](const Tensor& x) { return abs(x); }},
    {"neg", [](const Tensor& x) { return -x; }},
    {"pow0", [](const Tensor& x) { return pow(x, 0); }},
    {"pow1", [](const Tensor& x) { return pow(x, 1); }},
    {"pow-1", [](const Tensor& x) { return pow(x, -1); }},
    {"pow0.5", [](const Tensor& x) { return pow(x, 0.5); }},
    {"pow2", [](const Tensor& x) { return pow(x, 2); }},
    {"pow3", [](const Tensor& x) { return pow(x, 3); }},
    {"pow-2", [](const Tensor& x) { return pow(x, -2); }},
    {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
    {"tanh", [](const Tensor& x) { return tanh(x); }},
    {"relu", [](const Tensor& x) { return relu(x); }},
    {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
    {"elu", [](const Tensor& x) { return elu(x); }},
    {"gelu", [](const Tensor& x) { return gelu(x); }},
    {"gelu_tanh", [](const Tensor& x) { return gelu(x, GeluApproximation::tanh); }},
    {"silu", [](const Tensor& x) { return silu(x); }},
    {"softplus", [](const Tensor& x) { return softplus(x); }},
    {"sin", [](const Tensor& x) { return sin(x); }},
    {"cos", [](const Tensor& x) { return cos(x); }},
    {"square", [](const Tensor& x) { return square(x); }},
    {"rsqrt", [](const Tensor& x) { return rsqrt(x); }},
    {"log1p", [](const Tensor& x) { return log1p(x); }},
    {"expm1", [](const Tensor& x) { return expm1(x); }},
    {"sign", [](const Tensor& x) { return sign(x); }},
    {"clamp", [](const Tensor& x) { return clamp(x, -1.0, 2.0); }},
};

// Equal as PyTorch's numbers are: NaN to NaN, infinities exactly, finite values to a few ulps of
// the dtype (libm and PyTorch's Sleef differ by an ulp); the sign of a zero is not compared.
bool same(double got, double want, Dtype dtype) {
    if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
    if (std::isinf(want) || std::isinf(got)) return got == want;
    const double eps = dtype == float32 ? 0x1p-23 : 0x1p-52;
    const double tiny = dtype == float32 ? 0x1p-149 : 0x0.0000000000001p-1022;
    return std::abs(got - want) <= 8 * eps * std::abs(want) + 2 * tiny;
}

}  // namespace

// 35 copies of each point: elements 0..31 go through the vector body of any SIMD width up to 512
// bits, 32..34 through the scalar tail; xsimd's pow once differed between the two.
TEST_CASE("pointwise ops at 0, -0, inf, NaN, denormals and huge values match PyTorch", "[special]") {
    constexpr std::size_t n = 35;
    std::size_t checked = 0;
    std::vector<std::string> wrong;
    for (const Row& r : rows) {
        // PyTorch 1.13's vectorised log1p overflows at the largest finite x (inf where ln(1 + x)
        // is 88.7 or 709.8); xgrad keeps libm's correctly rounded value (docs/ops.md)
        if (std::string(r.op) == "log1p" && std::isfinite(r.x) && r.x > 1e38) {
            Tensor big = Tensor::full({1}, r.x, {.dtype = r.dtype});
            CHECK(test::values(log1p(big))(0) == Approx(std::log1p(r.x)));
            ++checked;
            continue;
        }
        // PyTorch 1.13's float32 gelu takes erf from a 1.5e-7 approximation (1e-6 relative off at
        // x = -2.5); xgrad's is within 6 ulp: the reference is Φ through erfc in double
        double want_y = r.y, want_dy = r.dy;
        if (std::string(r.op) == "gelu" && r.dtype == float32 && std::isfinite(r.x)) {
            const double cdf = 0.5 * std::erfc(-r.x / std::numbers::sqrt2);
            want_y = static_cast<float>(r.x * cdf);
            want_dy = static_cast<float>(cdf + r.x * std::exp(-0.5 * r.x * r.x) / std::sqrt(2 * std::numbers::pi));
        }
        Tensor x = Tensor::full({n}, r.x, {.dtype = r.dtype, .requires_grad = true});
        Tensor y = ops.at(r.op)(x);
        y.backward(Tensor::ones({n}, {.dtype = r.dtype}));
        const auto yv = test::values(y), gv = test::values(x.grad());
        for (std::size_t i = 0; i < n; ++i) {
            if (same(yv(i), want_y, r.dtype) && same(gv(i), want_dy, r.dtype)) continue;
            wrong.push_back(std::string(r.op) + " " + std::string(dtype_name(r.dtype)) + " at x = " + test::str(r.x) +
                            ", element " + std::to_string(i) + ": f = " + test::str(yv(i)) + " (want " +
                            test::str(want_y) + "), f' = " + test::str(gv(i)) + " (want " + test::str(want_dy) + ")");
            break;
        }
        ++checked;
    }
    for (const auto& w : wrong) UNSCOPED_INFO(w);
    CHECK(wrong.empty());
    CHECK(checked == ops.size() * 2 * 16);
}
