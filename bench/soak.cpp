// Soak test: trains a small MLP for many steps (default 200,000) and prints the resident memory
// along the way. After the first 1,000 steps (allocator and caches warmed up) it must not grow:
// every step builds a graph and frees it, and nothing may accumulate. Exits 1 if the resident
// set grew by more than --tolerance-kib between step 1,000 and the end.
//   bench/soak [--steps 200000] [--tolerance-kib 512]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

// Resident set size in KiB, from /proc/self/statm (pages).
long rss_kib() {
    std::ifstream statm("/proc/self/statm");
    long total = 0, resident = 0;
    statm >> total >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
    long steps = 200'000;
    long tolerance_kib = 512;
    CLI::App app{"xgrad soak test: resident memory over a long training run"};
    app.add_option("--steps", steps, "training steps")->check(CLI::Range(1'000L, 100'000'000L))->capture_default_str();
    app.add_option("--tolerance-kib", tolerance_kib, "allowed growth after step 1,000")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    manual_seed(0);
    const auto set = data::make_spiral(1000, 3, 0.2, 0);
    nn::Sequential model = nn::MLP({2, 32, 32, 3}, "relu");
    optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
    optim::CosineAnnealingLR schedule(opt, 1'000'000);
    data::DataLoader loader(set, {.batch_size = 32, .shuffle = true, .seed = 0});

    std::printf("soak: MLP 2-32-32-3, batch 32, SGD momentum 0.9, %ld steps\n", steps);
    std::printf("%10s %10s %12s %10s\n", "step", "rss KiB", "loss", "s");
    const auto start = std::chrono::steady_clock::now();
    long step = 0, baseline = 0, peak_after = 0;
    double loss_value = 0;
    auto report = [&] {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%10ld %10ld %12.5f %10.1f\n", step, rss_kib(), loss_value, s);
        std::fflush(stdout);
    };
    while (step < steps) {
        for (auto [x, y] : loader) {
            Tensor loss = nn::cross_entropy(model(x), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
            loss_value = loss.item();
            ++step;
            if (step % 1000 == 0) {
                schedule.step();
                NoGradGuard no_grad;  // an evaluation now and then, as a real run does
                (void)data::accuracy(model(set.inputs), set.labels);
            }
            if (step == 1000) baseline = rss_kib();
            if (step > 1000) peak_after = std::max(peak_after, step % 500 == 0 ? rss_kib() : 0L);
            if (step == 1 || step == 1000 || step % (steps / 10 > 0 ? steps / 10 : 1) == 0) report();
            if (step == steps) break;
        }
    }
    const long final_rss = rss_kib();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("\nrss after 1,000 steps %ld KiB, highest after that %ld KiB, at the end %ld KiB: growth %+ld KiB "
                "(%.1f us per step, final loss %.4f)\n",
                baseline, std::max(peak_after, final_rss), final_rss, std::max(peak_after, final_rss) - baseline,
                1e6 * seconds / static_cast<double>(steps), loss_value);
    if (std::max(peak_after, final_rss) - baseline > tolerance_kib) {
        std::printf("soak: FAILED, resident memory grew by more than %ld KiB\n", tolerance_kib);
        return 1;
    }
    std::printf("soak: ok, no growth beyond %ld KiB\n", tolerance_kib);
    return 0;
}
