// A makemore-style character-level language model: the 3 characters before each position
// through an Embedding, a Linear + BatchNorm1d + tanh hidden layer and softmax cross-entropy over
// 27 tokens, trained on Debian's word list. Prints the train and validation losses beside a bigram
// count model's, samples words, and draws the loss curve.
//   usage: char_mlp [--steps N] [--seed S] [--words FILE] [--output-dir DIR] [--max-val-loss L]
#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "char_models.hpp"

using namespace xgrad;

namespace {

using char_mlp::block;
using char_mlp::Model;

// The mean loss over all pairs, in batches, in evaluation mode.
double evaluate(Model& model, const Tensor& x, const Tensor& y) {
    NoGradGuard no_grad;
    model.eval();
    const Tensor loss = nn::cross_entropy(model(x), y);
    model.train();
    return loss.item();
}

std::string sample(Model& model) {
    NoGradGuard no_grad;
    model.eval();
    std::vector<std::int64_t> ctx(block, 0);
    std::string out;
    while (out.size() < 30) {
        const Tensor p = softmax(model(Tensor::from(ctx, {1, block})), 1);
        const std::int64_t next = multinomial(select(p, 0, 0), 1).item<std::int64_t>();
        if (next == 0) break;
        out += words::letter(next);
        ctx.erase(ctx.begin());
        ctx.push_back(next);
    }
    model.train();
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t steps = 20000, batch = 32, samples = 20;
    std::uint64_t seed = 42;
    std::string path = words::default_path, output_dir = "char_mlp_out";
    double max_val_loss = 0;
    CLI::App app{"Train a character-level MLP language model on the word list"};
    app.add_option("--steps", steps, "training steps")->check(CLI::Range(std::size_t{1}, std::size_t{100000000}))->capture_default_str();
    app.add_option("--batch-size", batch, "contexts per step")->check(CLI::Range(std::size_t{2}, std::size_t{1} << 20))->capture_default_str();
    app.add_option("--seed", seed, "seed for the split, the initialisation and the batches")->capture_default_str();
    app.add_option("--samples", samples, "words to sample at the end")->check(CLI::Range(0, 10000))->capture_default_str();
    app.add_option("--words", path, "the word list")->capture_default_str();
    app.add_option("--output-dir", output_dir, "where the loss curve goes")->capture_default_str();
    app.add_option("--max-val-loss", max_val_loss, "exit with status 1 if the final validation loss is higher (0: no check)");
    CLI11_PARSE(app, argc, argv);
    try {
        const auto split = words::load(path, seed);
        const auto [xtr, ytr] = words::contexts(split.train, block);
        const auto [xva, yva] = words::contexts(split.val, block);
        std::printf("%zu words: %zu train, %zu validation, %zu test; %zu training contexts\n", split.train.size() + split.val.size() + split.test.size(),
                    split.train.size(), split.val.size(), split.test.size(), ytr.numel());
        manual_seed(seed);
        Model model;
        std::printf("%s\n", (std::ostringstream() << model).str().c_str());
        optim::SGD opt(model.parameters(), {.lr = 0.1});
        std::filesystem::create_directories(output_dir);
        std::vector<std::array<double, 3>> curve;
        // the curve's validation points on the first 20,000 validation contexts; the final loss on all
        const std::int64_t probe = std::min<std::int64_t>(20000, static_cast<std::int64_t>(yva.numel()));
        const Tensor xpr = narrow(xva, 0, 0, probe), ypr = narrow(yva, 0, 0, probe);
        double running = 0;
        const std::size_t every = std::max<std::size_t>(steps / 20, 1);
        double train_seconds = 0;  // the steps alone, without the evaluations
        for (std::size_t step = 1; step <= steps; ++step) {
            const auto started = std::chrono::steady_clock::now();
            if (step == steps * 3 / 4 + 1) opt.set_lr(0.01);  // a tenth for the last quarter
            const Tensor idx = Tensor::randint(0, static_cast<std::int64_t>(ytr.numel()), {batch});
            const Tensor loss = nn::cross_entropy(model(words::rows(xtr, idx)), words::rows(ytr, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
            running += loss.item();
            train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (step % every == 0 || step == steps) {
                const double val = evaluate(model, xpr, ypr);
                const double train = running / static_cast<double>(step % every == 0 ? every : step % every);
                curve.push_back({static_cast<double>(step), train, val});
                std::printf("step %6zu  train loss %.4f  validation loss %.4f (20,000 contexts)\n", step, train, val);
                running = 0;
            }
        }
        const double train = evaluate(model, xtr, ytr), val = evaluate(model, xva, yva);
        const double bigram = words::bigram_loss(split.train, split.val);
        std::printf("\nchar_mlp: train loss %.4f, validation loss %.4f (bigram counts: %.4f, uniform: %.4f); %.3f ms per training step\n",
                    train, val, bigram, std::log(static_cast<double>(words::vocab)), 1e3 * train_seconds / static_cast<double>(steps));
        std::printf("samples:");
        for (std::size_t i = 0; i < samples; ++i) std::printf(" %s", sample(model).c_str());
        std::printf("\n");
        words::plot_losses(output_dir, "char_mlp_loss", "char_mlp: loss per character", curve);
        if (max_val_loss > 0 && !(val <= max_val_loss)) {
            std::fprintf(stderr, "char_mlp: validation loss %.4f is above --max-val-loss %.4f: nothing was learned\n", val, max_val_loss);
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "char_mlp: %s\n", e.what());
        return 2;
    }
}
