#pragma once
// The character models of examples/char_mlp.cpp and examples/char_transformer.cpp, shared with
// bench/char_bench.cpp, which times their training steps against libtorch twins.
#include <cmath>
#include <memory>

#include <xgrad.hpp>

#include "words.hpp"

namespace char_mlp {

using namespace xgrad;

constexpr std::size_t block = 3, embed = 10, hidden = 200;

/// makemore's MLP: x (B, 3) int64 -> logits (B, 27).
struct Model : nn::Module {
    std::shared_ptr<nn::Embedding> emb = std::make_shared<nn::Embedding>(words::vocab, embed);
    std::shared_ptr<nn::Linear> fc1 = std::make_shared<nn::Linear>(block * embed, hidden, nn::LinearOptions{.bias = false});
    std::shared_ptr<nn::BatchNorm1d> bn = std::make_shared<nn::BatchNorm1d>(hidden);
    std::shared_ptr<nn::Linear> fc2 = std::make_shared<nn::Linear>(hidden, words::vocab);
    Model() {
        register_module("emb", emb);
        register_module("fc1", fc1);
        register_module("bn", bn);
        register_module("fc2", fc2);
        NoGradGuard no_grad;  // a less confident start: smaller output weights (makemore's trick)
        Tensor w = fc2->weight();
        w.mutable_data<float>() *= 0.1f;
    }
    // x (B, 3) int64 -> logits (B, 27)
    Tensor forward(const Tensor& x) override {
        const Tensor e = (*emb)(x).flatten(1);  // (B, 3, 10) -> (B, 30)
        return (*fc2)(tanh((*bn)((*fc1)(e))));
    }
    std::string describe() const override { return "CharMLP"; }
};

}  // namespace char_mlp

namespace char_transformer {

using namespace xgrad;

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

/// Cross-entropy per predicted character (padding ignored) of (B, T, 27) logits and (B, T) labels.
inline Tensor loss_of(const Tensor& logits, const Tensor& y) { return nn::cross_entropy(logits.transpose(1, 2), y); }

}  // namespace char_transformer
