#pragma once
// What the step benchmark shares between its xgrad and libtorch halves: plain data only, so the
// libtorch half compiles without xtensor and the xgrad half without torch.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

// libtorch's products call OpenBLAS (through libblas.so.3), whose thread count torch::set_num_threads
// leaves at one per core: a libtorch run on n threads sets both, or its "one thread" products run
// on two (measured: a second thread busy through char_bench's libtorch rounds).
extern "C" void openblas_set_num_threads(int);

namespace bench {

/// One MLP training configuration: layer sizes and batch size.
struct Config {
    std::string name;
    std::vector<std::size_t> sizes;
    std::size_t batch;
};

/// The exact starting point both libraries train from: per layer l, weight (out, in) row-major
/// and bias (out); one input batch (batch, in) and its labels.
struct Problem {
    std::vector<std::vector<float>> weights, biases;
    std::vector<float> inputs;
    std::vector<std::int64_t> labels;
};

/// Medians in microseconds; negative when not measured.
struct Timing {
    double median_us = -1;
    std::size_t steps = 0;
};

/// Times `steps` full training steps (zero_grad, forward, fused softmax cross-entropy, backward,
/// SGD lr 0.01 momentum 0.9) after `warmup` untimed ones; median of the per-step times.
using StepTimer = Timing (*)(const Config&, const Problem&, int threads, std::size_t warmup, std::size_t steps);

using Clock = std::chrono::steady_clock;

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[v.size() / 2];
}

/// Steps to time so that the timed part takes about `seconds`, from one probe step.
inline std::size_t steps_for(double probe_us, double seconds) {
    return static_cast<std::size_t>(std::clamp(seconds * 1e6 / std::max(probe_us, 0.05), 20.0, 200000.0));
}

/// Median time of f() in microseconds over `steps` calls after `warmup`.
inline Timing time_calls(const std::function<void()>& f, std::size_t warmup, std::size_t steps) {
    for (std::size_t i = 0; i < warmup; ++i) f();
    std::vector<double> us;
    us.reserve(steps);
    for (std::size_t i = 0; i < steps; ++i) {
        const auto t0 = Clock::now();
        f();
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    return {median(us), steps};
}

/// Per-call median for calls too short for the clock: the median of batches of 200 calls.
inline Timing time_small(const std::function<void()>& f, double seconds) {
    constexpr std::size_t per = 200;
    for (std::size_t i = 0; i < 2000; ++i) f();
    std::vector<double> us;
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
        const auto t0 = Clock::now();
        for (std::size_t i = 0; i < per; ++i) f();
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / per);
    }
    return {median(us), us.size() * per};
}

/// Whether the libtorch twin was built in (CMake found Torch).
bool have_torch();
Timing torch_step(const Config& config, const Problem& problem, int threads, std::size_t warmup, std::size_t steps);
/// The loss, then every weight and bias (layer by layer, row-major), after one training step
/// from `problem`: libtorch's, to check that both libraries time the same computation. Empty
/// without libtorch.
std::vector<float> torch_one_step(const Config& config, const Problem& problem);
/// libtorch's per-op overheads: relu on a (1, 16) tensor requiring grad, and forward+backward
/// of relu(x·W + b).sum() on (1, 16); medians in microseconds.
Timing torch_relu_overhead(int threads, double seconds);
Timing torch_tiny_graph(int threads, double seconds);

}  // namespace bench
