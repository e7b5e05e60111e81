// Times one training step of each character model (examples/char_models.hpp) in xgrad and in
// its libtorch twin (bench/torch_char.cpp): same weights, same batch of 32, one thread each,
// float32. Prints the medians, their ratio and the first step's loss in both. Small tensors and
// many ops: per-op overhead decides these rows.
//   usage: char_bench [--seconds S]
#include <CLI/CLI.hpp>

#include <cstdio>

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

template <class Step>
bench::Timing time_steps(Step step, double seconds, float* first_loss) {
    *first_loss = step();
    const auto t0 = bench::Clock::now();
    step();
    const double probe = std::chrono::duration<double, std::micro>(bench::Clock::now() - t0).count();
    return bench::time_calls([&] { step(); }, 5, bench::steps_for(probe, seconds));
}

std::string fmt(double us) {
    char buf[32];
    if (us < 0) return "-";
    std::snprintf(buf, sizeof buf, us >= 1000 ? "%.2f ms" : "%.1f us", us >= 1000 ? us / 1000 : us);
    return buf;
}

void row(const char* name, const bench::Timing& x, const bench::Timing& t, float lx, float lt) {
    char ratio[32] = "-", agree[64] = "-";
    if (t.median_us > 0) {
        std::snprintf(ratio, sizeof ratio, "%.2fx", x.median_us / t.median_us);
        std::snprintf(agree, sizeof agree, "%.6f vs %.6f", static_cast<double>(lx), static_cast<double>(lt));
    }
    std::printf("%-38s %12s %12s %10s   %s\n", name, fmt(x.median_us).c_str(), fmt(t.median_us).c_str(), ratio, agree);
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 2;
    CLI::App app{"Training steps of the character models: xgrad against libtorch"};
    app.add_option("--seconds", seconds, "time per row and library")->check(CLI::Range(0.1, 600.0))->capture_default_str();
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
        float lx = 0, lt = 0;
        const auto tx = time_steps([&] {
            opt.zero_grad();
            const Tensor loss = nn::cross_entropy(model(x), y);
            loss.backward();
            opt.step();
            return loss.item<float>();
        }, seconds, &lx);
        const auto probe = bench::torch_char_mlp(p, 0, 1, &lt);
        const auto tt = bench::have_torch_chars() ? bench::torch_char_mlp(p, 5, bench::steps_for(probe.median_us, seconds), nullptr) : bench::Timing{};
        row("char_mlp (3 x 10 -> 200 -> 27)", tx, tt, lx, lt);
    }
    {
        manual_seed(1);
        char_transformer::Transformer model;
        const auto [xs, ys] = words::sequences(split.train, char_transformer::block);
        const Tensor x = words::rows(xs, pick), y = words::rows(ys, pick);
        const auto p = problem(model, x, y);
        optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
        float lx = 0, lt = 0;
        const auto tx = time_steps([&] {
            opt.zero_grad();
            const Tensor loss = char_transformer::loss_of(model(x), y);
            loss.backward();
            opt.step();
            return loss.item<float>();
        }, seconds, &lx);
        const auto probe = bench::torch_char_transformer(p, 0, 1, &lt);
        const auto tt = bench::have_torch_chars() ? bench::torch_char_transformer(p, 5, bench::steps_for(probe.median_us, seconds), nullptr) : bench::Timing{};
        row("char_transformer (2 blocks, C 64, T 16)", tx, tt, lx, lt);
    }
    std::printf("\nmedians after warm-up; a ratio below 1 means xgrad is faster\n");
    return 0;
}
