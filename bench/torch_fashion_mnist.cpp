// libtorch's twin of the main job (examples/fashion_mnist.cpp with its defaults): a 784-256-128-10
// ReLU MLP, SGD lr 0.1 momentum 0.9, cosine annealing over 10 epochs, batch 128, shuffled each
// epoch, on the same files read by the same reader. scripts/bench.sh times both whole runs.
//   torch_fashion_mnist [epochs]
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "nn/data/idx.hpp"

int main(int argc, char** argv) {
    const int epochs = argc > 1 ? std::atoi(argv[1]) : 10;
    const double base_lr = 0.1;
    const auto start = std::chrono::steady_clock::now();
    torch::manual_seed(0);
    auto train = xgrad::data::load_mnist(xgrad::data::fashion_mnist_dir, xgrad::data::Split::train);
    auto test = xgrad::data::load_mnist(xgrad::data::fashion_mnist_dir, xgrad::data::Split::test);
    // The images as float32 in [0, 1], as libtorch's own C++ MNIST dataset holds them (xgrad keeps
    // the bytes and converts each batch); the torch tensors view these buffers without a copy.
    const xgrad::Tensor train_features = train.features(), test_features = test.features();
    auto images = [](const xgrad::Tensor& features) {
        auto& a = const_cast<xgrad::Tensor&>(features).mutable_data<float>();
        return torch::from_blob(a.data(), {static_cast<std::int64_t>(a.shape()[0]), 784});
    };
    auto labels = [](const xgrad::data::Dataset& d) {
        return torch::from_blob(const_cast<std::int64_t*>(d.labels.data()), {static_cast<std::int64_t>(d.size())},
                                torch::kLong);
    };
    const torch::Tensor x_train = images(train_features), y_train = labels(train);
    const torch::Tensor x_test = images(test_features), y_test = labels(test);

    torch::nn::Sequential model(torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 128),
                                torch::nn::ReLU(), torch::nn::Linear(128, 10));
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(base_lr).momentum(0.9));
    const std::int64_t n = x_train.size(0), batch = 128;
    double accuracy = 0;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        const torch::Tensor order = torch::randperm(n, torch::kLong);
        for (std::int64_t first = 0; first < n; first += batch) {
            const torch::Tensor idx = order.slice(0, first, std::min(first + batch, n));
            opt.zero_grad();
            torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x_train.index_select(0, idx)),
                                                                      y_train.index_select(0, idx));
            loss.backward();
            opt.step();
        }
        // cosine annealing to 0 over the run, stepped once per epoch (as the xgrad run)
        const double lr = base_lr * (1 + std::cos(std::numbers::pi * (epoch + 1) / epochs)) / 2;
        for (auto& group : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
        torch::NoGradGuard no_grad;
        accuracy = model->forward(x_test).argmax(1).eq(y_test).to(torch::kFloat).mean().item<float>();
        std::printf("epoch %d: test accuracy %.2f%%\n", epoch + 1, 100 * accuracy);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("final test accuracy %.2f%% after %d epochs in %.1fs\n", 100 * accuracy, epochs, seconds);
    return 0;
}
