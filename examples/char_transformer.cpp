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

#include "words.hpp"

using namespace xgrad;

namespace {

constexpr std::size_t block = 16, embed = 64, heads = 4;

// Causal multi-head self-attention: (B, T, C) -> (B, T, C).
struct Attention : nn::Module {
    std::shared_ptr<nn::Linear> qkv = std::make_shared<nn::Linear>(embed, 3 * embed);
    std::shared_ptr<nn::Linear> proj = std::make_shared<nn::Linear>(embed, embed);
    Tensor mask;  // (T, T) bool, true above the diagonal: the future a position may not see
    Attention() {
        register_module("qkv", qkv);
        register_module("proj", proj);
        mask = triu_mask(block);
    }
    static Tensor triu_mask(std::size_t t) {
        const Tensor i = Tensor::arange(static_cast<double>(t), {.dtype = int64});
        return gt(unsqueeze(i, 0), unsqueeze(i, 1));  // column > row
    }
    Tensor forward(const Tensor& x) override {
        const auto b = static_cast<std::int64_t>(x.size(0)), t = static_cast<std::int64_t>(x.size(1));
        const std::int64_t c = embed, h = heads, hs = c / h;
        const auto parts = chunk((*qkv)(x), 3, -1);  // q, k, v: (B, T, C) each
        auto split_heads = [&](const Tensor& z) { return z.reshape({b, t, h, hs}).transpose(1, 2); };  // (B, H, T, hs)
        const Tensor q = split_heads(parts[0]), k = split_heads(parts[1]), v = split_heads(parts[2]);
        Tensor att = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(hs)));  // (B, H, T, T)
        const Tensor m = t == static_cast<std::int64_t>(block) ? mask : triu_mask(static_cast<std::size_t>(t));
        att = softmax(masked_fill(att, m, -INFINITY), -1);
        const Tensor y = matmul(att, v).transpose(1, 2).reshape({b, t, c});  // (B, T, C)
        return (*proj)(y);
    }
    std::string describe() const override { return "CausalSelfAttention(" + std::to_string(heads) + " heads)"; }
};

// x + attn(ln1(x)), then + mlp(ln2(x))
struct Block : nn::Module {
    std::shared_ptr<nn::LayerNorm> ln1 = std::make_shared<nn::LayerNorm>(Shape{embed});
    std::shared_ptr<Attention> attn = std::make_shared<Attention>();
    std::shared_ptr<nn::LayerNorm> ln2 = std::make_shared<nn::LayerNorm>(Shape{embed});
    std::shared_ptr<nn::Sequential> mlp =
        std::make_shared<nn::Sequential>(nn::Linear(embed, 4 * embed), nn::GELU(), nn::Linear(4 * embed, embed));
    Block() {
        register_module("ln1", ln1);
        register_module("attn", attn);
        register_module("ln2", ln2);
        register_module("mlp", mlp);
    }
    Tensor forward(const Tensor& x) override {
        const Tensor h = x + (*attn)((*ln1)(x));
        return h + (*mlp)((*ln2)(h));
    }
    std::string describe() const override { return "Block"; }
};

struct Transformer : nn::Module {
    std::shared_ptr<nn::Embedding> tok = std::make_shared<nn::Embedding>(words::vocab, embed);
    std::shared_ptr<nn::Embedding> pos = std::make_shared<nn::Embedding>(block, embed);
    std::shared_ptr<nn::ModuleList> blocks = std::make_shared<nn::ModuleList>();
    std::shared_ptr<nn::LayerNorm> ln = std::make_shared<nn::LayerNorm>(Shape{embed});
    std::shared_ptr<nn::Linear> head = std::make_shared<nn::Linear>(embed, words::vocab);
    Transformer() {
        register_module("tok", tok);
        register_module("pos", pos);
        blocks->push_back(Block());
        blocks->push_back(Block());
        register_module("blocks", blocks);
        register_module("ln", ln);
        register_module("head", head);
    }
    // x (B, T) int64 -> logits (B, T, 27)
    Tensor forward(const Tensor& x) override {
        const Tensor positions = Tensor::arange(static_cast<double>(x.size(1)), {.dtype = int64});
        Tensor h = (*tok)(x) + (*pos)(positions);  // (B, T, C) + (T, C)
        for (const auto& b : *blocks) h = (*b)(h);
        return (*head)((*ln)(h));
    }
    std::string describe() const override { return "CharTransformer"; }
};

// Cross-entropy per predicted character (padding ignored), over (B, T, 27) logits.
Tensor loss_of(const Tensor& logits, const Tensor& y) { return nn::cross_entropy(logits.transpose(1, 2), y); }

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
