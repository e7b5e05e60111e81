// A small decoder-only transformer on the same words as char_mlp: token and position embeddings,
// 2 blocks of causal multi-head self-attention (masked with masked_fill at -inf) and a GELU MLP,
// each behind a LayerNorm with a residual connection; each word is one sequence of up to 16
// tokens. Prints the losses beside the bigram baseline, samples words, draws one block's diagram
// and the loss curve, and verifies every node of one training step with check_graph.
//   usage: char_transformer [--steps N] [--seed S] [--words FILE] [--output-dir DIR] [--max-val-loss L]
#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "char_models.hpp"

using namespace xgrad;

namespace {

using char_transformer::block;
using char_transformer::loss_of;
using char_transformer::Transformer;

double evaluate(Transformer& model, const Tensor& x, const Tensor& y) {
    NoGradGuard no_grad;
    const Tensor loss = loss_of(model(x), y);
    return loss.item();
}

std::string sample(Transformer& model) {
    NoGradGuard no_grad;
    std::vector<std::int64_t> seq{0};
    std::string out;
    while (seq.size() < block) {
        const Tensor logits = model(Tensor::from(seq, {1, seq.size()}));  // (1, T, 27)
        const Tensor p = softmax(select(select(logits, 0, 0), 0, static_cast<std::int64_t>(seq.size()) - 1), 0);
        const std::int64_t next = multinomial(p, 1).item<std::int64_t>();
        if (next == 0) break;
        out += words::letter(next);
        seq.push_back(next);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t steps = 4000, batch = 32, samples = 20;
    std::uint64_t seed = 42;
    std::string path = words::default_path, output_dir = "char_transformer_out";
    double max_val_loss = 0, lr = 1e-3;
    bool check = true;
    CLI::App app{"Train a small character-level transformer on the word list"};
    app.add_option("--steps", steps, "training steps")->check(CLI::Range(std::size_t{1}, std::size_t{100000000}))->capture_default_str();
    app.add_option("--batch-size", batch, "words per step")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))->capture_default_str();
    app.add_option("--lr", lr, "AdamW learning rate")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    app.add_option("--seed", seed, "seed for the split, the initialisation and the batches")->capture_default_str();
    app.add_option("--samples", samples, "words to sample at the end")->check(CLI::Range(0, 10000))->capture_default_str();
    app.add_option("--words", path, "the word list")->capture_default_str();
    app.add_option("--output-dir", output_dir, "where the loss curve and the diagram go")->capture_default_str();
    app.add_option("--max-val-loss", max_val_loss, "exit with status 1 if the final validation loss is higher (0: no check)");
    app.add_flag("!--no-check", check, "skip check_graph on the first step");
    CLI11_PARSE(app, argc, argv);
    try {
        const auto split = words::load(path, seed);
        const auto [xtr, ytr] = words::sequences(split.train, block);
        const auto [xva, yva] = words::sequences(split.val, block);
        std::printf("%zu words: %zu train, %zu validation; sequences of %zu tokens\n", split.train.size() + split.val.size() + split.test.size(),
                    split.train.size(), split.val.size(), block);
        manual_seed(seed);
        Transformer model;
        std::printf("%s\n", (std::ostringstream() << model).str().c_str());
        optim::AdamW opt(model.parameters(), {.lr = lr, .weight_decay = 0.01});
        std::filesystem::create_directories(output_dir);
        std::vector<std::array<double, 3>> curve;
        // the curve's validation points on the first 1,000 validation words; the final loss on all
        const std::int64_t probe = std::min<std::int64_t>(1000, static_cast<std::int64_t>(split.val.size()));
        const Tensor xpr = narrow(xva, 0, 0, probe), ypr = narrow(yva, 0, 0, probe);
        double running = 0;
        const std::size_t every = std::max<std::size_t>(steps / 20, 1);
        double train_seconds = 0;  // the steps alone, without the evaluations
        for (std::size_t step = 1; step <= steps; ++step) {
            const auto started = std::chrono::steady_clock::now();
            const Tensor idx = Tensor::randint(0, static_cast<std::int64_t>(split.train.size()), {batch});
            const Tensor loss = loss_of(model(words::rows(xtr, idx)), words::rows(ytr, idx));
            opt.zero_grad();
            loss.backward({.retain_graph = step == 1});
            if (step == 1) {
                // one block's diagram, with its module boxes, and every node of this step verified
                const Tensor one = (*model.blocks)[0](model.tok->forward(words::rows(xtr, idx)));
                std::printf("%s\n", write_graph(one.sum(), std::filesystem::path(output_dir) / "block.svg").c_str());
                if (check) {
                    const auto report = check_graph(loss);
                    std::size_t passed = 0, elements = 0;
                    for (const auto& n : report.nodes) passed += n.status == NodeCheck::Status::passed, elements += n.checked;
                    std::printf("check_graph on step 1: %zu of %zu nodes agree with their finite differences (%zu elements)\n", passed,
                                report.nodes.size(), elements);
                    if (!report || passed != report.nodes.size()) {
                        std::printf("%s\n", (std::ostringstream() << report).str().c_str());
                        return 1;
                    }
                }
            }
            opt.step();
            running += loss.item();
            train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (step % every == 0 || step == steps) {
                const double val = evaluate(model, xpr, ypr);
                const double train = running / static_cast<double>(step % every == 0 ? every : step % every);
                curve.push_back({static_cast<double>(step), train, val});
                std::printf("step %6zu  train loss %.4f  validation loss %.4f (1,000 words)\n", step, train, val);
                running = 0;
            }
        }
        const double val = evaluate(model, xva, yva);
        const double bigram = words::bigram_loss(split.train, split.val);
        std::printf("\nchar_transformer: validation loss %.4f (bigram counts: %.4f, uniform: %.4f); %.2f ms per training step\n", val,
                    bigram, std::log(static_cast<double>(words::vocab)), 1e3 * train_seconds / static_cast<double>(steps));
        std::printf("samples:");
        for (std::size_t i = 0; i < samples; ++i) std::printf(" %s", sample(model).c_str());
        std::printf("\n");
        words::plot_losses(output_dir, "char_transformer_loss", "char_transformer: loss per character", curve);
        if (max_val_loss > 0 && !(val <= max_val_loss)) {
            std::fprintf(stderr, "char_transformer: validation loss %.4f is above --max-val-loss %.4f: nothing was learned\n", val, max_val_loss);
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "char_transformer: %s\n", e.what());
        return 2;
    }
}
