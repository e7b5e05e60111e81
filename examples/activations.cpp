// activations: trains the same deep MLP (6 hidden layers of 32 units) on the 3-arm spiral once
// per activation, with the same seed and settings, and prints what happened: final loss and
// accuracy, the first layer's gradient norm at the first step next to the last layer's (the
// vanishing-gradient story: sigmoid's first layer gets almost nothing), and the fraction of
// hidden units that never output anything positive on the data (the dying-ReLU story).
//   usage: activations [steps] [learning rate]
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

double l2(const Tensor& t) {
    double s = 0;
    for (float v : t.data<float>()) s += static_cast<double>(v) * v;
    return std::sqrt(s);
}

struct Result {
    double loss, accuracy, first_grad, last_grad, never_active;
};

Result run(const std::string& activation, const data::Dataset& d, int steps, double lr) {
    manual_seed(0);
    nn::Sequential model = nn::MLP({2, 32, 32, 32, 32, 32, 32, 3}, activation);
    optim::SGD opt(model.parameters(), {.lr = lr, .momentum = 0.9});
    Result r{};
    for (int step = 1; step <= steps; ++step) {
        Tensor loss = nn::cross_entropy(model(d.inputs), d.labels);
        opt.zero_grad();
        loss.backward();
        if (step == 1) {
            r.first_grad = l2(model.named_parameters().front().second.grad());
            r.last_grad = l2(model.named_parameters()[model.named_parameters().size() - 2].second.grad());
        }
        optim::clip_grad_norm(model.parameters(), 1.0);  // same for all: keeps PReLU's learned slopes from diverging
        opt.step();
        r.loss = loss.item();
    }
    NoGradGuard no_grad;
    // walk the layers to see every hidden activation's output on the whole data set
    Tensor h = d.inputs;
    std::size_t units = 0, dead = 0;
    for (std::size_t i = 0; i < model.size(); ++i) {
        h = model[i](h);
        if (i % 2 == 0 || i + 1 == model.size()) continue;  // Linear layers
        const auto& a = h.data<float>();
        for (std::size_t u = 0; u < a.shape()[1]; ++u) {
            bool active = false;
            for (std::size_t s = 0; s < a.shape()[0] && !active; ++s) active = a(s, u) > 0;
            dead += !active;
            ++units;
        }
    }
    r.never_active = static_cast<double>(dead) / static_cast<double>(units);
    r.accuracy = data::accuracy(model(d.inputs), d.labels);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 1500;
    const double lr = argc > 2 ? std::atof(argv[2]) : 0.05;
    const auto spiral = data::make_spiral(100, 3, 0.2, 0);
    std::cout << "3-arm spiral, 300 points; MLP 2-32x6-3; SGD lr " << lr << " momentum 0.9, " << steps
              << " full-batch steps, gradient norm clipped at 1, seed 0\n\n"
              << "activation  | final loss | accuracy | |dL/dW1| step 1 | |dL/dW7| step 1 | never active\n"
              << "------------+------------+----------+-----------------+-----------------+-------------\n";
    double best = 0;
    for (const char* name : {"sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "silu"}) {
        const Result r = run(name, spiral, steps, lr);
        best = std::max(best, r.accuracy);
        std::ostringstream loss;
        if (std::isfinite(r.loss)) loss << std::fixed << std::setprecision(4) << r.loss;
        else loss << "diverged";
        std::cout << std::left << std::setw(11) << name << std::right << " | " << std::setw(10) << loss.str() << " | " << std::setw(7) << std::fixed << std::setprecision(1) << 100 * r.accuracy
                  << "% | " << std::setw(15) << std::scientific << std::setprecision(2) << r.first_grad << " | "
                  << std::setw(15) << r.last_grad << " | " << std::setw(10) << std::fixed << std::setprecision(1)
                  << 100 * r.never_active << "%\n";
    }
    return best > 0.9 ? 0 : 1;
}
