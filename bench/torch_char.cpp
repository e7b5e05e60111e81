// libtorch's half of the character-model benchmark: the same two models (same names, weights,
// batch and optimizer) as examples/char_models.hpp.
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <stdexcept>

#include "bench/char_bench.hpp"

namespace bench {

bool have_torch_chars() { return true; }

namespace {

namespace F = torch::nn::functional;

struct MlpImpl : torch::nn::Module {
    torch::nn::Embedding emb{nullptr};
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    torch::nn::BatchNorm1d bn{nullptr};
    MlpImpl() {
        emb = register_module("emb", torch::nn::Embedding(27, 10));
        fc1 = register_module("fc1", torch::nn::Linear(torch::nn::LinearOptions(30, 200).bias(false)));
        bn = register_module("bn", torch::nn::BatchNorm1d(200));
        fc2 = register_module("fc2", torch::nn::Linear(200, 27));
    }
    torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::tanh(bn(fc1(emb(x).flatten(1))))); }
};
TORCH_MODULE(Mlp);

constexpr std::int64_t embed = 64, heads = 4;

struct AttentionImpl : torch::nn::Module {
    torch::nn::Linear qkv{nullptr}, proj{nullptr};
    AttentionImpl() {
        qkv = register_module("qkv", torch::nn::Linear(embed, 3 * embed));
        proj = register_module("proj", torch::nn::Linear(embed, embed));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        const auto b = x.size(0), t = x.size(1), hs = embed / heads;
        auto parts = qkv(x).chunk(3, -1);
        auto split = [&](const torch::Tensor& z) { return z.reshape({b, t, heads, hs}).transpose(1, 2); };
        const auto q = split(parts[0]), k = split(parts[1]), v = split(parts[2]);
        auto att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(hs)));
        const auto mask = torch::ones({t, t}, torch::kBool).triu(1);
        att = torch::softmax(att.masked_fill(mask, -INFINITY), -1);
        return proj(torch::matmul(att, v).transpose(1, 2).reshape({b, t, embed}));
    }
};
TORCH_MODULE(Attention);

struct BlockImpl : torch::nn::Module {
    torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
    Attention attn{nullptr};
    torch::nn::Sequential mlp{nullptr};
    BlockImpl() {
        ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({embed})));
        attn = register_module("attn", Attention());
        ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({embed})));
        mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(embed, 4 * embed), torch::nn::GELU(),
                                                            torch::nn::Linear(4 * embed, embed)));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        const auto h = x + attn(ln1(x));
        return h + mlp->forward(ln2(h));
    }
};
TORCH_MODULE(Block);

struct TransformerImpl : torch::nn::Module {
    torch::nn::Embedding tok{nullptr}, pos{nullptr};
    torch::nn::ModuleList blocks{nullptr};
    torch::nn::LayerNorm ln{nullptr};
    torch::nn::Linear head{nullptr};
    TransformerImpl() {
        tok = register_module("tok", torch::nn::Embedding(27, embed));
        pos = register_module("pos", torch::nn::Embedding(16, embed));
        blocks = register_module("blocks", torch::nn::ModuleList(Block(), Block()));
        ln = register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({embed})));
        head = register_module("head", torch::nn::Linear(embed, 27));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        auto h = tok(x) + pos(torch::arange(x.size(1)));
        for (const auto& b : *blocks) h = b->as<Block>()->forward(h);
        return head(ln(h));
    }
};
TORCH_MODULE(Transformer);

// Every parameter and buffer of `model` takes the problem's values, by name.
void load(torch::nn::Module& model, const CharProblem& p) {
    std::map<std::string, const NamedArray*> by_name;
    for (const auto& a : p.params) by_name[a.name] = &a;
    for (const auto& a : p.buffers) by_name[a.name] = &a;
    torch::NoGradGuard no_grad;
    auto assign = [&](const std::string& name, torch::Tensor& t) {
        const auto it = by_name.find(name);
        if (it == by_name.end()) throw std::runtime_error("char_bench: xgrad has no '" + name + "'");
        const auto values = torch::tensor(it->second->values).reshape(it->second->shape);
        t.copy_(values.to(t.dtype()));
    };
    for (auto& item : model.named_parameters()) assign(item.key(), item.value());
    for (auto& item : model.named_buffers()) assign(item.key(), item.value());
}

template <class Model, class Opt, class Loss>
Timing run(Model model, Opt make_opt, Loss loss_of, const CharProblem& p, std::size_t warmup, std::size_t steps, float* first_loss) {
    torch::set_num_threads(1);
    openblas_set_num_threads(1);  // see step_bench.hpp
    load(*model, p);
    auto opt = make_opt(model->parameters());
    const auto x = torch::tensor(p.x).reshape({p.batch, p.block});
    const auto y = p.sequence_labels ? torch::tensor(p.y).reshape({p.batch, p.block}) : torch::tensor(p.y);
    bool first = true;
    return time_calls([&] {
        opt.zero_grad();
        auto loss = loss_of(model->forward(x), y);
        loss.backward();
        opt.step();
        if (first && first_loss) *first_loss = loss.template item<float>();
        first = false;
    }, warmup, steps);
}

}  // namespace

Timing torch_char_mlp(const CharProblem& p, std::size_t warmup, std::size_t steps, float* first_loss) {
    return run(Mlp(), [](std::vector<torch::Tensor> ps) { return torch::optim::SGD(ps, torch::optim::SGDOptions(0.1)); },
               [](const torch::Tensor& logits, const torch::Tensor& y) { return F::cross_entropy(logits, y); }, p, warmup, steps, first_loss);
}

Timing torch_char_transformer(const CharProblem& p, std::size_t warmup, std::size_t steps, float* first_loss) {
    return run(Transformer(),
               [](std::vector<torch::Tensor> ps) { return torch::optim::AdamW(ps, torch::optim::AdamWOptions(1e-3).weight_decay(0.01)); },
               [](const torch::Tensor& logits, const torch::Tensor& y) { return F::cross_entropy(logits.transpose(1, 2), y); }, p, warmup,
               steps, first_loss);
}

}  // namespace bench
