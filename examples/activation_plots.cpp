// Samples every activation and its derivative on [-5, 5] for the plots in docs/activations.md.
// The derivative comes from xgrad's own backward pass, and is checked here against central
// differences of the forward (away from the kinks), so the plots show what training uses.
//   usage: activation_plots OUTPUT_DIR     (writes one NAME.tsv per activation: x, f(x), f'(x))
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

struct Activation {
    const char* name;
    std::function<Tensor(const Tensor&)> f;  // elementwise on a 1-D tensor
};

// softmax over the two logits (x, 0): its first probability, as a function of x
Tensor softmax_first(const Tensor& x) {
    const auto n = static_cast<std::int64_t>(x.numel());
    Tensor logits = matmul(x.reshape({n, 1}), Tensor::from({1, 0}, {1, 2}, {.dtype = x.dtype()}));
    return (softmax(logits, 1) * Tensor::from({1, 0}, {2}, {.dtype = x.dtype()})).sum(1);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: activation_plots OUTPUT_DIR\n";
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);

    const std::vector<Activation> activations{
        {"identity", [](const Tensor& x) { return identity(x); }},
        {"step", [](const Tensor& x) { return step(x); }},
        {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
        {"tanh", [](const Tensor& x) { return tanh(x); }},
        {"relu", [](const Tensor& x) { return relu(x); }},
        {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }},
        {"prelu", [](const Tensor& x) { return prelu(x, Tensor::scalar(0.25, {.dtype = x.dtype()})); }},
        {"elu", [](const Tensor& x) { return elu(x); }},
        {"gelu", [](const Tensor& x) { return gelu(x); }},
        {"gelu_tanh", [](const Tensor& x) { return gelu(x, GeluApproximation::tanh); }},
        {"silu", [](const Tensor& x) { return silu(x); }},
        {"softplus", [](const Tensor& x) { return softplus(x); }},
        {"softmax", softmax_first},
    };

    // 400 intervals on [-5, 5], shifted by half a step so that no sample sits on the kink at 0
    const std::size_t n = 400;
    Tensor grid = Tensor::arange(0, static_cast<double>(n), 1, {.dtype = float64}) * (10.0 / n) - 5.0 + 5.0 / n / 2;
    int failures = 0;
    for (const auto& a : activations) {
        Tensor x = grid.detach().requires_grad_();
        Tensor y = a.f(x);
        y.sum().backward();  // elementwise: the gradient of the sum is f'(x) at each point
        const auto& xs = x.data<double>();
        const auto& ys = y.data<double>();
        const auto& ds = x.grad().data<double>();

        // the backward pass against central differences of the forward
        const double h = 1e-6;
        Tensor plus, minus;
        {
            NoGradGuard no_grad;
            plus = a.f(grid + h);
            minus = a.f(grid - h);
        }
        double worst = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double numeric = (plus.data<double>()(i) - minus.data<double>()(i)) / (2 * h);
            worst = std::max(worst, std::abs(numeric - ds(i)));
        }
        std::ofstream file(out / (std::string(a.name) + ".tsv"));
        file << "# x\tf(x)\tf'(x) (from backward)\n";
        for (std::size_t i = 0; i < n; ++i) file << xs(i) << '\t' << ys(i) << '\t' << ds(i) << '\n';
        if (!file) {
            std::cerr << "activation_plots: cannot write " << (out / a.name).string() << ".tsv\n";
            return 1;
        }
        const bool ok = worst < 1e-6;
        failures += !ok;
        std::cout << (ok ? "ok    " : "WRONG ") << a.name << ": max |backward - finite difference| = " << worst << '\n';
    }
    return failures == 0 ? 0 : 1;
}
