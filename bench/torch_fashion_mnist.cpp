// libtorch's twin of the main job (examples/fashion_mnist.cpp with its defaults): a 784-256-128-10
// ReLU MLP, SGD lr 0.1 momentum 0.9, cosine annealing over 10 epochs, batch 128, shuffled each
// epoch. Both runs start from the same initial weights (xgrad's initialisation, copied in) and
// see the same batches in the same order (xgrad's DataLoader with the same seed, viewed by libtorch
// without a copy), so they differ only in how each library computes: speed, memory and float
// rounding. scripts/bench.sh times both whole runs.
//   torch_fashion_mnist [epochs] [seed]      (the main job's --epochs and --seed; 10 and 0)
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>

#include "autograd/runtime/random.hpp"
#include "nn/data/dataset.hpp"
#include "nn/data/idx.hpp"
#include "nn/sequential.hpp"

namespace {

// A torch view of an xgrad float32 tensor's values (no copy; the tensor must outlive it).
torch::Tensor view(const xgrad::Tensor& t) {
    const auto& a = t.data<float>();
    std::vector<std::int64_t> shape(a.shape().begin(), a.shape().end());
    return torch::from_blob(const_cast<float*>(a.data()), shape);
}

torch::Tensor view(const xgrad::Labels& labels) {
    return torch::from_blob(const_cast<std::int64_t*>(labels.data()), {static_cast<std::int64_t>(labels.size())},
                            torch::kLong);
}

}  // namespace

int main(int argc, char** argv) {
    const int epochs = argc > 1 ? std::atoi(argv[1]) : 10;
    const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;
    const double base_lr = 0.1;
    const auto start = std::chrono::steady_clock::now();
    auto train = xgrad::data::load_mnist(xgrad::data::fashion_mnist_dir, xgrad::data::Split::train);
    auto test = xgrad::data::load_mnist(xgrad::data::fashion_mnist_dir, xgrad::data::Split::test);

    torch::nn::Sequential model(torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 128),
                                torch::nn::ReLU(), torch::nn::Linear(128, 10));
    {
        // The main job's initial weights: manual_seed(seed), then nn::MLP (PyTorch's default init).
        xgrad::manual_seed(seed);
        xgrad::nn::Sequential init = xgrad::nn::MLP({784, 256, 128, 10}, "relu");
        const auto from = init.parameters();
        auto to = model->parameters();
        if (from.size() != to.size()) {
            std::fprintf(stderr, "torch_fashion_mnist: %zu xgrad parameters for %zu torch ones\n", from.size(), to.size());
            return 1;
        }
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < from.size(); ++i) to[i].copy_(view(from[i]).view(to[i].sizes()));
    }
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(base_lr).momentum(0.9));
    xgrad::data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = seed});
    xgrad::data::DataLoader test_batches(test, {.batch_size = 1000});
    double accuracy = 0;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        for (auto [images, labels] : loader) {
            opt.zero_grad();
            torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(view(images)), view(labels));
            loss.backward();
            opt.step();
        }
        // cosine annealing to 0 over the run, stepped once per epoch (as the xgrad run)
        const double lr = base_lr * (1 + std::cos(std::numbers::pi * (epoch + 1) / epochs)) / 2;
        for (auto& group : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
        torch::NoGradGuard no_grad;
        std::int64_t correct = 0;
        for (auto [images, labels] : test_batches)
            correct += model->forward(view(images)).argmax(1).eq(view(labels)).sum().template item<std::int64_t>();
        accuracy = static_cast<double>(correct) / static_cast<double>(test.size());
        std::printf("epoch %d: test accuracy %.2f%%\n", epoch + 1, 100 * accuracy);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("final test accuracy %.2f%% after %d epochs in %.1fs\n", 100 * accuracy, epochs, seconds);
    return 0;
}
