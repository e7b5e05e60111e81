// Times one training step of each character model (examples/char_models.hpp) in xgrad and in
// its libtorch twin (bench/torch_char.cpp): same weights, same batch of 32, one thread each,
// float32. Prints the medians, their ratio and the first step's loss in both. Small tensors and
// many ops: per-op overhead decides these rows.
// The two libraries alternate in rounds (a shared machine's speed drifts during a run).
//   usage: char_bench [--seconds S] [--rounds R]
#include <CLI/CLI.hpp>

#include <cstdio>
#include <vector>

#include "bench/char_bench.hpp"
#include "examples/char_models.hpp"

extern "C" char* openblas_get_corename(void);

using namespace xgrad;

namespace {

bench::NamedArray named(const std::string& name, const Tensor& t) {
    bench::NamedArray a{name, {}, {}};
    for (auto d : t.shape()) a.shape.push_back(static_cast<std::int64_t>(d));
    const Tensor f = t.to(float32);
    a.values.assign(f.data<float>().begin(), f.data<float>().end());
    return a;
}

bench::CharProblem problem(const nn::Module& model, const Tensor& x, const Tensor& y) {
    bench::CharProblem p;
    for (const auto& [name, t] : model.named_parameters()) p.params.push_back(named(name, t));
    for (const auto& [name, t] : model.named_buffers()) p.buffers.push_back(named(name, t));
    p.x.assign(x.data<std::int64_t>().begin(), x.data<std::int64_t>().end());
    p.y.assign(y.data<std::int64_t>().begin(), y.data<std::int64_t>().end());
    p.batch = static_cast<std::int64_t>(x.size(0));
    p.block = static_cast<std::int64_t>(x.size(1));
    p.sequence_labels = y.dim() == 2;
    return p;
}

// xgrad's and libtorch's steps timed in `rounds` alternating rounds of seconds / rounds each, so
// that a shared machine that speeds up or slows down during the run weighs on both alike. The
// row's times are the medians of the rounds' medians, its ratio the median of the rounds' ratios.
// `step` returns the loss; `torch_steps(warmup, steps, first_loss)` runs libtorch's twin from the
// same weights.
struct Compared {
    bench::Timing x, t;
    double ratio = -1;
    float first_x = 0, first_t = 0;
};

template <class Step, class TorchSteps>
Compared interleaved(Step step, TorchSteps torch_steps, double seconds, int rounds) {
    Compared c;
    c.first_x = step();
    const auto t0 = bench::Clock::now();
    step();
    const double probe = std::chrono::duration<double, std::micro>(bench::Clock::now() - t0).count();
    const double round_seconds = seconds / rounds;
    const bool torch = bench::have_torch_chars();
    const bench::Timing torch_probe = torch_steps(0, 1, &c.first_t);
    std::vector<double> xs, ts, ratios;
    for (int r = 0; r < rounds; ++r) {
        const auto x = bench::time_calls([&] { step(); }, 2, bench::steps_for(probe, round_seconds));
        xs.push_back(x.median_us);
        if (!torch) continue;
        const auto t = torch_steps(2, bench::steps_for(torch_probe.median_us, round_seconds), nullptr);
        ts.push_back(t.median_us);
        ratios.push_back(x.median_us / t.median_us);
    }
    c.x.median_us = bench::median(xs);
    if (torch) c.t.median_us = bench::median(ts), c.ratio = bench::median(ratios);
    return c;
}

std::string fmt(double us) {
    char buf[32];
    if (us < 0) return "-";
    std::snprintf(buf, sizeof buf, us >= 1000 ? "%.2f ms" : "%.1f us", us >= 1000 ? us / 1000 : us);
    return buf;
}

void row(const char* name, const Compared& c) {
    char ratio[32] = "-", agree[64] = "-";
    if (c.ratio > 0) {
        std::snprintf(ratio, sizeof ratio, "%.2fx", c.ratio);
        std::snprintf(agree, sizeof agree, "%.6f vs %.6f", static_cast<double>(c.first_x), static_cast<double>(c.first_t));
    }
    std::printf("%-38s %12s %12s %10s   %s\n", name, fmt(c.x.median_us).c_str(), fmt(c.t.median_us).c_str(), ratio, agree);
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 2;
    int rounds = 10;
    CLI::App app{"Training steps of the character models: xgrad against libtorch"};
    app.add_option("--seconds", seconds, "time per row and library")->check(CLI::Range(0.1, 600.0))->capture_default_str();
    app.add_option("--rounds", rounds, "alternating rounds of xgrad and libtorch per row")->check(CLI::Range(1, 1000))->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    set_num_threads(1);
    std::printf("OpenBLAS core: %s; libtorch: %s; one thread; float32; batch 32\n", openblas_get_corename(),
                bench::have_torch_chars() ? "built in" : "not found (scripts/bench.sh installs it)");
    std::printf("%-38s %12s %12s %10s   %s\n", "step (zero_grad, forward, loss, backward, optimizer)", "xgrad", "libtorch",
                "ratio", "first loss (xgrad vs libtorch)");
    // the same fixed batch for both: 32 contexts (MLP) or 32 words (transformer) of the word list
    words::Split split;
    try {
        split = words::load(words::default_path, 42);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "char_bench: %s\n", e.what());
        return 2;
    }
    const Tensor pick = Tensor::arange(32, {.dtype = int64});
    {
        manual_seed(1);
        char_mlp::Model model;
        const auto [xs, ys] = words::contexts(split.train, char_mlp::block);
        const Tensor x = words::rows(xs, pick), y = words::rows(ys, pick);
        const auto p = problem(model, x, y);
        optim::SGD opt(model.parameters(), {.lr = 0.1});
        const auto c = interleaved([&] {
            opt.zero_grad();
            const Tensor loss = nn::cross_entropy(model(x), y);
            loss.backward();
            opt.step();
            return loss.item<float>();
        }, [&](std::size_t warmup, std::size_t steps, float* first) { return bench::torch_char_mlp(p, warmup, steps, first); }, seconds, rounds);
        row("char_mlp (3 x 10 -> 200 -> 27)", c);
    }
    {
        manual_seed(1);
        char_transformer::Transformer model;
        const auto [xs, ys] = words::sequences(split.train, char_transformer::block);
        const Tensor x = words::rows(xs, pick), y = words::rows(ys, pick);
        const auto p = problem(model, x, y);
        optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
        const auto c = interleaved([&] {
            opt.zero_grad();
            const Tensor loss = char_transformer::loss_of(model(x), y);
            loss.backward();
            opt.step();
            return loss.item<float>();
        }, [&](std::size_t warmup, std::size_t steps, float* first) { return bench::torch_char_transformer(p, warmup, steps, first); },
            seconds, rounds);
        row("char_transformer (2 blocks, C 64, T 16)", c);
    }
    std::printf("\nmedians of %d alternating rounds per row, after warm-up; the ratio is the rounds' median ratio; below 1\n"
                "means xgrad is faster\n", rounds);
    return 0;
}
