// Training-step benchmark: xgrad against libtorch (when built in) and against the GEMM limit
// (raw cblas_sgemm for exactly the matrix products one step needs), float32, 1 and 2 threads.
//   bench/step_bench [--seconds 1.0] [--threads 1,2] [--configs overhead,a,b,c,d]
// Prints one table: xgrad median, libtorch median, GEMM limit, xgrad/libtorch, xgrad/limit.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <CLI/CLI.hpp>

#include "bench/step_bench.hpp"
#include "xgrad.hpp"

extern "C" char* openblas_get_corename(void);
extern "C" int openblas_get_num_threads(void);

using namespace xgrad;

namespace bench {
namespace {

Problem make_problem(const Config& c) {
    std::mt19937_64 gen(42);
    Problem p;
    for (std::size_t l = 0; l + 1 < c.sizes.size(); ++l) {
        const std::size_t in = c.sizes[l], out = c.sizes[l + 1];
        const float bound = 1.0f / std::sqrt(static_cast<float>(in));  // PyTorch's Linear init range
        std::uniform_real_distribution<float> u(-bound, bound);
        std::vector<float> w(out * in), b(out);
        for (auto& v : w) v = u(gen);
        for (auto& v : b) v = u(gen);
        p.weights.push_back(std::move(w));
        p.biases.push_back(std::move(b));
    }
    std::normal_distribution<float> n;
    p.inputs.resize(c.batch * c.sizes.front());
    for (auto& v : p.inputs) v = n(gen);
    std::uniform_int_distribution<std::int64_t> label(0, static_cast<std::int64_t>(c.sizes.back()) - 1);
    for (std::size_t i = 0; i < c.batch; ++i) p.labels.push_back(label(gen));
    return p;
}

// The benchmark's MLP with the problem's initial weights.
nn::Sequential make_model(const Config& c, const Problem& p) {
    nn::Sequential model;
    for (std::size_t l = 0; l + 1 < c.sizes.size(); ++l) {
        auto linear = std::make_shared<nn::Linear>(c.sizes[l], c.sizes[l + 1]);
        Tensor w = linear->weight(), b = linear->bias();
        std::copy(p.weights[l].begin(), p.weights[l].end(), w.mutable_data<float>().begin());
        std::copy(p.biases[l].begin(), p.biases[l].end(), b.mutable_data<float>().begin());
        model.push_back(linear);
        if (l + 2 < c.sizes.size()) model.push_back(std::make_shared<nn::ReLU>());
    }
    return model;
}

// The benchmark's network with the problem's initial weights, its optimizer and its batch.
struct XgradTraining {
    XgradTraining(const Config& c, const Problem& p)
        : model(make_model(c, p)), opt(model.parameters(), {.lr = 0.01, .momentum = 0.9}),
          x(Tensor::from(p.inputs, {c.batch, c.sizes.front()})), y(p.labels) {}

    // One training step; returns its loss.
    Tensor step() {
        opt.zero_grad();
        Tensor loss = nn::cross_entropy(model(x), y);
        loss.backward();
        opt.step();
        return loss;
    }

    nn::Sequential model;
    optim::SGD opt;
    const Tensor x;
    const Labels& y;
};

Timing xgrad_step(const Config& c, const Problem& p, int threads, std::size_t warmup, std::size_t steps) {
    xgrad::set_num_threads(threads);
    XgradTraining training(c, p);
    return time_calls([&] { training.step(); }, warmup, steps);
}

// The loss and every parameter after one step, as torch_one_step returns them.
std::vector<float> xgrad_one_step(const Config& c, const Problem& p) {
    XgradTraining training(c, p);
    std::vector<float> out{static_cast<float>(training.step().item())};
    for (const auto& param : training.model.parameters()) {  // weight then bias, layer by layer
        const auto& v = param.data<float>();
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

// "loss 2.4e-07, parameters 1.9e-09": the largest differences between two such results.
std::string difference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.empty() || a.size() != b.size()) return "not compared";
    double params = 0;
    for (std::size_t i = 1; i < a.size(); ++i) params = std::max(params, std::abs(static_cast<double>(a[i]) - b[i]));
    char buf[64];
    std::snprintf(buf, sizeof buf, "loss %.1e, parameters %.1e", std::abs(static_cast<double>(a[0]) - b[0]), params);
    return buf;
}

// The matrix products of one step, nothing else: per layer the forward X·Wᵀ, the weight gradient
// Gᵀ·X and, above the first layer, the input gradient G·W.
Timing gemm_limit(const Config& c, int threads, std::size_t warmup, std::size_t steps) {
    openblas_set_num_threads(threads);
    const std::size_t layers = c.sizes.size() - 1, B = c.batch;
    std::vector<std::vector<float>> acts(layers + 1), grads(layers + 1), w(layers), dw(layers);
    for (std::size_t l = 0; l <= layers; ++l) {
        acts[l].assign(B * c.sizes[l], 0.5f);
        grads[l].assign(B * c.sizes[l], 0.25f);
    }
    for (std::size_t l = 0; l < layers; ++l) {
        w[l].assign(c.sizes[l + 1] * c.sizes[l], 0.01f);
        dw[l].assign(c.sizes[l + 1] * c.sizes[l], 0.f);
    }
    const auto i = [](std::size_t v) { return static_cast<int>(v); };
    return time_calls([&] {
        for (std::size_t l = 0; l < layers; ++l) {  // Y (B,out) = X (B,in) · Wᵀ
            const std::size_t in = c.sizes[l], out = c.sizes[l + 1];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, i(B), i(out), i(in), 1.f, acts[l].data(), i(in),
                        w[l].data(), i(in), 0.f, acts[l + 1].data(), i(out));
        }
        for (std::size_t l = layers; l-- > 0;) {
            const std::size_t in = c.sizes[l], out = c.sizes[l + 1];
            // dW (out,in) = Gᵀ (out,B) · X (B,in)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i(out), i(in), i(B), 1.f, grads[l + 1].data(), i(out),
                        acts[l].data(), i(in), 0.f, dw[l].data(), i(in));
            if (l > 0)  // dX (B,in) = G (B,out) · W (out,in)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, i(B), i(in), i(out), 1.f, grads[l + 1].data(),
                            i(out), w[l].data(), i(in), 0.f, grads[l].data(), i(in));
        }
    }, warmup, steps);
}

std::string fmt_us(double us) {
    char buf[32];
    if (us < 0) return "-";
    if (us >= 1000) std::snprintf(buf, sizeof buf, "%.2f ms", us / 1000);
    else std::snprintf(buf, sizeof buf, "%.2f us", us);
    return buf;
}

std::string fmt_ratio(double a, double b) {
    char buf[32];
    if (a < 0 || b <= 0) return "-";
    std::snprintf(buf, sizeof buf, "%.2fx", a / b);
    return buf;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
    using namespace bench;
    double seconds = 1.0;
    std::vector<int> thread_counts{1, 2};
    std::vector<std::string> names{"overhead", "a", "b", "c", "d"};
    CLI::App app{"xgrad training-step benchmark against libtorch and the GEMM limit"};
    app.add_option("--seconds", seconds, "timed seconds per measurement")->capture_default_str();
    app.add_option("--threads", thread_counts, "thread counts")->delimiter(',')->capture_default_str();
    app.add_option("--configs", names, "rows: overhead (per-op), a, b, c, d")->delimiter(',')->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const std::vector<Config> all{{"a", {2, 16, 16, 2}, 32},
                                  {"b", {64, 128, 128, 10}, 64},
                                  {"c", {784, 256, 128, 10}, 128},
                                  {"d", {784, 1024, 1024, 10}, 256}};
    std::printf("OpenBLAS core: %s; libtorch: %s\n", openblas_get_corename(),
                have_torch() ? "built in" : "not built (scripts/bench.sh installs libtorch-dev and builds it)");
    std::printf("float32; step = zero_grad, forward, fused softmax cross-entropy, backward, SGD momentum 0.9\n\n");
    std::printf("%-34s %3s %12s %12s %12s %14s %12s\n", "configuration", "thr", "xgrad", "libtorch", "GEMM limit",
                "xgrad/libtorch", "xgrad/limit");

    std::vector<std::string> agreement;  // per configuration: xgrad vs libtorch after one step
    for (const auto& c : all) {
        if (std::find(names.begin(), names.end(), c.name) == names.end() || !have_torch()) continue;
        xgrad::set_num_threads(1);
        const Problem p = make_problem(c);
        agreement.push_back("(" + c.name + ") " + difference(xgrad_one_step(c, p), torch_one_step(c, p)));
    }

    for (int threads : thread_counts) {
        // Per-op overhead first: one relu on (1, 16), and relu(x·W + b).sum() forward+backward.
        xgrad::set_num_threads(threads);
        if (std::find(names.begin(), names.end(), "overhead") != names.end()) {
        Tensor small = Tensor::randn({1, 16}, {.requires_grad = true});
        const Timing relu_t = time_small([&] { (void)relu(small); }, seconds);
        Tensor W = Tensor::randn({16, 16}, {.requires_grad = true}), b = Tensor::randn({16}, {.requires_grad = true});
        const Timing tiny = time_small([&] { relu(matmul(small, W) + b).sum().backward(); }, seconds);
        const Timing torch_relu = have_torch() ? torch_relu_overhead(threads, seconds) : Timing{};
        const Timing torch_tiny = have_torch() ? torch_tiny_graph(threads, seconds) : Timing{};
        std::printf("%-34s %3d %12s %12s %12s %14s %12s\n", "relu (1x16), autograd on", threads,
                    fmt_us(relu_t.median_us).c_str(), fmt_us(torch_relu.median_us).c_str(), "-",
                    fmt_ratio(relu_t.median_us, torch_relu.median_us).c_str(), "-");
        std::printf("%-34s %3d %12s %12s %12s %14s %12s\n", "relu(x.W+b).sum() fwd+bwd", threads,
                    fmt_us(tiny.median_us).c_str(), fmt_us(torch_tiny.median_us).c_str(), "-",
                    fmt_ratio(tiny.median_us, torch_tiny.median_us).c_str(), "-");
        }
        for (const auto& c : all) {
            if (std::find(names.begin(), names.end(), c.name) == names.end()) continue;
            const Problem p = make_problem(c);
            const double probe = xgrad_step(c, p, threads, 2, 3).median_us;
            const std::size_t steps = steps_for(probe, seconds), warmup = std::max<std::size_t>(steps / 10, 5);
            const Timing x = xgrad_step(c, p, threads, warmup, steps);
            const Timing t = have_torch() ? torch_step(c, p, threads, warmup, steps) : Timing{};
            const Timing g = gemm_limit(c, threads, warmup, steps);
            std::string label = "(" + c.name + ") ";
            for (std::size_t i = 0; i < c.sizes.size(); ++i) label += (i ? "-" : "") + std::to_string(c.sizes[i]);
            label += ", batch " + std::to_string(c.batch);
            std::printf("%-34s %3d %12s %12s %12s %14s %12s\n", label.c_str(), threads, fmt_us(x.median_us).c_str(),
                        fmt_us(t.median_us).c_str(), fmt_us(g.median_us).c_str(),
                        fmt_ratio(x.median_us, t.median_us).c_str(), fmt_ratio(x.median_us, g.median_us).c_str());
            std::fflush(stdout);
        }
    }
    std::printf("\nmedians over many steps after warm-up; ratios below 1 mean xgrad is faster\n");
    if (!agreement.empty()) {
        std::printf("same computation: largest |xgrad - libtorch| after one step from the same start:\n");
        for (const auto& a : agreement) std::printf("  %s\n", a.c_str());
    }
    return 0;
}
