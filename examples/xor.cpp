// xor: the smallest problem a network without a hidden layer cannot solve (no straight line
// separates {(0,1), (1,0)} from {(0,0), (1,1)}), and a 2-4-2 network with one hidden tanh layer
// can. Exits with status 1 unless every point ends up classified right.
//   usage: xor [steps]
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "xgrad.hpp"

using namespace xgrad;

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 500;
    const auto data = data::make_xor();
    manual_seed(0);
    nn::Sequential model{nn::Linear(2, 4), nn::Tanh(), nn::Linear(4, 2)};
    optim::SGD opt(model.parameters(), {.lr = 0.5, .momentum = 0.9});
    std::cout << "model: " << model << "\n\n";
    for (int step = 1; step <= steps; ++step) {
        Tensor loss = nn::cross_entropy(model(data.inputs), data.labels);
        opt.zero_grad();
        loss.backward();
        opt.step();
        if (step == 1 || step % (steps / 5 > 0 ? steps / 5 : 1) == 0)
            std::cout << "step " << std::setw(4) << step << "  loss " << std::fixed << std::setprecision(5) << loss.item() << '\n';
    }
    NoGradGuard no_grad;
    Tensor p = softmax(model(data.inputs), 1);
    std::cout << "\n x0 x1 | xor | P(1)\n";
    for (std::size_t i = 0; i < 4; ++i)
        std::cout << "  " << static_cast<int>(data.inputs.data<float>()(i, 0)) << "  " << static_cast<int>(data.inputs.data<float>()(i, 1)) << " |  "
                  << data.labels[i] << "  | " << std::setprecision(3) << p.data<float>()(i, 1) << '\n';
    const double acc = data::accuracy(p, data.labels);
    std::cout << "accuracy " << std::setprecision(2) << acc << '\n';
    return acc == 1.0 ? 0 : 1;
}
