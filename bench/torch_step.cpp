// libtorch's half of the step benchmark: the same network, weights, batch and optimizer.
#include <torch/torch.h>

#include "bench/step_bench.hpp"

namespace bench {

bool have_torch() { return true; }

namespace {

// The benchmark's MLP with the problem's initial weights.
torch::nn::Sequential make_model(const Config& c, const Problem& p) {
    torch::nn::Sequential model;
    for (std::size_t l = 0; l + 1 < c.sizes.size(); ++l) {
        const auto in = static_cast<std::int64_t>(c.sizes[l]), out = static_cast<std::int64_t>(c.sizes[l + 1]);
        torch::nn::Linear linear(in, out);
        {
            torch::NoGradGuard no_grad;
            linear->weight.copy_(torch::from_blob(const_cast<float*>(p.weights[l].data()), {out, in}));
            linear->bias.copy_(torch::from_blob(const_cast<float*>(p.biases[l].data()), {out}));
        }
        model->push_back(linear);
        if (l + 2 < c.sizes.size()) model->push_back(torch::nn::ReLU());
    }
    return model;
}

// The benchmark's network with the problem's initial weights, its optimizer and its batch.
struct TorchTraining {
    TorchTraining(const Config& c, const Problem& p)
        : model(make_model(c, p)), opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9)) {
        const auto B = static_cast<std::int64_t>(c.batch), in = static_cast<std::int64_t>(c.sizes.front());
        x = torch::from_blob(const_cast<float*>(p.inputs.data()), {B, in}).clone();
        y = torch::from_blob(const_cast<std::int64_t*>(p.labels.data()), {B}, torch::kLong).clone();
    }

    // One training step; returns its loss.
    torch::Tensor step() {
        opt.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
        loss.backward();
        opt.step();
        return loss;
    }

    torch::nn::Sequential model;
    torch::optim::SGD opt;
    torch::Tensor x, y;
};

}  // namespace

Timing torch_step(const Config& c, const Problem& p, int threads, std::size_t warmup, std::size_t steps) {
    torch::set_num_threads(threads);
    openblas_set_num_threads(threads);  // see step_bench.hpp
    TorchTraining training(c, p);
    return time_calls([&] { training.step(); }, warmup, steps);
}

std::vector<float> torch_one_step(const Config& c, const Problem& p) {
    TorchTraining training(c, p);
    std::vector<float> out{training.step().item<float>()};
    for (const auto& param : training.model->parameters()) {  // weight then bias, layer by layer
        const torch::Tensor flat = param.detach().contiguous().view({-1});
        out.insert(out.end(), flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
    }
    return out;
}

Timing torch_relu_overhead(int threads, double seconds) {
    torch::set_num_threads(threads);
    openblas_set_num_threads(threads);  // see step_bench.hpp
    torch::Tensor x = torch::randn({1, 16}, torch::requires_grad());
    return time_small([&] { (void)torch::relu(x); }, seconds);
}

Timing torch_tiny_graph(int threads, double seconds) {
    torch::set_num_threads(threads);
    openblas_set_num_threads(threads);  // see step_bench.hpp
    torch::Tensor x = torch::randn({1, 16}, torch::requires_grad());
    torch::Tensor w = torch::randn({16, 16}, torch::requires_grad());
    torch::Tensor b = torch::randn({16}, torch::requires_grad());
    return time_small([&] { torch::relu(torch::matmul(x, w) + b).sum().backward(); }, seconds);
}

}  // namespace bench
